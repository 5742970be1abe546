/* SPDX-License-Identifier: Apache-2.0 */
/* proc_watch.h - an fd that becomes readable when a process exits (--pid):
 * a pidfd on Linux (proc_watch_linux.c), a kqueue holding an EVFILT_PROC
 * NOTE_EXIT on macOS (proc_watch_darwin.c). Either can be added to a
 * poller like any fd, and neither needs the process to be our child. */
#ifndef VMNET_HELPER_PROC_WATCH_H
#define VMNET_HELPER_PROC_WATCH_H

#include <sys/types.h>

/**
 * proc_watch_open() - watch process @pid
 * @pid:	process to watch, > 0
 * @fdp:	on success, the fd (close-on-exec); close() it when done
 *
 * Open it before dropping privileges: watching another user's process may
 * need them. A process that has already exited but is not yet reaped makes
 * the fd readable at once.
 *
 * Return: 0, -ESRCH (no such process), or another negative errno.
 */
int proc_watch_open(pid_t pid, int *fdp);

#endif
