/* SPDX-License-Identifier: Apache-2.0 */
/* stats.h - the live stats line: the counters with the CPU time so far and
 * the rates since the line before (frames and bytes per second each way,
 * drops, CPU % per worker and of the whole process). */
#ifndef VMNET_HELPER_STATS_H
#define VMNET_HELPER_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/* The counters at one moment, and what rates over an interval need. */
struct stats_sample {
	struct engine_stats s;
	uint64_t mono_ns;	 /* CLOCK_MONOTONIC when taken */
	uint64_t process_cpu_ns; /* user + system of the whole process */
};

/**
 * stats_sample_take() - @s with the time and the process's CPU time now
 * @out:	the sample
 * @s:		counters just read, e.g. those the engine's on_stats gets;
 *		NULL for zeros (an engine about to start)
 */
void stats_sample_take(struct stats_sample *out, const struct engine_stats *s);

/**
 * stats_format_since() - the stats line of @now, with its rates since @prev
 * @now:	the sample of this line
 * @prev:	the sample of the line before, of the same engine (or taken
 *		when it started); NULL: no "interval" object
 * @buf:	output
 * @len:	room in @buf
 *
 * engine_format_stats()'s object, every key unchanged, then "cpu_ns"
 * (host, socket: each worker's CPU time so far; total: the process's) and
 * "interval": the seconds since @prev; per direction the frames, bytes and
 * drops in it and the frames and bytes per second; and "cpu_percent" of
 * one core over it: host, socket, other (the rest of the process: the
 * supervisor, vmnet.framework's threads on macOS) and total.
 * docs/vmnet-helper.md ("Stats") lists every key.
 *
 * Return: the length written, or -1 if @buf was too small.
 */
int stats_format_since(const struct stats_sample *now,
		       const struct stats_sample *prev, char *buf, size_t len);

#endif
