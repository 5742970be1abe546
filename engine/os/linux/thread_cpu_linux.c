/* SPDX-License-Identifier: Apache-2.0 */
/* thread_cpu_linux.c - another thread's CPU time from its CPU-time clock. */
#include "thread_cpu.h"

#include <errno.h>
#include <time.h>

int thread_cpu_ns(pthread_t t, uint64_t *ns)
{
	struct timespec ts;
	clockid_t clock;
	int r;

	/* glibc computes the clock from the thread's kernel tid, and refuses
	 * (ESRCH) a thread that has exited: the kernel cleared its tid. */
	r = pthread_getcpuclockid(t, &clock);
	if (r)
		return -r;
	/* The kernel resolves a thread clock only within the caller's own
	 * thread group (kernel/time/posix-cpu-timers.c, pid_for_clock()), so
	 * a thread that exits between the two calls gives EINVAL, never
	 * another process's time. */
	if (clock_gettime(clock, &ts))
		return errno == EINVAL ? -ESRCH : -errno;
	*ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return 0;
}
