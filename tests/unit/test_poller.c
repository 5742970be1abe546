/* SPDX-License-Identifier: Apache-2.0 */
/* test_poller.c - the poller: fd edges, wake-ups, timers, signals, errors. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "poller.h"

#define WAKE_TAG UINT64_C(0xfeed0000000000aa)
#define FD_TAG	 UINT64_C(0x1234567890abcdef)

/* Criterion runs each test in its own process: nothing here is shared. */

static struct poller *make_poller(void)
{
	struct poller *p;

	cr_assert_eq(poller_create(&p, WAKE_TAG), 0);
	cr_assert_not_null(p);
	return p;
}

static void make_pair(int type, int sv[2])
{
	cr_assert_eq(socketpair(AF_UNIX, type | SOCK_NONBLOCK, 0, sv), 0);
}

static void send_byte(int fd)
{
	char b = 'x';

	cr_assert_eq(write(fd, &b, 1), 1);
}

/* Read until EAGAIN, as an owner does after an IN event. */
static void drain(int fd)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	cr_assert_eq(errno, EAGAIN);
}

/* Wait with @timeout_us and expect exactly one event. */
static struct poller_event wait_one(struct poller *p, int64_t timeout_us)
{
	struct poller_event ev[4];
	int n = poller_wait(p, ev, 4, timeout_us);

	cr_assert_eq(n, 1, "poller_wait returned %d, expected one event", n);
	return ev[0];
}

static void expect_nothing(struct poller *p)
{
	struct poller_event ev[4];

	cr_assert_eq(poller_wait(p, ev, 4, 0), 0);
}

Test(poller, readable_dgram_socket_reports_in_with_its_tag, .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev;
	int sv[2];

	make_pair(SOCK_DGRAM, sv);
	cr_assert_eq(poller_add_fd(p, sv[0], POLLER_IN, FD_TAG), 0);
	expect_nothing(p);
	send_byte(sv[1]);
	ev = wait_one(p, -1);
	cr_assert_eq(ev.tag, FD_TAG);
	cr_assert_eq(ev.events, POLLER_IN);
	poller_destroy(p);
	/* The caller's fds are the caller's to close. */
	cr_assert_neq(fcntl(sv[0], F_GETFD), -1);
	close(sv[0]);
	close(sv[1]);
}

