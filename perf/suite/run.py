#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# run.py - the benchmark suite of the real binary: runs vmh-load against
# vmnet-helper and the peers beside it (the baseline forwarder, ...), in a
# network namespace made for the run and always removed, interleaved, N
# runs each; prints a table of medians [min-max] with helper / peer ratios
# and writes every run's JSON and the summary into a results folder.
#
# Usage: perf/suite/run.py [--quick | --full] [OPTION]...   (root; see
# perf/suite/README.md). Take the machine alone: vmh-exclusive.
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TAP = "vmhp0"
TSO_MTU = 65535 - 14  # tun caps a TAP's MTU here (vmnet/linux/host_tap.c)
STD_MAX = 1514

# Placement: (tool's CPUs, forwarder's CPUs). The fair one on 2 cores:
# the load on CPU 0, the forwarder alone on CPU 1.
PLACEMENTS = {
    "pinned": ("0", "1"),
    "free": ("0", "0,1"),
}


class Skip(Exception):
    pass


def forwarder(name, build, size, workdir):
    """(command, --vm, --ready) of forwarder @name, or None when it cannot
    carry frames of @size bytes. "limit" has no forwarder at all."""
    helper = os.path.join(build, "vmnet-helper")
    base = os.path.join(build, "perf", "suite", "baseline-fwd")
    big = size > STD_MAX
    if name == "limit":
        return [], "fd", "json"
    if name == "helper":
        cmd = [helper, "--fd", "3", "--tap", TAP]
        return cmd + (["--enable-tso"] if big else []), "fd", "json"
    if name == "helper-socket":
        path = os.path.join(workdir, "helper.sock")
        cmd = [helper, "--socket", path, "--tap", TAP]
        return (cmd + (["--enable-tso"] if big else []),
                "socket:" + path, "json")
    if name == "baseline":
        cmd = [base, "--fd", "3", "--tap", TAP]
        return cmd + (["--mtu", str(TSO_MTU)] if big else []), "fd", "json"
    if name == "socat":
        # socat cannot set the TAP's MTU, so standard frames only.
        if big:
            return None
        return (["socat", "-b", "65536", "FD:3",
                 "TUN,tun-type=tap,tun-name=%s,iff-no-pi,iff-up" % TAP],
                "fd", "tap")
    if name == "vde":
        # vde_switch: frames up to VDE_MAXMTU (9216) + header; its TAP
        # keeps the default MTU, so standard frames only.
        if big:
            return None
        sw = os.path.join(workdir, "vde.ctl")
        return (["vde_switch", "--sock", sw, "--tap", TAP],
                "vde:" + sw, "tap")
    raise SystemExit("run.py: unknown forwarder '%s'" % name)


PEER_TOOLS = {"socat": "socat", "vde": "vde_switch"}


class Netns:
    """A network namespace for the run, IPv6 off so nothing but our frames
    moves; removed on exit, also on an error or a signal."""

    def __init__(self):
        self.name = "vmhperf-%d" % os.getpid()

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "netns", "exec", self.name, "sysctl", "-qw",
                        "net.ipv6.conf.all.disable_ipv6=1",
                        "net.ipv6.conf.default.disable_ipv6=1"], check=True)
        return self

    def __exit__(self, *exc):
        subprocess.run(["ip", "netns", "del", self.name],
                       stderr=subprocess.DEVNULL)
        return False


def run_one(args, ns, fwd, direction, size, placement, workdir, count=None):
    tool_cpus, fwd_cpus = PLACEMENTS[placement]
    spec = forwarder(fwd, args.build, size, workdir)
    if spec is None:
        return None
    cmd, vm, ready = spec
    log = os.path.join(workdir, "%s.log" % fwd)
    load = os.path.join(args.build, "perf", "suite", "vmh-load")
    argv = ["ip", "netns", "exec", ns.name, "taskset", "-c", tool_cpus,
            load, "--dir", direction, "--size", str(size),
            "--seconds", str(args.seconds), "--warmup", str(args.warmup),
            "--vm", vm, "--host", "pair" if fwd == "limit" else "tap:" + TAP,
            "--ready", ready, "--log", log, "--label", fwd]
    if args.window:
        argv += ["--window", str(args.window)]
    if count:
        argv += ["--count-syscalls", count,
                 "--count-events", ",".join(syscall_events())]
    if cmd:
        argv += ["--", "taskset", "-c", fwd_cpus] + cmd
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=args.seconds * 3 + 60)
    if p.returncode != 0:
        tail = open(log).read()[-2000:] if os.path.exists(log) else ""
        raise SystemExit("run.py: %s %s %d B failed (%d): %s\n%s" % (
            fwd, direction, size, p.returncode, p.stderr.strip(), tail))
    r = json.loads(p.stdout)
    r.update(placement=placement, fwd=fwd, counting=bool(count))
    r["helper_final"] = final_counters(log)
    return r


