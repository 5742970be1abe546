# SPDX-License-Identifier: Apache-2.0
# report.py - the suite's summaries (median, min and max of each figure over
# the interleaved runs), its tables and ratios, and its PNG plots.
import os
import statistics
import sys

FIGURES = [
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
    ("rss_idle_kib", lambda r: r.get("rss_kib", {}).get("idle", 0)),
    ("rss_load_kib", lambda r: r.get("rss_kib", {}).get("load", 0)),
    ("rss_peak_kib", lambda r: r.get("rss_kib", {}).get("peak", 0)),
]

LEGEND = (
    "pps at the receiver (both directions added for 'both'); Gbit/s of "
    "Ethernet frames (header on, no preamble or FCS); CPU% = the "
    "forwarder's user+system over the window, % of one core; s/Mfr = its "
    "CPU seconds per million frames (cores per Mpps); tool% = the load "
    "tool's CPU, TOOL-BOUND when >= 90 in most runs (the rate is then the "
    "tool's, not the forwarder's); cs/kf = the forwarder's context switches "
    "(voluntary + involuntary) per 1000 frames; frames = every frame "
    "checked: 'N/N clean' or what went wrong.")


def med(xs):
    return statistics.median(xs) if xs else 0.0


def stats(xs):
    return {"median": med(xs), "min": min(xs), "max": max(xs)}


def summarize(runs, key=lambda r: (r["placement"], r["dir"], r["size"],
                                   r["fwd"])):
    """One summary per group of timed runs with the same @key."""
    groups = {}
    for r in runs:
        if not r.get("counting"):
            groups.setdefault(key(r), []).append(r)
    out = []
    for k, rs in sorted(groups.items(), key=lambda kv: str(kv[0])):
        s = {"placement": rs[0]["placement"], "dir": rs[0]["dir"],
             "size": rs[0]["size"], "fwd": rs[0]["fwd"], "runs": len(rs)}
        for name, f in FIGURES:
            s[name] = stats([f(r) for r in rs])
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


def verdict(s):
    if s["clean_runs"] == s["runs"]:
        return "%d/%d clean" % (s["runs"], s["runs"])
    return "; ".join(s["verdicts"])


def ratio(a, b, name):
    if not b[name]["median"]:
        return None
    return a[name]["median"] / b[name]["median"]


def ratios(by, config, pairs):
    """Lines 'A / B: pps X, CPU per frame Y' for each pair present."""
    lines = []
    for a_name, b_name in pairs:
        a, b = by.get(config + (a_name,)), by.get(config + (b_name,))
        if not a or not b:
            continue
        pps = ratio(a, b, "pps")
        cpu = ratio(a, b, "s_per_mframe")
        text = "%s / %s: pps %.2fx" % (a_name, b_name, pps or 0)
        if cpu and a["s_per_mframe"]["median"]:
            text += ", CPU per frame %.2fx" % cpu
        lines.append(text)
    return lines


def print_table(summary, fwds, pairs, out=sys.stdout):
    by = {(s["placement"], s["dir"], s["size"], s["fwd"]): s
          for s in summary}
    configs = sorted({(s["placement"], s["dir"], s["size"])
                      for s in summary})
    hdr = "%-7s %-8s %6s %-24s %-22s %7s %6s %7s %6s %7s  %s" % (
        "place", "dir", "size", "forwarder", "pps median [min-max]",
        "Gbit/s", "CPU%", "s/Mfr", "tool%", "cs/kf", "frames")
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    for c in configs:
        for f in fwds:
            s = by.get(c + (f,))
            if not s:
                continue
            p = s["pps"]
            tb = " TOOL-BOUND" if s["tool_bound_runs"] * 2 > s["runs"] else ""
            print("%-7s %-8s %6d %-24s %-22s %7.3f %6.1f %7.3f %6.1f %7.2f  "
                  "%s%s" % (
                      c[0], c[1], c[2], f,
                      "%s [%s-%s]" % (fmt_k(p["median"]), fmt_k(p["min"]),
                                      fmt_k(p["max"])),
                      s["gbps"]["median"], s["cpu_pct"]["median"],
                      s["s_per_mframe"]["median"],
                      s["tool_cpu_pct"]["median"],
                      s["vcsw_per_kframe"]["median"] +
                      s["ivcsw_per_kframe"]["median"], verdict(s), tb),
                  file=out)
        for line in ratios(by, c, pairs):
            print("%-24s %s" % ("", line), file=out)
    print(file=out)


