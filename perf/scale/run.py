#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# run.py - many VMs on one switch (issue 19): N vmnet-helpers, each on its own
# TAP on one Linux bridge serving one VM, against the same N VMs on one VDE
# switch (vde_switch, the shared-daemon model of socket_vmnet), whose TAP is a
# port of the same bridge. Every VM streams checked frames to and from its own
# host endpoint across the bridge (a veth pair per VM), all VMs at once: one
# vmh-load per VM (perf/suite), --id giving each its own MACs, their windows
# started together (--sync). Prints the scaling table (medians [min-max] of
# interleaved runs) and writes every run's JSON to results/scale-STAMP/; also
# the start-up time of 64 helpers and the helpers' memory with TSO.
#
# Usage (root; on the shared machine under vmh-exclusive, or with
# --lock vmh-exclusive to take the machine per measurement):
#   perf/scale/run.py [--counts 1,2,4,16,64] [--fwds helper,vde]
#       [--sizes 64,1514] [--dirs both] [--placements pinned,free]
#       [--runs 3] [--seconds 2] [--startup-runs 3] [--tso-counts 1,16]
#       [--build DIR] [--lock CMD] [--out DIR]
#   perf/scale/run.py --report results/scale-STAMP/results.json ...
import argparse
import datetime
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "perf", "suite"))
import runner  # noqa: E402  (Lock, Netns, PLACEMENTS)

BRIDGE = "vmsbr0"
VDE_TAP = "vmsvde"
TSO_MTU = runner.TSO_MTU


def host_mac(i):
    """The MAC vmh-load --id I uses on its host side (load.c)."""
    return "02:76:6d:%02x:%02x:02" % (i >> 8, i & 0xFF)


def sh(ns, *argv, check=True, **kw):
    return subprocess.run(["ip", "netns", "exec", ns.name] + list(argv),
                          check=check, **kw)


def ip_batch(ns, lines):
    """Many ip commands at once (64 veth pairs take one call, not 192)."""
    subprocess.run(["ip", "-n", ns.name, "-batch", "-"], check=True,
                   input="\n".join(lines) + "\n", text=True)


class Switch:
    """The run's network: bridge BRIDGE with one veth pair per VM (hv{i} on
    the bridge, hh{i} the host endpoint vmh-load drives), and for VDE the
    switch with its TAP on the bridge. Removed on exit."""

    def __init__(self, ns, fwd, n, size, fwd_cpus, work):
        self.ns, self.fwd, self.n, self.work = ns, fwd, n, work
        self.mtu = TSO_MTU if size > runner.STD_MAX else 1500
        self.fwd_cpus = fwd_cpus
        self.vde = None
        self.sock = os.path.join(work, "vde.ctl")

    def __enter__(self):
        lines = ["link add %s type bridge mcast_snooping 0" % BRIDGE]
        for i in range(self.n):
            lines += ["link add hv%d mtu %d type veth peer name hh%d mtu %d"
                      % (i, self.mtu, i, self.mtu),
                      "link set hv%d master %s" % (i, BRIDGE),
                      "link set hv%d up" % i, "link set hh%d up" % i]
        lines.append("link set %s up" % BRIDGE)
        ip_batch(self.ns, lines)
        if self.fwd == "vde":
            self.start_vde()
        self.teach_host_macs()
        return self

    def start_vde(self):
        # vde_switch runs until its stdin ends: the pipe stays open.
        log = open(os.path.join(self.work, "vde_switch.log"), "w")
        self.vde = subprocess.Popen(
            ["ip", "netns", "exec", self.ns.name, "taskset", "-c",
             self.fwd_cpus, "vde_switch", "--sock", self.sock, "--tap",
             VDE_TAP, "--numports", str(self.n + 8),
             # 4096 buckets: its default of 128 (hash.c) cannot hold 64
             # VMs' and hosts' MACs, and it then floods.
             "--hashsize", "4096"],
            stdin=subprocess.PIPE, stdout=log, stderr=log)
        # The TAP appears when the switch has started; nothing signals it.
        deadline = time.monotonic() + 10
        while sh(self.ns, "test", "-e", "/sys/class/net/" + VDE_TAP,
                 check=False).returncode != 0:
            if self.vde.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("scale: vde_switch did not make its TAP; "
                                 "see %s" % log.name)
            time.sleep(0.01)
        ip_batch(self.ns, ["link set %s master %s" % (VDE_TAP, BRIDGE),
                           "link set %s up" % VDE_TAP])

    def teach_host_macs(self):
        """One broadcast from each host endpoint, so the bridge (and VDE,
        through its TAP) know every host MAC before any VM sends: a switch
        floods a frame for a MAC it has not seen, and the first probes
        would otherwise reach every VM."""
        code = ("import socket, sys\n"
                "for i in range(%d):\n"
                "    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
                "    s.bind(('hh%%d' %% i, 0))\n"
                "    mac = bytes([2, 0x76, 0x6d, i >> 8, i & 255, 2])\n"
                "    s.send(b'\\xff' * 6 + mac + b'\\x88\\xb6' + bytes(46))\n"
                % self.n)
        sh(self.ns, sys.executable, "-c", code)

    def __exit__(self, *exc):
        if self.vde:
            self.vde.stdin.close()
            try:
                self.vde.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.vde.kill()
                self.vde.wait()
        sh(self.ns, "ip", "link", "del", BRIDGE, check=False)
        ip_batch(self.ns, ["link del hv%d" % i for i in range(self.n)])
        return False


