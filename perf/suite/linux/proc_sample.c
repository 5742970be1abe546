/* SPDX-License-Identifier: Apache-2.0 */
/* proc_sample.c - read a process's threads, CPU and memory from /proc
 * (proc(5): /proc/PID/task/TID/stat fields 14 and 15 are utime and stime in
 * clock ticks; status holds the context switch counts and VmRSS/VmHWM). */
#include "proc_sample.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The value of "@key:" in a /proc status file, or 0. */
static uint64_t status_value(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static int read_text(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

static int thread_take(pid_t pid, pid_t tid, struct thread_sample *t)
{
	char path[96], text[4096];
	const char *close_paren;
	unsigned long ut, st;

	t->tid = tid;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	if (read_text(path, text, sizeof(text)) < 0)
		return -1;
	/* comm may hold spaces and parentheses: it ends at the last ')'. */
	close_paren = strrchr(text, ')');
	if (!close_paren)
		return -1;
	/* After ')': state (field 3) ... utime (14) stime (15). */
	if (sscanf(close_paren + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
		   &st) != 2)
		return -1;
	t->utime = ut;
	t->stime = st;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	if (read_text(path, t->comm, sizeof(t->comm)) < 0)
		return -1;
	t->comm[strcspn(t->comm, "\n")] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	if (read_text(path, text, sizeof(text)) < 0)
		return -1;
	t->vcsw = status_value(text, "\nvoluntary_ctxt_switches:");
	t->ivcsw = status_value(text, "\nnonvoluntary_ctxt_switches:");
	return 0;
}

int proc_sample_take(pid_t pid, struct proc_sample *s)
{
	char path[64], text[4096];
	struct dirent *de;
	clockid_t clk;
	struct timespec ts;
	DIR *d;

	memset(s, 0, sizeof(*s));
	s->at_ns = mono_ns();
	/* The process CPU clock is exact (ns); the per-thread ticks are
	 * 1/CLK_TCK s, which is why the windows last seconds. */
	if (clock_getcpuclockid(pid, &clk) == 0 && clock_gettime(clk, &ts) == 0)
		s->cpu_ns =
		    (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_text(path, text, sizeof(text)) < 0)
		return -ESRCH;
	s->rss_kib = status_value(text, "\nVmRSS:");
	s->hwm_kib = status_value(text, "\nVmHWM:");
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -ESRCH;
	while ((de = readdir(d)) && s->nthreads < PROC_THREADS_MAX) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid > 0 && thread_take(pid, tid, &s->t[s->nthreads]) == 0)
			s->nthreads++;
	}
	closedir(d);
	return 0;
}

const char *proc_thread_role(pid_t pid, const struct thread_sample *t)
{
	if (strcmp(t->comm, "vmnet-host") == 0)
		return "host worker";
	if (strcmp(t->comm, "vmnet-socket") == 0)
		return "socket worker";
	if (t->tid == pid)
		return "main";
	return t->comm;
}

long proc_ticks_per_s(void)
{
	return sysconf(_SC_CLK_TCK);
}