def print_threads(summary, out=sys.stdout):
    print("Per thread (medians): CPU % of one core (user+sys), context "
          "switches per 1000 frames voluntary/involuntary", file=out)
    for s in summary:
        parts = ["%s %.1f%% %.2f/%.2f" % (role, t["cpu_pct"],
                                          t["vcsw_per_kframe"],
                                          t["ivcsw_per_kframe"])
                 for role, t in sorted(s["threads"].items())]
        if parts:
            print("  %-7s %-8s %6d %-24s %s" % (
                s["placement"], s["dir"], s["size"], s["fwd"],
                "; ".join(parts)), file=out)
    print(file=out)


def print_counts(runs, out=sys.stdout):
    counted = [r for r in runs if r.get("counting")]
    if not counted:
        return
    print("Syscalls per 1000 frames, per thread (separate counting runs "
          "under perf stat, never the timed ones):", file=out)
    for r in counted:
        sc = r.get("syscalls", {})
        per = {}
        threads = set()
        for c in sc.get("counts", []):
            thread = c["thread"].rsplit("-", 1)[0]
            threads.add(thread)
            if c["count"] == 0:
                continue
            ev = c["event"].replace("syscalls:sys_enter_", "")
            ev = "total" if ev == "raw_syscalls:sys_enter" else ev
            per.setdefault(thread, []).append((ev, c["per_kframe"]))
        print("  %-7s %-8s %6d %-24s (%d frames)" % (
            r["placement"], r["dir"], r["size"], r["fwd"],
            sc.get("frames", 0)), file=out)
        for thread in sorted(threads):
            evs = sorted(per.get(thread, []),
                         key=lambda e: (e[0] != "total", -e[1]))
            text = ", ".join("%s %.1f" % e for e in evs if e[1] >= 0.05)
            print("      %-16s %s" % (thread, text or "none"), file=out)
    print(file=out)


def print_scale(scale, out=sys.stdout):
    if not scale:
        return
    print("Several forwarders at once (each with its own TAP and load "
          "tool; tools on CPU 0, forwarders per placement): totals, medians "
          "[min-max] of the rounds", file=out)
    hdr = "%-7s %-8s %6s %-10s %3s %-22s %7s %8s %9s %9s %6s  %s" % (
        "place", "dir", "size", "forwarder", "n", "total pps", "CPU%",
        "s/Mfr", "RSS idle", "RSS load", "tool%", "frames")
    hdr = hdr.replace("RSS idle", "idle KiB").replace("RSS load", "load KiB")
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    for s in scale:
        p = s["pps"]
        tb = " TOOL-BOUND" if s["tool_cpu_pct"]["median"] >= 90 else ""
        print("%-7s %-8s %6d %-10s %3d %-22s %7.1f %8.3f %9.0f %9.0f "
              "%6.1f  %s%s" % (
                  s["placement"], s["dir"], s["size"], s["fwd"], s["n"],
                  "%s [%s-%s]" % (fmt_k(p["median"]), fmt_k(p["min"]),
                                  fmt_k(p["max"])),
                  s["cpu_pct"]["median"], s["s_per_mframe"]["median"],
                  s["rss_idle_kib"]["median"] / 1,
                  s["rss_load_kib"]["median"] / 1,
                  s["tool_cpu_pct"]["median"], s["verdict"], tb), file=out)
    print("(RSS idle and under load per forwarder, median over the "
          "forwarders; CPU% and tool% summed over all of them; the tools "
          "share CPU 0, so TOOL-BOUND at >= 90)", file=out)
    print(file=out)


def qemu_ratios(by, config, pairs):
    """Lines 'A / B: Gbit/s X' for the qemu experiment's pairs present."""
    lines = []
    for a_name, b_name in pairs:
        a, b = by.get(config + (a_name,)), by.get(config + (b_name,))
        if a and b and b["gbps"]["median"]:
            lines.append("%s / %s: Gbit/s %.2fx" % (
                a_name, b_name, a["gbps"]["median"] / b["gbps"]["median"]))
    return lines