def tool_argv(opts, ns, fwd, i, direction, size, placement, sw, sync, tso):
    tool_cpus, fwd_cpus = runner.PLACEMENTS[placement]
    load = os.path.join(opts.build, "perf", "suite", "vmh-load")
    log = os.path.join(sw.work, "fwd-%d.log" % i)
    argv = ["ip", "netns", "exec", ns.name, "taskset", "-c", tool_cpus,
            load, "--id", str(i), "--dir", direction, "--size", str(size),
            "--seconds", str(opts.seconds), "--warmup", str(opts.warmup),
            "--host", "tap:hh%d" % i, "--sync", sync, "--log", log,
            "--label", "%s-%d" % (fwd, i)]
    if opts.window:
        argv += ["--window", str(opts.window)]
    if fwd == "vde":
        return argv + ["--vm", "vde:" + sw.sock, "--attach",
                       str(vde_pid(sw))], log
    helper = [os.path.join(opts.build, "vmnet-helper"), "--fd", "3",
              "--tap", "vmst%d" % i, "--bridge", BRIDGE]
    if tso:
        helper.append("--enable-tso")
    return argv + ["--vm", "fd", "--ready", "json", "--", "taskset", "-c",
                   fwd_cpus] + helper, log


def vde_pid(sw):
    """vde_switch's own pid (under ip netns exec and taskset, which exec
    it: the same process)."""
    return sw.vde.pid


STAT_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq",
               "steal")


