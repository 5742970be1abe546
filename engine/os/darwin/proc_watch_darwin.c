/* SPDX-License-Identifier: Apache-2.0 */
/* proc_watch_darwin.c - watch a process with kqueue's EVFILT_PROC. */
#include "proc_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/event.h>
#include <unistd.h>

int proc_watch_open(pid_t pid, int *fdp)
{
	/* A kqueue is itself pollable: it reads as ready once one of its
	 * events has fired, so this private kqueue with one NOTE_EXIT is an
	 * fd the engine's poller can watch like any other. */
	struct kevent ev;
	int kq = kqueue();

	*fdp = -1;
	if (kq < 0)
		return -errno;
	fcntl(kq, F_SETFD, FD_CLOEXEC);
	EV_SET(&ev, (uintptr_t)pid, EVFILT_PROC, EV_ADD | EV_ONESHOT, NOTE_EXIT,
	       0, NULL);
	if (kevent(kq, &ev, 1, NULL, 0, NULL) < 0) {
		int e = errno;
		close(kq);
		return -e;
	}
	*fdp = kq;
	return 0;
}
