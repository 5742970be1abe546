/* SPDX-License-Identifier: Apache-2.0 */
/* poller.h - wait for fd readiness, a cross-thread wake-up, a timer or a
 * signal: epoll on Linux (poller_epoll.c), kqueue on macOS
 * (poller_kqueue.c). */
#ifndef VMNET_HELPER_POLLER_H
#define VMNET_HELPER_POLLER_H

#include <stdint.h>

/*
 * One poller belongs to one thread, which alone calls poller_wait() and
 * changes registrations; poller_wake() is the only call other threads (and
 * signal handlers) may make.
 *
 * Fds are edge-triggered (EPOLLET / EV_CLEAR): an event says "something
 * changed since you last drained this", so after an IN event the owner reads
 * until EAGAIN, and after an OUT event writes until EAGAIN, before waiting
 * again. That is what the workers do anyway, and it means a busy fd costs no
 * poller syscalls at all.
 *
 * Each registration carries a caller-chosen 64-bit tag that comes back in
 * its events.
 */

#define POLLER_IN  0x1u /* readable, or a wake-up / timer / signal fired */
#define POLLER_OUT 0x2u /* writable */
#define POLLER_ERR 0x4u /* error pending on the fd (read it with the call) */
#define POLLER_HUP 0x8u /* peer closed / hung up */

struct poller;

struct poller_event {
	uint64_t tag;
	uint32_t events; /* POLLER_* bits */
};

/**
 * poller_create() - make a poller with a wake-up channel
 * @pp:		on success, the poller
 * @wake_tag:	tag reported when poller_wake() was called
 *
 * Return: 0 or a negative errno.
 */
int poller_create(struct poller **pp, uint64_t wake_tag);

/**
 * poller_destroy() - close the poller and everything it created
 * @p:	poller, or NULL
 *
 * Registered fds are not closed: they belong to the caller.
 */
void poller_destroy(struct poller *p);

/**
 * poller_add_fd() - watch @fd, edge-triggered
 * @p:		poller
 * @fd:		nonblocking fd
 * @events:	POLLER_IN and/or POLLER_OUT; ERR and HUP are always reported
 * @tag:	reported with this fd's events
 *
 * Return: 0 or a negative errno.
 */
int poller_add_fd(struct poller *p, int fd, uint32_t events, uint64_t tag);

/**
 * poller_del_fd() - stop watching @fd
 * @p:	poller
 * @fd:	fd given to poller_add_fd()
 *
 * Return: 0 or a negative errno.
 */
int poller_del_fd(struct poller *p, int fd);

/**
 * poller_wake() - make the owner's poller_wait() return
 * @p:	poller
 *
 * Safe from any thread and from a signal handler. Wake-ups that arrive
 * before the owner waits are not lost; several of them may be reported as
 * one event.
 *
 * Return: 0 or a negative errno.
 */
int poller_wake(struct poller *p);

/**
 * poller_add_timer() - report @tag every @interval_ms milliseconds
 * @p:			poller
 * @tag:		tag of the timer's events; also identifies it
 * @interval_ms:	period, at least 1
 *
 * Expirations missed while the owner was busy are reported as one event.
 *
 * Return: 0 or a negative errno.
 */
int poller_add_timer(struct poller *p, uint64_t tag, unsigned interval_ms);

/**
 * poller_add_signal() - report @tag when @signo is delivered to the process
 * @p:		poller
 * @signo:	signal number
 * @tag:	tag of the signal's events
 *
 * The caller must have blocked @signo in every thread (pthread_sigmask()
 * before creating threads), so that it is only ever seen here. A @signo
 * already pending when it is registered (it came while blocked, before
 * this call) is reported by the next poller_wait() too, and each signal
 * reported is consumed. On macOS that holds when the poller runs on the
 * main thread (poller_kqueue.c says why).
 *
 * Return: 0 or a negative errno.
 */
int poller_add_signal(struct poller *p, int signo, uint64_t tag);

/**
 * poller_wait() - wait for events
 * @p:		poller
 * @events:	where to store them
 * @max:	room in @events, at least 1
 * @timeout_us:	microseconds to wait at most; 0 polls, negative waits
 *		forever. Sub-millisecond timeouts are honoured (they pace
 *		the retries of a full peer).
 *
 * Wake-up, timer and signal events are consumed here (the eventfd,
 * timerfd or signalfd is read), so each is reported once.
 *
 * Return: number of events (0 on timeout or EINTR), or a negative errno.
 */
int poller_wait(struct poller *p, struct poller_event *events, int max,
		int64_t timeout_us);

/* Most fds one poller_wait_on() call watches. */
#define POLLER_WAIT_ON_MAX 8

/* An fd to watch for one poller_wait_on() call. */
struct poller_fd {
	int fd; /* nonblocking fd, not registered with poller_add_fd() */
	uint32_t events; /* POLLER_IN and/or POLLER_OUT; ERR and HUP always */
	uint64_t tag;	 /* reported with its events */
};

/**
 * poller_wait_on() - wait as poller_wait() does, and also until one of
 * @fds is ready for its events
 * @p:		poller
 * @fds:	fds to watch for this call only
 * @nfds:	how many, 0 to POLLER_WAIT_ON_MAX
 * @events:	where to store the events
 * @max:	room in @events, at least 1
 * @timeout_us:	as for poller_wait()
 *
 * Level-triggered: an fd that is ready now is reported at once, so ask
 * only for what the caller waits for (IN after a read said EAGAIN, OUT
 * after a write did). On Linux the fds are watched only while the call
 * lasts (ppoll()), never in between: an fd in an epoll set makes every
 * writer into it pay for a wake-up callback even while its reader is busy
 * and needs no wake-up, which measurably slows the other side of the cable
 * (docs/performance.md, "Engine: what was tried"). On macOS each fd is
 * registered like poller_add_fd() (both ways, edge-triggered) the first
 * time it is passed and stays registered; its events may then also come
 * when not asked for, which the caller must tolerate.
 *
 * Return: number of events (0 on timeout or EINTR), or a negative errno.
 */
int poller_wait_on(struct poller *p, const struct poller_fd *fds, int nfds,
		   struct poller_event *events, int max, int64_t timeout_us);

#endif
