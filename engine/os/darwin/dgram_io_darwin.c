/* SPDX-License-Identifier: Apache-2.0 */
/* dgram_io_darwin.c - batch datagram I/O with the private recvmsg_x and
 * sendmsg_x system calls on macOS. */
#include "dgram_io.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysctl.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "log.h"
#include "xnu.h"

/*
 * How it works
 *
 * recvmsg_x and sendmsg_x move many datagrams per system call, like Linux's
 * recvmmsg and sendmmsg: up to kern.ipc.maxrecvmsgx / maxsendmsgx, 100 on
 * macOS 12 and 13 and 256 from 14 (somaxrecvmsgx in bsd/kern/
 * uipc_syscalls.c), clamped by the kernel. Every array a call needs is
 * allocated by dgram_io_create(), once; a call only points the iovecs at
 * the caller's buffers and resets the fields the kernel reads or writes
 * back. The receive and send sides have separate arrays, so one thread may
 * receive while another sends through the same object.
 *
 * What the kernel does (XNU bsd/kern/uipc_syscalls.c; the tags are the
 * XNU versions read: xnu-8019 = macOS 12, 8796 = 13, 10002 = 14.0, 10063 =
 * 14.4, 11417 = 15.4; not run here). The decisions taken on these answers
 * are in xnu.c, tested on Linux.
 *  - recvmsg_x takes only MSG_DONTWAIT (14+; 12/13 a few more flags), and
 *    on 12/13 fails with EINVAL unless every msg_flags is 0 on entry, so
 *    they are zeroed before each call. 12/13 receive one datagram at a
 *    time, set MSG_TRUNC in a cut datagram's msg_flags and stop after it;
 *    14+ use soreceive_m_list(), never set MSG_TRUNC in the msghdr_x (only
 *    in a flags word of their own) and go on after it. msg_datalen is the
 *    bytes copied on all of them. So each message gets a second iovec of one
 *    scratch byte: a datagram longer than the buffer then copies one byte
 *    more than the buffer holds, and xnu_recv_frame() flags it.
 *  - sendmsg_x takes each length from the iovec, so iov_len is set to the
 *    frame length. On 14+ a connected datagram socket sends the batch as one
 *    list (sendit_x) and stops before the first datagram refused, returning
 *    the count so far; 12/13 send one at a time and do the same, except
 *    that an EMSGSIZE after some were sent comes back as -1/EMSGSIZE: see
 *    xnu_sendmsg_x_emsgsize().
 *  - A full peer fails the send with ENOBUFS, and no kqueue event says when
 *    it drains: EVFILT_WRITE follows our own send buffer, not the peer's
 *    receive buffer.
 *  - A datagram larger than SO_SNDBUF fails with EMSGSIZE. The default for
 *    unix datagrams is 2 KiB (net.local.dgram.maxdgram), so the caller must
 *    raise SO_SNDBUF and the peer's SO_RCVBUF for TSO frames.
 *  - A peer that closes leaves ECONNRESET in so_error and the socket no
 *    longer connected (bsd/kern/uipc_usrreq.c unp_drop()), with no wake-up:
 *    the next receive or send returns ECONNRESET once, later sends
 *    EDESTADDRREQ (reported as -ENOTCONN, xnu_send_errno()).
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
	int msg_flags;		  /* recv: 0 in; MSG_TRUNC out (12/13 only) */
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

/* Receive iovecs per message: the buffer, then one scratch byte. */
#define RX_IOVS 2

struct dgram_io {
	int fd;
	unsigned max_batch;
	unsigned last_count;	  /* datagrams of the last dgram_io_recv() */
	unsigned char rx_scratch; /* what a datagram has past cap lands here */
	struct msghdr_x *rx_msgs;
	struct iovec *rx_iovs;	      /* RX_IOVS per message */
	struct sockaddr_un *rx_addrs; /* NULL unless want_source */
	struct msghdr_x *tx_msgs;
	struct iovec *tx_iovs;
};

struct buf_opt {
	int fd;
	int opt;
};

static int set_buf(void *arg, int bytes)
{
	const struct buf_opt *b = arg;

	if (setsockopt(b->fd, SOL_SOCKET, b->opt, &bytes, sizeof(bytes)) < 0)
		return -errno;
	return 0;
}

/*
 * Set @opt to @want, or to the most the kernel takes: macOS before 14.4
 * refuses sizes above about 7.1 MiB with ENOBUFS instead of clamping them
 * (xnu_sockbuf_limit()), which would leave the 4 KiB default. Return: 0
 * or the negative errno of a size that could not be set at all.
 */
static int fit_buf(int fd, int opt, const char *name, int want,
		   uint64_t maxsockbuf)
{
	struct buf_opt b = {fd, opt};
	int got = xnu_sockbuf_fit(want, maxsockbuf, set_buf, &b);

	if (got < 0)
		return got;
	if (got < want)
		log_info(
		    "[dgram_io] %s of %d bytes refused (kern.ipc.maxsockbuf "
		    "%llu); using %d",
		    name, want, (unsigned long long)maxsockbuf, got);
	return 0;
}

int dgram_io_size_buffers(int fd, int rcvbuf)
{
	/* Caps one datagram: room for a 65550-byte TSO frame. */
	int snd = 65 * 1024;
	uint64_t maxsockbuf = 0;
	size_t len = sizeof(maxsockbuf);
	int r, r2;

	/* 0 (unknown) if unreadable: fit_buf() then only halves. */
	if (sysctlbyname("kern.ipc.maxsockbuf", &maxsockbuf, &len, NULL, 0) <
		0 ||
	    len != sizeof(maxsockbuf))
		maxsockbuf = 0;
	r = fit_buf(fd, SO_SNDBUF, "SO_SNDBUF", snd, maxsockbuf);
	r2 = fit_buf(fd, SO_RCVBUF, "SO_RCVBUF", rcvbuf, maxsockbuf);
	return r ? r : r2;
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
	io->rx_iovs = calloc((size_t)max_batch * RX_IOVS, sizeof(*io->rx_iovs));
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
		struct iovec *iov = &io->rx_iovs[i * RX_IOVS];

		iov[1].iov_base = &io->rx_scratch;
		iov[1].iov_len = 1;
		io->rx_msgs[i].msg_iov = iov;
		io->rx_msgs[i].msg_iovlen = RX_IOVS;
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

		io->rx_iovs[i * RX_IOVS].iov_base = pkts[i]->data;
		io->rx_iovs[i * RX_IOVS].iov_len = cap;
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
	/*
	 * No datagram and no error happens only on an empty queue with
	 * SS_CANTRCVMORE (soreceive_m_list(), xnu-10002+): the socket was
	 * shut down for reading and can receive no more. A peer that closes
	 * does not do that; it leaves ECONNRESET in so_error (see the top).
	 */
	if (got == 0)
		return -ECONNRESET;
	for (ssize_t i = 0; i < got; i++) {
		const struct msghdr_x *m = &io->rx_msgs[i];

		xnu_recv_frame(pkts[i], m->msg_datalen,
			       (m->msg_flags & MSG_TRUNC) != 0, cap);
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
	if (sent < 0 && errno == EMSGSIZE && n > 1) {
		/* macOS 12/13 may have sent some: count them by SO_SNDBUF. */
		int sndbuf = -1;
		socklen_t len = sizeof(sndbuf);

		if (getsockopt(io->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) <
		    0)
			sndbuf = -1;
		return xnu_sendmsg_x_emsgsize(pkts, n, sndbuf);
	}
	if (sent < 0)
		return xnu_send_errno(errno);
	return (int)sent;
}
