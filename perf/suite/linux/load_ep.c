/* SPDX-License-Identifier: Apache-2.0 */
/* load_ep.c - the load tool's endpoints (see load_ep.h): unix datagram
 * and stream sockets, the TAP through AF_PACKET, and VDE through
 * libvdeplug. */
#include "load_ep.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <fcntl.h>

#if __has_include(<libvdeplug.h>)
#include <libvdeplug.h>
#define HAVE_VDEPLUG 1
#endif

#include "frame.h"

#define SOCK_BUF (4 << 20)
/* The kernel hands a block over at the latest this many ms after its first
 * frame, so the end of a run is never held longer. */
#define RING_RETIRE_MS 1

static void size_buffers(int fd)
{
	int v = SOCK_BUF;

	/* As root the FORCE variants pass net.core.[rw]mem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

static int rx_buffers(struct load_ep *e, size_t max_frame, unsigned batch)
{
	e->batch = batch;
	e->rx_cap = max_frame + 1; /* one more, so a longer frame shows */
	e->rx_bufs = malloc(e->rx_cap * batch);
	e->rx_msgs = calloc(batch, sizeof(*e->rx_msgs));
	e->rx_iov = calloc(batch, sizeof(*e->rx_iov));
	if (!e->rx_bufs || !e->rx_msgs || !e->rx_iov)
		return -ENOMEM;
	for (unsigned i = 0; i < batch; i++) {
		e->rx_iov[i].iov_base = e->rx_bufs + i * e->rx_cap;
		e->rx_iov[i].iov_len = e->rx_cap;
		e->rx_msgs[i].msg_hdr.msg_iov = &e->rx_iov[i];
		e->rx_msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

int load_ep_sock(struct load_ep *e, int fd, size_t max_frame, unsigned batch)
{
	memset(e, 0, sizeof(*e));
	e->kind = EP_SOCK;
	e->rx_fd = e->tx_fd = fd;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	size_buffers(fd);
	return rx_buffers(e, max_frame, batch);
}

#define STREAM_HDR 4

int load_ep_stream(struct load_ep *e, int fd, size_t max_frame, unsigned batch)
{
	memset(e, 0, sizeof(*e));
	e->kind = EP_STREAM;
	e->rx_fd = e->tx_fd = fd;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	size_buffers(fd);
	e->batch = batch;
	e->rx_cap = max_frame;
	/* One read takes up to a batch of whole records. */
	e->rx_bufs = malloc((size_t)batch * (STREAM_HDR + max_frame));
	e->tx_tail = malloc(STREAM_HDR + max_frame);
	e->tx_iov = calloc(2 * (size_t)batch, sizeof(*e->tx_iov));
	e->rx_msgs = calloc(batch, sizeof(*e->rx_msgs)); /* headers' room */
	if (!e->rx_bufs || !e->tx_tail || !e->tx_iov || !e->rx_msgs)
		return -ENOMEM;
	return 0;
}

/* Finish the record a short write left; 1 when done, 0 when the kernel
 * has no room yet. */
static int stream_flush_tail(struct load_ep *e)
{
	while (e->tx_tail_off < e->tx_tail_len) {
		ssize_t r = send(e->tx_fd, e->tx_tail + e->tx_tail_off,
				 e->tx_tail_len - e->tx_tail_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		e->tx_calls++;
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		e->tx_tail_off += (size_t)r;
	}
	e->tx_tail_len = e->tx_tail_off = 0;
	return 1;
}

static int stream_send(struct load_ep *e, struct mmsghdr *msgs, unsigned n)
{
	/* The lengths, in the room of the receive headers (unused here). */
	uint8_t(*hdr)[STREAM_HDR] = (void *)e->rx_msgs;
	struct msghdr m = {.msg_iov = e->tx_iov};
	ssize_t r;
	int f = stream_flush_tail(e);

	if (f <= 0)
		return f;
	if (n > e->batch)
		n = e->batch;
	m.msg_iovlen = 2 * (size_t)n;
	for (unsigned i = 0; i < n; i++) {
		struct iovec *v = msgs[i].msg_hdr.msg_iov;
		uint32_t len = (uint32_t)v->iov_len;

		hdr[i][0] = (uint8_t)(len >> 24);
		hdr[i][1] = (uint8_t)(len >> 16);
		hdr[i][2] = (uint8_t)(len >> 8);
		hdr[i][3] = (uint8_t)len;
		e->tx_iov[2 * i] = (struct iovec){hdr[i], STREAM_HDR};
		e->tx_iov[2 * i + 1] = *v;
	}
	e->tx_calls++;
	r = sendmsg(e->tx_fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r < 0)
		return errno == EAGAIN || errno == ENOBUFS || errno == EINTR
			   ? 0
			   : -errno;
	/* Whole records, then the one cut short, whose rest is kept. */
	size_t done = (size_t)r;
	unsigned sent = 0;
	while (sent < n && done >= e->tx_iov[2 * sent].iov_len +
				       e->tx_iov[2 * sent + 1].iov_len) {
		done -= e->tx_iov[2 * sent].iov_len +
			e->tx_iov[2 * sent + 1].iov_len;
		sent++;
	}
	if (sent < n && done > 0) {
		size_t h = e->tx_iov[2 * sent].iov_len;
		size_t len = e->tx_iov[2 * sent + 1].iov_len;

		memcpy(e->tx_tail, e->tx_iov[2 * sent].iov_base, h);
		memcpy(e->tx_tail + h, e->tx_iov[2 * sent + 1].iov_base, len);
		e->tx_tail_len = h + len;
		e->tx_tail_off = done;
		sent++;
	}
	return (int)sent;
}

static int stream_recv(struct load_ep *e, load_frame_fn fn, void *arg)
{
	size_t room = (size_t)e->batch * (STREAM_HDR + e->rx_cap);
	size_t off = 0;
	int frames = 0;
	ssize_t r;

	e->rx_calls++;
	r = read(e->rx_fd, e->rx_bufs + e->rx_len, room - e->rx_len);
	if (r == 0)
		return -ECONNRESET;
	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	e->rx_len += (size_t)r;
	while (e->rx_len - off >= STREAM_HDR) {
		const uint8_t *p = e->rx_bufs + off;
		size_t len = (size_t)p[0] << 24 | (size_t)p[1] << 16 |
			     (size_t)p[2] << 8 | p[3];

		if (len > e->rx_cap)
			return -EPROTO;
		if (e->rx_len - off < STREAM_HDR + len)
			break;
		fn(arg, p + STREAM_HDR, len, false);
		off += STREAM_HDR + len;
		frames++;
	}
	memmove(e->rx_bufs, e->rx_bufs + off, e->rx_len - off);
	e->rx_len -= off;
	return frames;
}

static size_t pow2_at_least(size_t v)
{
	size_t p = 4096;

	while (p < v)
		p *= 2;
	return p;
}

int load_ep_packet(struct load_ep *e, const char *ifname, size_t max_frame,
		   unsigned window, unsigned batch, char *err, size_t errlen)
{
	int ver = TPACKET_V3, on = 1, ifindex;
	size_t slot = TPACKET_ALIGN(TPACKET3_HDRLEN + max_frame);
	struct tpacket_req3 req;
	struct sockaddr_ll sll;
	const char *what;

	memset(e, 0, sizeof(*e));
	e->kind = EP_PACKET;
	e->batch = batch;
	e->rx_fd = e->tx_fd = -1;
	ifindex = (int)if_nametoindex(ifname);
	if (ifindex == 0) {
		snprintf(err, errlen, "no interface '%s' in this namespace",
			 ifname);
		return -ENODEV;
	}
	/* Receive: every protocol, incoming only (our own injected frames
	 * would otherwise come back), into a mapped ring. */
	e->rx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	what = "socket(AF_PACKET) (run as root)";
	if (e->rx_fd < 0)
		goto fail;
	what = "PACKET_VERSION TPACKET_V3";
	if (setsockopt(e->rx_fd, SOL_PACKET, PACKET_VERSION, &ver,
		       sizeof(ver)) < 0)
		goto fail;
	what = "PACKET_IGNORE_OUTGOING";
	if (setsockopt(e->rx_fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &on,
		       sizeof(on)) < 0)
		goto fail;
	e->block_size = pow2_at_least(8 * slot);
	e->nblocks =
	    (unsigned)((4 * (size_t)window * slot + e->block_size - 1) /
		       e->block_size);
	if (e->nblocks < 8)
		e->nblocks = 8;
	memset(&req, 0, sizeof(req));
	req.tp_block_size = (unsigned)e->block_size;
	req.tp_block_nr = e->nblocks;
	req.tp_frame_size = 2048; /* unused by V3 beyond this check */
	req.tp_frame_nr = (unsigned)(e->block_size / 2048) * e->nblocks;
	req.tp_retire_blk_tov = RING_RETIRE_MS;
	what = "PACKET_RX_RING";
	if (setsockopt(e->rx_fd, SOL_PACKET, PACKET_RX_RING, &req,
		       sizeof(req)) < 0)
		goto fail;
	e->ring_bytes = e->block_size * e->nblocks;
	e->ring = mmap(NULL, e->ring_bytes, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, e->rx_fd, 0);
	what = "mapping the ring";
	if (e->ring == MAP_FAILED) {
		e->ring = NULL;
		goto fail;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	what = "binding the receiving socket";
	if (bind(e->rx_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;

	/* Send: protocol 0, so this socket receives nothing, and past the
	 * qdisc, so each frame goes straight to the TAP's queue. */
	e->tx_fd =
	    socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	what = "socket(AF_PACKET) to send";
	if (e->tx_fd < 0)
		goto fail;
	what = "PACKET_QDISC_BYPASS";
	if (setsockopt(e->tx_fd, SOL_PACKET, PACKET_QDISC_BYPASS, &on,
		       sizeof(on)) < 0)
		goto fail;
	size_buffers(e->tx_fd);
	e->to = sll;
	e->to.sll_protocol = htons(FRAME_ETHERTYPE);
	e->to.sll_halen = ETH_ALEN;
	return 0;
fail : {
	int en = errno;

	snprintf(err, errlen, "%s on '%s': %s", what, ifname, strerror(en));
	load_ep_close(e);
	return -en;
}
}

int load_ep_vde(struct load_ep *e, const char *path, size_t max_frame,
		unsigned batch, char *err, size_t errlen)
{
	memset(e, 0, sizeof(*e));
	e->kind = EP_VDE;
	e->rx_fd = e->tx_fd = -1;
#ifdef HAVE_VDEPLUG
	struct vde_open_args args = {.port = 0, .group = NULL, .mode = 0700};
	VDECONN *c = vde_open((char *)path, (char *)"vmh-load", &args);

	if (!c) {
		int en = errno;

		snprintf(err, errlen, "vde_open('%s'): %s", path, strerror(en));
		return -(en ? en : EIO);
	}
	e->vde = c;
	e->rx_fd = e->tx_fd = vde_datafd(c);
	fcntl(e->rx_fd, F_SETFL, fcntl(e->rx_fd, F_GETFL) | O_NONBLOCK);
	size_buffers(e->rx_fd);
	return rx_buffers(e, max_frame, batch);
#else
	(void)max_frame;
	(void)batch;
	snprintf(err, errlen,
		 "VDE '%s': built without libvdeplug: install libvdeplug-dev "
		 "and rebuild",
		 path);
	return -ENOSYS;
#endif
}

void load_ep_prepare(struct load_ep *e, struct mmsghdr *msgs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (e->kind == EP_PACKET) {
			msgs[i].msg_hdr.msg_name = &e->to;
			msgs[i].msg_hdr.msg_namelen = sizeof(e->to);
		} else {
			msgs[i].msg_hdr.msg_name = NULL;
			msgs[i].msg_hdr.msg_namelen = 0;
		}
	}
}

int load_ep_send(struct load_ep *e, struct mmsghdr *msgs, unsigned n)
{
	int r;

	if (n == 0)
		return 0;
	if (e->kind == EP_VDE) {
#ifdef HAVE_VDEPLUG
		/* libvdeplug sends to the switch's address it keeps to
		 * itself: one call per frame, as every VDE client does. */
		unsigned i;

		for (i = 0; i < n; i++) {
			struct iovec *v = msgs[i].msg_hdr.msg_iov;

			e->tx_calls++;
			if (vde_send(e->vde, v->iov_base, v->iov_len,
				     MSG_DONTWAIT) < 0) {
				if (errno == EAGAIN || errno == ENOBUFS)
					break;
				return -errno;
			}
		}
		return (int)i;
#else
		return -ENOSYS;
#endif
	}
	if (e->kind == EP_STREAM)
		return stream_send(e, msgs, n);
	e->tx_calls++;
	r = sendmmsg(e->tx_fd, msgs, n, MSG_DONTWAIT);
	if (r < 0) {
		if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
			return 0;
		return -errno;
	}
	return r;
}

static int recv_sock(struct load_ep *e, load_frame_fn fn, void *arg)
{
	int n;

	e->rx_calls++;
	n = recvmmsg(e->rx_fd, e->rx_msgs, e->batch, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct mmsghdr *m = &e->rx_msgs[i];
		bool cut = (m->msg_hdr.msg_flags & MSG_TRUNC) ||
			   m->msg_len >= e->rx_cap;

		fn(arg, e->rx_iov[i].iov_base, m->msg_len, cut);
	}
	return n;
}

/* Blocks the kernel has handed over, in order from e->cur; each is given
 * back as soon as its frames are checked. The status word is the hand-off:
 * the kernel writes the block, then its status (with a barrier, see
 * prb_close_block() in net/packet/af_packet.c); we read the status with
 * acquire ordering before the frames, and give the block back with a
 * release store after them. */
static int recv_ring(struct load_ep *e, load_frame_fn fn, void *arg)
{
	int total = 0;

	for (unsigned b = 0; b < e->nblocks; b++) {
		struct tpacket_block_desc *bd =
		    (void *)(e->ring + (size_t)e->cur * e->block_size);
		_Atomic uint32_t *status =
		    (_Atomic uint32_t *)&bd->hdr.bh1.block_status;
		struct tpacket3_hdr *h;
		uint32_t n;

		if (!(atomic_load_explicit(status, memory_order_acquire) &
		      TP_STATUS_USER))
			break;
		n = bd->hdr.bh1.num_pkts;
		h = (void *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
		for (uint32_t i = 0; i < n; i++) {
			fn(arg, (uint8_t *)h + h->tp_mac, h->tp_snaplen,
			   h->tp_snaplen != h->tp_len);
			h = (void *)((uint8_t *)h + h->tp_next_offset);
		}
		total += (int)n;
		atomic_store_explicit(status, TP_STATUS_KERNEL,
				      memory_order_release);
		e->cur = (e->cur + 1) % e->nblocks;
	}
	return total;
}

int load_ep_recv(struct load_ep *e, load_frame_fn fn, void *arg)
{
	if (e->kind == EP_PACKET)
		return recv_ring(e, fn, arg);
	if (e->kind == EP_STREAM)
		return stream_recv(e, fn, arg);
	return recv_sock(e, fn, arg);
}

uint64_t load_ep_ring_drops(struct load_ep *e)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	if (e->kind != EP_PACKET || e->rx_fd < 0)
		return 0;
	if (getsockopt(e->rx_fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
		return 0;
	return st.tp_drops;
}

void load_ep_close(struct load_ep *e)
{
	if (e->ring)
		munmap(e->ring, e->ring_bytes);
#ifdef HAVE_VDEPLUG
	if (e->vde) {
		vde_close(e->vde);
		e->rx_fd = e->tx_fd = -1;
	}
#endif
	if (e->rx_fd >= 0)
		close(e->rx_fd);
	if (e->tx_fd >= 0 && e->tx_fd != e->rx_fd)
		close(e->tx_fd);
	free(e->rx_bufs);
	free(e->rx_msgs);
	free(e->rx_iov);
	free(e->tx_tail);
	free(e->tx_iov);
	memset(e, 0, sizeof(*e));
	e->rx_fd = e->tx_fd = -1;
}
