/* SPDX-License-Identifier: Apache-2.0 */
/* poller_epoll.c - the poller on Linux: epoll, eventfd, timerfd, signalfd. */
#include "poller.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/*
 * How it works
 *
 * Everything the poller watches is an fd in one epoll set: the caller's fds
 * (edge-triggered), an eventfd for poller_wake(), one timerfd per timer and
 * one signalfd for all signals. Each registration stores its own fd number
 * in epoll_data.u64, and slots[fd] says what that fd is and which tag it
 * reports, so turning an epoll event into a poller event costs one array
 * lookup. The table grows when an fd is registered, never in poller_wait().
 *
 * The internal fds are level-triggered and read in poller_wait(): reading
 * resets the eventfd counter, the timerfd expiration count and the
 * signalfd's queue, so each wake-up, tick or signal is reported once, and
 * anything not drained would simply be reported again rather than lost.
 *
 * One signalfd serves every signal: poller_add_signal() adds the signal to
 * its mask and records the signal's tag in sig_tag[]. A single readiness of
 * the signalfd may carry several signals; they are collected in sig_pending
 * and reported one event per signal, the ones that do not fit in the
 * caller's array at the start of the next poller_wait().
 *
 * A signalfd is ready when the signal is pending for the thread that waits
 * on it: process-directed signals (kill(2) from outside) are seen by any
 * thread, a signal aimed at another thread (pthread_kill) is not.
 */

/*
 * poller_wait_on() is ppoll() over the wake-up eventfd, the caller's fds
 * and, only when something else is registered (timers, signals, fds), the
 * epoll fd itself, which is readable while an event is queued in it; its
 * events are then collected with a non-blocking pass of poller_wait()'s
 * own loop. ppoll() hangs its wait entries on the fds for the call only.
 */

/* epoll events fetched per poller_wait(), on the stack. */
#define POLLER_EPOLL_BATCH 64
/* The table starts with room for this many fds, then doubles. */
#define POLLER_SLOTS_MIN 64

enum poller_kind {
	POLLER_KIND_NONE = 0, /* fd not registered */
	POLLER_KIND_FD,	      /* caller's fd, edge-triggered */
	POLLER_KIND_WAKE,     /* our eventfd for poller_wake() */
	POLLER_KIND_TIMER,    /* our timerfd */
	POLLER_KIND_SIGNAL,   /* our signalfd */
};

struct poller_slot {
	uint64_t tag; /* unused for the signalfd: see sig_tag[] */
	uint8_t kind; /* enum poller_kind */
};

struct poller {
	int epfd;
	/* Read-only after poller_create(), so poller_wake() may use it. */
	int wake_fd;
	int signal_fd;	/* -1 until the first poller_add_signal() */
	bool no_pwait2; /* epoll_pwait2() failed with ENOSYS once */
	unsigned nregs; /* registrations besides the wake-up eventfd */
	uint64_t wake_tag;
	sigset_t sig_set;	   /* signals the signalfd accepts */
	uint64_t sig_pending;	   /* bit signo - 1: read, not reported */
	uint64_t sig_tag[NSIG];	   /* tag of each signal, by signo */
	struct poller_slot *slots; /* indexed by fd */
	size_t nslots;
};

