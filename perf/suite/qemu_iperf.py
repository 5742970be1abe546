# SPDX-License-Identifier: Apache-2.0
# qemu_iperf.py - the real-VM figure: the QEMU guest the tests boot
# (tests/scripts/qemu_guest.sh, TCG), one iperf3 TCP stream each way between
# the guest and an iperf3 server on the host side, through vmnet-helper on
# a TAP, beside QEMU's own TAP backend with the same frames (vnet_hdr=off)
# and with its usual virtio-net header and offloads (vnet_hdr=on); the CPU
# of the helper and of QEMU sampled over each stream.
#
# One run boots one guest with one backend; the guest runs its two clients
# one after the other and says when each starts and ends on its console,
# where the samples are taken. run.py interleaves the backends round by
# round, as for every other experiment.
import json
import os
import select
import shlex
import shutil
import socket
import subprocess
import sys
import time

import runner

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
GUEST_SCRIPT = os.path.join(ROOT, "tests", "scripts", "qemu_guest.sh")
HOST_IP, GUEST_IP = "192.0.2.1", "192.0.2.2"
TAP = "vmhq0"
PORTS = {"vm2host": 5201, "host2vm": 5202}  # the guest's send, then recv
TAP_MAC = "52:54:00:76:6d:68"  # for the TAP backends, which print none
CLK_TCK = os.sysconf("SC_CLK_TCK")
# The backends: the helper (its extra options after '+'), QEMU's TAP
# netdev without and with its virtio-net header, and the TAP without it at
# the MTU the helper's --enable-tso gives (the same frames as that).
BACKENDS = {
    "helper": dict(kind="helper", mtu=None),
    "helper-tso": dict(kind="helper", mtu=None, extra=["--enable-tso"]),
    "qemu-tap": dict(kind="tap", vnet_hdr=False, mtu=1500),
    "qemu-tap-vnet": dict(kind="tap", vnet_hdr=True, mtu=1500),
    "qemu-tap-bigmtu": dict(kind="tap", vnet_hdr=False,
                            mtu=runner.TSO_MTU),
}
DEFAULT_FWDS = ["helper", "qemu-tap", "qemu-tap-vnet", "helper-tso",
                "qemu-tap-bigmtu"]
PAIRS = [("helper", "qemu-tap"), ("helper", "qemu-tap-vnet"),
         ("helper-tso", "qemu-tap-vnet"), ("helper-tso", "qemu-tap-bigmtu")]


class RunFailed(Exception):
    """One boot that gave no figure: said, retried once, then counted."""


