/* SPDX-License-Identifier: Apache-2.0 */
/* proc_watch_darwin.c - watch a process with kqueue's EVFILT_PROC. */
#include "proc_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/event.h>
#include <unistd.h>

#include "xnu.h"

/* The EVFILT_USER ident that stands in for the exit of a zombie. */
#define EXITED_IDENT 1

int proc_watch_open(pid_t pid, int *fdp)
{
	/* A kqueue is itself pollable: it reads as ready once one of its
	 * events has fired, so this private kqueue with one NOTE_EXIT is an
	 * fd the engine's poller can watch like any other. */
	struct kevent ev;
	int kq = kqueue();
	int e;

	*fdp = -1;
	if (kq < 0)
		return -errno;
	fcntl(kq, F_SETFD, FD_CLOEXEC);
	EV_SET(&ev, (uintptr_t)pid, EVFILT_PROC, EV_ADD | EV_ONESHOT, NOTE_EXIT,
	       0, NULL);
	if (kevent(kq, &ev, 1, NULL, 0, NULL) == 0) {
		*fdp = kq;
		return 0;
	}
	e = errno;
	/*
	 * EVFILT_PROC cannot attach to a process that has exited but is not
	 * reaped (ESRCH: xnu_proc_exited() says why), where a Linux pidfd
	 * opens and reads as ready at once. Do as Linux does: a user event,
	 * triggered as it is added (filt_userattach() honours NOTE_TRIGGER
	 * in the same change), makes the kqueue readable now.
	 */
	if (e == ESRCH && xnu_proc_exited(kill(pid, 0) == 0 ? 0 : errno)) {
		EV_SET(&ev, EXITED_IDENT, EVFILT_USER, EV_ADD | EV_ONESHOT,
		       NOTE_TRIGGER, 0, NULL);
		if (kevent(kq, &ev, 1, NULL, 0, NULL) == 0) {
			*fdp = kq;
			return 0;
		}
		e = errno;
	}
	close(kq);
	return -e;
}
