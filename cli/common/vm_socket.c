/* SPDX-License-Identifier: Apache-2.0 */
/* vm_socket.c - check an inherited --fd, or bind --socket PATH and wait for
 * the VM's first datagram or, with stream framing, its connection. */
#include "vm_socket.h"

#include "dgram_io.h"
#include "errmsg.h"
#include "log.h"
#include "owned_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * What is at --socket PATH may be replaced only if it is a socket: a stale
 * one left by a helper that died (whoever made it no longer holds the
 * lock, so nobody serves it). Anything else is somebody's file, and a
 * symbolic link is never followed. Checked before the host interface
 * starts (vm_socket_lock()) and again right before binding. Return: 0
 * (absent or a socket: *is_socket says which) or a negative errno.
 */
static int check_socket_path(const char *path, bool *is_socket, char *err,
			     size_t errlen)
{
	struct stat st;

	*is_socket = false;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return errmsg_fail(err, errlen, -errno, "--socket '%s': %s",
				   path, strerror(errno));
	}
	if (S_ISSOCK(st.st_mode)) {
		*is_socket = true;
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return errmsg_fail(err, errlen, -EISDIR,
				   "--socket '%s': is a directory; pass the "
				   "path of the socket to create, e.g. "
				   "--socket '%s/vm.sock'",
				   path, path);
	return errmsg_fail(err, errlen, -EEXIST,
			   "--socket '%s': exists and is %s, not a stale "
			   "socket; the helper replaces only a socket and "
			   "never follows a link: remove it or choose "
			   "another path",
			   path, owned_file_kind(st.st_mode));
}

int vm_socket_check_fd(const char *opt, int fd, bool stream, char *err,
		       size_t errlen)
{
	const char *hint =
	    stream ? "pass one end of a socketpair(AF_UNIX, SOCK_STREAM), or a "
		     "connected unix stream socket"
		   : "pass one end of a socketpair(AF_UNIX, SOCK_DGRAM)";
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct stat st;
	int type;

	if (fcntl(fd, F_GETFD) < 0 || fstat(fd, &st) < 0)
		return errmsg_fail(
		    err, errlen, -EBADF,
		    "--%s %d: not an open file descriptor; %s and "
		    "keep it open across exec",
		    opt, fd, hint);
	if (!S_ISSOCK(st.st_mode))
		return errmsg_fail(err, errlen, -ENOTSOCK,
				   "--%s %d: not a socket (it is %s); %s", opt,
				   fd, owned_file_kind(st.st_mode), hint);
	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return errmsg_fail(err, errlen, -errno, "--%s %d: SO_TYPE: %s",
				   opt, fd, strerror(errno));
	if (stream && type != SOCK_STREAM)
		return errmsg_fail(
		    err, errlen, -EPROTOTYPE,
		    "--%s %d: a %s socket, but --stream frames a byte "
		    "stream; %s, or drop --stream",
		    opt, fd, type == SOCK_DGRAM ? "datagram" : "non-stream",
		    hint);
	if (!stream && type != SOCK_DGRAM)
		return errmsg_fail(
		    err, errlen, -EPROTOTYPE,
		    "--%s %d: a %s socket, but frames travel one per "
		    "datagram; %s%s",
		    opt, fd,
		    type == SOCK_STREAM	     ? "stream"
		    : type == SOCK_SEQPACKET ? "seqpacket"
					     : "non-datagram",
		    hint,
		    type == SOCK_STREAM && strcmp(opt, "fd") == 0
			? ", or add --stream for frames after a 4-byte length"
			: "");
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return errmsg_fail(err, errlen, -errno,
				   "--%s %d: getsockname: %s", opt, fd,
				   strerror(errno));
	if (ss.ss_family != AF_UNIX)
		return errmsg_fail(err, errlen, -EAFNOSUPPORT,
				   "--%s %d: a %s socket of address family %d, "
				   "not AF_UNIX; %s",
				   opt, fd, stream ? "stream" : "datagram",
				   ss.ss_family, hint);
	return 0;
}

int vm_socket_set_buffers(int fd, bool tso)
{
	return dgram_io_size_buffers(fd, tso ? VM_SOCKET_RCVBUF_TSO
					     : VM_SOCKET_RCVBUF);
}

/* Replace a stale socket at the path (nothing else: check_socket_path())
 * and bind a new socket there, 0600. */
