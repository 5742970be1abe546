#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# run.py - the benchmark suite of the real binary: vmnet-helper measured by
# vmh-load beside its peers (the baseline forwarder, socat, VDE, the limit)
# in a network namespace made for the run and always removed, interleaved,
# N runs each; prints tables of medians [min-max] with helper / peer ratios
# and writes every run's JSON, the summaries and PNG plots into
# results/STAMP/.
#
# Usage: perf/suite/run.py [--quick | --full] [OPTION]...  (root; see
# perf/suite/README.md). On the shared machine: vmh-exclusive.
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_iperf  # noqa: E402
import report  # noqa: E402
import runner  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DIRS = ["vm2host", "host2vm", "both"]
PEERS = ["helper", "baseline", "socat", "vde", "limit"]
VS_PEERS = [("helper", p) for p in PEERS[1:]]


def vs_baseline(fwds):
    return [(f, "baseline") for f in fwds if f != "baseline"]


def experiments(preset):
    """The experiments of a preset: name -> what to run."""
    quick = preset == "quick"
    exps = {
        # The main table: every peer, every direction, the fair placement.
        "matrix": dict(fwds=PEERS if quick else
                       PEERS[:1] + ["helper-socket"] + PEERS[1:], dirs=DIRS,
                       sizes=[64, 1514] if quick else
                       [64, 512, 1514, 9000, 65535],
                       placements=["pinned"],
                       pairs=VS_PEERS + ([] if quick else
                                         [("helper-socket", "baseline")])),
        # The helper free to use both CPUs, beside the baseline so.
        "free": dict(fwds=["helper", "baseline"], dirs=DIRS,
                     sizes=[64, 1514], placements=["free"],
                     pairs=[("helper", "baseline")]),
    }
    # VM to VM: both sides unix datagram sockets, the helper's host side
    # its datagram host endpoint, beside the socket-to-socket baseline.
    vm2vm = ["helper-vm2vm", "baseline-vm2vm", "limit"]
    exps["vm2vm"] = dict(fwds=vm2vm, dirs=DIRS,
                         sizes=[64] if quick else [64, 1514],
                         placements=["pinned"],
                         pairs=[("helper-vm2vm", "baseline-vm2vm"),
                                ("helper-vm2vm", "limit"),
                                ("baseline-vm2vm", "limit")])
    if quick:
        return exps
    helper_placements = ["helper+--cpus+1,1", "helper+--cpus+0,1",
                         "helper+--cpus+1,0", "helper", "baseline"]
    batches = ["helper+--batch-size+%d" % b for b in (8, 16, 32, 64, 128,
                                                     256)] + ["baseline"]
    rings = ["helper+--ring-size+%d" % r for r in (64, 256, 512, 2048,
                                                   8192)] + ["baseline"]
    exps.update({
        # Where the two workers run, inside CPUs 0-1 (the tool on CPU 0):
        # both on CPU 1, one each either way, or left to the scheduler.
        "workers": dict(fwds=helper_placements, dirs=DIRS, sizes=[64, 1514],
                        placements=["free"],
                        pairs=vs_baseline(helper_placements)),
        "batch": dict(fwds=batches, dirs=["vm2host", "host2vm"], sizes=[64],
                      placements=["pinned"], pairs=vs_baseline(batches)),
        "ring": dict(fwds=rings, dirs=["vm2host", "host2vm"], sizes=[64],
                     placements=["pinned"], pairs=vs_baseline(rings)),
        "scale": dict(kind="scale", fwds=["helper", "baseline"],
                      counts=[1, 2, 4, 16], dirs=["both"], sizes=[64],
                      placements=["pinned"]),
        # A real VM: the tests' QEMU guest (TCG), iperf3 one TCP stream
        # each way, through the helper and through QEMU's own TAP backend.
        "qemu": dict(kind="qemu", fwds=list(qemu_iperf.DEFAULT_FWDS),
                     dirs=list(qemu_iperf.PORTS), sizes=[],
                     placements=["pinned"], pairs=qemu_iperf.PAIRS),
    })
    return exps


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"],
                            stdout=subprocess.PIPE, text=True,
                            stderr=subprocess.DEVNULL).stdout.strip()
    return {"cpus": os.cpu_count(), "cpu_model": model,
            "kernel": platform.release(), "commit": commit,
            "date": datetime.datetime.now().isoformat(timespec="seconds")}


def progress(n, total, what):
    print("[%d/%d] %s" % (n, total, what), file=sys.stderr, flush=True)


