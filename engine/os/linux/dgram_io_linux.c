/* SPDX-License-Identifier: Apache-2.0 */
/* dgram_io_linux.c - batch datagram I/O with recvmmsg/sendmmsg on Linux. */
#include "dgram_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

/*
 * How it works
 *
 * Every array a call needs is allocated by dgram_io_create(), once. Each
 * message header points at its own iovec (one buffer per datagram) and, on
 * the receive side with want_source, at its own address slot. A call only
 * points the iovecs at the caller's buffers and resets the fields the kernel
 * writes back, so nothing is allocated per call.
 *
 * The receive and send sides have separate arrays, so one thread may
 * receive while another sends through the same object, which is how the two
 * workers share the VM's socket.
 *
 * What the kernel does (observed on Linux 6.18, see
 * tests/unit/test_dgram_io.c):
 *  - A full peer makes a nonblocking send fail with EAGAIN, never ENOBUFS
 *    as on macOS. On a socketpair the limit is the sender's SO_SNDBUF in
 *    bytes, skb overhead included (93 frames of 1514 bytes with the default
 *    208 KiB); towards a bound socket that is not connected back it is
 *    net.unix.max_dgram_qlen + 1 datagrams (11 by default). Unlike macOS,
 *    POLLOUT does come back as the peer drains (below a quarter of
 *    SO_SNDBUF, or below the queue limit), so the sender can wait for it.
 *  - After the peer closes, datagrams it queued before closing can still be
 *    received, then receive returns EAGAIN for ever: a datagram socket has
 *    no end-of-file and no error is latched. Only send notices: the first
 *    fails with ECONNREFUSED (and discards what is still queued for us),
 *    later ones with ENOTCONN.
 *  - A datagram longer than the sender's SO_SNDBUF - 32 fails with
 *    EMSGSIZE. The default SO_SNDBUF (208 KiB) carries a 65550-byte TSO
 *    frame.
 */

struct dgram_io {
	int fd;
	unsigned max_batch;
	unsigned last_count; /* datagrams of the last dgram_io_recv() */
	struct mmsghdr *rx_msgs;
	struct iovec *rx_iovs;
	struct sockaddr_un *rx_addrs; /* NULL unless want_source */
	struct mmsghdr *tx_msgs;
	struct iovec *tx_iovs;
};

/* SO_*BUFFORCE needs CAP_NET_ADMIN and ignores the sysctl caps; without
 * it, the plain option caps silently. */
static int set_buf(int fd, int force_opt, int opt, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) == 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes)) == 0)
		return 0;
	return -errno;
}

int dgram_io_size_buffers(int fd, int rcvbuf)
{
	int r = set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, rcvbuf);
	int r2 = set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, rcvbuf);

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
		io->rx_msgs[i].msg_hdr.msg_iov = &io->rx_iovs[i];
		io->rx_msgs[i].msg_hdr.msg_iovlen = 1;
		if (io->rx_addrs)
			io->rx_msgs[i].msg_hdr.msg_name = &io->rx_addrs[i];
		/* Sends go to the connected peer: no address. */
		io->tx_msgs[i].msg_hdr.msg_iov = &io->tx_iovs[i];
		io->tx_msgs[i].msg_hdr.msg_iovlen = 1;
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
	int got;

	io->last_count = 0;
	if (n == 0 || n > io->max_batch)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		struct msghdr *h = &io->rx_msgs[i].msg_hdr;

		io->rx_iovs[i].iov_base = pkts[i]->data;
		io->rx_iovs[i].iov_len = cap;
		/* The kernel overwrites the length with the sender's. */
		if (io->rx_addrs)
			h->msg_namelen = sizeof(io->rx_addrs[i]);
		h->msg_flags = 0;
	}
	do
		got = recvmmsg(io->fd, io->rx_msgs, n, MSG_DONTWAIT, NULL);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	/* Not seen on Linux for a datagram socket, but a receive that
	 * returns nothing without an error means no more will come. */
	if (got == 0)
		return -ECONNRESET;
	for (int i = 0; i < got; i++) {
		const struct mmsghdr *m = &io->rx_msgs[i];

		/* msg_len is what was copied, so it never exceeds cap; the
		 * clamp keeps that true whatever the kernel reports. */
		pkts[i]->len = m->msg_len < cap ? m->msg_len : cap;
		pkts[i]->flags =
		    (m->msg_hdr.msg_flags & MSG_TRUNC) ? PKT_F_TRUNCATED : 0;
	}
	io->last_count = (unsigned)got;
	return got;
}

const struct sockaddr_un *dgram_io_source(const struct dgram_io *io, unsigned i,
					  socklen_t *len)
{
	if (!io->rx_addrs || i >= io->last_count) {
		*len = 0;
		return NULL;
	}
	/* An unbound sender has no address: Linux reports length 0. */
	*len = io->rx_msgs[i].msg_hdr.msg_namelen;
	return &io->rx_addrs[i];
}

int dgram_io_send(struct dgram_io *io, struct pkt *const *pkts, unsigned n)
{
	int sent;

	if (n == 0 || n > io->max_batch)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		/* The kernel takes each datagram's length from its iovec. */
		io->tx_iovs[i].iov_base = pkts[i]->data;
		io->tx_iovs[i].iov_len = pkts[i]->len;
	}
	/* MSG_NOSIGNAL: a vanished peer must be an error, not a SIGPIPE. */
	do
		sent = sendmmsg(io->fd, io->tx_msgs, n,
				MSG_DONTWAIT | MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	if (sent < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return sent;
}