static int bind_path(struct vm_socket *s, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	bool stale;
	int r = check_socket_path(s->path, &stale, err, errlen);

	if (r)
		return r;
	if (stale && unlink(s->path) < 0 && errno != ENOENT)
		return errmsg_fail(err, errlen, -errno,
				   "--socket: cannot remove stale '%s': %s",
				   s->path, strerror(errno));

	s->fd = socket(AF_UNIX, s->stream ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (s->fd < 0)
		return errmsg_fail(err, errlen, -errno, "socket(AF_UNIX): %s",
				   strerror(errno));
	fcntl(s->fd, F_SETFD, FD_CLOEXEC);
	/* A listener's buffers are not its connections': those are sized
	 * when accepted. */
	if (!s->stream)
		vm_socket_set_buffers(s->fd, s->tso);
	memcpy(addr.sun_path, s->path, strlen(s->path) + 1);
	/* The umask makes bind() create the socket 0600 from the start;
	 * chmod() afterwards would leave a window where others could
	 * connect. */
	mode_t old = umask(0177);
	r = bind(s->fd, (struct sockaddr *)&addr, sizeof(addr));
	int e = errno;
	umask(old);
	if (r < 0)
		return errmsg_fail(err, errlen, -e,
				   "--socket: cannot bind '%s': %s", s->path,
				   strerror(e));
	/* Remembered so that exit removes this socket and nothing that may
	 * have been put at the path since. */
	if (lstat(s->path, &s->bound_st) < 0)
		return errmsg_fail(err, errlen, -errno,
				   "--socket: '%s' vanished after bind: %s",
				   s->path, strerror(errno));
	s->bound = true;
	/* Nonblocking, so that accept() after a wake-up whose connection
	 * went away again cannot block the helper. */
	if (s->stream &&
	    (fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK) < 0 ||
	     listen(s->fd, 1) < 0))
		return errmsg_fail(err, errlen, -errno,
				   "--socket: cannot listen on '%s': %s",
				   s->path, strerror(errno));
	return 0;
}

/* The directory @path is in, in @dir (room for a sun_path). */
static void dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/*
 * Whoever may write the socket's directory may remove the socket and bind
 * their own in its place, between the VM's starts or before the first, and
 * read every frame the VM sends; the sticky bit (/tmp has it) limits
 * removing and renaming to a file's owner. So a directory that others may
 * write, and that has no sticky bit, is refused. The directory itself is
 * followed if it is a link (/tmp is one on macOS): its final target is
 * what is judged.
 */
static int check_socket_dir(const char *path, const char *dir,
			    const struct stat *st, char *err, size_t errlen)
{
	mode_t mode = st->st_mode & 07777;

	if (!(mode & (S_IWGRP | S_IWOTH)) || (mode & S_ISVTX))
		return 0;
	return errmsg_fail(
	    err, errlen, -EPERM,
	    "--socket '%s': its directory '%s' (mode %04o) may be written "
	    "by %s and has no sticky bit, so they could replace the socket "
	    "and take the VM's frames; choose a directory only you can "
	    "write (chmod go-w '%s'), or one with the sticky bit, as /tmp",
	    path, dir, (unsigned)mode,
	    (mode & S_IWOTH) ? "every user" : "its group", dir);
}

