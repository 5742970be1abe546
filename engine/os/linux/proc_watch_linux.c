/* SPDX-License-Identifier: Apache-2.0 */
/* proc_watch_linux.c - watch a process with a pidfd (Linux 5.3). */
#include "proc_watch.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

int proc_watch_open(pid_t pid, int *fdp)
{
	/* A pidfd is close-on-exec and becomes readable when the process
	 * exits; unlike polling kill(pid, 0) it cannot be fooled by a
	 * recycled pid once opened. */
	long fd = syscall(SYS_pidfd_open, pid, 0);

	*fdp = -1;
	if (fd < 0)
		return -errno;
	*fdp = (int)fd;
	return 0;
}