def _qemu_rows(summary, fwds):
    by = {(s["placement"], s["dir"], s["fwd"]): s for s in summary}
    configs = sorted({(s["placement"], s["dir"]) for s in summary})
    return by, configs, [(c, by[c + (f,)]) for c in configs for f in fwds
                         if c + (f,) in by]


def _qemu_cells(s):
    g = s["gbps"]
    h = s.get("helper_cpu_pct")
    t = s.get("helper_threads", {})
    return {
        "gbps": "%.2f [%.2f-%.2f]" % (g["median"], g["min"], g["max"]),
        "helper": "%.0f" % h["median"] if h else "-",
        "threads": "%.0f / %.0f" % (t.get("vmnet-host", 0),
                                    t.get("vmnet-socket", 0)) if h else "-",
        "qemu": "%.0f" % s["qemu_cpu_pct"]["median"],
        "server": "%.0f" % s["server_cpu_pct"]["median"],
        "retr": "%.0f" % s["retransmits"]["median"],
        "drops": "%d" % s["helper_drops"] if h else "-",
        "n": "%d" % s["runs"],
    }


def print_qemu(summary, fwds, pairs, out=sys.stdout):
    if not summary:
        print("(not measured)\n", file=out)
        return
    print("A real VM (QEMU, TCG, 1 vCPU): iperf3, one TCP stream each way, "
          "Gbit/s at the receiver; CPU % of one core over the stream: the "
          "helper's (its host / socket workers), QEMU's, the host-side "
          "iperf3 server's", file=out)
    hdr = "%-7s %-8s %-24s %6s %-20s %6s %9s %6s %6s %5s %5s" % (
        "place", "dir", "backend", "MTU", "Gbit/s median [min-max]",
        "helper", "host/sock", "QEMU", "iperf3", "retr", "drops")
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    by, configs, rows = _qemu_rows(summary, fwds)
    last = None
    for c, s in rows:
        if last and last != c:
            for line in qemu_ratios(by, last, pairs):
                print("%-24s %s" % ("", line), file=out)
        last = c
        x = _qemu_cells(s)
        print("%-7s %-8s %-24s %6d %-20s %6s %9s %6s %6s %5s %5s" % (
            c[0], c[1], s["fwd"], s["mtu"], x["gbps"], x["helper"],
            x["threads"], x["qemu"], x["server"], x["retr"], x["drops"]),
            file=out)
    for line in qemu_ratios(by, last, pairs):
        print("%-24s %s" % ("", line), file=out)
    print(file=out)


def md_qemu(summary, fwds, pairs, out):
    if not summary:
        print("(not measured)\n", file=out)
        return
    print("iperf3 -t %d -O 1 each way (Gbit/s at the receiver, medians "
          "[min-max] of the boots); CPU %% of one core over each stream.\n"
          % summary[0]["seconds"], file=out)
    print("| placement | dir | backend | guest MTU | Gbit/s | boots | "
          "helper CPU % | host / socket worker % | QEMU CPU % | "
          "iperf3 server CPU % | retransmits | helper drops |", file=out)
    print("|---|---|---|---|---|---|---|---|---|---|---|---|", file=out)
    by, configs, rows = _qemu_rows(summary, fwds)
    for c, s in rows:
        x = _qemu_cells(s)
        print("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |"
              % (c[0], c[1], s["fwd"], s["mtu"], x["gbps"], x["n"],
                 x["helper"], x["threads"], x["qemu"], x["server"],
                 x["retr"], x["drops"]), file=out)
    print(file=out)
    md_ratios(["placement", "dir"],
              [(c, line) for c in configs
               for line in qemu_ratios(by, c, pairs)], out)


