/* SPDX-License-Identifier: Apache-2.0 */
/* pidfile.c - --pidfile: lock, write, remove (see pidfile.h). */
#include "pidfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "errmsg.h"

/* The pid a holder wrote, for the message; 0 if there is none yet. */
static long holder_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int pidfile_lock(struct pidfile *p, const char *path, uid_t uid, gid_t gid,
		 char *err, size_t errlen)
{
	int r;

	memset(p, 0, sizeof(*p));
	p->file.fd = -1;
	if (uid != (uid_t)-1 && !owned_file_dir_writable_by(path, uid, gid))
		return errmsg_fail(err, errlen, -EACCES,
				   "--pidfile '%s': uid %u, whom the helper "
				   "runs as once root is dropped, could not "
				   "remove it at exit from its directory; "
				   "choose a directory they can write",
				   path, (unsigned)uid);
	r = owned_file_open(&p->file, path, "--pidfile", true, uid, gid, err,
			    errlen);
	if (r)
		return r;
	if (flock(p->file.fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		long pid = holder_pid(p->file.fd);

		/* Not ours to remove: the holder's. */
		close(p->file.fd);
		p->file.fd = -1;
		memset(&p->file.st, 0, sizeof(p->file.st));
		if (e == EWOULDBLOCK && pid > 0)
			return errmsg_fail(err, errlen, -e,
					   "--pidfile '%s' is in use: helper "
					   "%ld holds it; stop it or choose "
					   "another path",
					   path, pid);
		return errmsg_fail(err, errlen, -e,
				   "--pidfile '%s' is in use: another process "
				   "holds its lock (%s); stop it or choose "
				   "another path",
				   path, strerror(e));
	}
	/* Ours now: emptied here, so a longer pid left by a crashed helper
	 * cannot keep its tail, and pidfile_write(), which runs in the
	 * sandbox, needs only write() (cli/vmnet-helper/sandbox.h). */
	if (ftruncate(p->file.fd, 0) < 0) {
		r = -errno;
		pidfile_remove(p);
		return errmsg_fail(err, errlen, r,
				   "--pidfile '%s': cannot empty it: %s", path,
				   strerror(-r));
	}
	return 0;
}

int pidfile_write(struct pidfile *p, pid_t pid, char *err, size_t errlen)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)pid);

	/* Emptied by pidfile_lock() and nothing written since, so the
	 * offset is 0 (holder_pid() reads with pread(), which leaves it).
	 * One call; a reader that catches it half-way sees a prefix of the
	 * digits or nothing. */
	if (write(p->file.fd, buf, (size_t)n) != n)
		return errmsg_fail(err, errlen, -errno,
				   "--pidfile '%s': cannot write the pid: %s",
				   p->file.path, strerror(errno));
	return 0;
}

void pidfile_remove(struct pidfile *p)
{
	/* Unlinked before the close releases the lock, so a helper that
	 * starts meanwhile never locks a file that is about to go. */
	owned_file_remove(&p->file);
}