# Syscalls worth counting one by one (raw_syscalls:sys_enter counts all).
SYSCALLS = ["read", "write", "readv", "writev", "recvmmsg", "sendmmsg",
            "recvmsg", "sendmsg", "recvfrom", "sendto", "poll", "ppoll",
            "epoll_wait", "epoll_pwait", "epoll_pwait2", "io_uring_enter",
            "futex", "nanosleep", "clock_nanosleep", "sched_yield",
            "getsockopt", "ioctl", "timerfd_settime", "recv", "send"]


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
    """The helper's exit counters (its 'final counters' log line)."""
    try:
        for line in open(log):
            if "final counters" in line and "{" in line:
                return json.loads(line[line.index("{"):])
    except (OSError, ValueError):
        pass
    return None


def med(xs):
    return statistics.median(xs) if xs else 0.0


def summarize(runs):
    groups = {}
    for r in runs:
        if r["counting"]:
            continue
        key = (r["placement"], r["dir"], r["size"], r["fwd"])
        groups.setdefault(key, []).append(r)
    out = []
    for (pl, d, size, fwd), rs in sorted(groups.items()):
        def series(f):
            return [f(r) for r in rs]
        s = {"placement": pl, "dir": d, "size": size, "fwd": fwd,
             "runs": len(rs)}
        for name, f in [
            ("pps", lambda r: r["pps"]),
            ("gbps", lambda r: r["gbps"]),
            ("cpu_pct", lambda r: r.get("forwarder_cpu", {}).get("cpu_pct", 0)),
            ("s_per_mframe",
             lambda r: r.get("forwarder_cpu", {}).get("s_per_mframe", 0)),
            ("tool_cpu_pct", lambda r: r["tool_cpu_pct"]),
            ("vcsw_per_kframe",
             lambda r: r.get("forwarder_cpu", {}).get("vcsw_per_kframe", 0)),
            ("ivcsw_per_kframe",
             lambda r: r.get("forwarder_cpu", {}).get("ivcsw_per_kframe", 0)),
            ("rss_peak_kib", lambda r: r.get("rss_kib", {}).get("peak", 0)),
        ]:
            xs = series(f)
            s[name] = {"median": med(xs), "min": min(xs), "max": max(xs)}
        s["threads"] = thread_medians(rs)
        s["clean_runs"] = sum(1 for r in rs if r["clean"])
        s["verdicts"] = sorted(set(r["verdict"] for r in rs))
        s["tool_bound_runs"] = sum(1 for r in rs if r["tool_bound"])
        out.append(s)
    return out


def thread_medians(rs):
    roles = {}
    for r in rs:
        for t in r.get("forwarder_cpu", {}).get("threads", []):
            roles.setdefault(t["role"], []).append(t)
    return {role: {k: med([t[k] for t in ts]) for k in
                   ("cpu_pct", "user_pct", "sys_pct", "vcsw_per_kframe",
                    "ivcsw_per_kframe")}
            for role, ts in roles.items()}


def fmt_k(x):
    return "%.0fk" % (x / 1e3)


