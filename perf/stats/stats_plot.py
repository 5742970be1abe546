#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# stats_plot.py - vmnet-helper's stats lines plotted over time, as one PNG:
# frames per second and Gbit/s each way, and the CPU % of each thread and
# of the whole process (python3-matplotlib, which .ci/install-deps
# installs).
#
# Usage: stats_plot.py [-o OUT.png] [--title TEXT] [LOG]...
#   (no LOG, or -: standard input; default OUT: stats.png)
# Keys: docs/vmnet-helper.md, "Stats".
import argparse
import fileinput
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats_lines  # noqa: E402

CPU_LABELS = {"host": "host worker", "socket": "socket worker",
              "other": "rest of the process", "total": "whole process"}


def steps(ax, xs, ys, start, label):
    """@ys[i] held from @xs[i-1] (from @start for the first) to @xs[i]."""
    ax.step([start] + list(xs), [ys[0]] + list(ys), where="pre", label=label)


def plot(rs, out, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Each row's rates hold over the interval that ends at its time, so
    # they are drawn as steps back to the row before; time 0 is where the
    # first interval begins.
    first = rs[0]
    t0 = (first["unix_time"] - first["seconds"]
          if first["unix_time"] is not None else 0)
    xs = [(r["unix_time"] - t0) if r["unix_time"] is not None else i + 1
          for i, r in enumerate(rs)]
    fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
    for key, label in stats_lines.DIRECTIONS:
        steps(axes[0], xs, [r[key]["pps"] for r in rs], 0, label)
        steps(axes[1], xs, [r[key]["gbps"] for r in rs], 0, label)
    axes[0].set_ylabel("frames per second")
    axes[1].set_ylabel("Gbit/s")
    with_cpu = [(x, x - r["seconds"], r["cpu"]) for x, r in zip(xs, rs)
                if r["cpu"]]
    for t in stats_lines.THREADS:
        pts = [(x, c[t]) for x, _, c in with_cpu if c.get(t) is not None]
        if pts:
            steps(axes[2], [p[0] for p in pts], [p[1] for p in pts],
                  with_cpu[0][1], CPU_LABELS[t])
    axes[2].set_ylabel("CPU % of one core")
    axes[2].set_xlabel("seconds (each step: one stats line's interval)")
    axes[2].set_xlim(left=0)
    for ax in axes:
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    axes[0].set_title(title)
    fig.tight_layout()
    fig.savefig(out, dpi=100, format="png")
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(
        description="vmnet-helper's stats lines plotted over time (PNG).")
    ap.add_argument("logs", nargs="*", metavar="LOG",
                    help="log files or - for standard input (default)")
    ap.add_argument("-o", "--output", default="stats.png",
                    help="the PNG to write (default: stats.png)")
    ap.add_argument("--title", default="vmnet-helper stats")
    a = ap.parse_args()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("stats_plot.py: no matplotlib: apt-get install "
              "python3-matplotlib (.ci/install-deps does)", file=sys.stderr)
        return 1
    with fileinput.input(a.logs or ["-"], errors="replace") as f:
        rs = list(stats_lines.rows(f))
    if not rs:
        print("stats_plot.py: no stats lines in %s: run the helper with "
              "--stats-interval SECONDS (or send it SIGUSR1)" %
              (", ".join(a.logs) or "standard input"), file=sys.stderr)
        return 1
    plot(rs, a.output, a.title)
    print("stats_plot.py: %d intervals -> %s" % (len(rs), a.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
