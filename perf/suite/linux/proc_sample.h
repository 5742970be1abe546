/* SPDX-License-Identifier: Apache-2.0 */
/* proc_sample.h - what the load tool reads of the forwarder from /proc:
 * CPU time and context switches per thread, memory, and the process's CPU
 * clock, sampled at both ends of the traffic window. */
#ifndef VMH_PERF_PROC_SAMPLE_H
#define VMH_PERF_PROC_SAMPLE_H

#include <stdint.h>
#include <sys/types.h>

#define PROC_THREADS_MAX 64

struct thread_sample {
	pid_t tid;
	char comm[32];
	uint64_t utime, stime; /* clock ticks (/proc/PID/task/TID/stat) */
	uint64_t vcsw, ivcsw;  /* voluntary and involuntary switches */
};

struct proc_sample {
	uint64_t at_ns;	  /* CLOCK_MONOTONIC when taken */
	uint64_t cpu_ns;  /* the process's CPU clock: user + system, in ns */
	uint64_t rss_kib; /* VmRSS */
	uint64_t hwm_kib; /* VmHWM: peak RSS so far */
	int nthreads;
	struct thread_sample t[PROC_THREADS_MAX];
};

/**
 * proc_sample_take() - sample process @pid and each of its threads
 * @pid: the process
 * @s:   filled in
 *
 * Return: 0, or -errno if /proc/@pid cannot be read (it exited).
 */
int proc_sample_take(pid_t pid, struct proc_sample *s);

/**
 * proc_thread_role() - what a thread of the forwarder is, for the report
 * @pid: the process
 * @t:   one of its threads
 *
 * Return: "host worker" (vmnet-host), "socket worker" (vmnet-socket),
 *         "main" for the thread whose tid is @pid (the helper's
 *         supervisor), else the thread's name.
 */
const char *proc_thread_role(pid_t pid, const struct thread_sample *t);

/**
 * proc_ticks_per_s() - the unit of utime and stime
 *
 * Return: sysconf(_SC_CLK_TCK).
 */
long proc_ticks_per_s(void);

#endif