def print_table(summary, fwds, out=sys.stdout):
    ref = fwds[0]
    by = {(s["placement"], s["dir"], s["size"], s["fwd"]): s
          for s in summary}
    configs = sorted({(s["placement"], s["dir"], s["size"])
                      for s in summary},
                     key=lambda c: (c[0], c[1], c[2]))
    hdr = ("%-7s %-8s %6s %-14s %-24s %7s %7s %8s %6s %6s  %s" % (
        "place", "dir", "size", "forwarder", "pps median [min-max]",
        "Gbit/s", "CPU%", "s/Mfr", "tool%", "cs/kf", "frames"))
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    for c in configs:
        base = by.get(c + (ref,))
        for f in fwds:
            s = by.get(c + (f,))
            if not s:
                continue
            p = s["pps"]
            verdict = ("%d/%d clean" % (s["clean_runs"], s["runs"])
                       if s["clean_runs"] == s["runs"]
                       else "; ".join(s["verdicts"]))
            tb = " TOOL-BOUND" if s["tool_bound_runs"] * 2 > s["runs"] else ""
            print("%-7s %-8s %6d %-14s %-24s %7.3f %7.1f %8.3f %6.1f %6.2f  %s%s" % (
                c[0], c[1], c[2], f,
                "%s [%s-%s]" % (fmt_k(p["median"]), fmt_k(p["min"]),
                                fmt_k(p["max"])),
                s["gbps"]["median"], s["cpu_pct"]["median"],
                s["s_per_mframe"]["median"], s["tool_cpu_pct"]["median"],
                s["vcsw_per_kframe"]["median"] +
                s["ivcsw_per_kframe"]["median"], verdict, tb), file=out)
        if base:
            for f in fwds[1:]:
                s = by.get(c + (f,))
                if not s or not s["pps"]["median"]:
                    continue
                cpu = ""
                if s["s_per_mframe"]["median"]:
                    cpu = ", CPU per frame %.2fx" % (
                        base["s_per_mframe"]["median"] /
                        s["s_per_mframe"]["median"])
                print("%-7s %-8s %6s   %s / %s: pps %.2fx%s" % (
                    "", "", "", ref, f,
                    base["pps"]["median"] / s["pps"]["median"], cpu),
                    file=out)
    print(file=out)
    print("pps at the receiver, both directions added for 'both'; Gbit/s "
          "of Ethernet frames (no preamble or FCS); CPU% = the forwarder's "
          "user+system over the window, % of one core; s/Mfr = its CPU "
          "seconds per million frames; tool% = the load tool's CPU (>= 90: "
          "TOOL-BOUND, the rate is the tool's); cs/kf = the forwarder's "
          "context switches per 1000 frames.", file=out)


def print_threads(summary, out=sys.stdout):
    print("\nPer thread (medians): CPU% of one core, context switches per "
          "1000 frames (voluntary/involuntary)", file=out)
    for s in summary:
        parts = ["%s %.1f%% %.2f/%.2f" % (role, t["cpu_pct"],
                                          t["vcsw_per_kframe"],
                                          t["ivcsw_per_kframe"])
                 for role, t in sorted(s["threads"].items())]
        print("  %-7s %-8s %6d %-14s %s" % (
            s["placement"], s["dir"], s["size"], s["fwd"],
            "; ".join(parts)), file=out)


def print_counts(runs, out=sys.stdout):
    counted = [r for r in runs if r["counting"]]
    if not counted:
        return
    print("\nSyscalls per 1000 frames (separate counting runs under perf "
          "stat, not timed), per thread:", file=out)
    for r in counted:
        sc = r.get("syscalls", {})
        per = {}
        for c in sc.get("counts", []):
            if c["count"] == 0:
                continue
            ev = c["event"].replace("syscalls:sys_enter_", "")
            ev = "total" if ev == "raw_syscalls:sys_enter" else ev
            thread = c["thread"].rsplit("-", 1)[0]
            per.setdefault(thread, []).append((ev, c["per_kframe"]))
        print("  %-7s %-8s %6d %-14s (%d frames)" % (
            r["placement"], r["dir"], r["size"], r["fwd"],
            sc.get("frames", 0)), file=out)
        for thread in sorted({c["thread"].rsplit("-", 1)[0]
                              for c in sc.get("counts", [])}):
            evs = per.get(thread, [])
            if not evs:
                print("      %-16s none" % thread, file=out)
                continue
            evs.sort(key=lambda e: (e[0] != "total", -e[1]))
            print("      %-16s %s" % (thread, ", ".join(
                "%s %.1f" % e for e in evs if e[1] >= 0.05)), file=out)


def machine():
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"],
                            stdout=subprocess.PIPE, text=True).stdout.strip()
    return {"cpus": os.cpu_count(), "cpu_model": model,
            "kernel": platform.release(), "commit": commit,
            "date": datetime.datetime.now().isoformat(timespec="seconds")}


