/* SPDX-License-Identifier: Apache-2.0 */
/* endpoint_stream.c - an endpoint over a unix stream socket, each frame
 * after its 4-byte big-endian length. */
#include "endpoint_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"

/*
 * How it works
 *
 * A stream has no frame boundaries of its own: each frame is a record, its
 * length as 4 bytes, most significant first, then that many bytes of frame.
 *
 * Receiving. One read() takes as much as the kernel holds, up to the
 * receive buffer, and the complete records in it are copied into the
 * engine's buffers, one frame each (the copy is the price of a stream:
 * where a frame starts is known only once the one before it is read). A
 * record cut off at the end of a read stays in the buffer and is completed
 * by the next; the buffer holds two of the largest records, so after the
 * incomplete one is moved to the front there is always room for a whole
 * record more. The endpoint answers -EAGAIN only after read() did, as the
 * worker's edge-triggered poller needs.
 *
 * A length above the max frame cannot be a frame: the client does not
 * frame this way, or lost step, and nothing after it can be trusted. An
 * end of file inside a record is a frame cut short. Either is handed to
 * the engine as one buffer flagged PKT_F_TRUNCATED, so it is counted like
 * every other bad frame, and the read after answers -ECONNRESET: the
 * engine ends that client as if it had left, and the helper serves the
 * next.
 *
 * Sending. A batch goes to the kernel in one sendmsg(), two iovecs per
 * frame (its length, then the frame). A full socket buffer takes only part
 * of it, possibly ending inside a record. The records sent whole are
 * reported written; a record sent in part is also reported written, and
 * the rest of it is copied to the pending tail, which every later write
 * sends first: the worker may drop the rest of a batch that waits too long,
 * but the stream must never carry half a record followed by the start of
 * another. Frames are counted as delivered once the kernel (or the tail)
 * has them, as datagrams are once sent.
 */

/* The receive buffer: at least this, and at least two whole records. */
#define RX_MIN (256u * 1024u)
/* Two iovecs per frame must fit one sendmsg(): IOV_MAX is 1024 on Linux
 * and on macOS. */
#define BATCH_MAX 512u

struct endpoint_stream {
	struct endpoint ep; /* first: the engine sees only this */
	unsigned max_batch;

	/* Received bytes not yet handed out: rx[rx_head, rx_tail). */
	unsigned char *rx;
	size_t rx_size, rx_head, rx_tail;
	int rx_end; /* 0, or what read_batch() returns once the client is
		       over: -ECONNRESET after end of file or a bad length */

	/* Two iovecs and one length word per frame of a batch. */
	struct iovec *iov;
	unsigned char (*hdr)[ENDPOINT_STREAM_HEADER];
	/* The unsent rest of a record the kernel took only part of. */
	unsigned char *tail;
	size_t tail_len, tail_off;
};

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* The client is over once the frames read so far are handed out. */
static void end_client(struct endpoint_stream *s)
{
	s->rx_head = s->rx_tail = 0;
	s->rx_end = -ECONNRESET;
}

/* Copy the complete records in the buffer into @pkts, at most @n. A bad
 * length becomes one flagged buffer and ends the client. */
static unsigned cut_frames(struct endpoint_stream *s, struct pkt **pkts,
			   unsigned n)
{
	const uint32_t max = s->ep.max_frame;
	unsigned k = 0;

	while (k < n && !s->rx_end) {
		size_t avail = s->rx_tail - s->rx_head;
		const unsigned char *rec = s->rx + s->rx_head;

		if (avail < ENDPOINT_STREAM_HEADER)
			break;
		uint32_t len = get_be32(rec);
		if (len > max) {
			log_warn("[%s] stream client sent a frame length of "
				 "%u bytes, more than the largest frame (%u): "
				 "it does not put a 4-byte big-endian length "
				 "before each frame, or lost step; ending it "
				 "(drop_truncated)",
				 s->ep.name, len, max);
			pkts[k]->len = 0;
			pkts[k]->flags = PKT_F_TRUNCATED;
			k++;
			end_client(s);
			break;
		}
		if (avail < ENDPOINT_STREAM_HEADER + (size_t)len)
			break;
		memcpy(pkts[k]->data, rec + ENDPOINT_STREAM_HEADER, len);
		pkts[k]->len = len;
		pkts[k]->flags = 0;
		k++;
		s->rx_head += ENDPOINT_STREAM_HEADER + (size_t)len;
	}
	if (s->rx_head == s->rx_tail)
		s->rx_head = s->rx_tail = 0;
	return k;
}

/* End of file: what is left in the buffer is a record cut short, handed
 * out in @pkt. Return: buffers used (0 or 1). */
static unsigned cut_short(struct endpoint_stream *s, struct pkt *pkt)
{
	size_t avail = s->rx_tail - s->rx_head;

	if (avail == 0) {
		end_client(s);
		return 0;
	}
	if (avail < ENDPOINT_STREAM_HEADER) {
		log_warn("[%s] stream client left after %zu of the %d length "
			 "bytes of a frame (drop_truncated)",
			 s->ep.name, avail, ENDPOINT_STREAM_HEADER);
		pkt->len = 0;
	} else {
		/* Less than the length says, else cut_frames() took it. */
		size_t got = avail - ENDPOINT_STREAM_HEADER;

		log_warn("[%s] stream client left in the middle of a frame: "
			 "%zu of its %u bytes came (drop_truncated)",
			 s->ep.name, got, get_be32(s->rx + s->rx_head));
		memcpy(pkt->data, s->rx + s->rx_head + ENDPOINT_STREAM_HEADER,
		       got);
		pkt->len = (uint32_t)got;
	}
	pkt->flags = PKT_F_TRUNCATED;
	end_client(s);
	return 1;
}