def cpu_times():
    """/proc/stat's jiffies per CPU: {"0": {"user": ..., ...}, ...}."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            w = line.split()
            if w[0].startswith("cpu") and w[0] != "cpu":
                out[w[0][3:]] = dict(zip(STAT_FIELDS, map(int, w[1:9])))
    return out


def cpu_delta(a, b):
    return {c: {k: b[c][k] - a[c][k] for k in STAT_FIELDS} for c in a}


def measure(opts, ns, fwd, n, direction, size, placement, work, tso=False):
    """One measurement: @n VMs on @fwd at once. Returns its summary."""
    tool_cpus, fwd_cpus = runner.PLACEMENTS[placement]
    sync = os.path.join(work, "sync")
    os.makedirs(sync, exist_ok=True)
    for f in os.listdir(sync):
        os.unlink(os.path.join(sync, f))
    with runner.Lock(opts.lock), \
            Switch(ns, fwd, n, size, fwd_cpus, work) as sw:
        procs = []
        try:
            for i in range(n):
                argv, log = tool_argv(opts, ns, fwd, i, direction, size,
                                      placement, sw, sync, tso)
                procs.append((subprocess.Popen(
                    argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    text=True), log))
            deadline = time.monotonic() + 120
            while len([f for f in os.listdir(sync)
                       if f.startswith("ready.")]) < n:
                if any(p.poll() is not None for p, _ in procs):
                    break
                if time.monotonic() > deadline:
                    raise SystemExit("scale: %d x %s did not all start "
                                     "within 120 s" % (n, fwd))
                time.sleep(0.01)
            # Every tool is past its probes: the window starts warmup
            # seconds after go, for all of them (they poll for it each ms).
            go = time.monotonic()
            open(os.path.join(sync, "go"), "w").close()
            time.sleep(max(0, go + opts.warmup - time.monotonic()))
            times0 = cpu_times()
            time.sleep(max(0, go + opts.warmup + opts.seconds -
                           time.monotonic()))
            times = cpu_delta(times0, cpu_times())
            runs = []
            for p, log in procs:
                out, err = p.communicate(timeout=opts.seconds * 3 + 120)
                if p.returncode != 0:
                    tail = open(log).read()[-2000:] if os.path.exists(log) \
                        else ""
                    raise SystemExit("scale: %s x%d: vmh-load failed (%d): "
                                     "%s\n%s" % (fwd, n, p.returncode,
                                                 err.strip(), tail))
                r = json.loads(out)
                r["helper_final"] = runner.final_counters(log)
                runs.append(r)
        finally:
            for p, _ in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
    s = summarize(fwd, n, direction, size, placement, runs, tso)
    s["cpu_times"] = times
    return s


def summarize(fwd, n, direction, size, placement, runs, tso):
    frames = sum(d["frames"] for r in runs for d in r["directions"])
    window = statistics.median(r["seconds"] for r in runs)
    if fwd == "vde":
        # One switch: every tool measured the same process; take one.
        cpu_s = statistics.median(r["forwarder_cpu"]["cpu_s"] for r in runs)
        rss = [runs[0]["rss_kib"]]
    else:
        cpu_s = sum(r["forwarder_cpu"]["cpu_s"] for r in runs)
        rss = [r["rss_kib"] for r in runs]
    dirs = [d for r in runs for d in r["directions"]]
    sides = [r["sides"][s] for r in runs for s in ("vm", "host")]
    misrouted = sum(s["misrouted"] for s in sides)
    flooded = sum(r["misrouted_in_window"] for r in runs)
    # vmh-load's verdict also counts, as damaged, frames of ours a VM got
    # that were for another VM; a switch floods those while it has not
    # learned a MAC yet, before the window. Kept apart here: "intact" is
    # no frame lost, reordered, duplicated or damaged, and none flooded to
    # the wrong VM inside the window.
    faults = {
        "lost": sum(d["lost"] for d in dirs),
        "reordered": sum(d["reordered"] for d in dirs),
        "duplicated": sum(d["duplicated"] for d in dirs),
        "damaged": sum(d["late"] for d in dirs) +
        sum(s["damaged"] + s["truncated"] for s in sides),
    }
    return {
        "fwd": fwd, "n": n, "dir": direction, "size": size,
        "placement": placement, "tso": tso,
        "pps": sum(r["pps"] for r in runs),
        "gbps": sum(r["gbps"] for r in runs),
        "frames": frames, "window_s": window,
        "fwd_cpu_s": cpu_s,
        "fwd_cpu_pct": 100 * cpu_s / window,
        "s_per_mframe": cpu_s * 1e6 / frames if frames else 0,
        "tool_cpu_pct": sum(r["tool_cpu_pct"] for r in runs),
        "rss_idle_kib": [x["idle"] for x in rss],
        "rss_load_kib": [x["load"] for x in rss],
        "rss_peak_kib": [x["peak"] for x in rss],
        "misrouted": misrouted, "flooded_in_window": flooded,
        "faults": faults,
        "intact": not any(faults.values()) and not flooded,
        "runs": runs,
    }


STARTUP_INNER = r"""
import json, os, select, subprocess, sys, time
helper, n, work, bridge = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
t0 = time.monotonic()
procs = [subprocess.Popen([helper, "--socket", "%s/h%d.sock" % (work, i),
                           "--tap", "vmsu%d" % i, "--bridge", bridge],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
         for i in range(n)]
spawned = time.monotonic() - t0
left = {p.stdout.fileno(): p for p in procs}
while left:
    r, _, _ = select.select(list(left), [], [], 10)
    if not r:
        sys.exit("scale: helpers printed no JSON line within 10 s")
    for fd in r:
        if os.read(fd, 65536).endswith(b"\n"):
            del left[fd]
ready = time.monotonic() - t0
rss = []
for p in procs:
    with open("/proc/%d/status" % p.pid) as f:
        rss.append(int([l for l in f if l.startswith("VmRSS")][0].split()[1]))
for p in procs:
    p.terminate()
codes = [p.wait(10) for p in procs]
print(json.dumps({"n": n, "spawned_s": spawned, "ready_s": ready,
                  "rss_idle_kib": rss, "exit_codes": sorted(set(codes))}))
"""


def startup(opts, ns, n, work):
    """@n helpers started at once on one bridge, each on --socket: the time
    from the first spawn to the last JSON line (the socket bound, the TAP
    on the bridge), and each helper's idle RSS."""
    with runner.Lock(opts.lock):
        ip_batch(ns, ["link add %s type bridge mcast_snooping 0" % BRIDGE,
                      "link set %s up" % BRIDGE])
        try:
            p = sh(ns, sys.executable, "-c", STARTUP_INNER,
                   os.path.join(opts.build, "vmnet-helper"), str(n), work,
                   BRIDGE, stdout=subprocess.PIPE, text=True)
        finally:
            sh(ns, "ip", "link", "del", BRIDGE, check=False)
    return json.loads(p.stdout)


def med_min_max(xs, fmt):
    return "%s [%s-%s]" % (fmt(statistics.median(xs)), fmt(min(xs)),
                           fmt(max(xs)))


def mib(kib):
    return "%.1f" % (kib / 1024)


def table(groups, fwds):
    """Markdown: one row per (n, fwd) of medians [min-max] over the runs."""
    rows = ["| VMs | forwarder | pps | Gbit/s | forwarder CPU % | "
            "CPU s per Mframe | CPU 0 / CPU 1 busy %, softirq % | "
            "forwarder context switches per 1000 frames | "
            "RSS per helper idle / load / peak, MiB (max peak) | frames |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2], k[3],
                                             fwds.index(k[4]))):
        size, direction, placement, n, fwd = key
        ss = groups[key]
        busy = " / ".join(
            "%.0f (%.0f)" % (statistics.median(cpu_pct(s, c, False)
                                               for s in ss),
                             statistics.median(cpu_pct(s, c, True)
                                               for s in ss))
            for c in ("0", "1"))
        rss = "%s / %s / %s (%s)" % (tuple(
            mib(statistics.median(x for s in ss for x in s[k]))
            for k in ("rss_idle_kib", "rss_load_kib", "rss_peak_kib")) +
            (mib(max(x for s in ss for x in s["rss_peak_kib"])),))
        if fwd == "vde":
            rss += " (one switch for all)"
        intact = sum(1 for s in ss if s["intact"])
        faults = ", ".join("%d %s" % (sum(s["faults"][k] for s in ss), k)
                           for k in ss[0]["faults"]
                           if sum(s["faults"][k] for s in ss))
        rows.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            n, fwd,
            med_min_max([s["pps"] for s in ss], lambda x: "%.0fk" % (x / 1e3)),
            "%.2f" % statistics.median(s["gbps"] for s in ss),
            "%.0f" % statistics.median(s["fwd_cpu_pct"] for s in ss),
            med_min_max([s["s_per_mframe"] for s in ss],
                        lambda x: "%.2f" % x),
            busy,
            "%.3g" % statistics.median(switches_per_kframe(s) for s in ss),
            rss,
            "%d/%d intact%s; %d not for the VM in the window, %d before" % (
                intact, len(ss), " (%s)" % faults if faults else "",
                sum(s["flooded_in_window"] for s in ss),
                sum(s["misrouted"] - s["flooded_in_window"] for s in ss))))
    return "\n".join(rows)


