/* SPDX-License-Identifier: Apache-2.0 */
/* pidfile.h - --pidfile PATH: locked before the host interface starts, so
 * a second helper on the same file fails at once; the pid written once the
 * helper is ready; removed on every exit the helper lives through. */
#ifndef VMNET_HELPER_PIDFILE_H
#define VMNET_HELPER_PIDFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "owned_file.h"

struct pidfile {
	struct owned_file file; /* file.fd -1: none */
};

/**
 * pidfile_lock() - open or create @path and lock it, exclusively
 * @p:		filled
 * @path:	the --pidfile value; must outlive @p
 * @uid:	the user the helper drops to, who must be able to remove the
 *		file at exit; (uid_t)-1 when it does not drop
 * @gid:	its group
 * @err:	on failure, one line naming the path, the cause and the fix
 *		(for a lock held: the pid in the file)
 * @errlen:	room in @err
 *
 * The file is hardened as owned_file.h says, and emptied once locked. The
 * lock lives as long as
 * the process (flock(2): released by the kernel at any exit, a crash
 * included, so a file left behind locks nobody out).
 *
 * Return: 0, or a negative errno (-EWOULDBLOCK: another process holds it).
 */
int pidfile_lock(struct pidfile *p, const char *path, uid_t uid, gid_t gid,
		 char *err, size_t errlen);

/**
 * pidfile_write() - write "PID\n" into the locked, empty file, with one
 * write(2); call it once
 * @p:		locked with pidfile_lock()
 * @pid:	the helper's pid
 * @err:	on failure, one line
 * @errlen:	room in @err
 *
 * Return: 0 or a negative errno.
 */
int pidfile_write(struct pidfile *p, pid_t pid, char *err, size_t errlen);

/**
 * pidfile_remove() - remove the file (if the path still names it) and
 * release the lock
 * @p:	locked, or zeroed with file.fd -1 (nothing happens)
 */
void pidfile_remove(struct pidfile *p);

#endif