static int stream_read(struct endpoint *ep, struct pkt **pkts, unsigned n)
{
	struct endpoint_stream *s = (struct endpoint_stream *)ep;
	const size_t record_max =
	    ENDPOINT_STREAM_HEADER + (size_t)ep->max_frame;
	unsigned got = 0;

	if (n == 0 || n > s->max_batch)
		return -EINVAL;
	for (;;) {
		got += cut_frames(s, pkts + got, n - got);
		if (got == n || s->rx_end)
			break;
		/* Room for a whole record after what is buffered. */
		if (s->rx_size - s->rx_tail < record_max) {
			memmove(s->rx, s->rx + s->rx_head,
				s->rx_tail - s->rx_head);
			s->rx_tail -= s->rx_head;
			s->rx_head = 0;
		}
		ssize_t r =
		    read(ep->fd, s->rx + s->rx_tail, s->rx_size - s->rx_tail);
		if (r > 0) {
			s->rx_tail += (size_t)r;
			continue;
		}
		if (r == 0) {
			got += cut_short(s, pkts[got]); /* got < n */
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		/* Frames already cut go first; the error comes back from
		 * the next read(). */
		if (got)
			break;
		return -errno;
	}
	if (got)
		return (int)got;
	return s->rx_end ? s->rx_end : -EAGAIN;
}

/* Send what is left of a record begun by an earlier write. Return: 0 when
 * none is left, or a negative errno (-EAGAIN: still some). */
static int flush_tail(struct endpoint_stream *s)
{
	while (s->tail_off < s->tail_len) {
		ssize_t r = send(s->ep.fd, s->tail + s->tail_off,
				 s->tail_len - s->tail_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		s->tail_off += (size_t)r;
	}
	s->tail_len = s->tail_off = 0;
	return 0;
}

/* Keep the unsent part of record @i, of which @sent bytes went. */
static void keep_tail(struct endpoint_stream *s, const struct pkt *p,
		      unsigned i, size_t sent)
{
	size_t len = 0;

	if (sent < ENDPOINT_STREAM_HEADER) {
		len = ENDPOINT_STREAM_HEADER - sent;
		memcpy(s->tail, s->hdr[i] + sent, len);
		sent = 0;
	} else {
		sent -= ENDPOINT_STREAM_HEADER;
	}
	memcpy(s->tail + len, p->data + sent, p->len - sent);
	s->tail_len = len + p->len - sent;
	s->tail_off = 0;
}

static int stream_write(struct endpoint *ep, struct pkt *const *pkts,
			unsigned n)
{
	struct endpoint_stream *s = (struct endpoint_stream *)ep;
	unsigned k;
	ssize_t r;
	int err;

	if (n == 0 || n > s->max_batch)
		return -EINVAL;
	err = flush_tail(s);
	if (err)
		return err;
	for (k = 0; k < n && pkts[k]->len <= ep->max_frame; k++) {
		put_be32(s->hdr[k], pkts[k]->len);
		s->iov[2 * k] =
		    (struct iovec){s->hdr[k], ENDPOINT_STREAM_HEADER};
		s->iov[2 * k + 1] = (struct iovec){pkts[k]->data, pkts[k]->len};
	}
	if (k == 0)
		return -EMSGSIZE; /* longer than any record may be */

	struct msghdr msg = {.msg_iov = s->iov, .msg_iovlen = 2 * k};
	do
		r = sendmsg(ep->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;

	/* r > 0, so at least the first record went, in part or whole. */
	size_t sent = (size_t)r;
	unsigned done = 0;
	while (done < k) {
		size_t rec = ENDPOINT_STREAM_HEADER + (size_t)pkts[done]->len;

		if (sent < rec) {
			if (sent > 0) {
				keep_tail(s, pkts[done], done, sent);
				done++;
			}
			break;
		}
		sent -= rec;
		done++;
	}
	return (int)done;
}

static void stream_close(struct endpoint *ep)
{
	struct endpoint_stream *s = (struct endpoint_stream *)ep;

	close(ep->fd);
	free(s->rx);
	free(s->iov);
	free(s->hdr);
	free(s->tail);
	free(s);
}

static const struct endpoint_ops stream_ops = {
    .read_batch = stream_read,
    .write_batch = stream_write,
    .set_notify = NULL,
    .close = stream_close,
};

int endpoint_stream_open(int fd, const char *name, uint32_t max_frame,
			 unsigned max_batch, struct endpoint **epp)
{
	const size_t record_max = ENDPOINT_STREAM_HEADER + (size_t)max_frame;
	struct endpoint_stream *s;
	int flags;

	*epp = NULL;
	if (fd < 0 || max_frame == 0 || max_frame > UINT32_MAX - 8 ||
	    max_batch == 0 || max_batch > BATCH_MAX)
		return -EINVAL;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->rx_size = 2 * record_max > RX_MIN ? 2 * record_max : RX_MIN;
	s->rx = malloc(s->rx_size);
	s->iov = calloc(2 * (size_t)max_batch, sizeof(*s->iov));
	s->hdr = calloc(max_batch, sizeof(*s->hdr));
	s->tail = malloc(record_max);
	if (!s->rx || !s->iov || !s->hdr || !s->tail) {
		free(s->rx);
		free(s->iov);
		free(s->hdr);
		free(s->tail);
		free(s);
		return -ENOMEM;
	}
	s->max_batch = max_batch;
	s->ep.ops = &stream_ops;
	s->ep.name = name;
	s->ep.fd = fd;
	s->ep.max_frame = max_frame;
	*epp = &s->ep;
	return 0;
}
