/* SPDX-License-Identifier: Apache-2.0 */
/* owned_file.c - open, replace and remove files in directories others may
 * write, without following, blocking on or giving away what is there (see
 * owned_file.h). */
#include "owned_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"

/* Never follow a link, never block on a FIFO, never get a terminal. */
#define SAFE_FLAGS (O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

const char *owned_file_kind(mode_t m)
{
	if (S_ISREG(m))
		return "a regular file";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a pipe";
	if (S_ISCHR(m))
		return "a character device (a terminal?)";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int open_failed(const char *what, const char *path, int e, char *err,
		       size_t errlen)
{
	/* O_NOFOLLOW's refusal is ELOOP; FreeBSD and some others say
	 * EMLINK. */
	if (e == ELOOP || e == EMLINK)
		return errmsg_fail(err, errlen, -ELOOP,
				   "%s: '%s' is a symbolic link; the helper "
				   "never follows one: remove it or choose "
				   "another path",
				   what, path);
	return errmsg_fail(err, errlen, -e, "%s: cannot open '%s': %s", what,
			   path, strerror(e));
}

/* What @fd, opened at @path, is must be a regular file; *st gets it. */
static int check_regular(int fd, const char *what, const char *path,
			 struct stat *st, char *err, size_t errlen)
{
	if (fstat(fd, st) < 0)
		return errmsg_fail(err, errlen, -errno,
				   "%s: cannot fstat '%s': %s", what, path,
				   strerror(errno));
	if (!S_ISREG(st->st_mode))
		return errmsg_fail(err, errlen, -EINVAL,
				   "%s: '%s' is %s, not a regular file; "
				   "remove it or choose another path",
				   what, path, owned_file_kind(st->st_mode));
	return 0;
}

int owned_file_open(struct owned_file *f, const char *path, const char *what,
		    bool writable, uid_t uid, gid_t gid, char *err,
		    size_t errlen)
{
	const int mode = (writable ? O_RDWR : O_RDONLY) | SAFE_FLAGS;
	int fd = -1, r;

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->fd = -1;
	/* The file may come and go between the two opens (another helper
	 * exiting): a few tries settle it. */
	for (int tries = 0; fd < 0 && tries < 3; tries++) {
		fd = open(path, mode | O_CREAT | O_EXCL, 0600);
		f->created = fd >= 0;
		if (fd < 0 && errno == EEXIST)
			fd = open(path, mode);
		if (fd < 0 && errno != ENOENT && errno != EEXIST)
			break;
	}
	if (fd < 0)
		return open_failed(what, path, errno, err, errlen);
	r = check_regular(fd, what, path, &f->st, err, errlen);
	if (r) {
		close(fd);
		memset(&f->st, 0, sizeof(f->st));
		return r;
	}
	f->fd = fd;
	/* Only a file this call made may go to another user: one that was
	 * there may be a hard link to anything. */
	if (f->created && uid != (uid_t)-1 && fchown(fd, uid, gid) < 0) {
		r = -errno;
		owned_file_remove(f);
		return errmsg_fail(err, errlen, r,
				   "%s: cannot give '%s' to uid %u: %s", what,
				   path, (unsigned)uid, strerror(-r));
	}
	return 0;
}

void owned_file_remove(struct owned_file *f)
{
	struct stat st;

	if (f->path && (f->st.st_ino || f->st.st_dev) &&
	    lstat(f->path, &st) == 0 && same_file(&st, &f->st))
		unlink(f->path);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	memset(&f->st, 0, sizeof(f->st));
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int owned_file_replace(struct owned_file *f, const char *path, const char *what,
		       const void *data, size_t len, char *err, size_t errlen)
{
	char tmp[4096];
	struct stat st;
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return errmsg_fail(err, errlen, -ENAMETOOLONG,
				   "%s '%s': path too long", what, path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | SAFE_FLAGS, 0644);
	if (fd < 0 && errno == EEXIST) {
		/* Left by a helper that died between open and rename. */
		unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | SAFE_FLAGS, 0644);
	}
	if (fd < 0)
		return open_failed(what, tmp, errno, err, errlen);
	r = write_all(fd, data, len);
	if (!r && fstat(fd, &st) < 0)
		r = -errno;
	close(fd);
	if (r) {
		unlink(tmp);
		return errmsg_fail(err, errlen, r, "%s: cannot write '%s': %s",
				   what, tmp, strerror(-r));
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		return errmsg_fail(err, errlen, r,
				   "%s: cannot rename '%s' to '%s': %s", what,
				   tmp, path, strerror(-r));
	}
	f->path = path;
	f->fd = -1;
	f->st = st;
	f->created = true;
	return 0;
}

bool owned_file_dir_writable_by(const char *path, uid_t uid, gid_t gid)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	struct stat st;
	mode_t need;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (stat(dir, &st) < 0)
		return true; /* let open() name the problem */
	if (st.st_uid == uid)
		need = S_IWUSR | S_IXUSR;
	else if (st.st_gid == gid)
		need = S_IWGRP | S_IXGRP;
	else
		need = S_IWOTH | S_IXOTH;
	return (st.st_mode & need) == need;
}