def switches_per_kframe(s):
    """The forwarders' context switches (voluntary and not) per 1000
    frames delivered: each vmh-load counted its helper's over the window,
    per 1000 of its own frames; for VDE each counted the one switch."""
    def switches(r):
        c = r["forwarder_cpu"]
        own = sum(d["frames"] for d in r["directions"])
        return (c["vcsw_per_kframe"] + c["ivcsw_per_kframe"]) * own / 1000

    n = [switches(r) for r in s["runs"]]
    total = statistics.median(n) if s["fwd"] == "vde" else sum(n)
    return 1000 * total / s["frames"] if s["frames"] else 0


def cpu_pct(s, cpu, softirq):
    """CPU @cpu's busy (or softirq) share of the runner's window, in %."""
    t = s["cpu_times"][cpu]
    total = sum(t.values())
    part = t["softirq"] if softirq else total - t["idle"] - t["iowait"]
    return 100.0 * part / total if total else 0.0


def ratios(groups):
    """helper / vde for each n: pps and CPU s per Mframe (medians)."""
    rows = ["| VMs | pps helper/vde | CPU per Mframe helper/vde |",
            "| --- | --- | --- |"]
    keys = sorted(set(k[:4] for k in groups))
    for k in keys:
        h, v = groups.get(k + ("helper",)), groups.get(k + ("vde",))
        if not h or not v:
            continue
        m = statistics.median
        rows.append("| %d | %.2f | %.2f |" % (
            k[3], m(s["pps"] for s in h) / m(s["pps"] for s in v),
            m(s["s_per_mframe"] for s in h) / m(s["s_per_mframe"] for s in v)))
    return "\n".join(rows)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--counts", default="1,2,4,16,64")
    ap.add_argument("--fwds", default="helper,vde")
    ap.add_argument("--sizes", default="64,1514")
    ap.add_argument("--dirs", default="both")
    ap.add_argument("--placements", default="pinned,free")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=2)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--window", type=int, default=0,
                    help="frames in flight per direction per VM (default: "
                    "vmh-load's)")
    ap.add_argument("--startup-runs", type=int, default=3,
                    help="start-up of the largest count (0: skip)")
    ap.add_argument("--tso-counts", default="1,16",
                    help="helpers with --enable-tso and 65535-byte frames, "
                    "for their memory ('' to skip)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--lock", help="a command that runs its arguments "
                    "holding the machine (vmh-exclusive), taken per "
                    "measurement")
    ap.add_argument("--out", default=os.path.join(ROOT, "results"))
    ap.add_argument("--report", metavar="RESULTS_JSON", nargs="+",
                    help="print the tables of earlier (or interrupted) "
                    "runs' results.json files, together, measuring nothing")
    o = ap.parse_args()
    o.counts = [int(x) for x in o.counts.split(",")]
    o.fwds = o.fwds.split(",")
    o.sizes = [int(x) for x in o.sizes.split(",")]
    o.dirs = o.dirs.split(",")
    o.placements = o.placements.split(",")
    o.tso_counts = [int(x) for x in o.tso_counts.split(",") if x]
    o.lock = o.lock.split() if o.lock else None
    return o