def turned(fwds, rep):
    """@fwds in round @rep's order: interleaved, the order turned each
    round, so drift falls on every forwarder alike."""
    k = rep % len(fwds)
    return fwds[k:] + fwds[:k]


def run_experiment(opts, ns, work, name, exp, counter):
    configs = [(pl, d, s) for pl in exp["placements"] for d in exp["dirs"]
               for s in exp["sizes"]]
    fwds = exp["fwds"]
    runs = []
    for rep in range(opts.runs):
        for pl, d, s in configs:
            for f in turned(fwds, rep):
                counter[0] += 1
                progress(counter[0], counter[1],
                         "%s: %s %s %d B %s" % (name, pl, d, s, f))
                r = runner.run_one(opts, ns, f, d, s, pl, work)
                if r:
                    runs.append(r)
    if opts.count_syscalls:
        for pl, d, s in configs:
            for f in fwds:
                if f == "limit" or runner.split_spec(f)[0] in ("socat",
                                                               "vde"):
                    continue
                counter[0] += 1
                progress(counter[0], counter[1],
                         "%s: counting syscalls %s %s %d B %s" % (
                             name, pl, d, s, f))
                r = runner.run_one(opts, ns, f, d, s, pl, work,
                                   count=os.path.join(work, "perf.txt"))
                if r:
                    runs.append(r)
    return {"fwds": fwds, "pairs": exp["pairs"], "runs": runs,
            "summary": report.summarize(runs)}


def run_scale(opts, ns, work, name, exp, counter):
    rounds = []
    for rep in range(opts.runs):
        for pl in exp["placements"]:
            for d in exp["dirs"]:
                for s in exp["sizes"]:
                    for n in exp["counts"]:
                        for f in turned(exp["fwds"], rep):
                            counter[0] += 1
                            progress(counter[0], counter[1],
                                     "%s: %d x %s %s %d B" % (name, n, f, d,
                                                             s))
                            rs = runner.run_many(opts, ns, f, n, d, s, pl,
                                                 work)
                            rounds.append((f, n, d, s, pl, rs))
    return {"kind": "scale", "fwds": exp["fwds"],
            "rounds": [{"fwd": f, "n": n, "dir": d, "size": s,
                        "placement": pl, "runs": rs}
                       for f, n, d, s, pl, rs in rounds],
            "summary": report.summarize_scale(rounds)}


def run_qemu(opts, ns, work, name, exp, counter):
    why = qemu_iperf.unavailable()
    guest = None
    if not why:
        guest, why = qemu_iperf.build_guest(work)
    if why:
        runner.UNAVAILABLE[name] = why
        return {"kind": "qemu", "fwds": exp["fwds"], "pairs": exp["pairs"],
                "runs": [], "summary": []}
    runs, failed = [], []
    for rep in range(opts.runs):
        for pl in exp["placements"]:
            for f in turned(exp["fwds"], rep):
                counter[0] += 1
                progress(counter[0], counter[1],
                         "%s: %s %s, iperf3 %d s each way" % (
                             name, pl, f, opts.qemu_seconds))
                try:
                    runs += qemu_iperf.run_one(opts, ns, f, pl, work, guest)
                except qemu_iperf.RunFailed as e:
                    failed.append({"fwd": f, "placement": pl,
                                   "round": rep, "why": str(e)})
    runs = [r for r in runs if r["dir"] in exp["dirs"]]
    return {"kind": "qemu", "fwds": exp["fwds"], "pairs": exp["pairs"],
            "runs": runs, "failed": failed,
            "summary": qemu_iperf.summarize(runs)}


def count_runs(opts, exps):
    total = 0
    for exp in exps.values():
        n = len(exp["placements"]) * len(exp["dirs"]) * len(exp["sizes"])
        if exp.get("kind") == "qemu":
            total += len(exp["placements"]) * len(exp["fwds"]) * opts.runs
        elif exp.get("kind") == "scale":
            total += n * len(exp["counts"]) * len(exp["fwds"]) * opts.runs
        else:
            total += n * len(exp["fwds"]) * opts.runs
            if opts.count_syscalls:
                total += n * len([f for f in exp["fwds"] if f not in
                                  ("limit", "socat", "vde")])
    return total


