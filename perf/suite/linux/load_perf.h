/* SPDX-License-Identifier: Apache-2.0 */
/* load_perf.h - count the forwarder's syscalls per thread with perf stat. */
#ifndef VMH_PERF_LOAD_PERF_H
#define VMH_PERF_LOAD_PERF_H

#include <sys/types.h>

#include "load_report.h"

/**
 * load_perf_start() - start `perf stat --per-thread` on @pid for
 * o->seconds; its workload writes a line on *@mark_fd when counting
 * starts and one when it ends
 * @o:       the options (o->count_events: the syscalls to count)
 * @pid:     the forwarder
 * @out:     where perf writes its counts
 * @mark_fd: set to the read end of the marks' pipe (non-blocking)
 *
 * Return: perf's pid.
 */
pid_t load_perf_start(const struct load_opts *o, pid_t pid, const char *out,
		      int *mark_fd);

/**
 * load_perf_read() - read perf's counts into r->counts
 * @path: perf's output (-x, --per-thread)
 * @r:    the run
 */
void load_perf_read(const char *path, struct load_result *r);

#endif
