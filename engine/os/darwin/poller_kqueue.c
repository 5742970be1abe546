/* SPDX-License-Identifier: Apache-2.0 */
/* poller_kqueue.c - the poller on macOS: kqueue and a self-pipe. */
#include "poller.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include "xnu.h"

/*
 * How it works
 *
 * One kqueue holds everything. A caller's fd is an EVFILT_READ and/or an
 * EVFILT_WRITE knote with EV_CLEAR (edge-triggered), whose udata carries
 * the tag; a timer is an EVFILT_TIMER knote and a signal an EVFILT_SIGNAL
 * knote, each with its tag in udata. So every returned kevent holds its own
 * tag and needs no table. kqueue keeps read and write readiness in separate
 * knotes, so a fd ready both ways comes back as two events with the same
 * tag, one with POLLER_IN and one with POLLER_OUT.
 *
 * Wake-ups go through a nonblocking pipe rather than EVFILT_USER: write(2)
 * is on POSIX's list of async-signal-safe calls and kevent() is not, and
 * poller_wake() must work from a signal handler. The read end is watched
 * level-triggered and drained in poller_wait(), so several wake-ups are one
 * event and none is lost.
 *
 * EVFILT_SIGNAL records every attempt to deliver the signal, even one that
 * is blocked or ignored (psignal_internal() posts NOTE_SIGNAL before it
 * looks at either), and never consumes it. But it counts only signals
 * generated after the knote attached (bsd/kern/kern_sig.c
 * filt_sigattach(), xnu-8019 to xnu-11417), where Linux's signalfd also
 * reports one already pending: a SIGTERM that came while the helper was
 * still starting the host interface would never be reported. So
 * poller_add_signal() looks at sigpending() right after attaching and
 * reports a signal found there at the next poller_wait()
 * (xnu_sig_backlog_note()). A signal that comes between the two is
 * reported twice; callers treat a repeated signal as the first.
 *
 * Every signal reported is then taken off the pending list with sigwait(),
 * which cannot block since it is pending, so that each is reported once as
 * with signalfd, a later poller does not find it pending again, and
 * unblocking it later would not run its disposition. XNU keeps a
 * process-directed signal that every thread blocks on the task's first
 * thread (kern_sig.c get_signalthread() falls back to get_signalact()),
 * and sigpending() reads only the calling thread's list: so both see it
 * when the poller runs on the main thread, as every poller that watches
 * signals here does. From another thread a pending signal is missed there
 * and left pending, as before.
 *
 * poller_wait_on() registers each fd it is given like poller_add_fd()
 * (both filters, EV_CLEAR) the first time, remembers it, and then waits
 * like poller_wait(). Nothing measured on macOS says that a knote left in
 * place costs the writer into the fd what an epoll entry costs on Linux,
 * so the registration is kept rather than redone per call.
 *
 * Edges: adding a filter that already exists (EV_ADD on a live knote) makes
 * the kernel evaluate it again, so poller_mod_fd() re-arms a ready fd as on
 * Linux.
 */

/* kevents fetched per poller_wait(), on the stack. */
#define POLLER_KQ_BATCH 64

struct poller {
	int kq;
	int wake_rd;
	/* Read-only after poller_create(), so poller_wake() may use it. */
	int wake_wr;
	uint64_t wake_tag;
	uintptr_t next_timer;	      /* ident of the next EVFILT_TIMER */
	struct xnu_sig_backlog early; /* signals pending when registered */
	/* fds poller_wait_on() registered: they stay registered. */
	int wait_on[POLLER_WAIT_ON_MAX];
	int nwait_on;
};

static void *poller_udata(uint64_t tag)
{
	/* Both macOS architectures have 64-bit pointers. */
	_Static_assert(sizeof(void *) == sizeof(uint64_t), "64-bit udata");
	return (void *)(uintptr_t)tag;
}