/* Make slots[fd] exist; registration calls this before epoll_ctl(). */
static int poller_reserve(struct poller *p, int fd)
{
	struct poller_slot *slots;
	size_t n = p->nslots ? p->nslots : POLLER_SLOTS_MIN;

	if (fd < 0)
		return -EBADF;
	if ((size_t)fd < p->nslots)
		return 0;
	while (n <= (size_t)fd)
		n *= 2;
	slots = realloc(p->slots, n * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	memset(slots + p->nslots, 0, (n - p->nslots) * sizeof(*slots));
	p->slots = slots;
	p->nslots = n;
	return 0;
}

/* Register @fd in epoll and, on success, remember what it is. */
static int poller_register(struct poller *p, int fd, uint32_t ep_events,
			   enum poller_kind kind, uint64_t tag)
{
	struct epoll_event ev = {.events = ep_events, .data.u64 = (uint32_t)fd};
	int err = poller_reserve(p, fd);

	if (err)
		return err;
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	p->slots[fd].kind = kind;
	p->slots[fd].tag = tag;
	if (kind != POLLER_KIND_WAKE)
		p->nregs++;
	return 0;
}

/* epoll events for a caller's fd watched for @events; 0 if invalid. */
static uint32_t poller_fd_events(uint32_t events)
{
	uint32_t ep_events;

	if (events == 0 || (events & ~(POLLER_IN | POLLER_OUT)))
		return 0;
	/* EPOLLRDHUP: a stream peer's shutdown is a hang-up for the owner. */
	ep_events = EPOLLET | EPOLLRDHUP;
	if (events & POLLER_IN)
		ep_events |= EPOLLIN;
	if (events & POLLER_OUT)
		ep_events |= EPOLLOUT;
	return ep_events;
}

static uint32_t poller_from_epoll(uint32_t ep)
{
	uint32_t events = 0;

	if (ep & EPOLLIN)
		events |= POLLER_IN;
	if (ep & EPOLLOUT)
		events |= POLLER_OUT;
	if (ep & EPOLLERR)
		events |= POLLER_ERR;
	if (ep & (EPOLLHUP | EPOLLRDHUP))
		events |= POLLER_HUP;
	return events;
}

int poller_create(struct poller **pp, uint64_t wake_tag)
{
	struct poller *p = calloc(1, sizeof(*p));
	int err;

	*pp = NULL;
	if (!p)
		return -ENOMEM;
	p->wake_fd = -1;
	p->signal_fd = -1;
	p->wake_tag = wake_tag;
	sigemptyset(&p->sig_set);
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0) {
		err = -errno;
		free(p);
		return err;
	}
	p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->wake_fd < 0) {
		err = -errno;
		goto fail;
	}
	err =
	    poller_register(p, p->wake_fd, EPOLLIN, POLLER_KIND_WAKE, wake_tag);
	if (err) {
		close(p->wake_fd);
		goto fail;
	}
	*pp = p;
	return 0;
fail:
	poller_destroy(p);
	return err;
}

void poller_destroy(struct poller *p)
{
	if (!p)
		return;
	/* Close what we created; the caller's fds stay open. */
	for (size_t fd = 0; fd < p->nslots; fd++) {
		uint8_t kind = p->slots[fd].kind;

		if (kind != POLLER_KIND_NONE && kind != POLLER_KIND_FD)
			close((int)fd);
	}
	close(p->epfd);
	free(p->slots);
	free(p);
}

int poller_add_fd(struct poller *p, int fd, uint32_t events, uint64_t tag)
{
	uint32_t ep_events = poller_fd_events(events);

	if (!ep_events)
		return -EINVAL;
	return poller_register(p, fd, ep_events, POLLER_KIND_FD, tag);
}

int poller_del_fd(struct poller *p, int fd)
{
	int err = 0;

	if (fd < 0 || (size_t)fd >= p->nslots ||
	    p->slots[fd].kind != POLLER_KIND_FD)
		return -ENOENT;
	if (epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL) < 0)
		err = -errno;
	/*
	 * Forget the fd even if epoll_ctl() failed: EBADF means the caller
	 * closed it first, which already took it out of the epoll set.
	 */
	p->slots[fd].kind = POLLER_KIND_NONE;
	p->nregs--;
	return err;
}

