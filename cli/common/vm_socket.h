/* SPDX-License-Identifier: Apache-2.0 */
/* vm_socket.h - the VM's end of the cable: check an inherited --fd, or
 * bind --socket PATH and wait for the VM: its first datagram, or with
 * stream framing its connection. */
#ifndef VMNET_HELPER_VM_SOCKET_H
#define VMNET_HELPER_VM_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include "owned_file.h"

/* Bytes of datagrams that may queue each way, as vmnet-helper sizes its
 * receive buffer (8 MiB with TSO keeps ~2 ms of fill); how each kernel
 * needs the send buffer sized for that is dgram_io_size_buffers()'s job. */
#define VM_SOCKET_RCVBUF     (4 * 1024 * 1024)
#define VM_SOCKET_RCVBUF_TSO (8 * 1024 * 1024)

/**
 * vm_socket_check_fd() - check that @fd is an open unix socket of the
 * expected type
 * @opt:	the option that named it, for the messages: "fd" (the VM's
 *		socket) or "host-fd" (the host side, always datagrams)
 * @fd:		its value
 * @stream:	a connected stream socket is expected (frames after their
 *		4-byte length), else a datagram socket
 * @err:	on failure, what it is instead and what to pass
 * @errlen:	room in @err
 *
 * Return: 0, or -EBADF (not open), -ENOTSOCK (another kind of file),
 * -EPROTOTYPE (a socket of another type), -EAFNOSUPPORT (not AF_UNIX).
 */
int vm_socket_check_fd(const char *opt, int fd, bool stream, char *err,
		       size_t errlen);

struct vm_socket {
	const char *path;
	/* Set by the caller: listen for stream clients (each frame after
	 * its 4-byte length) instead of taking datagrams. */
	bool stream;
	char lock_path[512];
	struct owned_file lock; /* PATH.lock, held for the process's life */
	int fd;
	bool bound;	      /* path exists and is ours to remove */
	struct stat bound_st; /* the socket bound at path, likewise */
	bool tso;	      /* buffers sized for 64 KiB frames */
	/* The client being served, set by vm_socket_try_accept(): for
	 * datagrams its address; for a stream its connection, the caller's
	 * to take (and set to -1). */
	struct sockaddr_un client;
	socklen_t client_len;
	int conn_fd;
	/* The last sender it could not answer, so each is logged once. */
	struct sockaddr_un gone;
	socklen_t gone_len;
	/* Datagrams vm_socket_try_accept() took off the socket itself, so
	 * the engine never saw them: the caller adds them to its counters,
	 * which must account for every frame a VM sent. */
	struct {
		uint64_t vfkt;	       /* vfkit's hello */
		uint64_t unanswerable; /* unbound sender, or gone before the
					  helper connected back */
	} accept_drops;
};

/**
 * vm_socket_lock() - take PATH.lock, exclusively, for the process's life
 * @s:		path set by the caller, the rest zeroed
 * @uid:	owner to give the lock file to (the user the helper drops
 *		to), or (uid_t)-1 to leave it
 * @gid:	its group
 * @err:	on failure, one line naming the path and the cause
 * @errlen:	room in @err
 *
 * Taken before the host interface starts, so a second helper on the same
 * path fails at once, with nothing started, instead of stealing the
 * socket.
 *
 * Return: 0 or a negative errno (-EWOULDBLOCK: another helper holds it).
 */
int vm_socket_lock(struct vm_socket *s, uid_t uid, gid_t gid, char *err,
		   size_t errlen);

/**
 * vm_socket_bind() - remove a stale PATH and bind a socket there, 0600
 * @s:		socket locked by vm_socket_lock()
 * @tso:	size the buffers for 64 KiB frames
 * @err:	on failure, one line naming the path and the cause
 * @errlen:	room in @err
 *
 * Called after privileges are dropped, so the socket file belongs to the
 * user who runs the VM. A stream socket listens, for one client at a
 * time.
 *
 * Return: 0 or a negative errno.
 */
int vm_socket_bind(struct vm_socket *s, bool tso, char *err, size_t errlen);

/**
 * vm_socket_try_accept() - take the next client, if one has come; never
 * blocks
 * @s:		bound socket
 * @err:	on failure, one line
 * @errlen:	room in @err
 *
 * Datagrams: connect to the sender of the first datagram. A first
 * datagram that is exactly vfkit's "VFKT" hello is consumed; any other
 * first datagram stays queued for the engine. A sender that cannot be
 * answered (unbound, gone before the helper connects back, connected
 * elsewhere) is logged once, its datagram dropped, and waiting goes on.
 * Every datagram taken here is counted in s->accept_drops.
 *
 * Stream: accept the first connection into s->conn_fd, its buffers sized,
 * and close the listening socket, so that while it is served others are
 * refused at once (ECONNREFUSED) rather than left waiting in the backlog;
 * vm_socket_rebind() listens again.
 *
 * Call it again whenever the socket becomes readable.
 *
 * Return: 0 when a client is taken, 1 when none has come yet, or a
 * negative errno.
 */
int vm_socket_try_accept(struct vm_socket *s, char *err, size_t errlen);

/**
 * vm_socket_rebind() - forget the client: a fresh socket on the same path,
 * ready for vm_socket_try_accept() again (for a stream, listening again)
 * @s:		socket from vm_socket_bind(); the lock stays held
 * @err:	on failure, one line naming the path and the cause
 * @errlen:	room in @err
 *
 * A new socket rather than a disconnect: macOS has no portable way to undo
 * connect() on a datagram socket, and the old one may still hold the old
 * client's last datagrams.
 *
 * Return: 0 or a negative errno.
 */
int vm_socket_rebind(struct vm_socket *s, char *err, size_t errlen);

/**
 * vm_socket_close() - close, remove the socket path and the lock file
 * @s:	socket from vm_socket_bind(), possibly failed half-way
 */
void vm_socket_close(struct vm_socket *s);

/**
 * vm_socket_set_buffers() - size an inherited or bound socket's buffers
 * @fd:		socket
 * @tso:	64 KiB frames
 *
 * Both ends of the cable get the same sizes (dgram_io_size_buffers() says
 * what each kernel needs). Failures are not fatal (the kernel may cap the
 * sizes); they are returned so the caller can warn.
 *
 * Return: 0 or a negative errno.
 */
int vm_socket_set_buffers(int fd, bool tso);

#endif