static int poller_cloexec(int fd, bool nonblock)
{
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	if (nonblock && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/*
 * Apply @n changes and return the first failure as a negative errno,
 * skipping ENOENT if @ignore_enoent. EV_RECEIPT makes the kernel report
 * every change's own result instead of stopping at the first error.
 */
static int poller_apply(struct poller *p, struct kevent *ch, int n,
			bool ignore_enoent)
{
	static const struct timespec no_wait = {0, 0};
	struct kevent res[2];
	int got, err = 0;

	/*
	 * One receipt per change fills @res, so no pending event is fetched
	 * (and lost) here; the zero timeout only guarantees no blocking.
	 */
	for (int i = 0; i < n; i++)
		ch[i].flags |= EV_RECEIPT;
	got = kevent(p->kq, ch, n, res, n, &no_wait);
	if (got < 0)
		return -errno;
	for (int i = 0; i < got; i++) {
		if (!(res[i].flags & EV_ERROR) || res[i].data == 0)
			continue;
		if (ignore_enoent && res[i].data == ENOENT)
			continue;
		if (!err)
			err = -(int)res[i].data;
	}
	return err;
}

/* Watch @events on @fd: EV_ADD the wanted filters. */
static int poller_set_fd(struct poller *p, int fd, uint32_t events,
			 uint64_t tag)
{
	struct kevent ch[2];
	int n = 0;

	if (events == 0 || (events & ~(POLLER_IN | POLLER_OUT)))
		return -EINVAL;
	if (fd < 0)
		return -EBADF;
	if (events & POLLER_IN)
		EV_SET(&ch[n++], fd, EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0,
		       poller_udata(tag));
	if (events & POLLER_OUT)
		EV_SET(&ch[n++], fd, EVFILT_WRITE, EV_ADD | EV_CLEAR, 0, 0,
		       poller_udata(tag));
	return poller_apply(p, ch, n, false);
}

int poller_create(struct poller **pp, uint64_t wake_tag)
{
	struct poller *p = calloc(1, sizeof(*p));
	struct kevent ch;
	int fds[2], err;

	*pp = NULL;
	if (!p)
		return -ENOMEM;
	p->wake_rd = p->wake_wr = -1;
	p->wake_tag = wake_tag;
	p->next_timer = 1;
	/*
	 * macOS has no kqueue1() or pipe2(): the fds are CLOEXEC a moment
	 * after they exist. Pollers are made at start-up, before any thread
	 * could fork and exec.
	 */
	p->kq = kqueue();
	if (p->kq < 0) {
		err = -errno;
		free(p);
		return err;
	}
	err = poller_cloexec(p->kq, false);
	if (err)
		goto fail;
	if (pipe(fds) < 0) {
		err = -errno;
		goto fail;
	}
	p->wake_rd = fds[0];
	p->wake_wr = fds[1];
	err = poller_cloexec(p->wake_rd, true);
	if (!err)
		err = poller_cloexec(p->wake_wr, true);
	if (err)
		goto fail;
	/* Level-triggered: poller_wait() drains the pipe itself. */
	EV_SET(&ch, p->wake_rd, EVFILT_READ, EV_ADD, 0, 0,
	       poller_udata(wake_tag));
	err = poller_apply(p, &ch, 1, false);
	if (err)
		goto fail;
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
	/* Closing the kqueue drops every knote; the caller's fds stay open. */
	close(p->kq);
	if (p->wake_rd >= 0)
		close(p->wake_rd);
	if (p->wake_wr >= 0)
		close(p->wake_wr);
	free(p);
}

int poller_add_fd(struct poller *p, int fd, uint32_t events, uint64_t tag)
{
	int err = poller_set_fd(p, fd, events, tag);

	/* Do not leave half a registration behind (IN added, OUT failed). */
	if (err && err != -EINVAL)
		poller_del_fd(p, fd);
	return err;
}

int poller_del_fd(struct poller *p, int fd)
{
	static const struct timespec no_wait = {0, 0};
	struct kevent ch[2];
	struct kevent res[2];
	int got, enoent = 0, err = 0;

	EV_SET(&ch[0], fd, EVFILT_READ, EV_DELETE | EV_RECEIPT, 0, 0, NULL);
	EV_SET(&ch[1], fd, EVFILT_WRITE, EV_DELETE | EV_RECEIPT, 0, 0, NULL);
	got = kevent(p->kq, ch, 2, res, 2, &no_wait);
	if (got < 0)
		return -errno;
	for (int i = 0; i < got; i++) {
		if (!(res[i].flags & EV_ERROR) || res[i].data == 0)
			continue;
		if (res[i].data == ENOENT)
			enoent++; /* that filter was not watched */
		else if (!err)
			err = -(int)res[i].data;
	}
	/* Only when neither filter was there was the fd not registered. */
	if (!err && enoent == 2)
		err = -ENOENT;
	return err;
}

int poller_wake(struct poller *p)
{
	const char b = 1;
	int saved_errno = errno; /* a signal handler must not change errno */
	int err = 0;

	/* A full pipe (EAGAIN) already holds a pending wake-up. */
	if (write(p->wake_wr, &b, 1) < 0 && errno != EAGAIN)
		err = -errno;
	errno = saved_errno;
	return err;
}

int poller_add_timer(struct poller *p, uint64_t tag, unsigned interval_ms)
{
	struct kevent ch;

	if (interval_ms == 0)
		return -EINVAL;
	/*
	 * The default unit is milliseconds; the timer is periodic unless
	 * EV_ONESHOT, and data returns the expirations since the last event,
	 * which we fold into one.
	 */
	EV_SET(&ch, p->next_timer, EVFILT_TIMER, EV_ADD | EV_ENABLE, 0,
	       (intptr_t)interval_ms, poller_udata(tag));
	p->next_timer++;
	return poller_apply(p, &ch, 1, false);
}

/* Take @signo off this thread's pending list, if it is there (see the
 * top); sigwait() does not block for a signal that is pending. */
static void poller_consume_signal(int signo)
{
	sigset_t pending, one;
	int got;

	if (sigpending(&pending) != 0 || sigismember(&pending, signo) != 1)
		return;
	sigemptyset(&one);
	sigaddset(&one, signo);
	(void)sigwait(&one, &got);
}

int poller_add_signal(struct poller *p, int signo, uint64_t tag)
{
	struct kevent ch;
	sigset_t pending;
	int err;

	if (signo <= 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP)
		return -EINVAL;
	EV_SET(&ch, signo, EVFILT_SIGNAL, EV_ADD | EV_CLEAR, 0, 0,
	       poller_udata(tag));
	err = poller_apply(p, &ch, 1, false);
	if (err)
		return err;
	/* After the attach, so that no signal falls between the two. */
	if (sigpending(&pending) == 0 &&
	    xnu_sig_backlog_note(&p->early, &pending, signo, tag))
		poller_consume_signal(signo);
	return 0;
}

/* Empty the wake-up pipe so the next poller_wake() is a new event. */
static void poller_drain_wake(struct poller *p)
{
	char buf[64];

	while (read(p->wake_rd, buf, sizeof(buf)) > 0)
		;
}

/* POLLER_* bits of a kevent from a caller's fd. */
static uint32_t poller_from_kevent(const struct kevent *kev)
{
	uint32_t events = kev->filter == EVFILT_READ ? POLLER_IN : POLLER_OUT;

	/* EV_ERROR only comes back for a failed change, never from here. */
	if (kev->flags & EV_ERROR)
		return POLLER_ERR;
	if (kev->flags & EV_EOF) {
		events |= POLLER_HUP;
		/* For sockets, fflags holds the pending so_error. */
		if (kev->fflags)
			events |= POLLER_ERR;
	}
	return events;
}

int poller_wait(struct poller *p, struct poller_event *events, int max,
		int64_t timeout_us)
{
	struct kevent evs[POLLER_KQ_BATCH];
	struct timespec ts, *tsp = NULL;
	int n, room, count;

	if (max < 1)
		return -EINVAL;
	/* Signals found pending at registration come first, and then the
	 * kqueue is only polled, without waiting. */
	count = xnu_sig_backlog_take(&p->early, events, max);
	room = max - count;
	if (room == 0)
		return count;
	if (count > 0)
		timeout_us = 0;
	if (timeout_us >= 0) {
		ts.tv_sec = (time_t)(timeout_us / 1000000);
		ts.tv_nsec = (long)(timeout_us % 1000000) * 1000;
		tsp = &ts;
	}
	n = kevent(p->kq, NULL, 0, evs,
		   room < POLLER_KQ_BATCH ? room : POLLER_KQ_BATCH, tsp);
	if (n < 0)
		return errno == EINTR || count > 0 ? count : -errno;

	for (int i = 0; i < n; i++) {
		const struct kevent *kev = &evs[i];
		struct poller_event *out = &events[count];

		out->tag = (uint64_t)(uintptr_t)kev->udata;
		switch (kev->filter) {
		case EVFILT_READ:
			if (kev->ident == (uintptr_t)p->wake_rd) {
				poller_drain_wake(p);
				out->events = POLLER_IN;
			} else {
				out->events = poller_from_kevent(kev);
			}
			break;
		case EVFILT_WRITE:
			out->events = poller_from_kevent(kev);
			break;
		case EVFILT_TIMER:
			out->events = POLLER_IN;
			break;
		case EVFILT_SIGNAL:
			poller_consume_signal((int)kev->ident);
			out->events = POLLER_IN;
			break;
		default:
			continue;
		}
		count++;
	}
	return count;
}

int poller_wait_on(struct poller *p, const struct poller_fd *fds, int nfds,
		   struct poller_event *events, int max, int64_t timeout_us)
{
	if (max < 1 || nfds < 0 || nfds > POLLER_WAIT_ON_MAX)
		return -EINVAL;
	for (int i = 0; i < nfds; i++) {
		bool known = false;
		int err;

		for (int k = 0; k < p->nwait_on && !known; k++)
			known = p->wait_on[k] == fds[i].fd;
		if (known)
			continue;
		if (p->nwait_on == POLLER_WAIT_ON_MAX)
			return -ENOSPC;
		err = poller_add_fd(p, fds[i].fd, POLLER_IN | POLLER_OUT,
				    fds[i].tag);
		if (err)
			return err;
		p->wait_on[p->nwait_on++] = fds[i].fd;
	}
	return poller_wait(p, events, max, timeout_us);
}