int poller_wake(struct poller *p)
{
	const uint64_t one = 1;
	int saved_errno = errno; /* a signal handler must not change errno */
	int err = 0;

	/*
	 * write(2) is async-signal-safe. EAGAIN means the counter is about
	 * to overflow, i.e. a wake-up is pending anyway.
	 */
	if (write(p->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		err = -errno;
	errno = saved_errno;
	return err;
}

int poller_add_timer(struct poller *p, uint64_t tag, unsigned interval_ms)
{
	struct itimerspec its;
	int fd, err;

	if (interval_ms == 0)
		return -EINVAL;
	its.it_interval.tv_sec = interval_ms / 1000;
	its.it_interval.tv_nsec = (long)(interval_ms % 1000) * 1000000;
	its.it_value = its.it_interval;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	err = poller_register(p, fd, EPOLLIN, POLLER_KIND_TIMER, tag);
	if (err)
		close(fd);
	return err;
}

int poller_add_signal(struct poller *p, int signo, uint64_t tag)
{
	sigset_t set = p->sig_set;
	int fd, err;

	/* signalfd() silently ignores SIGKILL and SIGSTOP: say so instead. */
	if (signo <= 0 || signo >= NSIG || signo > 64 || signo == SIGKILL ||
	    signo == SIGSTOP)
		return -EINVAL;
	if (sigaddset(&set, signo) < 0)
		return -EINVAL;
	/* Given an existing signalfd, signalfd() replaces its mask. */
	fd = signalfd(p->signal_fd, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (p->signal_fd < 0) {
		err = poller_register(p, fd, EPOLLIN, POLLER_KIND_SIGNAL, 0);
		if (err) {
			close(fd);
			return err;
		}
		p->signal_fd = fd;
	}
	p->sig_set = set;
	p->sig_tag[signo] = tag;
	return 0;
}

/* Read every queued signal into sig_pending, so the signalfd is drained. */
static void poller_drain_signals(struct poller *p)
{
	struct signalfd_siginfo si[16];
	ssize_t n;

	for (;;) {
		n = read(p->signal_fd, si, sizeof(si));
		if (n <= 0)
			break; /* EAGAIN: drained */
		for (size_t i = 0; i < (size_t)n / sizeof(si[0]); i++) {
			uint32_t signo = si[i].ssi_signo;

			if (signo >= 1 && signo <= 64)
				p->sig_pending |= UINT64_C(1) << (signo - 1);
		}
	}
}

/* Report pending signals, lowest number first, while there is room. */
static int poller_report_signals(struct poller *p, struct poller_event *events,
				 int n, int max)
{
	while (p->sig_pending && n < max) {
		int bit = __builtin_ctzll(p->sig_pending);

		p->sig_pending &= p->sig_pending - 1;
		events[n].tag = p->sig_tag[bit + 1];
		events[n].events = POLLER_IN;
		n++;
	}
	return n;
}

/* Read an eventfd or timerfd's 8-byte counter; true if it had fired. */
static bool poller_consume(int fd)
{
	uint64_t count;

	return read(fd, &count, sizeof(count)) == (ssize_t)sizeof(count);
}

/* epoll_pwait2() takes a timespec; plain epoll_wait() only milliseconds. */
static int poller_epoll_wait(struct poller *p, struct epoll_event *evs, int max,
			     int64_t timeout_us)
{
	struct timespec ts;
	int64_t ms;
	int n;

	if (!p->no_pwait2) {
		if (timeout_us >= 0) {
			ts.tv_sec = timeout_us / 1000000;
			ts.tv_nsec = (long)(timeout_us % 1000000) * 1000;
		}
		n = epoll_pwait2(p->epfd, evs, max,
				 timeout_us >= 0 ? &ts : NULL, NULL);
		if (n >= 0 || errno != ENOSYS)
			return n;
		p->no_pwait2 = true; /* kernel older than 5.11 */
	}
	/* Round up: waking early would turn a pause into a busy loop. */
	ms = timeout_us < 0 ? -1 : timeout_us / 1000 + (timeout_us % 1000 != 0);
	return epoll_wait(p->epfd, evs, max, ms > INT_MAX ? INT_MAX : (int)ms);
}

/* Turn @n epoll events into poller events in @events (room @max). */
static int poller_collect(struct poller *p, const struct epoll_event *evs,
			  int n, struct poller_event *events, int max)
{
	bool signal_ready = false;
	int count = 0;

	for (int i = 0; i < n; i++) {
		int fd = (int)evs[i].data.u64;
		const struct poller_slot *s = &p->slots[fd];

		switch (s->kind) {
		case POLLER_KIND_FD:
			events[count].tag = s->tag;
			events[count].events = poller_from_epoll(evs[i].events);
			count++;
			break;
		case POLLER_KIND_WAKE:
		case POLLER_KIND_TIMER:
			if (poller_consume(fd)) {
				events[count].tag = s->tag;
				events[count].events = POLLER_IN;
				count++;
			}
			break;
		case POLLER_KIND_SIGNAL:
			/* May expand to several events: do it last. */
			signal_ready = true;
			break;
		default:
			break;
		}
	}
	if (signal_ready) {
		poller_drain_signals(p);
		count = poller_report_signals(p, events, count, max);
	}
	return count;
}

int poller_wait(struct poller *p, struct poller_event *events, int max,
		int64_t timeout_us)
{
	struct epoll_event evs[POLLER_EPOLL_BATCH];
	int n;

	if (max < 1)
		return -EINVAL;
	/* Signals read last time that did not fit come first, at once. */
	if (p->sig_pending)
		return poller_report_signals(p, events, 0, max);

	n = poller_epoll_wait(
	    p, evs, max < POLLER_EPOLL_BATCH ? max : POLLER_EPOLL_BATCH,
	    timeout_us);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return poller_collect(p, evs, n, events, max);
}

static short poll_events(uint32_t events)
{
	return (short)(((events & POLLER_IN) ? POLLIN : 0) |
		       ((events & POLLER_OUT) ? POLLOUT : 0));
}

static uint32_t poller_from_poll(short revents)
{
	uint32_t events = 0;

	if (revents & POLLIN)
		events |= POLLER_IN;
	if (revents & POLLOUT)
		events |= POLLER_OUT;
	if (revents & (POLLERR | POLLNVAL))
		events |= POLLER_ERR;
	if (revents & (POLLHUP | POLLRDHUP))
		events |= POLLER_HUP;
	return events;
}

int poller_wait_on(struct poller *p, const struct poller_fd *fds, int nfds,
		   struct poller_event *events, int max, int64_t timeout_us)
{
	struct pollfd pfd[POLLER_WAIT_ON_MAX + 2];
	struct timespec ts;
	int n = 0, first, count = 0, r;

	if (max < 1 || nfds < 0 || nfds > POLLER_WAIT_ON_MAX)
		return -EINVAL;
	if (p->sig_pending)
		return poller_report_signals(p, events, 0, max);
	pfd[n++] = (struct pollfd){.fd = p->wake_fd, .events = POLLIN};
	if (p->nregs)
		pfd[n++] = (struct pollfd){.fd = p->epfd, .events = POLLIN};
	first = n;
	for (int i = 0; i < nfds; i++)
		pfd[n++] = (struct pollfd){
		    .fd = fds[i].fd, .events = poll_events(fds[i].events)};
	if (timeout_us >= 0) {
		ts.tv_sec = timeout_us / 1000000;
		ts.tv_nsec = (long)(timeout_us % 1000000) * 1000;
	}
	r = ppoll(pfd, (nfds_t)n, timeout_us >= 0 ? &ts : NULL, NULL);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (r == 0)
		return 0;
	for (int i = 0; i < nfds && count < max; i++) {
		if (!pfd[first + i].revents)
			continue;
		events[count].tag = fds[i].tag;
		events[count].events = poller_from_poll(pfd[first + i].revents);
		count++;
	}
	if ((pfd[0].revents & POLLIN) && count < max &&
	    poller_consume(p->wake_fd)) {
		events[count].tag = p->wake_tag;
		events[count].events = POLLER_IN;
		count++;
	}
	if (first > 1 && (pfd[1].revents & POLLIN) && count < max) {
		struct epoll_event evs[POLLER_EPOLL_BATCH];
		int room = max - count;
		int got = epoll_wait(
		    p->epfd, evs,
		    room < POLLER_EPOLL_BATCH ? room : POLLER_EPOLL_BATCH, 0);

		if (got > 0)
			count +=
			    poller_collect(p, evs, got, events + count, room);
	}
	return count;
}