def parse_args():
    ap = argparse.ArgumentParser(
        description="The benchmark suite of the real vmnet-helper binary.")
    ap.add_argument("--quick", action="store_true",
                    help="the quick suite (default; make bench)")
    ap.add_argument("--full", action="store_true",
                    help="the whole suite (make bench-full)")
    ap.add_argument("--only", help="comma-separated experiments to run")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--forwarders", help="the matrix's forwarders, e.g. "
                    "helper,baseline or helper+--batch-size+16,baseline")
    ap.add_argument("--sizes", help="frame sizes, e.g. 64,1514")
    ap.add_argument("--dirs", help="vm2host,host2vm,both")
    ap.add_argument("--placements", help="pinned,free")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--warmup", type=float)
    ap.add_argument("--qemu-seconds", type=int, default=10,
                    help="the qemu experiment's iperf3 time each way "
                    "(default 10, after 1 s omitted)")
    ap.add_argument("--qemu-backends", help="the qemu experiment's "
                    "backends, e.g. helper,qemu-tap (default: %s)" %
                    ",".join(qemu_iperf.DEFAULT_FWDS))
    ap.add_argument("--window", type=int, default=0,
                    help="frames in flight per direction (default: auto)")
    ap.add_argument("--count-syscalls", action=argparse.BooleanOptionalAction,
                    default=None,
                    help="add one counting run per configuration "
                    "(default with --full)")
    ap.add_argument("--cpus", metavar="TOOL:FORWARDER",
                    help="the pinned placement's CPUs, e.g. 0:2 or 0:2,3 on "
                    "a bigger machine (default 0:1); free becomes the tool's "
                    "CPUs and FORWARDER's together")
    ap.add_argument("--lock", help="a command that runs its arguments "
                    "holding the machine (e.g. vmh-exclusive): taken for "
                    "each measurement alone instead of by the caller for "
                    "the whole suite")
    ap.add_argument("--out", default=os.path.join(ROOT, "results"))
    ap.add_argument("--markdown", metavar="RESULTS_JSON",
                    help="print the tables of an earlier run as Markdown "
                    "(for docs/performance.md) and exit")
    return ap.parse_args()


