# SPDX-License-Identifier: Apache-2.0
# stats_lines.py - read vmnet-helper's stats lines ("[stats] {...}", from
# --stats-interval or SIGUSR1, and the last "final counters {...}") out of
# its stderr or a log file, and turn each into one row of rates: frames and
# Gbit/s per direction, drops and CPU % per thread over the interval since
# the line before. The keys are documented in docs/vmnet-helper.md
# ("Stats") and vmnet-helper(1), STATS.
#
# A line with an "interval" object (this helper) gives its rates as they
# are; a line without one (an older helper, or the public vmnet-helper,
# whose lines hold only the cumulative counters and "time") is turned into
# rates from the difference with the line before.
import datetime
import json

DIRECTIONS = (("host", "host->VM"), ("vm", "VM->host"))
THREADS = ("host", "socket", "other", "total")


def records(lines):
    """Each stats line of @lines (an iterable of text lines) as (kind,
    object): kind "stats" or "final"; other lines are skipped."""
    for line in lines:
        for marker, kind in (("[stats] ", "stats"),
                             ("final counters ", "final")):
            at = line.find(marker)
            if at < 0:
                continue
            text = line[at + len(marker):].strip()
            try:
                obj = json.loads(text)
            except ValueError:
                break
            if isinstance(obj, dict) and "host" in obj and "vm" in obj:
                yield kind, obj
            break


def _time(obj):
    try:
        return datetime.datetime.fromisoformat(obj["time"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return None


def _row_from_interval(iv):
    secs = iv.get("seconds") or 0
    row = {"seconds": secs}
    for key, _ in DIRECTIONS:
        d = iv.get(key, {})
        row[key] = {"pps": d.get("packets_per_second", 0),
                    "gbps": d.get("bytes_per_second", 0) * 8 / 1e9,
                    "packets": d.get("packets", 0),
                    "bytes": d.get("bytes", 0),
                    "drops": d.get("drops", 0)}
    cpu = iv.get("cpu_percent")
    row["cpu"] = {t: cpu.get(t) for t in THREADS} if cpu else None
    return row


def _row_from_counters(prev, obj, secs):
    row = {"seconds": secs}
    for key, _ in DIRECTIONS:
        a, b = prev.get(key, {}), obj.get(key, {})
        packets = b.get("packets", 0) - a.get("packets", 0)
        nbytes = b.get("bytes", 0) - a.get("bytes", 0)
        row[key] = {"pps": packets / secs if secs else 0,
                    "gbps": nbytes * 8 / 1e9 / secs if secs else 0,
                    "packets": packets, "bytes": nbytes,
                    "drops": b.get("drops", 0) - a.get("drops", 0)}
    a, b = prev.get("cpu_ns"), obj.get("cpu_ns")
    if a and b and secs:
        cpu = {t: 100.0 * (b.get(t, 0) - a.get(t, 0)) / 1e9 / secs
               for t in ("host", "socket", "total")}
        # cpu_ns has no "other": the rest of the process's time.
        cpu["other"] = max(0.0, cpu["total"] - cpu["host"] - cpu["socket"])
        row["cpu"] = cpu
    else:
        row["cpu"] = None
    return row


def rows(lines):
    """One row per stats line that follows another (or carries its own
    interval): {"time", "kind", "seconds", "host": {pps, gbps, packets,
    bytes, drops}, "vm": {...}, "cpu": {host, socket, other, total}
    (% of one core) or None}. A line whose counters went down (a new
    --socket client's engine) starts over."""
    prev, prev_t = None, None
    for kind, obj in records(lines):
        t = _time(obj)
        if "interval" in obj:
            row = _row_from_interval(obj["interval"])
        elif prev is not None and t is not None and prev_t is not None \
                and obj["host"].get("packets", 0) >= \
                prev["host"].get("packets", 0) \
                and obj["vm"].get("packets", 0) >= \
                prev["vm"].get("packets", 0) and t > prev_t:
            row = _row_from_counters(prev, obj, t - prev_t)
        else:
            row = None
        prev, prev_t = obj, t
        if row is not None:
            row.update(time=obj.get("time", ""), kind=kind, unix_time=t)
            yield row


def summary(rs):
    """The rates over all of @rs together: frames and bytes added up over
    the seconds added up, CPU weighted by each interval's length."""
    secs = sum(r["seconds"] for r in rs)
    out = {"seconds": secs, "intervals": len(rs)}
    for key, _ in DIRECTIONS:
        packets = sum(r[key]["packets"] for r in rs)
        nbytes = sum(r[key]["bytes"] for r in rs)
        out[key] = {"pps": packets / secs if secs else 0,
                    "gbps": nbytes * 8 / 1e9 / secs if secs else 0,
                    "packets": packets, "bytes": nbytes,
                    "drops": sum(r[key]["drops"] for r in rs)}
    with_cpu = [r for r in rs if r["cpu"]]
    cpu_secs = sum(r["seconds"] for r in with_cpu)
    out["cpu"] = ({t: sum((r["cpu"][t] or 0) * r["seconds"]
                          for r in with_cpu) / cpu_secs for t in THREADS}
                  if cpu_secs else None)
    frames = sum(r[k]["packets"] for r in with_cpu for k, _ in DIRECTIONS)
    # CPU seconds per million frames (= cores per Mpps), both directions,
    # over the intervals that say their CPU.
    out["cpu_s_per_mframe"] = (out["cpu"]["total"] / 100.0 * cpu_secs /
                               frames * 1e6
                               if out["cpu"] and frames else None)
    return out
