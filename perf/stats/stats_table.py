#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# stats_table.py - vmnet-helper's stats lines as a table: per interval, the
# frames per second and Gbit/s each way, the drops, and the CPU % of the
# host worker, the socket worker, the rest of the process and all of it;
# then the same over all intervals, with CPU seconds per million frames.
#
# Usage: stats_table.py [--json] [LOG]...   (no LOG, or -: standard input)
#   vmnet-helper --fd 3 --tap tap0 --stats-interval 1 2>&1 | stats_table.py
#   stats_table.py helper.log
# A row is printed as soon as its line is read, so it follows a running
# helper. --json prints each row, then the summary, as one JSON object a
# line instead. Keys: docs/vmnet-helper.md, "Stats".
import argparse
import fileinput
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats_lines  # noqa: E402

HEADER = ("%-23s %6s | %12s %8s | %12s %8s | %6s | %6s %6s %6s %6s" % (
    "time", "s", "host->VM pps", "Gbit/s", "VM->host pps", "Gbit/s",
    "drops", "host%", "sock%", "other%", "total%"))


def cpu_cells(cpu):
    if not cpu:
        return ["%6s" % "-"] * 4
    return ["%6.1f" % cpu[t] if cpu.get(t) is not None else "%6s" % "-"
            for t in stats_lines.THREADS]


def line(label, r):
    drops = r["host"]["drops"] + r["vm"]["drops"]
    return "%-23s %6.2f | %12.0f %8.3f | %12.0f %8.3f | %6d | %s" % (
        label, r["seconds"], r["host"]["pps"], r["host"]["gbps"],
        r["vm"]["pps"], r["vm"]["gbps"], drops, " ".join(cpu_cells(
            r["cpu"])))


def main():
    ap = argparse.ArgumentParser(
        description="vmnet-helper's stats lines as a table of rates.")
    ap.add_argument("logs", nargs="*", metavar="LOG",
                    help="log files or - for standard input (default)")
    ap.add_argument("--json", action="store_true",
                    help="one JSON object per row, then the summary")
    a = ap.parse_args()
    if not a.json:
        print(HEADER)
        print("-" * len(HEADER))
    seen = []
    with fileinput.input(a.logs or ["-"], errors="replace") as f:
        for r in stats_lines.rows(f):
            seen.append(r)
            # "*": the line at exit ("final counters").
            label = r["time"][:23] + ("*" if r["kind"] == "final" else "")
            print(json.dumps(r) if a.json else line(label, r), flush=True)
    if not seen:
        print("stats_table.py: no stats lines in %s: run the helper with "
              "--stats-interval SECONDS (or send it SIGUSR1)" %
              (", ".join(a.logs) or "standard input"), file=sys.stderr)
        return 1
    s = stats_lines.summary(seen)
    if a.json:
        print(json.dumps(dict(s, kind="summary")))
        return 0
    print("-" * len(HEADER))
    print(line("all %d intervals" % s["intervals"], s))
    if s["cpu_s_per_mframe"] is not None:
        print("CPU: %.3f s per million frames (both directions; = cores "
              "per Mpps)" % s["cpu_s_per_mframe"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