def main():
    a = parse_args()
    if a.markdown:
        with open(a.markdown) as f:
            report.markdown(json.load(f))
        return 0
    preset = "full" if a.full else "quick"
    exps = experiments(preset)
    if a.only:
        # The preset's experiments as it has them; the full suite's
        # others (qemu, scale, ...) can be named with the quick one too.
        every = dict(experiments("full"), **exps)
        names = a.only.split(",")
        unknown = [n for n in names if n not in every]
        if unknown:
            raise SystemExit("run.py: unknown experiment %s: pass some of "
                             "%s" % (",".join(unknown), ",".join(every)))
        exps = {n: every[n] for n in names}
    for exp in exps.values():
        if exp.get("kind") == "qemu":
            if a.qemu_backends:
                exp["fwds"] = a.qemu_backends.split(",")
            if a.dirs:
                exp["dirs"] = [d for d in a.dirs.split(",")
                               if d in qemu_iperf.PORTS]
            if a.placements:
                exp["placements"] = a.placements.split(",")
            continue
        if a.sizes:
            exp["sizes"] = [int(x) for x in a.sizes.split(",")]
        if a.dirs:
            exp["dirs"] = a.dirs.split(",")
        if a.placements:
            exp["placements"] = a.placements.split(",")
    if a.forwarders and "matrix" in exps:
        fw = a.forwarders.split(",")
        exps["matrix"]["fwds"] = fw
        exps["matrix"]["pairs"] = [(fw[0], f) for f in fw[1:]]
    a.lock = a.lock.split() if a.lock else None
    if a.cpus:
        tool, _, fwd = a.cpus.partition(":")
        if not tool or not fwd:
            raise SystemExit("run.py: invalid --cpus '%s': pass the tool's "
                             "and the forwarder's CPUs, e.g. --cpus 0:2,3" %
                             a.cpus)
        runner.PLACEMENTS["pinned"] = (tool, fwd)
        runner.PLACEMENTS["free"] = (tool, tool + "," + fwd)
    a.runs = a.runs or (5 if a.full else 3)
    a.seconds = a.seconds or (2.0 if a.full else 1.0)
    a.warmup = a.warmup if a.warmup is not None else 0.3
    if a.count_syscalls is None:
        a.count_syscalls = a.full
    if a.runs < 3:
        print("run.py: note: fewer than 3 runs, not enough for a published "
              "figure", file=sys.stderr)

    if os.geteuid() != 0:
        print("SKIPPED: the suite needs root (a network namespace and TAP "
              "devices): run it as root")
        return 0
    if not os.path.exists("/dev/net/tun"):
        print("SKIPPED: no /dev/net/tun: load the tun module (modprobe tun)")
        return 0
    for b in ["vmnet-helper", "perf/suite/vmh-load",
              "perf/suite/baseline-fwd"]:
        if not os.access(os.path.join(a.build, b), os.X_OK):
            raise SystemExit("run.py: %s missing: build first (make)" %
                             os.path.join(a.build, b))
    for exp in exps.values():
        for f in list(exp["fwds"]):
            tool = runner.PEER_TOOLS.get(runner.split_spec(f)[0])
            if tool and not shutil.which(tool[0]):
                print("run.py: skipping %s: %s is not installed (Debian "
                      "package %s; .ci/install-deps installs it)" % (
                          f, tool[0], tool[1]), file=sys.stderr)
                exp["fwds"].remove(f)

    outdir = os.path.join(a.out,
                          datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    os.makedirs(outdir, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    counter = [0, count_runs(a, exps)]
    results = {"machine": machine(), "preset": preset,
               "placements": {p: {"tool_cpus": c[0], "forwarder_cpus": c[1]}
                              for p, c in runner.PLACEMENTS.items()},
               "settings": {"runs": a.runs, "seconds": a.seconds,
                            "warmup": a.warmup, "window": a.window,
                            "qemu_seconds": a.qemu_seconds,
                            "lock_per_run": bool(a.lock)},
               "experiments": {}}
    started = time.monotonic()
    with runner.Netns(a.lock) as ns, tempfile.TemporaryDirectory(
            prefix="vmhperf-") as work:
        for name, exp in exps.items():
            if exp.get("kind") == "scale":
                res = run_scale(a, ns, work, name, exp, counter)
            elif exp.get("kind") == "qemu":
                res = run_qemu(a, ns, work, name, exp, counter)
            else:
                res = run_experiment(a, ns, work, name, exp, counter)
            results["experiments"][name] = res
    results["elapsed_s"] = time.monotonic() - started
    results["unavailable"] = dict(runner.UNAVAILABLE)
    for spec, why in runner.UNAVAILABLE.items():
        print("run.py: skipped %s: %s" % (spec, why), file=sys.stderr)
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    pngs = report.plots(outdir, results["experiments"])
    with open(os.path.join(outdir, "table.txt"), "w") as f:
        for out in (sys.stdout, f):
            print_all(results, a, out)
    for p in pngs:
        print("plot: %s" % p)
    print("results: %s (%.0f s)" % (outdir, results["elapsed_s"]))
    return 0


def print_all(results, a, out):
    m = results["machine"]
    print("machine: %d CPUs, %s, Linux %s, commit %.12s, %s" % (
        m["cpus"], m["cpu_model"], m["kernel"], m["commit"], m["date"]),
        file=out)
    pl = results["placements"]
    print("placement: pinned = load tool on CPU %s, forwarder on CPU %s; "
          "free = load tool on CPU %s, forwarder on CPUs %s (taskset). "
          "Medians of %d interleaved runs of %.1f s [min-max]." % (
              pl["pinned"]["tool_cpus"], pl["pinned"]["forwarder_cpus"],
              pl["free"]["tool_cpus"], pl["free"]["forwarder_cpus"],
              a.runs, a.seconds), file=out)
    print(file=out)
    for spec, why in results.get("unavailable", {}).items():
        print("not measured: %s: %s" % (spec, why), file=out)
    for name, res in results["experiments"].items():
        print("== %s" % name, file=out)
        if res.get("kind") == "scale":
            report.print_scale(res["summary"], out)
            continue
        if res.get("kind") == "qemu":
            report.print_qemu(res["summary"], res["fwds"], res["pairs"],
                              out)
            for f in res.get("failed", []):
                print("failed twice, no figure: %s %s round %d: %s" % (
                    f["placement"], f["fwd"], f["round"] + 1,
                    f["why"].splitlines()[0]), file=out)
            qemu_iperf.legend(res["fwds"], out)
            continue
        report.print_table(res["summary"], res["fwds"], res["pairs"], out)
        report.print_threads(res["summary"], out)
        report.print_counts(res["runs"], out)
    # The packet tables' legend; the qemu table has its own.
    if any(r.get("kind") != "qemu" for r in results["experiments"].values()):
        print(report.LEGEND, file=out)


if __name__ == "__main__":
    sys.exit(main())