Test(poller, writable_socket_reports_out, .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev;
	int sv[2];

	make_pair(SOCK_DGRAM, sv);
	cr_assert_eq(poller_add_fd(p, sv[0], POLLER_OUT, FD_TAG), 0);
	ev = wait_one(p, 0);
	cr_assert_eq(ev.tag, FD_TAG);
	cr_assert_eq(ev.events, POLLER_OUT);
	poller_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

Test(poller, edge_triggered_fd_reports_once_until_new_data, .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev;
	int sv[2];

	make_pair(SOCK_DGRAM, sv);
	cr_assert_eq(poller_add_fd(p, sv[0], POLLER_IN, FD_TAG), 0);
	send_byte(sv[1]);
	send_byte(sv[1]);
	ev = wait_one(p, 0);
	cr_assert_eq(ev.events, POLLER_IN);
	drain(sv[0]);
	expect_nothing(p);

	/* Not drained: still no second event, the edge was reported. */
	send_byte(sv[1]);
	ev = wait_one(p, 0);
	cr_assert_eq(ev.events, POLLER_IN);
	expect_nothing(p);
	poller_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

Test(poller, del_fd_stops_its_events, .timeout = 10)
{
	struct poller *p = make_poller();
	int sv[2];

	make_pair(SOCK_DGRAM, sv);
	cr_assert_eq(poller_add_fd(p, sv[0], POLLER_IN, FD_TAG), 0);
	cr_assert_eq(poller_del_fd(p, sv[0]), 0);
	send_byte(sv[1]);
	expect_nothing(p);
	cr_assert_eq(poller_del_fd(p, sv[0]), -ENOENT, "already removed");
	/* And it can be added again, edge and all. */
	cr_assert_eq(poller_add_fd(p, sv[0], POLLER_IN, FD_TAG), 0);
	cr_assert_eq(wait_one(p, 0).tag, FD_TAG);
	poller_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

Test(poller, wakes_before_wait_are_kept_and_collapse_into_one, .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev;

	cr_assert_eq(poller_wake(p), 0);
	cr_assert_eq(poller_wake(p), 0);
	cr_assert_eq(poller_wake(p), 0);
	ev = wait_one(p, -1);
	cr_assert_eq(ev.tag, WAKE_TAG);
	cr_assert_eq(ev.events, POLLER_IN);
	expect_nothing(p);
	poller_destroy(p);
}

static void *wake_thread(void *arg)
{
	return (void *)(intptr_t)poller_wake(arg);
}

Test(poller, wake_from_another_thread_ends_an_endless_wait, .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev;
	pthread_t t;
	void *ret;

	cr_assert_eq(pthread_create(&t, NULL, wake_thread, p), 0);
	/* Whether the wake comes before or during the wait, it is seen. */
	ev = wait_one(p, -1);
	cr_assert_eq(pthread_join(t, &ret), 0);
	cr_assert_eq((intptr_t)ret, 0, "poller_wake failed in the thread");
	cr_assert_eq(ev.tag, WAKE_TAG);
	expect_nothing(p);
	poller_destroy(p);
}

Test(poller, timer_fires_repeatedly_with_its_tag, .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev;

	cr_assert_eq(poller_add_timer(p, 42, 1), 0);
	for (int i = 0; i < 5; i++) {
		ev = wait_one(p, -1);
		cr_assert_eq(ev.tag, 42, "tick %d", i);
		cr_assert_eq(ev.events, POLLER_IN);
	}
	poller_destroy(p);
}

Test(poller, two_timers_are_told_apart_by_tag, .timeout = 10)
{
	struct poller *p = make_poller();
	bool seen_a = false, seen_b = false;

	cr_assert_eq(poller_add_timer(p, 1, 1), 0);
	cr_assert_eq(poller_add_timer(p, 2, 2), 0);
	while (!seen_a || !seen_b) {
		struct poller_event ev[4];
		int n = poller_wait(p, ev, 4, -1);

		cr_assert(n >= 1 && n <= 2, "n = %d", n);
		for (int i = 0; i < n; i++) {
			cr_assert(ev[i].tag == 1 || ev[i].tag == 2, "tag %lu",
				  (unsigned long)ev[i].tag);
			seen_a |= ev[i].tag == 1;
			seen_b |= ev[i].tag == 2;
		}
	}
	poller_destroy(p);
}

static void block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	cr_assert_eq(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
}

Test(poller, blocked_signal_is_reported_with_its_tag, .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev;

	block_signals();
	cr_assert_eq(poller_add_signal(p, SIGUSR1, 10), 0);
	expect_nothing(p);
	/* raise() aims at this thread, which is the one that waits. */
	cr_assert_eq(raise(SIGUSR1), 0);
	ev = wait_one(p, -1);
	cr_assert_eq(ev.tag, 10);
	cr_assert_eq(ev.events, POLLER_IN);
	expect_nothing(p); /* consumed: reported once */
	poller_destroy(p);
}

Test(poller, signal_pending_before_it_is_registered_is_reported_once,
     .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev;
	sigset_t pending;

	/* A SIGTERM during the helper's start: blocked, then registered. */
	block_signals();
	cr_assert_eq(raise(SIGUSR1), 0);
	cr_assert_eq(poller_add_signal(p, SIGUSR1, 10), 0);
	ev = wait_one(p, -1);
	cr_assert_eq(ev.tag, 10);
	cr_assert_eq(ev.events, POLLER_IN);
	expect_nothing(p);
	/* Consumed: a later poller does not see it again. */
	cr_assert_eq(sigpending(&pending), 0);
	cr_assert_eq(sigismember(&pending, SIGUSR1), 0);
	poller_destroy(p);
}

Test(poller, several_signals_fill_several_calls_when_room_is_short,
     .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev[1];

	block_signals();
	cr_assert_eq(poller_add_signal(p, SIGUSR1, 10), 0);
	cr_assert_eq(poller_add_signal(p, SIGUSR2, 20), 0);
	cr_assert_eq(raise(SIGUSR2), 0);
	cr_assert_eq(raise(SIGUSR1), 0);
	/* One read of the signalfd gets both; room for one per call. */
	cr_assert_eq(poller_wait(p, ev, 1, -1), 1);
	cr_assert_eq(ev[0].tag, 10);
	cr_assert_eq(poller_wait(p, ev, 1, -1), 1);
	cr_assert_eq(ev[0].tag, 20);
	expect_nothing(p);
	poller_destroy(p);
}

Test(poller, add_signal_rejects_uncatchable_signals, .timeout = 10)
{
	struct poller *p = make_poller();

	cr_assert_eq(poller_add_signal(p, SIGKILL, 1), -EINVAL);
	cr_assert_eq(poller_add_signal(p, SIGSTOP, 1), -EINVAL);
	cr_assert_eq(poller_add_signal(p, 0, 1), -EINVAL);
	poller_destroy(p);
}

Test(poller, zero_timeout_returns_zero_when_idle, .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev[4];
	int sv[2];

	make_pair(SOCK_DGRAM, sv);
	cr_assert_eq(poller_add_fd(p, sv[0], POLLER_IN, FD_TAG), 0);
	cr_assert_eq(poller_wait(p, ev, 4, 0), 0);
	poller_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

static int64_t monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A wait of less than a millisecond still waits, at least that long: a
 * poller that rounded it down to 0, or ignored it, would return at once
 * (one that waited for ever is caught by the test's time-out). Only the
 * lower bound is checked: how much longer the kernel takes is no test's
 * business. */
Test(poller, sub_millisecond_timeout_waits_at_least_that_long, .timeout = 10)
{
	static const int64_t waits[] = {1, 500, 999, 1500};
	struct poller *p = make_poller();
	struct poller_event ev[4];

	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		int64_t t0 = monotonic_us(), took;

		cr_assert_eq(poller_wait(p, ev, 4, waits[i]), 0);
		took = monotonic_us() - t0;
		cr_expect_geq(took, waits[i],
			      "a %" PRId64 " us wait took %" PRId64 " us",
			      waits[i], took);
	}
	poller_destroy(p);
}

Test(poller, stream_peer_close_reports_hup_and_in, .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev;
	int sv[2];

	make_pair(SOCK_STREAM, sv);
	cr_assert_eq(poller_add_fd(p, sv[0], POLLER_IN, FD_TAG), 0);
	expect_nothing(p);
	close(sv[1]);
	ev = wait_one(p, 0);
	cr_assert_eq(ev.tag, FD_TAG);
	cr_assert(ev.events & POLLER_HUP, "events %#x", ev.events);
	cr_assert(ev.events & POLLER_IN, "read sees end-of-file");
	cr_assert_not(ev.events & POLLER_ERR);
	poller_destroy(p);
	close(sv[0]);
}

/*
 * Found on Linux 6.18: when the peer of a SOCK_DGRAM socketpair closes,
 * epoll reports nothing at all, watched for IN and OUT alike: a datagram
 * socket has no hang-up event (and no end-of-file). Only a send notices,
 * failing with ECONNREFUSED. So the VM's socket going away must be detected
 * by sending, not by waiting for POLLER_HUP.
 */
Test(poller, dgram_peer_close_reports_no_event, .timeout = 10)
{
	struct poller *p = make_poller();
	char b = 'x';
	int sv[2];

	make_pair(SOCK_DGRAM, sv);
	cr_assert_eq(poller_add_fd(p, sv[0], POLLER_IN | POLLER_OUT, FD_TAG),
		     0);
	cr_assert_eq(wait_one(p, 0).events, POLLER_OUT);
	close(sv[1]);
	expect_nothing(p);
	cr_assert_eq(send(sv[0], &b, 1, 0), -1);
	cr_assert_eq(errno, ECONNREFUSED);
	poller_destroy(p);
	close(sv[0]);
}

Test(poller, add_fd_on_closed_fd_fails_with_ebadf, .timeout = 10)
{
	struct poller *p = make_poller();
	int sv[2];

	make_pair(SOCK_DGRAM, sv);
	close(sv[0]);
	close(sv[1]);
	cr_assert_eq(poller_add_fd(p, sv[0], POLLER_IN, FD_TAG), -EBADF);
	cr_assert_eq(poller_add_fd(p, -1, POLLER_IN, FD_TAG), -EBADF);
	poller_destroy(p);
}

Test(poller, bad_arguments_are_refused, .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev[1];
	int sv[2];

	make_pair(SOCK_DGRAM, sv);
	cr_assert_eq(poller_add_fd(p, sv[0], 0, FD_TAG), -EINVAL);
	cr_assert_eq(poller_add_fd(p, sv[0], POLLER_HUP, FD_TAG), -EINVAL);
	cr_assert_eq(poller_add_fd(p, sv[0], POLLER_IN, FD_TAG), 0);
	cr_assert_eq(poller_add_fd(p, sv[0], POLLER_IN, FD_TAG), -EEXIST);
	cr_assert_eq(poller_add_timer(p, 1, 0), -EINVAL);
	cr_assert_eq(poller_wait(p, ev, 0, 0), -EINVAL);
	poller_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

Test(poller, destroy_accepts_null, .timeout = 10)
{
	struct poller *p = make_poller();

	poller_destroy(NULL);
	/* The real one still works after the no-op. */
	cr_assert_eq(poller_wake(p), 0);
	cr_assert_eq(wait_one(p, 0).tag, WAKE_TAG);
	poller_destroy(p);
}

/* poller_wait_on(): fds watched for one call, level-triggered. */

static int wait_on(struct poller *p, int fd, uint32_t events,
		   struct poller_event *ev, int max, int64_t timeout_us)
{
	struct poller_fd f = {.fd = fd, .events = events, .tag = FD_TAG};

	return poller_wait_on(p, &f, 1, ev, max, timeout_us);
}

Test(poller, wait_on_reports_a_ready_fd_every_time_until_drained, .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev[4];
	int sv[2];

	make_pair(SOCK_DGRAM, sv);
	cr_assert_eq(wait_on(p, sv[0], POLLER_IN, ev, 4, 0), 0);
	send_byte(sv[1]);
	/* Level-triggered: unlike poller_add_fd()'s edges, the same
	 * readiness comes back until the data is read. */
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(wait_on(p, sv[0], POLLER_IN, ev, 4, -1), 1);
		cr_assert_eq(ev[0].tag, FD_TAG);
		cr_assert_eq(ev[0].events, POLLER_IN);
	}
	drain(sv[0]);
	cr_assert_eq(wait_on(p, sv[0], POLLER_IN, ev, 4, 0), 0);
	poller_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

Test(poller, wait_on_asks_only_for_the_events_given, .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev[4];
	int sv[2];

	make_pair(SOCK_DGRAM, sv);
	/* Writable, but only IN is asked for: nothing to report. */
	cr_assert_eq(wait_on(p, sv[0], POLLER_IN, ev, 4, 0), 0);
	cr_assert_eq(wait_on(p, sv[0], POLLER_OUT, ev, 4, 0), 1);
	cr_assert_eq(ev[0].tag, FD_TAG);
	cr_assert_eq(ev[0].events, POLLER_OUT);
	poller_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

Test(poller, wait_on_reports_wake_ups_and_registered_fds_too, .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev[4];
	int a[2], b[2];

	make_pair(SOCK_DGRAM, a);
	make_pair(SOCK_DGRAM, b);
	cr_assert_eq(poller_add_fd(p, b[0], POLLER_IN, FD_TAG + 1), 0);
	cr_assert_eq(poller_wake(p), 0);
	cr_assert_eq(wait_on(p, a[0], POLLER_IN, ev, 4, -1), 1);
	cr_assert_eq(ev[0].tag, WAKE_TAG);
	/* Consumed: the next call sees no wake-up. */
	cr_assert_eq(wait_on(p, a[0], POLLER_IN, ev, 4, 0), 0);
	send_byte(b[1]);
	cr_assert_eq(wait_on(p, a[0], POLLER_IN, ev, 4, -1), 1);
	cr_assert_eq(ev[0].tag, FD_TAG + 1);
	cr_assert_eq(ev[0].events, POLLER_IN);
	poller_destroy(p);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
}

Test(poller, wait_on_times_out_with_nothing_ready, .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev[4];
	int sv[2];

	make_pair(SOCK_DGRAM, sv);
	cr_assert_eq(wait_on(p, sv[0], POLLER_IN, ev, 4, 2000), 0);
	cr_assert_eq(poller_wait_on(p, NULL, 0, ev, 4, 0), 0);
	poller_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

Test(poller, wait_on_wake_from_another_thread_ends_an_endless_wait,
     .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_event ev[4];
	pthread_t t;
	int sv[2];

	make_pair(SOCK_DGRAM, sv);
	cr_assert_eq(pthread_create(&t, NULL, wake_thread, p), 0);
	cr_assert_eq(wait_on(p, sv[0], POLLER_IN, ev, 4, -1), 1);
	cr_assert_eq(ev[0].tag, WAKE_TAG);
	pthread_join(t, NULL);
	poller_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

Test(poller, wait_on_refuses_too_many_fds, .timeout = 10)
{
	struct poller *p = make_poller();
	struct poller_fd f[POLLER_WAIT_ON_MAX + 1] = {0};
	struct poller_event ev[4];

	cr_assert_eq(poller_wait_on(p, f, POLLER_WAIT_ON_MAX + 1, ev, 4, 0),
		     -EINVAL);
	cr_assert_eq(poller_wait_on(p, f, 0, ev, 0, 0), -EINVAL);
	poller_destroy(p);
}