def save(results, out):
    """Every measurement so far, so an interrupted run keeps what it has
    (--report renders it)."""
    tmp = os.path.join(out, "results.json.tmp")
    with open(tmp, "w") as f:
        json.dump(results, f, indent=1)
    os.replace(tmp, os.path.join(out, "results.json"))


def measure_all(opts, results, out, work):
    """The rounds: in each, every configuration with the forwarders in
    turn (the order turned each round), then the TSO memory runs and one
    start-up run, so an interrupted run has every kind of figure."""
    configs = [(s, d, pl, n) for s in opts.sizes for d in opts.dirs
               for pl in opts.placements for n in opts.counts]
    total = len(configs) * len(opts.fwds) * opts.runs
    done = 0
    nmax = max(opts.counts)
    with runner.Netns(opts.lock) as ns:
        for rep in range(opts.runs):
            for size, d, pl, n in configs:
                k = rep % len(opts.fwds)
                for fwd in opts.fwds[k:] + opts.fwds[:k]:
                    done += 1
                    print("[%d/%d] %d x %s, %s %d B %s" % (
                        done, total, n, fwd, d, size, pl),
                        file=sys.stderr, flush=True)
                    results["scale"].append(
                        measure(opts, ns, fwd, n, d, size, pl, work))
                    save(results, out)
            for n in opts.tso_counts:
                print("[tso %d/%d] %d helpers, 65535 B" % (
                    rep + 1, opts.runs, n), file=sys.stderr, flush=True)
                results["tso"].append(
                    measure(opts, ns, "helper", n, "both", 65535, "pinned",
                            work, tso=True))
                save(results, out)
            if rep < opts.startup_runs:
                print("[startup %d/%d] %d helpers" % (
                    rep + 1, opts.startup_runs, nmax),
                    file=sys.stderr, flush=True)
                results["startup"].append(startup(opts, ns, nmax, work))
                save(results, out)