int vm_socket_lock(struct vm_socket *s, uid_t uid, gid_t gid, char *err,
		   size_t errlen)
{
	const size_t room = sizeof(((struct sockaddr_un *)0)->sun_path);
	bool stale;
	int r;

	s->lock.fd = s->fd = s->conn_fd = -1;
	if (strlen(s->path) >= room)
		return errmsg_fail(err, errlen, -ENAMETOOLONG,
				   "--socket '%s': longer than %zu bytes",
				   s->path, room - 1);
	r = check_socket_path(s->path, &stale, err, errlen);
	if (r)
		return r;
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat dst;
	dir_of(s->path, dir, sizeof(dir));
	if (stat(dir, &dst) < 0)
		return errmsg_fail(err, errlen, -errno,
				   "--socket '%s': its directory '%s': %s",
				   s->path, dir, strerror(errno));
	if (!S_ISDIR(dst.st_mode))
		return errmsg_fail(err, errlen, -ENOTDIR,
				   "--socket '%s': '%s' is not a directory",
				   s->path, dir);
	r = check_socket_dir(s->path, dir, &dst, err, errlen);
	if (r)
		return r;
	/* Asked while still root: a directory the user cannot write would
	 * otherwise fail at bind() after the drop, leaving the lock file. */
	if (uid != (uid_t)-1 && !owned_file_dir_writable_by(s->path, uid, gid))
		return errmsg_fail(
		    err, errlen, -EACCES,
		    "--socket '%s': uid %u, whom the helper runs "
		    "as once root is dropped, cannot create "
		    "files in its directory; choose one they "
		    "can write",
		    s->path, (unsigned)uid);
	snprintf(s->lock_path, sizeof(s->lock_path), "%s.lock", s->path);
	/* Taken before privileges are dropped: a file this call makes goes
	 * to whoever the helper runs as next, so that one removes it at exit
	 * and a file left by a crash does not lock out an unprivileged
	 * helper (owned_file.h says what else is refused). */
	r = owned_file_open(&s->lock, s->lock_path, "--socket", false, uid, gid,
			    err, errlen);
	if (r)
		return r;
	if (flock(s->lock.fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(s->lock.fd);
		s->lock.fd = -1;
		memset(&s->lock.st, 0, sizeof(s->lock.st));
		return errmsg_fail(
		    err, errlen, -e,
		    "--socket '%s' is in use: another helper holds "
		    "'%s' (%s); stop it or choose another path",
		    s->path, s->lock_path, strerror(e));
	}
	return 0;
}

int vm_socket_bind(struct vm_socket *s, bool tso, char *err, size_t errlen)
{
	if (s->lock.fd < 0)
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

/* Take the next datagram off the socket, unread: the accept path decided
 * it cannot be forwarded. The result is ignored: it is gone either way. */
static void discard_one(int fd)
{
	char drop;

	(void)!recv(fd, &drop, 1, MSG_DONTWAIT);
}

/* Stream: take the first connection and stop listening. */
static int try_accept_stream(struct vm_socket *s, char *err, size_t errlen)
{
	for (;;) {
		int fd = accept(s->fd, NULL, NULL);

		if (fd < 0) {
			int e = errno;

			if (e == EINTR || e == ECONNABORTED)
				continue; /* the next one, if any */
			if (e == EAGAIN || e == EWOULDBLOCK)
				return 1;
			return errmsg_fail(err, errlen, -e,
					   "--socket '%s': accept: %s", s->path,
					   strerror(e));
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		int r = vm_socket_set_buffers(fd, s->tso);
		if (r)
			log_warn("[main] --socket '%s': cannot size the "
				 "client's socket buffers: %s",
				 s->path, strerror(-r));
		/* While this client is served, nobody else may connect:
		 * without a listener the kernel refuses them at once. The
		 * path stays bound (s->bound), and is ours to remove. */
		close(s->fd);
		s->fd = -1;
		s->conn_fd = fd;
		return 0;
	}
}

int vm_socket_try_accept(struct vm_socket *s, char *err, size_t errlen)
{
	const size_t path_off = offsetof(struct sockaddr_un, sun_path);

	if (s->stream)
		return try_accept_stream(s, err, errlen);
	for (;;) {
		struct sockaddr_un from;
		socklen_t fromlen = 0;
		bool vfkt = false;

		int r = peek_first(s->fd, &from, &fromlen, &vfkt);
		if (r == -EAGAIN)
			return 1;
		if (r == -EINTR)
			continue;
		if (r < 0)
			return errmsg_fail(err, errlen, r,
					   "--socket '%s': recv: %s", s->path,
					   strerror(-r));
		/* An unbound sender has no address to answer: drop it. */
		if (fromlen <= path_off || from.sun_path[0] == '\0') {
			discard_one(s->fd);
			s->accept_drops.unanswerable++;
			continue;
		}
		if (vfkt) {
			discard_one(s->fd);
			s->accept_drops.vfkt++;
		}
		int n = (int)(fromlen - path_off);
		if (connect(s->fd, (struct sockaddr *)&from, fromlen) < 0) {
			/*
			 * The client is gone (ENOENT: its path was removed;
			 * ECONNREFUSED: nothing bound there any more), is
			 * connected to someone else (EPERM on Linux), or its
			 * path is out of reach of the user the helper runs
			 * as (EACCES). Its fault, not the helper's: drop what
			 * it sent, say so once per sender, and keep waiting
			 * for one that can be answered.
			 */
			int e = errno;

			if (!vfkt) { /* a hello was counted already */
				discard_one(s->fd);
				s->accept_drops.unanswerable++;
			}
			if (fromlen != s->gone_len ||
			    memcmp(&from, &s->gone, fromlen) != 0)
				log_warn("[main] --socket '%s': cannot answer "
					 "client '%.*s' (%s): dropped what it "
					 "sent; waiting for the next client",
					 s->path, n, from.sun_path,
					 strerror(e));
			s->gone = from;
			s->gone_len = fromlen;
			continue;
		}
		s->client = from;
		s->client_len = fromlen;
		s->gone_len = 0;
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
	/* The socket path and the lock file, each only while the path
	 * still names what this helper made there. */
	if (s->bound) {
		struct owned_file sock = {
		    .path = s->path, .fd = -1, .st = s->bound_st};

		owned_file_remove(&sock);
	}
	if (s->fd >= 0)
		close(s->fd);
	if (s->conn_fd >= 0)
		close(s->conn_fd);
	s->conn_fd = -1;
	owned_file_remove(&s->lock);
	s->fd = -1;
	s->bound = false;
}
