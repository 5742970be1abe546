/* SPDX-License-Identifier: Apache-2.0 */
/* load_perf.c - vmh-load's counting runs: perf stat attached to the
 * forwarder over the traffic window, its counts read back per thread. */
#include "load_perf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "load_util.h"

static const char *const syscall_names[] = {
    "read",
    "write",
    "readv",
    "writev",
    "recvmmsg",
    "sendmmsg",
    "recvmsg",
    "sendmsg",
    "recvfrom",
    "sendto",
    "poll",
    "ppoll",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "io_uring_enter",
    "futex",
    "nanosleep",
    "clock_nanosleep",
    "sched_yield",
    "select",
    "pselect6",
    "getsockopt",
    "ioctl",
};

static bool tracepoint_exists(const char *name)
{
	static const char *const roots[] = {"/sys/kernel/tracing/events",
					    "/sys/kernel/debug/tracing/events"};
	char path[160];

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/syscalls/sys_enter_%s",
			 roots[i], name);
		if (access(path, F_OK) == 0)
			return true;
	}
	return false;
}

/* Start `perf stat --per-thread` on @pid for @seconds; its workload marks
 * the start and the end of counting on a pipe (l->mark_fd). */
pid_t load_perf_start(const struct load_opts *o, pid_t pid, const char *out,
		      int *mark_fd)
{
	char events[2048] = "raw_syscalls:sys_enter", pidarg[16], script[96];
	int marks[2];
	pid_t p;

	if (o->count_events) {
		/* Chosen outside: `ip netns exec` mounts a /sys without
		 * tracefs, so tracepoint_exists() cannot look here. */
		char list[1024], *tok, *save = NULL;

		snprintf(list, sizeof(list), "%s", o->count_events);
		for (tok = strtok_r(list, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (strlen(events) + strlen(tok) + 24 >= sizeof(events))
				break;
			strcat(events, ",syscalls:sys_enter_");
			strcat(events, tok);
		}
	} else {
		for (size_t i = 0;
		     i < sizeof(syscall_names) / sizeof(*syscall_names); i++) {
			if (!tracepoint_exists(syscall_names[i]))
				continue;
			strcat(events, ",syscalls:sys_enter_");
			strcat(events, syscall_names[i]);
		}
	}
	snprintf(pidarg, sizeof(pidarg), "%d", pid);
	snprintf(script, sizeof(script), "echo >&9; sleep %.3f; echo >&9",
		 o->seconds);
	if (pipe2(marks, O_CLOEXEC | O_NONBLOCK) < 0)
		load_fail("pipe: %s", strerror(errno));
	p = fork();
	if (p < 0)
		load_fail("fork: %s", strerror(errno));
	if (p == 0) {
		int devnull = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(marks[1], 9);
		dup2(devnull, 0);
		dup2(devnull, 1);
		execlp("perf", "perf", "stat", "--per-thread", "-x", ",", "-o",
		       out, "-e", events, "-p", pidarg, "--", "sh", "-c",
		       script, (char *)NULL);
		_exit(127);
	}
	close(marks[1]);
	*mark_fd = marks[0];
	return p;
}

/* perf stat -x, --per-thread lines: THREAD-TID,COUNT,UNIT,EVENT,... */
void load_perf_read(const char *path, struct load_result *r)
{
	FILE *f = fopen(path, "re");
	char line[512];
	int cap = 0;

	if (!f)
		load_fail("reading perf's output '%s': %s", path,
			  strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *thread = strtok(line, ","), *count = strtok(NULL, ","),
		     *event;
		struct syscall_count *c;

		if (!thread || thread[0] == '#' || !count)
			continue;
		event = strtok(NULL, ",");
		/* An empty unit field makes strtok skip to the event. */
		if (!event || (count[0] < '0' || count[0] > '9'))
			continue;
		if (r->ncounts == cap) {
			cap = cap ? 2 * cap : 64;
			r->counts = realloc(r->counts,
					    (size_t)cap * sizeof(*r->counts));
			if (!r->counts)
				load_fail("out of memory");
		}
		c = &r->counts[r->ncounts++];
		snprintf(c->thread, sizeof(c->thread), "%s", thread);
		snprintf(c->event, sizeof(c->event), "%s", event);
		c->count = strtoull(count, NULL, 10);
	}
	fclose(f);
}
