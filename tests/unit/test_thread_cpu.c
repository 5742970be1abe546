/* SPDX-License-Identifier: Apache-2.0 */
/* test_thread_cpu.c - thread_cpu_ns(): another thread's CPU time, read while
 * it runs, is what that thread measures of itself. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "thread_cpu.h"

static uint64_t self_cpu_ns(void)
{
	struct timespec ts;

	cr_assert_eq(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct spinner {
	int ready[2], done[2]; /* pipes: spinner -> test, test -> spinner */
	uint64_t spent_ns;     /* its own clock after spinning */
};

/* Burn 30 ms of CPU, say how much it measured, then block until told. */
static void *spin(void *arg)
{
	struct spinner *s = arg;
	volatile uint64_t sink = 0;
	char c = 'x';

	while (self_cpu_ns() < 30000000u)
		sink++;
	s->spent_ns = self_cpu_ns();
	cr_assert_eq(write(s->ready[1], &c, 1), 1);
	cr_assert_eq(read(s->done[0], &c, 1), 1);
	return NULL;
}

Test(thread_cpu, reads_a_blocked_threads_time_as_it_measured_it)
{
	struct spinner s;
	pthread_t t;
	uint64_t ns = 0;
	char c = 'x';

	cr_assert_eq(pipe(s.ready), 0);
	cr_assert_eq(pipe(s.done), 0);
	cr_assert_eq(pthread_create(&t, NULL, spin, &s), 0);
	cr_assert_eq(read(s.ready[0], &c, 1), 1);

	cr_assert_eq(thread_cpu_ns(t, &ns), 0);
	/* Its clock after the measurement, before it blocked: a little more
	 * (the write), never less, and not a whole second more. */
	cr_assert_geq(ns, s.spent_ns, "read %llu ns, it measured %llu",
		      (unsigned long long)ns, (unsigned long long)s.spent_ns);
	cr_assert_lt(ns, s.spent_ns + 1000000000u);

	cr_assert_eq(write(s.done[1], &c, 1), 1);
	cr_assert_eq(pthread_join(t, NULL), 0);
}

Test(thread_cpu, own_thread_matches_its_clock)
{
	uint64_t before = self_cpu_ns(), ns = 0;

	cr_assert_eq(thread_cpu_ns(pthread_self(), &ns), 0);
	cr_assert_geq(ns, before);
	cr_assert_lt(ns, self_cpu_ns() + 1);
}