def summarize_scale(rounds):
    """@rounds: list of (spec, n, dir, size, placement, [results])."""
    groups = {}
    for spec, n, d, size, pl, rs in rounds:
        frames = sum(sum(x["frames"] for x in r["directions"]) for r in rs)
        cpu_s = sum(r.get("forwarder_cpu", {}).get("cpu_s", 0) for r in rs)
        row = {
            "pps": sum(r["pps"] for r in rs),
            "cpu_pct": sum(r.get("forwarder_cpu", {}).get("cpu_pct", 0)
                           for r in rs),
            "s_per_mframe": cpu_s * 1e6 / frames if frames else 0,
            "rss_idle_kib": med([r["rss_kib"]["idle"] for r in rs]),
            "rss_load_kib": med([r["rss_kib"]["load"] for r in rs]),
            "tool_cpu_pct": sum(r["tool_cpu_pct"] for r in rs),
            "clean": all(r["clean"] for r in rs),
        }
        groups.setdefault((pl, d, size, spec, n), []).append(row)
    out = []
    for (pl, d, size, spec, n), rows in sorted(groups.items()):
        s = {"placement": pl, "dir": d, "size": size, "fwd": spec, "n": n,
             "runs": len(rows)}
        for k in ("pps", "cpu_pct", "s_per_mframe", "rss_idle_kib",
                  "rss_load_kib", "tool_cpu_pct"):
            s[k] = stats([row[k] for row in rows])
        clean = sum(1 for row in rows if row["clean"])
        s["verdict"] = "%d/%d rounds clean" % (clean, len(rows))
        out.append(s)
    return out


