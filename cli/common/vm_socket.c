/* SPDX-License-Identifier: Apache-2.0 */
/* vm_socket.c - check an inherited --fd, or bind --socket PATH and wait for
 * the VM's first datagram. */
#include "vm_socket.h"

#include "dgram_io.h"
#include "errmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char *file_kind(mode_t m)
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
	return "not a socket";
}

int vm_socket_check_fd(int fd, char *err, size_t errlen)
{
	static const char hint[] =
	    "pass one end of a socketpair(AF_UNIX, SOCK_DGRAM)";
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct stat st;
	int type;

	if (fcntl(fd, F_GETFD) < 0 || fstat(fd, &st) < 0)
		return errmsg_fail(
		    err, errlen, -EBADF,
		    "--fd %d: not an open file descriptor; %s and "
		    "keep it open across exec",
		    fd, hint);
	if (!S_ISSOCK(st.st_mode))
		return errmsg_fail(err, errlen, -ENOTSOCK,
				   "--fd %d: not a socket (it is %s); %s", fd,
				   file_kind(st.st_mode), hint);
	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return errmsg_fail(err, errlen, -errno, "--fd %d: SO_TYPE: %s",
				   fd, strerror(errno));
	if (type != SOCK_DGRAM)
		return errmsg_fail(
		    err, errlen, -EPROTOTYPE,
		    "--fd %d: a %s socket, but frames travel one per "
		    "datagram; %s",
		    fd,
		    type == SOCK_STREAM	     ? "stream"
		    : type == SOCK_SEQPACKET ? "seqpacket"
					     : "non-datagram",
		    hint);
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return errmsg_fail(err, errlen, -errno,
				   "--fd %d: getsockname: %s", fd,
				   strerror(errno));
	if (ss.ss_family != AF_UNIX)
		return errmsg_fail(
		    err, errlen, -EAFNOSUPPORT,
		    "--fd %d: a datagram socket of address family %d, "
		    "not AF_UNIX; %s",
		    fd, ss.ss_family, hint);
	return 0;
}

int vm_socket_set_buffers(int fd, bool tso)
{
	return dgram_io_size_buffers(fd, tso ? VM_SOCKET_RCVBUF_TSO
					     : VM_SOCKET_RCVBUF);
}

/* Remove whatever is at the path and bind a new socket there, 0600. */
static int bind_path(struct vm_socket *s, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	/* Safe: whoever made a stale socket here no longer holds the lock,
	 * so nobody is serving it. */
	if (unlink(s->path) < 0 && errno != ENOENT)
		return errmsg_fail(err, errlen, -errno,
				   "--socket: cannot remove stale '%s': %s",
				   s->path, strerror(errno));

	s->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (s->fd < 0)
		return errmsg_fail(err, errlen, -errno, "socket(AF_UNIX): %s",
				   strerror(errno));
	fcntl(s->fd, F_SETFD, FD_CLOEXEC);
	vm_socket_set_buffers(s->fd, s->tso);
	memcpy(addr.sun_path, s->path, strlen(s->path) + 1);
	/* The umask makes bind() create the socket 0600 from the start;
	 * chmod() afterwards would leave a window where others could
	 * connect. */
	mode_t old = umask(0177);
	int r = bind(s->fd, (struct sockaddr *)&addr, sizeof(addr));
	int e = errno;
	umask(old);
	if (r < 0)
		return errmsg_fail(err, errlen, -e,
				   "--socket: cannot bind '%s': %s", s->path,
				   strerror(e));
	s->bound = true;
	chmod(s->path, 0600);
	return 0;
}

/*
 * Whether @uid, with group @gid and no other (privdrop leaves exactly
 * that), may create and remove files in @path's directory, by its mode
 * bits. Asked while still root, so that a directory the user cannot write
 * fails before anything starts, not at bind() after the drop, which would
 * also leave the lock file behind. ACLs are not read; bind() still
 * catches what they forbid.
 */
static bool dir_writable_by(const char *path, uid_t uid, gid_t gid)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
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