PRESETS = {
    # make bench: under 5 minutes on the 2-core machine.
    "quick": dict(sizes=[64, 1514], dirs=["vm2host", "host2vm", "both"],
                  placements=["pinned", "free"], runs=3, seconds=1.5),
    "full": dict(sizes=[64, 512, 1514, 9000, 65535],
                 dirs=["vm2host", "host2vm", "both"],
                 placements=["pinned", "free"], runs=5, seconds=3),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--forwarders", default="helper,baseline")
    ap.add_argument("--sizes")
    ap.add_argument("--dirs")
    ap.add_argument("--placements")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--window", type=int, default=0)
    ap.add_argument("--count-syscalls", action="store_true",
                    help="add one counting run per configuration")
    ap.add_argument("--out", default=os.path.join(ROOT, "results"))
    a = ap.parse_args()
    preset = PRESETS["full" if a.full else "quick"]
    a.sizes = ([int(x) for x in a.sizes.split(",")] if a.sizes
               else preset["sizes"])
    a.dirs = a.dirs.split(",") if a.dirs else preset["dirs"]
    a.placements = (a.placements.split(",") if a.placements
                    else preset["placements"])
    a.runs = a.runs or preset["runs"]
    a.seconds = a.seconds or preset["seconds"]
    fwds = a.forwarders.split(",")
    if a.runs < 3:
        print("run.py: note: fewer than 3 runs: not enough for a published "
              "figure", file=sys.stderr)

    if os.geteuid() != 0:
        print("SKIPPED: the suite needs root (a network namespace and a TAP "
              "device): run it as root, e.g. sudo make bench")
        return 0
    if not os.path.exists("/dev/net/tun"):
        print("SKIPPED: no /dev/net/tun: load the tun module (modprobe tun)")
        return 0
    for b in ["vmnet-helper", "perf/suite/vmh-load",
              "perf/suite/baseline-fwd"]:
        if not os.access(os.path.join(a.build, b), os.X_OK):
            raise SystemExit("run.py: %s/%s missing: build first (make)" %
                             (a.build, b))

    for f in list(fwds):
        tool = PEER_TOOLS.get(f)
        if tool and not shutil.which(tool):
            print("run.py: skipping %s: %s not installed (.ci/install-deps "
                  "installs it)" % (f, tool), file=sys.stderr)
            fwds.remove(f)

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    outdir = os.path.join(a.out, stamp)
    os.makedirs(outdir, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    runs = []
    configs = [(pl, d, s) for pl in a.placements for d in a.dirs
               for s in a.sizes]
    total = len(configs) * len(fwds) * a.runs
    with Netns() as ns, tempfile.TemporaryDirectory(
            prefix="vmhperf-") as work:
        n = 0
        for rep in range(a.runs):
            for pl, d, s in configs:
                # Interleaved, and the order turned each round, so drift
                # falls on every forwarder alike.
                order = fwds[rep % len(fwds):] + fwds[:rep % len(fwds)]
                for f in order:
                    n += 1
                    print("[%d/%d] %s %s %d B %s" % (n, total, pl, d, s, f),
                          file=sys.stderr, flush=True)
                    r = run_one(a, ns, f, d, s, pl, work)
                    if r:
                        runs.append(r)
        if a.count_syscalls:
            for pl, d, s in configs:
                if pl != "pinned":
                    continue
                for f in fwds:
                    out = os.path.join(work, "perf.txt")
                    if f == "limit":
                        continue
                    r = run_one(a, ns, f, d, s, pl, work, count=out)
                    if r:
                        runs.append(r)
    summary = summarize(runs)
    result = {"machine": machine(), "forwarders": fwds,
              "placements": {p: {"tool_cpus": PLACEMENTS[p][0],
                                 "forwarder_cpus": PLACEMENTS[p][1]}
                             for p in a.placements},
              "settings": {"runs": a.runs, "seconds": a.seconds,
                           "warmup": a.warmup, "window": a.window},
              "summary": summary, "runs": runs}
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(outdir, "table.txt"), "w") as f:
        for out in (sys.stdout, f):
            print("machine: %(cpus)s CPUs, %(cpu_model)s, Linux %(kernel)s, "
                  "commit %(commit).12s" % result["machine"], file=out)
            print("placement: pinned = load tool on CPU 0, forwarder on CPU "
                  "1; free = load tool on CPU 0, forwarder on CPUs 0-1. "
                  "Medians of %d interleaved runs of %.1f s." % (
                      a.runs, a.seconds), file=out)
            print(file=out)
            print_table(summary, fwds, out)
            print_threads(summary, out)
            print_counts(runs, out)
    print("\nresults: %s" % outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
