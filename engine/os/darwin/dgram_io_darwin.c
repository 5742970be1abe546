/* SPDX-License-Identifier: Apache-2.0 */
/* dgram_io_darwin.c - batch datagram I/O with the private recvmsg_x and
 * sendmsg_x system calls on macOS. */
#include "dgram_io.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/*
 * How it works
 *
 * recvmsg_x and sendmsg_x move up to 256 datagrams per system call
 * (kern.ipc.somaxrecvmsgx / somaxsendmsgx), like Linux's recvmmsg and
 * sendmmsg. Every array a call needs is allocated by dgram_io_create(),
 * once; a call only points the iovecs at the caller's buffers and resets
 * the fields the kernel reads or writes back. The receive and send sides
 * have separate arrays, so one thread may receive while another sends
 * through the same object.
 *
 * What the kernel does (XNU bsd/kern/uipc_syscalls.c, not run here):
 *  - recvmsg_x accepts only MSG_DONTWAIT and fails with EINVAL unless every
 *    msg_flags is 0 on entry, so they are zeroed before each call. It stops
 *    after a truncated datagram, which carries MSG_TRUNC in its msg_flags,
 *    and puts each datagram's length in msg_datalen.
 *  - sendmsg_x takes each length from the iovec, so iov_len is set to the
 *    frame length. On a connected socket it sends the batch as one list and
 *    stops at the first datagram refused, returning the count so far.
 *  - A full peer fails the send with ENOBUFS, and no kqueue event says when
 *    it drains: EVFILT_WRITE follows our own send buffer, not the peer's
 *    receive buffer.
 *  - A datagram larger than SO_SNDBUF fails with EMSGSIZE. The default for
 *    unix datagrams is 2 KiB (net.local.dgram.maxdgram), so the caller must
 *    raise SO_SNDBUF and the peer's SO_RCVBUF for TSO frames.
 */

/*
 * recvmsg_x() and sendmsg_x() are private Darwin system calls: libSystem
 * exports them but no public header declares them, so we declare them here
 * as XNU's private socket header does. struct msghdr_x is struct msghdr
 * followed by msg_datalen, with the same names, types and order.
 */
struct msghdr_x {
	void *msg_name;		  /* address; NULL for sendmsg_x */
	socklen_t msg_namelen;	  /* in: room at msg_name; out: length */
	struct iovec *msg_iov;	  /* buffers of this datagram */
	int msg_iovlen;		  /* entries in msg_iov */
	void *msg_control;	  /* ancillary data; unused */
	socklen_t msg_controllen; /* ancillary data length; unused */
	int msg_flags;		  /* recv: 0 in; MSG_TRUNC etc. out */
	size_t msg_datalen;	  /* recv: bytes received; send: ignored */
};

/* Catch a misdeclaration at build time: same prefix as struct msghdr. */
_Static_assert(offsetof(struct msghdr_x, msg_flags) ==
		   offsetof(struct msghdr, msg_flags),
	       "struct msghdr_x must start like struct msghdr");
_Static_assert(offsetof(struct msghdr_x, msg_datalen) >= sizeof(struct msghdr),
	       "msg_datalen must follow the struct msghdr fields");

/* Apple declares @msgp const for both, although recvmsg_x writes through
 * it; our arrays are not const objects, so that is well defined. */
ssize_t recvmsg_x(int s, const struct msghdr_x *msgp, u_int cnt, int flags);
ssize_t sendmsg_x(int s, const struct msghdr_x *msgp, u_int cnt, int flags);

struct dgram_io {
	int fd;
	unsigned max_batch;
	unsigned last_count; /* datagrams of the last dgram_io_recv() */
	struct msghdr_x *rx_msgs;
	struct iovec *rx_iovs;
	struct sockaddr_un *rx_addrs; /* NULL unless want_source */
	struct msghdr_x *tx_msgs;
	struct iovec *tx_iovs;
};

int dgram_io_size_buffers(int fd, int rcvbuf)
{
	/* Caps one datagram: room for a 65550-byte TSO frame. */
	int snd = 65 * 1024;
	int r = 0;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd)) < 0)
		r = -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		r = -errno;
	return r;
}

int dgram_io_create(int fd, unsigned max_batch, int want_source,
		    struct dgram_io **iop)
{
	struct dgram_io *io;