int vm_socket_lock(struct vm_socket *s, uid_t uid, gid_t gid, char *err,
		   size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	s->lock_fd = s->fd = -1;
	if (strlen(s->path) >= sizeof(addr.sun_path))
		return errmsg_fail(err, errlen, -ENAMETOOLONG,
				   "--socket '%s': longer than %zu bytes",
				   s->path, sizeof(addr.sun_path) - 1);
	if (uid != (uid_t)-1 && !dir_writable_by(s->path, uid, gid))
		return errmsg_fail(
		    err, errlen, -EACCES,
		    "--socket '%s': uid %d, whom the helper runs "
		    "as once root is dropped, cannot create "
		    "files in its directory; choose one they "
		    "can write",
		    s->path, (int)uid);
	snprintf(s->lock_path, sizeof(s->lock_path), "%s.lock", s->path);
	s->lock_fd = open(s->lock_path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0)
		return errmsg_fail(err, errlen, -errno,
				   "--socket: cannot open '%s': %s",
				   s->lock_path, strerror(errno));
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(s->lock_fd);
		s->lock_fd = -1;
		return errmsg_fail(
		    err, errlen, -e,
		    "--socket '%s' is in use: another helper holds "
		    "'%s' (%s); stop it or choose another path",
		    s->path, s->lock_path, strerror(e));
	}
	/* Taken before privileges are dropped: give the file to whoever
	 * the helper runs as next, so that one removes it at exit, and a
	 * file left by a crash does not lock out an unprivileged helper. */
	if (uid != (uid_t)-1 && fchown(s->lock_fd, uid, gid) < 0)
		return errmsg_fail(err, errlen, -errno,
				   "--socket: cannot give '%s' to uid %d: %s",
				   s->lock_path, (int)uid, strerror(errno));
	return 0;
}

int vm_socket_bind(struct vm_socket *s, bool tso, char *err, size_t errlen)
{
	if (s->lock_fd < 0)
		return errmsg_fail(err, errlen, -EINVAL,
				   "--socket '%s': not locked", s->path);
	s->tso = tso;
	return bind_path(s, err, errlen);
}

/* Peek at the next datagram: its sender and whether it is the hello. */
static int peek_first(int fd, struct sockaddr_un *from, socklen_t *fromlen,
		      bool *is_vfkt)
{
	char buf[5];
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr msg = {
	    .msg_name = from,
	    .msg_namelen = sizeof(*from),
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	};
	ssize_t n = recvmsg(fd, &msg, MSG_PEEK | MSG_DONTWAIT);

	if (n < 0)
		return -errno;
	*fromlen = msg.msg_namelen;
	*is_vfkt = n == 4 && !(msg.msg_flags & MSG_TRUNC) &&
		   memcmp(buf, "VFKT", 4) == 0;
	return 0;
}

int vm_socket_try_accept(struct vm_socket *s, char *err, size_t errlen)
{
	const size_t path_off = offsetof(struct sockaddr_un, sun_path);

	for (;;) {
		struct sockaddr_un from;
		socklen_t fromlen = 0;
		bool vfkt = false;
		char drop;

		int r = peek_first(s->fd, &from, &fromlen, &vfkt);
		if (r == -EAGAIN)
			return 1;
		if (r == -EINTR)
			continue;
		if (r < 0)
			return errmsg_fail(err, errlen, r,
					   "--socket '%s': recv: %s", s->path,
					   strerror(-r));
		/* An unbound sender has no address to answer: drop it. The
		 * recv() results are ignored: the datagram is gone either
		 * way. */
		if (fromlen <= path_off || from.sun_path[0] == '\0') {
			(void)!recv(s->fd, &drop, 1, MSG_DONTWAIT);
			continue;
		}
		if (vfkt)
			(void)!recv(s->fd, &drop, 1, MSG_DONTWAIT);
		int n = (int)(fromlen - path_off);
		if (connect(s->fd, (struct sockaddr *)&from, fromlen) < 0)
			return errmsg_fail(
			    err, errlen, -errno,
			    "--socket '%s': cannot connect to client "
			    "'%.*s': %s",
			    s->path, n, from.sun_path, strerror(errno));
		s->client = from;
		s->client_len = fromlen;
		return 0;
	}
}

int vm_socket_rebind(struct vm_socket *s, char *err, size_t errlen)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->bound = false;
	memset(&s->client, 0, sizeof(s->client));
	s->client_len = 0;
	return bind_path(s, err, errlen);
}

void vm_socket_close(struct vm_socket *s)
{
	if (s->bound)
		unlink(s->path);
	if (s->fd >= 0)
		close(s->fd);
	if (s->lock_fd >= 0) {
		unlink(s->lock_path);
		close(s->lock_fd);
	}
	s->fd = s->lock_fd = -1;
	s->bound = false;
}
