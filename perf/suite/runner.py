# SPDX-License-Identifier: Apache-2.0
# runner.py - how the suite runs one measurement: the network namespace, the
# forwarders' command lines, and vmh-load started alone or several at once.
import json
import os
import subprocess
import time

TSO_MTU = 65535 - 14  # tun caps a TAP's MTU here (vmnet/linux/host_tap.c)
STD_MAX = 1514

# Placement: (load tool's CPUs, forwarder's CPUs). The fair one on 2 cores:
# the load on CPU 0, the forwarder alone on CPU 1.
PLACEMENTS = {
    "pinned": ("0", "1"),
    "free": ("0", "0,1"),
}

# Peers that are other programs, and the Debian package bringing each.
PEER_TOOLS = {"socat": ("socat", "socat"), "vde": ("vde_switch", "vde2")}

# Syscalls worth counting one by one (raw_syscalls:sys_enter counts all).
SYSCALLS = ["read", "write", "readv", "writev", "recvmmsg", "sendmmsg",
            "recvmsg", "sendmsg", "recvfrom", "sendto", "poll", "ppoll",
            "epoll_wait", "epoll_pwait", "epoll_pwait2", "io_uring_enter",
            "futex", "nanosleep", "clock_nanosleep", "sched_yield",
            "getsockopt", "ioctl", "timerfd_settime"]