	*iop = NULL;
	if (fd < 0 || max_batch == 0 || max_batch > DGRAM_IO_BATCH_MAX)
		return -EINVAL;
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->fd = fd;
	io->max_batch = max_batch;
	io->rx_msgs = calloc(max_batch, sizeof(*io->rx_msgs));
	io->rx_iovs = calloc(max_batch, sizeof(*io->rx_iovs));
	io->tx_msgs = calloc(max_batch, sizeof(*io->tx_msgs));
	io->tx_iovs = calloc(max_batch, sizeof(*io->tx_iovs));
	if (want_source)
		io->rx_addrs = calloc(max_batch, sizeof(*io->rx_addrs));
	if (!io->rx_msgs || !io->rx_iovs || !io->tx_msgs || !io->tx_iovs ||
	    (want_source && !io->rx_addrs)) {
		dgram_io_destroy(io);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < max_batch; i++) {
		io->rx_msgs[i].msg_iov = &io->rx_iovs[i];
		io->rx_msgs[i].msg_iovlen = 1;
		if (io->rx_addrs)
			io->rx_msgs[i].msg_name = &io->rx_addrs[i];
		/* sendmsg_x wants no address: the socket is connected. */
		io->tx_msgs[i].msg_iov = &io->tx_iovs[i];
		io->tx_msgs[i].msg_iovlen = 1;
	}
	*iop = io;
	return 0;
}

void dgram_io_destroy(struct dgram_io *io)
{
	if (!io)
		return;
	free(io->rx_msgs);
	free(io->rx_iovs);
	free(io->rx_addrs);
	free(io->tx_msgs);
	free(io->tx_iovs);
	free(io);
}

int dgram_io_recv(struct dgram_io *io, struct pkt **pkts, unsigned n,
		  uint32_t cap)
{
	ssize_t got;

	io->last_count = 0;
	if (n == 0 || n > io->max_batch)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		struct msghdr_x *m = &io->rx_msgs[i];

		io->rx_iovs[i].iov_base = pkts[i]->data;
		io->rx_iovs[i].iov_len = cap;
		/* The kernel overwrites the length with the sender's. */
		if (io->rx_addrs)
			m->msg_namelen = sizeof(io->rx_addrs[i]);
		m->msg_flags = 0; /* anything else is EINVAL */
		m->msg_datalen = 0;
	}
	do
		got = recvmsg_x(io->fd, io->rx_msgs, n, MSG_DONTWAIT);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	/* No datagram and no error: the socket can receive no more (XNU
	 * disconnects a datagram socket whose peer closed). */
	if (got == 0)
		return -ECONNRESET;
	for (ssize_t i = 0; i < got; i++) {
		const struct msghdr_x *m = &io->rx_msgs[i];

		/* msg_datalen counts what was copied; the clamp keeps len
		 * within the buffer whatever the kernel reports. */
		pkts[i]->len =
		    m->msg_datalen < cap ? (uint32_t)m->msg_datalen : cap;
		pkts[i]->flags =
		    (m->msg_flags & MSG_TRUNC) ? PKT_F_TRUNCATED : 0;
	}
	io->last_count = (unsigned)got;
	return (int)got;
}

const struct sockaddr_un *dgram_io_source(const struct dgram_io *io, unsigned i,
					  socklen_t *len)
{
	const struct sockaddr_un *sa;

	if (!io->rx_addrs || i >= io->last_count) {
		*len = 0;
		return NULL;
	}
	sa = &io->rx_addrs[i];
	*len = io->rx_msgs[i].msg_namelen;
	/* XNU may report an unbound sender as a bare AF_UNIX address with
	 * an empty path (its sun_noname), where Linux reports length 0;
	 * report 0 for both. */
	if (*len <= offsetof(struct sockaddr_un, sun_path) ||
	    sa->sun_path[0] == '\0')
		*len = 0;
	return sa;
}

int dgram_io_send(struct dgram_io *io, struct pkt *const *pkts, unsigned n)
{
	ssize_t sent;

	if (n == 0 || n > io->max_batch)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		/* The kernel takes each datagram's length from its iovec. */
		io->tx_iovs[i].iov_base = pkts[i]->data;
		io->tx_iovs[i].iov_len = pkts[i]->len;
		io->tx_msgs[i].msg_flags = 0;
	}
	do
		sent = sendmsg_x(io->fd, io->tx_msgs, n, MSG_DONTWAIT);
	while (sent < 0 && errno == EINTR);
	if (sent < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return (int)sent;
}