def plots(outdir, experiments):
    """PNG plots of each experiment; returns the files written, or [] with
    a note when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plots: skipped: no matplotlib (python3-matplotlib; "
              ".ci/install-deps installs it)", file=sys.stderr)
        return []
    files = []
    for name, exp in experiments.items():
        summary = exp.get("summary") or []
        if exp.get("kind") == "scale":
            files += plot_scale(plt, outdir, name, exp["summary"])
            continue
        if exp.get("kind") == "qemu":
            if summary:
                files.append(plot_qemu(plt, outdir, name, summary,
                                       exp["fwds"]))
            continue
        if not summary:
            continue
        for metric, label in (("pps", "frames per second at the receiver"),
                              ("s_per_mframe",
                               "forwarder CPU s per million frames")):
            files.append(plot_bars(plt, outdir, name, summary, exp["fwds"],
                                   metric, label))
    return files


def plot_bars(plt, outdir, name, summary, fwds, metric, label,
              keys=("placement", "dir", "size"), tick="%s\n%s %d B"):
    """Bars of @metric per forwarder, grouped by the values of @keys."""
    configs = sorted({tuple(s[k] for k in keys) for s in summary})
    by = {tuple(s[k] for k in keys) + (s["fwd"],): s for s in summary}
    fig, ax = plt.subplots(figsize=(max(8, 1.2 * len(configs)), 4.5))
    width = 0.8 / max(1, len(fwds))
    for i, f in enumerate(fwds):
        xs, ys, lo, hi = [], [], [], []
        for j, c in enumerate(configs):
            s = by.get(c + (f,))
            if not s:
                continue
            m = s[metric]
            xs.append(j + (i - (len(fwds) - 1) / 2) * width)
            ys.append(m["median"])
            lo.append(m["median"] - m["min"])
            hi.append(m["max"] - m["median"])
        ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2, label=f)
    ax.set_xticks(range(len(configs)))
    ax.set_xticklabels([tick % c for c in configs], fontsize=7)
    ax.set_ylabel(label)
    ax.set_title("%s: %s (median, bars min-max)" % (name, metric))
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = os.path.join(outdir, "%s-%s.png" % (name, metric))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_scale(plt, outdir, name, summary):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    series = {}
    for s in summary:
        series.setdefault((s["fwd"], s["dir"], s["size"]), []).append(s)
    for (f, d, size), ss in sorted(series.items()):
        ss.sort(key=lambda s: s["n"])
        ax.errorbar([s["n"] for s in ss], [s["pps"]["median"] for s in ss],
                    yerr=[[s["pps"]["median"] - s["pps"]["min"] for s in ss],
                          [s["pps"]["max"] - s["pps"]["median"] for s in ss]],
                    marker="o", capsize=3, label="%s %s %d B" % (f, d, size))
    ax.set_xscale("log", base=2)
    ax.set_xlabel("forwarders at once")
    ax.set_ylabel("total frames per second")
    ax.set_title("%s (median, bars min-max)" % name)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = os.path.join(outdir, "%s-pps.png" % name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [path]


def plot_qemu(plt, outdir, name, summary, fwds):
    return plot_bars(plt, outdir, name, summary, fwds, "gbps",
                     "iperf3 Gbit/s, one TCP stream",
                     keys=("placement", "dir"), tick="%s\n%s")


def markdown(results, out=sys.stdout):
    """The tables of a results.json as Markdown, for docs/performance.md:
    one table per experiment, the ratios after it."""
    m = results["machine"]
    s = results["settings"]
    print("Measured %s, commit %.12s, Linux %s, %d CPUs (%s); medians of %d "
          "interleaved runs of %.1f s, [min-max].\n" % (
              m["date"], m["commit"], m["kernel"], m["cpus"],
              m["cpu_model"], s["runs"], s["seconds"]), file=out)
    for spec, why in results.get("unavailable", {}).items():
        print("Not measured: `%s`: %s.\n" % (spec, why), file=out)
    for name, res in results["experiments"].items():
        print("#### %s\n" % name, file=out)
        if res.get("kind") == "scale":
            md_scale(res["summary"], out)
        elif res.get("kind") == "qemu":
            md_qemu(res["summary"], res["fwds"], res["pairs"], out)
        else:
            md_table(res["summary"], res["fwds"], res["pairs"], out)


def md_table(summary, fwds, pairs, out):
    by = {(s["placement"], s["dir"], s["size"], s["fwd"]): s
          for s in summary}
    configs = sorted({(s["placement"], s["dir"], s["size"])
                      for s in summary})
    print("| placement | dir | size | forwarder | pps | Gbit/s | CPU % | "
          "CPU s/Mframe | tool % | cs/1000 fr | frames |", file=out)
    print("|---|---|---|---|---|---|---|---|---|---|---|", file=out)
    for c in configs:
        for f in fwds:
            s = by.get(c + (f,))
            if not s:
                continue
            p = s["pps"]
            tb = " **tool-bound**" if s["tool_bound_runs"] * 2 > s["runs"] \
                else ""
            if f == "limit":  # no forwarder: nothing to measure but rate
                cpu = "-", "-", "-"
            else:
                cpu = ("%.0f" % s["cpu_pct"]["median"],
                       "%.2f" % s["s_per_mframe"]["median"],
                       "%.1f" % (s["vcsw_per_kframe"]["median"] +
                                 s["ivcsw_per_kframe"]["median"]))
            print("| %s | %s | %d | %s | %s [%s-%s] | %.2f | %s | %s | "
                  "%.0f%s | %s | %s |" % (
                      c[0], c[1], c[2], f, fmt_k(p["median"]),
                      fmt_k(p["min"]), fmt_k(p["max"]), s["gbps"]["median"],
                      cpu[0], cpu[1], s["tool_cpu_pct"]["median"], tb,
                      cpu[2], verdict(s)), file=out)
    print(file=out)
    md_ratios(["placement", "dir", "size"],
              [(c, line) for c in configs for line in ratios(by, c, pairs)],
              out)


def md_ratios(columns, rows, out):
    """The ratios after a table: one row per (config tuple, ratio line),
    the config's values under @columns."""
    if not rows:
        return
    print("| %s | ratio (of medians) |" % " | ".join(columns), file=out)
    print("|%s" % ("---|" * (len(columns) + 1)), file=out)
    for c, line in rows:
        print("| %s | %s |" % (" | ".join(str(v) for v in c), line),
              file=out)
    print(file=out)


def md_scale(summary, out):
    print("| dir | size | forwarder | n | total pps | CPU % (sum) | "
          "CPU s/Mframe | RSS idle KiB | RSS load KiB | tool % (sum) | "
          "frames |", file=out)
    print("|---|---|---|---|---|---|---|---|---|---|---|", file=out)
    for s in summary:
        p = s["pps"]
        print("| %s | %d | %s | %d | %s [%s-%s] | %.0f | %.2f | %.0f | %.0f "
              "| %.0f | %s |" % (
                  s["dir"], s["size"], s["fwd"], s["n"], fmt_k(p["median"]),
                  fmt_k(p["min"]), fmt_k(p["max"]), s["cpu_pct"]["median"],
                  s["s_per_mframe"]["median"], s["rss_idle_kib"]["median"],
                  s["rss_load_kib"]["median"], s["tool_cpu_pct"]["median"],
                  s["verdict"]), file=out)
    print(file=out)