class Lock:
    """Hold the machine for one measurement: @cmd is a command that runs
    its arguments while it holds a lock (vmh-exclusive here); a shell under
    it says it has the lock and keeps it until its stdin closes. With no
    @cmd, nothing: the caller holds the machine for the whole suite."""

    def __init__(self, cmd):
        self.cmd = cmd
        self.p = None

    def __enter__(self):
        if self.cmd:
            self.p = subprocess.Popen(
                self.cmd + ["sh", "-c", "echo locked; read _"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            try:
                locked = self.p.stdout.readline().strip() == "locked"
            except BaseException:
                # A signal while waiting (SIGTERM and SIGINT end the
                # runners by an exception): __exit__ will not run, and a
                # shell left behind would take the lock later and keep it
                # for good, the runner's own cleanup waiting behind it.
                # Its stdin closed, a shell that has the lock ends (flock
                # runs it as a child, which holds the lock too); killed,
                # a flock still waiting never runs it.
                self.p.stdin.close()
                self.p.kill()
                self.p.wait()
                self.p = None
                raise
            if not locked:
                raise SystemExit("run.py: --lock %s did not take the lock" %
                                 " ".join(self.cmd))
        return self

    def __exit__(self, *exc):
        if self.p:
            self.p.stdin.close()
            self.p.wait()
            self.p = None
        return False


class Netns:
    """A network namespace for the run, IPv6 off so nothing but our frames
    moves; removed on exit, also after an error or a signal."""

    def __init__(self, lock=None):
        self.name = "vmhperf-%d" % os.getpid()
        self.lock = lock

    def __enter__(self):
        with Lock(self.lock):
            subprocess.run(["ip", "netns", "add", self.name], check=True)
            try:
                subprocess.run(["ip", "netns", "exec", self.name, "sysctl",
                                "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                                "net.ipv6.conf.default.disable_ipv6=1"],
                               check=True)
            except BaseException:
                subprocess.run(["ip", "netns", "del", self.name],
                               stderr=subprocess.DEVNULL)
                raise
        return self

    def __exit__(self, *exc):
        with Lock(self.lock):
            subprocess.run(["ip", "netns", "del", self.name],
                           stderr=subprocess.DEVNULL)
        return False


def split_spec(spec):
    """'helper+--cpus+1,1' -> ('helper', ['--cpus', '1,1'])."""
    parts = spec.split("+")
    return parts[0], parts[1:]


def split_env(extra):
    """The NAME=VALUE words of a spec's extras, for the environment (e.g.
    helper+VMNET_TAP_READ=read), and the rest, for the command line."""
    env = [w for w in extra if "=" in w and not w.startswith("-")]
    return env, [w for w in extra if w not in env]


def helper_has(helper, option):
    """Whether this vmnet-helper build knows @option (its --help says)."""
    try:
        p = subprocess.run([helper, "--help"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=10)
    except OSError:
        return False
    return option in p.stdout


# Why a forwarder cannot run at all on this build, said once per run.py.
UNAVAILABLE = {}


def forwarder(spec, build, size, workdir, tap):
    """(command, --vm, --ready, --host) of forwarder @spec on TAP @tap, or
    None when it cannot carry frames of @size bytes or this build lacks it.
    "limit" has no forwarder."""
    fs = _forwarder(spec, build, size, workdir, tap)
    if fs is None or len(fs) == 4:
        return fs
    return fs + ("tap:" + tap,)


def _forwarder(spec, build, size, workdir, tap):
    name, extra = split_spec(spec)
    env, extra = split_env(extra)
    fs = _forwarder_cmd(name, extra, build, size, workdir, tap)
    if fs is None or not env or not fs[0]:
        return fs
    return (["env"] + env + fs[0],) + tuple(fs[1:])


def _forwarder_cmd(name, extra, build, size, workdir, tap):
    spec = "+".join([name] + extra)
    helper = os.path.join(build, "vmnet-helper")
    # 'helper@PATH': another build of the helper beside this one, e.g. the
    # commit before a change, to show what the change costs in one run.
    if "@" in name:
        name, helper = name.split("@", 1)
    base = os.path.join(build, "perf", "suite", "baseline-fwd")
    big = size > STD_MAX
    if name == "limit":
        return [], "fd", "json", "pair"
    if name == "helper-vm2vm":
        # VM to VM: the helper's host side is a second socket (--host-fd).
        if not helper_has(helper, "--host-fd"):
            UNAVAILABLE[spec] = ("this vmnet-helper has no --host-fd (the "
                                 "datagram host endpoint on the command "
                                 "line)")
            return None
        cmd = [helper, "--fd", "3", "--host-fd", "4"]
        return (cmd + (["--enable-tso"] if big else []) + extra, "fd",
                "json", "fd")
    if name == "baseline-vm2vm":
        return [base, "--fd", "3", "--host-fd", "4"] + extra, "fd", "json", \
            "fd"
    if name == "helper":
        cmd = [helper, "--fd", "3", "--tap", tap]
        return cmd + (["--enable-tso"] if big else []) + extra, "fd", "json"
    if name == "helper-socket":
        path = os.path.join(workdir, "helper-%s.sock" % tap)
        cmd = [helper, "--socket", path, "--tap", tap]
        return (cmd + (["--enable-tso"] if big else []) + extra,
                "socket:" + path, "json")
    if name == "helper-stream":
        # The VM's side a stream, each frame after its 4-byte length.
        cmd = [helper, "--fd", "3", "--stream", "--tap", tap]
        return (cmd + (["--enable-tso"] if big else []) + extra,
                "stream-fd", "json")
    if name == "helper-stream-socket":
        path = os.path.join(workdir, "helper-%s.sock" % tap)
        cmd = [helper, "--socket", path, "--stream", "--tap", tap]
        return (cmd + (["--enable-tso"] if big else []) + extra,
                "stream:" + path, "json")
    if name == "baseline":
        cmd = [base, "--fd", "3", "--tap", tap]
        return (cmd + (["--mtu", str(TSO_MTU)] if big else []) + extra,
                "fd", "json")
    if name == "socat":
        # socat cannot set the TAP's MTU, so standard frames only.
        if big:
            return None
        return (["socat", "-b", "65536", "FD:3",
                 "TUN,tun-type=tap,tun-name=%s,iff-no-pi,iff-up" % tap],
                "fd", "tap")
    if name == "vde":
        # vde_switch takes frames up to VDE_MAXMTU (9216) + header and
        # leaves its TAP at the default MTU: standard frames only.
        if big:
            return None
        sw = os.path.join(workdir, "vde-%s.ctl" % tap)
        return (["vde_switch", "--sock", sw, "--tap", tap],
                "vde:" + sw, "tap")
    raise SystemExit("run.py: unknown forwarder '%s' (known: helper, "
                     "helper-socket, helper-stream, helper-stream-socket, "
                     "baseline, socat, vde, limit)" % name)


def syscall_events():
    """The SYSCALLS this kernel has tracepoints for, looked up here, outside
    the namespace, whose /sys has no tracefs."""
    for root in ("/sys/kernel/tracing/events/syscalls",
                 "/sys/kernel/debug/tracing/events/syscalls"):
        if os.path.isdir(root):
            return [s for s in SYSCALLS
                    if os.path.isdir(os.path.join(root, "sys_enter_" + s))]
    return []


def final_counters(log):
    """The helper's own exit counters (its 'final counters' log line)."""
    try:
        with open(log) as f:
            for line in f:
                if "final counters" in line and "{" in line:
                    return json.loads(line[line.index("{"):])
    except (OSError, ValueError):
        pass
    return None


def load_argv(opts, ns, spec, direction, size, placement, workdir,
              tap="vmhp0", count=None, sync=None):
    """The vmh-load command line for one run, or None (see forwarder())."""
    tool_cpus, fwd_cpus = PLACEMENTS[placement]
    fs = forwarder(spec, opts.build, size, workdir, tap)
    if fs is None:
        return None, None
    cmd, vm, ready, host = fs
    # The name alone: 'helper@PATH' holds a path's slashes.
    name = split_spec(spec)[0].split("@", 1)[0]
    log = os.path.join(workdir, "%s-%s.log" % (name, tap))
    load = os.path.join(opts.build, "perf", "suite", "vmh-load")
    argv = ["ip", "netns", "exec", ns.name, "taskset", "-c", tool_cpus,
            load, "--dir", direction, "--size", str(size),
            "--seconds", str(opts.seconds), "--warmup", str(opts.warmup),
            "--vm", vm,
            "--host", host,
            "--ready", ready, "--log", log, "--label", spec]
    if opts.window:
        argv += ["--window", str(opts.window)]
    if count:
        argv += ["--count-syscalls", count,
                 "--count-events", ",".join(syscall_events())]
    if sync:
        argv += ["--sync", sync]
    if cmd:
        argv += ["--", "taskset", "-c", fwd_cpus] + cmd
    return argv, log


def finish(p_out, p_err, rc, log, spec, direction, size, placement, count):
    if rc != 0:
        tail = ""
        if log and os.path.exists(log):
            with open(log) as f:
                tail = f.read()[-2000:]
        raise SystemExit("run.py: %s %s %d B failed (%d): %s\n%s" % (
            spec, direction, size, rc, p_err.strip(), tail))
    r = json.loads(p_out)
    r.update(placement=placement, fwd=spec, counting=bool(count))
    r["helper_final"] = final_counters(log)
    return r


def run_one(opts, ns, spec, direction, size, placement, workdir,
            count=None):
    """One run of vmh-load against @spec; its JSON, or None when @spec
    cannot carry @size."""
    argv, log = load_argv(opts, ns, spec, direction, size, placement,
                          workdir, count=count)
    if argv is None:
        return None
    with Lock(opts.lock):
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True,
                           timeout=opts.seconds * 3 + 60)
    return finish(p.stdout, p.stderr, p.returncode, log, spec, direction,
                  size, placement, count)


def run_many(opts, ns, spec, n, direction, size, placement, workdir):
    """@n forwarders @spec at once, each with its own TAP and its own
    vmh-load, their traffic windows started together (--sync). Returns
    the @n results."""
    sync = os.path.join(workdir, "sync-%d" % n)
    os.makedirs(sync, exist_ok=True)
    for f in os.listdir(sync):
        os.unlink(os.path.join(sync, f))
    with Lock(opts.lock):
        return _run_many(opts, ns, spec, n, direction, size, placement,
                         workdir, sync)


def _run_many(opts, ns, spec, n, direction, size, placement, workdir, sync):
    procs = []
    try:
        for i in range(n):
            argv, log = load_argv(opts, ns, spec, direction, size,
                                  placement, workdir, tap="vmhp%d" % i,
                                  sync=sync)
            procs.append((subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True), log))
        # Every tool creates ready.PID once its forwarder passes frames;
        # the files are polled (bounded), there is no event to wait on.
        deadline = time.monotonic() + 60
        while len([f for f in os.listdir(sync)
                   if f.startswith("ready.")]) < n:
            if any(p.poll() is not None for p, _ in procs):
                break
            if time.monotonic() > deadline:
                raise SystemExit("run.py: %d %s did not all start within "
                                 "60 s" % (n, spec))
            time.sleep(0.01)
        open(os.path.join(sync, "go"), "w").close()
        results = []
        for p, log in procs:
            out, err = p.communicate(timeout=opts.seconds * 3 + 90)
            results.append(finish(out, err, p.returncode, log, spec,
                                  direction, size, placement, None))
        return results
    finally:
        for p, _ in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