def group(summaries):
    """{(size, dir, placement, n, fwd): [summary, ...]}"""
    g = {}
    for s in summaries:
        g.setdefault((s["size"], s["dir"], s["placement"], s["n"],
                      s["fwd"]), []).append(s)
    return g


def runs_text(g):
    """How many runs each row has: "3 runs each", or "1-2 runs per row"
    for an interrupted run."""
    n = sorted(len(v) for v in g.values())
    if n[0] == n[-1]:
        return "%d run%s each" % (n[0], "" if n[0] == 1 else "s")
    return "%d-%d runs per row" % (n[0], n[-1])


def render(results):
    """The tables, in Markdown, from a results.json's contents."""
    groups = group(results["scale"])
    fwds = []
    for s in results["scale"]:
        if s["fwd"] not in fwds:
            fwds.append(s["fwd"])
    text = []
    for size, d, pl in sorted(set(k[:3] for k in groups),
                              key=lambda k: (k[0], k[1], k[2] != "pinned")):
        g = {k: v for k, v in groups.items() if k[:3] == (size, d, pl)}
        text += ["", "### %d-byte frames, %s, %s (%s), %s" % (
            size, d, pl, placement_text(pl), runs_text(g)), "",
            table(g, fwds),
            "", ratios(g)]
    if results["tso"]:
        g = group(results["tso"])
        text += ["", "### --enable-tso, 65535-byte frames, both, pinned, "
                 "%s" % runs_text(g), "",
                 table(g, ["helper"])]
    st = results["startup"]
    if st:
        text += ["", "### Start-up of %d helpers at once, on one bridge, "
                 "%d run%s" % (st[0]["n"], len(st), "" if len(st) == 1 else "s"),
                 "",
                 "spawn to last JSON line: %s s; idle RSS per helper: "
                 "median %s MiB, max %s MiB; exit codes after SIGTERM: %s" % (
                     med_min_max([x["ready_s"] for x in st],
                                 lambda v: "%.3f" % v),
                     mib(statistics.median(v for x in st
                                           for v in x["rss_idle_kib"])),
                     mib(max(v for x in st for v in x["rss_idle_kib"])),
                     sorted(set(c for x in st for c in x["exit_codes"])))]
    return "\n".join(text) + "\n"


def main():
    opts = parse_args()
    # A signal ends the run through the context managers, so the
    # namespace and the switch go: SIGTERM as an exit, and SIGINT also
    # when a shell started the runner in the background (which ignores it).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if opts.report:
        merged = {"scale": [], "tso": [], "startup": []}
        for path in opts.report:
            with open(path) as f:
                r = json.load(f)
            for k in merged:
                merged[k] += r[k]
        print(render(merged), end="")
        return 0
    if os.geteuid() != 0:
        print("SKIPPED: needs root (a network namespace, TAPs, a bridge)")
        return 0
    for tool in ("vde_switch",) if "vde" in opts.fwds else ():
        if subprocess.run(["sh", "-c", "command -v " + tool],
                          stdout=subprocess.DEVNULL).returncode != 0:
            print("SKIPPED: no %s (Debian's vde2)" % tool)
            return 0
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = os.path.join(opts.out, "scale-" + stamp)
    os.makedirs(out)
    work = os.path.join(out, "work")
    os.makedirs(work)
    results = {"host": platform.node(), "kernel": platform.release(),
               "cpus": os.cpu_count(), "commit": commit(), "args": vars(opts),
               "scale": [], "startup": [], "tso": []}
    try:
        measure_all(opts, results, out, work)
    finally:
        text = render(results)
        with open(os.path.join(out, "table.md"), "w") as f:
            f.write(text)
        print(text)
        print("results: %s" % out, file=sys.stderr)
    return 0


def commit():
    """The source tree's commit, for the record (the helper measured is
    --build's)."""
    p = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True)
    return p.stdout.strip()


def placement_text(pl):
    tool, fwd = runner.PLACEMENTS[pl]
    return "load tools on CPU %s, forwarders on CPU %s" % (tool, fwd)


if __name__ == "__main__":
    sys.exit(main())