def build_guest(work):
    """The guest's kernel and initramfs in @work; (dir, None) or (None,
    why not)."""
    out = os.path.join(work, "guest")
    os.makedirs(out, exist_ok=True)
    r = subprocess.run(["bash", GUEST_SCRIPT, "--guest-only", out],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if r.returncode == 77:
        return None, r.stderr.strip().replace("qemu_guest: SKIPPED: ", "")
    if r.returncode != 0:
        raise SystemExit("run.py: cannot build the QEMU guest: %s" %
                         r.stderr.strip())
    return out, None


def unavailable():
    """Why the experiment cannot run here, or None."""
    for tool, pkg in (("qemu-system-x86_64", "qemu-system-x86"),
                      ("iperf3", "iperf3")):
        if not shutil.which(tool):
            return "%s is not installed (Debian package %s; " \
                ".ci/install-deps installs it)" % (tool, pkg)
    return None


def cpu_ticks(pid):
    """{thread name: utime+stime ticks} of @pid's threads, and the total
    under None; {} once it is gone."""
    out = {}
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                text = f.read()
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                comm = f.read().strip()
            # comm may hold spaces: fields count from the last ')'.
            fields = text[text.rindex(")") + 2:].split()
            ticks = int(fields[11]) + int(fields[12])
            out[comm] = out.get(comm, 0) + ticks
            out[None] = out.get(None, 0) + ticks
    except (OSError, ValueError):
        pass
    return out


def sample(pids):
    return time.monotonic(), {name: cpu_ticks(pid)
                              for name, pid in pids.items()}


def cpu_between(a, b):
    """CPU % of one core of each process (and, for the helper, each
    thread) between samples @a and @b."""
    secs = b[0] - a[0]
    out = {}
    for name, after in b[1].items():
        before = a[1].get(name, {})
        pct = {k: 100.0 * (v - before.get(k, 0)) / CLK_TCK / secs
               for k, v in after.items() if secs > 0}
        out[name] = {"cpu_pct": pct.get(None, 0.0),
                     "threads": {k: v for k, v in pct.items()
                                 if k is not None}}
    return secs, out


def iperf_result(words):
    """Gbit/s at the receiver and the sender's retransmits, from the
    guest's "done" line (tests/scripts/qemu_guest.sh): its iperf3 client's
    sum_received is the receiver's count either way (the server's, from
    the results exchange, when the guest sends)."""
    kv = dict(w.split("=", 1) for w in words if "=" in w)
    try:
        return {"gbps": float(kv["sum_received_bps"]) / 1e9,
                "sender_gbps": float(kv["sum_sent_bps"]) / 1e9,
                "retransmits": int(kv["retransmits"])
                if "retransmits" in kv else None}
    except (KeyError, ValueError):
        return None


class Lines:
    """The lines of a pipe, each read within a deadline."""

    def __init__(self, f):
        self.f, self.buf = f, b""

    def next(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if not select.select([self.f], [], [], left)[0]:
                continue
            chunk = os.read(self.f.fileno(), 65536)
            if not chunk:
                if self.buf:
                    line, self.buf = self.buf, b""
                    return line.decode(errors="replace")
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace")


def ns_run(ns, *argv):
    subprocess.run(["ip", "-n", ns.name] + list(argv), check=True)


def wait_listening(ns, port, deadline):
    """Until the iperf3 server in @ns listens on @port: it prints nothing
    before its test with -J, so its socket is looked for."""
    while time.monotonic() < deadline:
        r = subprocess.run(["ip", "netns", "exec", ns.name, "ss", "-Htln",
                            "sport = :%d" % port], stdout=subprocess.PIPE,
                           text=True)
        if r.stdout.strip():
            return
        time.sleep(0.02)
    raise RunFailed("the iperf3 server on port %d did not start" % port)


def qemu_argv(guest, netdev):
    """QEMU's command line but the NIC's MAC and -append."""
    return ["qemu-system-x86_64", "-name", "vmh,debug-threads=on",
            "-accel", "tcg", "-m", "256", "-smp", "1",
            "-no-reboot", "-display", "none", "-monitor", "none",
            "-serial", "stdio", "-kernel", os.path.join(guest, "vmlinuz"),
            "-initrd", os.path.join(guest, "initrd.img"),
            "-netdev", netdev]


def append_line(opts, mtu):
    return ("console=ttyS0 panic=-1 quiet vmh.host=%s vmh.guest=%s "
            "vmh.iperf=%d vmh.mtu=%d" % (HOST_IP, GUEST_IP,
                                         opts.qemu_seconds, mtu))


def placement_cpus(placement):
    """(QEMU's CPUs, the helper's and the iperf3 servers' CPUs): pinned =
    the guest on the load tool's CPU, the rest on the forwarder's; free =
    everything anywhere."""
    tool, fwd = runner.PLACEMENTS["pinned"]
    if placement == "pinned":
        return tool, fwd
    both = runner.PLACEMENTS["free"][1]
    return both, both


# vmnet-run's COMMAND: say its pid (QEMU's, after the exec), the helper's
# and its JSON line, read the MAC and the kernel command line back, then
# become QEMU.
VM_SCRIPT = """printf '%s\\n%s\\n%s\\n' "$$" "$VMNET_HELPER_PID" "$VMNET_HELPER_JSON"
read -r mac && read -r append || exit 1
exec "$@" -device "virtio-net-pci,netdev=net0,mac=$mac" -append "$append" \\
	</dev/null"""


def start_helper(opts, ns, spec, extra, log, qcpus, fcpus, guest):
    """vmnet-run with the helper on the TAP and QEMU on fd 4, as a user
    runs them (vmnet-run makes the socketpair inside the namespace, where
    the helper's peer watch can see both ends). Returns the console's
    process, {name: pid} and the guest's MTU (the helper's)."""
    run = os.path.join(opts.build, "vmnet-run")
    netdev = "dgram,id=net0,local.type=fd,local.str=4"
    argv = (["ip", "netns", "exec", ns.name, "taskset", "-c", fcpus, run,
             "--tap", TAP] + extra +
            ["--", "taskset", "-c", qcpus, "sh", "-c", VM_SCRIPT, "sh"] +
            qemu_argv(guest, netdev))
    with open(log, "w") as lf:
        p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=lf)
    lines = Lines(p.stdout)
    got = []
    try:
        while len(got) < 3:
            line = lines.next(time.monotonic() + 30)
            if line is None:
                break
            got.append(line)
    except TimeoutError:
        pass
    if len(got) < 3 or not got[2].startswith("{"):
        p.kill()
        p.wait()
        with open(log) as f:
            raise RunFailed("%s did not start: %s" % (
                spec, f.read()[-2000:]))
    info = json.loads(got[2])
    mtu = info["vmnet_mtu"]
    ns_run(ns, "addr", "add", HOST_IP + "/24", "dev", TAP)
    p.stdin.write(("%s\n%s\n" % (info["vmnet_mac_address"],
                                 append_line(opts, mtu))).encode())
    p.stdin.close()
    return p, lines, {"qemu": int(got[0]), "helper": int(got[1])}, mtu


def start_tap(opts, ns, be, qcpus, guest):
    """QEMU on a TAP of its own, made persistent here first so its MTU
    and address are set before the guest boots."""
    ns_run(ns, "tuntap", "add", "dev", TAP, "mode", "tap")
    ns_run(ns, "link", "set", TAP, "mtu", str(be["mtu"]), "up")
    ns_run(ns, "addr", "add", HOST_IP + "/24", "dev", TAP)
    netdev = ("tap,id=net0,ifname=%s,script=no,downscript=no,vhost=off,"
              "vnet_hdr=%s" % (TAP, "on" if be["vnet_hdr"] else "off"))
    argv = (["ip", "netns", "exec", ns.name, "taskset", "-c", qcpus] +
            qemu_argv(guest, netdev) +
            ["-device", "virtio-net-pci,netdev=net0,mac=%s" % TAP_MAC,
             "-append", append_line(opts, be["mtu"])])
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return p, Lines(p.stdout), {"qemu": p.pid}, be["mtu"]


def run_one(opts, ns, spec, placement, work, guest):
    """Boot the guest once with backend @spec; one result per direction,
    or a second boot if the first fails (then RunFailed)."""
    for attempt in (1, 2):
        try:
            return _run_one_locked(opts, ns, spec, placement, work, guest)
        except RunFailed as e:
            print("run.py: %s %s, boot %d of 2 failed: %s" % (
                spec, placement, attempt, e), file=sys.stderr)
            why = str(e)
    raise RunFailed(why)


def _run_one_locked(opts, ns, spec, placement, work, guest):
    name, extra = runner.split_spec(spec)
    if name not in BACKENDS:
        raise SystemExit("run.py: unknown QEMU backend '%s' (known: %s)" %
                         (name, ", ".join(BACKENDS)))
    be = BACKENDS[name]
    with runner.Lock(opts.lock):
        try:
            return _run_one(opts, ns, spec, be, be.get("extra", []) + extra,
                            placement, work, guest)
        except subprocess.TimeoutExpired as e:
            raise RunFailed("%s did not exit in time" % e.cmd[0])


def _run_one(opts, ns, spec, be, extra, placement, work, guest):
    qcpus, fcpus = placement_cpus(placement)
    log = os.path.join(work, "qemu-%s.log" % runner.split_spec(spec)[0])
    servers, p = {}, None
    try:
        for d, port in PORTS.items():
            servers[d] = subprocess.Popen(
                ["ip", "netns", "exec", ns.name, "taskset", "-c", fcpus,
                 "iperf3", "-s", "-1", "-p", str(port),
                 "--rcv-timeout", "20000"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        for port in PORTS.values():
            wait_listening(ns, port, deadline)
        if be["kind"] == "helper":
            p, lines, pids, mtu = start_helper(opts, ns, spec, extra, log,
                                               qcpus, fcpus, guest)
        else:
            p, lines, pids, mtu = start_tap(opts, ns, be, qcpus, guest)
        windows, console = watch_guest(opts, lines, pids, servers, spec)
        p.wait(timeout=30)
        if p.returncode != 0:
            raise RunFailed("%s: QEMU exited %d; its console:\n%s"
                             % (spec, p.returncode, "\n".join(console[-30:])))
        results = []
        for d, srv in servers.items():
            srv.wait(timeout=30)
            if d not in windows:
                raise RunFailed("%s %s: no iperf3 result; guest "
                                 "console:\n%s" % (spec, d,
                                                    "\n".join(console[-30:])))
            res = windows[d]
            cpu = res.pop("cpu")
            res.update(fwd=spec, dir=d, placement=placement, mtu=mtu,
                       seconds=opts.qemu_seconds,
                       helper_cpu=cpu.get("helper"), qemu_cpu=cpu["qemu"],
                       server_cpu=cpu["server"],
                       helper_final=runner.final_counters(log)
                       if be["kind"] == "helper" else None)
            results.append(res)
        return results
    finally:
        for q in [p] + list(servers.values()):
            if q and q.poll() is None:
                q.kill()
                q.wait()
        subprocess.run(["ip", "-n", ns.name, "link", "del", TAP],
                       stderr=subprocess.DEVNULL)


def watch_guest(opts, lines, pids, servers, spec):
    """Read the guest's console until QEMU exits; sample CPU at each
    stream's start and end. Returns ({dir: (seconds, cpu)}, console)."""
    deadline = time.monotonic() + 120 + 4 * opts.qemu_seconds
    console, windows, started, errors = [], {}, {}, {}
    names = {"send": "vm2host", "recv": "host2vm"}
    while True:
        try:
            line = lines.next(deadline)
        except TimeoutError:
            raise RunFailed("%s: the guest did not finish in "
                             "time; its console:\n%s" % (
                                 spec, "\n".join(console[-30:])))
        if line is None:
            break
        console.append(line)
        if os.environ.get("VMH_QEMU_DEBUG"):
            print("%.2f %s" % (time.monotonic(), line), flush=True)
        if "vmnet-guest:" not in line:
            continue
        words = line.split("vmnet-guest:", 1)[1].split()
        if "FAILED" in words:
            raise RunFailed("%s: the guest says %s" % (
                spec, " ".join(words)))
        if len(words) < 3 or words[0] != "iperf":
            continue
        d = names.get(words[1])
        ps = dict(pids, server=servers[d].pid)
        if words[2] == "start":
            started[d] = sample(ps)
        elif words[2] == "error:":
            errors[d] = " ".join(words[3:])
        elif words[2] == "done" and d in started:
            after = sample(ps)
            res = iperf_result(words[4:])
            # A receiver that counted nothing means the results exchange
            # failed: no figure to take.
            if words[3:4] != ["0"] or res is None or not res["gbps"]:
                raise RunFailed("%s: the guest's iperf3 (%s) failed: "
                                "%s%s" % (spec, d, " ".join(words),
                                          "; " + errors[d] if d in errors
                                          else ""))
            res["window_s"], res["cpu"] = cpu_between(started[d], after)
            windows[d] = res
    return windows, console


def summarize(runs):
    """Medians [min-max] per (placement, dir, fwd) of Gbit/s, the helper's
    CPU %, QEMU's and the iperf3 server's."""
    groups = {}
    for r in runs:
        groups.setdefault((r["placement"], r["dir"], r["fwd"]), []).append(r)
    out = []
    for (pl, d, f), rs in sorted(groups.items()):
        def fig(get):
            xs = [get(r) for r in rs]
            return {"median": _median(xs), "min": min(xs), "max": max(xs)}
        s = {"placement": pl, "dir": d, "fwd": f, "runs": len(rs),
             "mtu": rs[0]["mtu"], "seconds": rs[0]["seconds"],
             "gbps": fig(lambda r: r["gbps"]),
             "qemu_cpu_pct": fig(lambda r: r["qemu_cpu"]["cpu_pct"]),
             "server_cpu_pct": fig(lambda r: r["server_cpu"]["cpu_pct"]),
             "retransmits": fig(lambda r: r["retransmits"] or 0)}
        if rs[0].get("helper_cpu"):
            s["helper_cpu_pct"] = fig(lambda r: r["helper_cpu"]["cpu_pct"])
            threads = {}
            for r in rs:
                for t, v in r["helper_cpu"]["threads"].items():
                    threads.setdefault(t, []).append(v)
            s["helper_threads"] = {t: _median(v) for t, v in threads.items()}
            s["helper_drops"] = sum(
                (r.get("helper_final") or {}).get(k, {}).get("drops", 0)
                for r in rs for k in ("host", "vm"))
        out.append(s)
    return out


def _median(xs):
    xs = sorted(xs)
    n = len(xs)
    return (xs[n // 2] + xs[(n - 1) // 2]) / 2 if n else 0.0


def command_line(spec):
    """The QEMU -netdev (and helper) a backend stands for, for the
    tables' legend."""
    name, extra = runner.split_spec(spec)
    be = BACKENDS[name]
    if be["kind"] == "helper":
        return ("vmnet-run --tap %s %s-- QEMU -netdev dgram,local.type=fd,"
                "local.str=4; guest MTU = the helper's vmnet_mtu" % (
                    TAP, "".join(shlex.quote(x) + " " for x in
                                 be.get("extra", []) + extra)))
    return "-netdev tap,vhost=off,vnet_hdr=%s, TAP and guest MTU %d" % (
        "on" if be["vnet_hdr"] else "off", be["mtu"])


def legend(fwds, out):
    print("Backends (QEMU -accel tcg -smp 1 -m 256, virtio-net-pci; pinned "
          "= QEMU on the load CPU, the helper and the iperf3 servers on the "
          "forwarder's; free = all on every CPU):", file=out)
    for f in fwds:
        if runner.split_spec(f)[0] in BACKENDS:
            print("  %-18s %s" % (f, command_line(f)), file=out)
    print(file=out)
