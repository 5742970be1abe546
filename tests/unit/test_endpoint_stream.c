/* SPDX-License-Identifier: Apache-2.0 */
/* test_endpoint_stream.c - the stream endpoint's framing (a 4-byte
 * big-endian length before each frame) against a raw stream socketpair:
 * the lengths at and around the limits, records split across reads and
 * writes, clients that leave in the middle of one, and partial writes that
 * never break the stream. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "endpoint_stream.h"
#include "pool.h"

#define MAX_FRAME 1514
#define BATCH	  8

static struct endpoint *ep;
static int peer = -1; /* the client's end */
static struct pool *pool;
static struct pkt *pkts[BATCH];

static void setup(void)
{
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	peer = sv[0];
	cr_assert_eq(
	    endpoint_stream_open(sv[1], "test stream", MAX_FRAME, BATCH, &ep),
	    0);
	cr_assert_eq(pool_create(BATCH, 65550, &pool), 0);
	cr_assert_eq(pool_get_burst(pool, pkts, BATCH), BATCH);
}

static void teardown(void)
{
	endpoint_close(ep);
	ep = NULL;
	if (peer >= 0)
		close(peer);
	peer = -1;
	pool_put_burst(pool, pkts, BATCH);
	pool_destroy(pool);
}

TestSuite(endpoint_stream, .init = setup, .fini = teardown);

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Bytes of frame @seq, length @len: each one says where it is. */
static void fill(unsigned char *b, uint32_t len, unsigned seq)
{
	for (uint32_t i = 0; i < len; i++)
		b[i] = (unsigned char)(seq * 31 + i);
}

static bool filled(const unsigned char *b, uint32_t len, unsigned seq)
{
	for (uint32_t i = 0; i < len; i++)
		if (b[i] != (unsigned char)(seq * 31 + i))
			return false;
	return true;
}

/* Write all @n bytes from the client's side. */
static void client_write(const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = write(peer, p, n);
		cr_assert_gt(r, 0, "write: %s", strerror(errno));
		p += r;
		n -= (size_t)r;
	}
}

/* A record: the length @len (claimed), then @body bytes of frame @seq. */
static void client_record(uint32_t len, uint32_t body, unsigned seq)
{
	static unsigned char b[4 + 70000];

	put_be32(b, len);
	fill(b + 4, body, seq);
	client_write(b, 4 + (size_t)body);
}

/* One endpoint_read() with room for @n frames. */
static int ep_read(unsigned n)
{
	return endpoint_read(ep, pkts, n);
}

static void expect_frame(unsigned i, uint32_t len, unsigned seq)
{
	cr_assert_eq(pkts[i]->len, len, "frame %u: length %u, want %u", i,
		     pkts[i]->len, len);
	cr_assert_eq(pkts[i]->flags, 0, "frame %u flagged %#x", i,
		     pkts[i]->flags);
	cr_assert(filled(pkts[i]->data, len, seq), "frame %u damaged", i);
}

Test(endpoint_stream, frames_of_14_60_and_max_bytes_arrive_whole)
{
	const uint32_t lens[] = {14, 60, MAX_FRAME};

	for (unsigned i = 0; i < 3; i++)
		client_record(lens[i], lens[i], i);
	cr_assert_eq(ep_read(BATCH), 3);
	for (unsigned i = 0; i < 3; i++)
		expect_frame(i, lens[i], i);
	cr_assert_eq(ep_read(BATCH), -EAGAIN);
}

/* 0 and 13 are runts, which the engine counts (drop_runt): the framing is
 * intact, so the stream goes on. */
Test(endpoint_stream, lengths_0_and_13_are_runts_and_the_stream_goes_on)
{
	client_record(0, 0, 0);
	client_record(13, 13, 1);
	client_record(60, 60, 2);
	cr_assert_eq(ep_read(BATCH), 3);
	cr_assert_eq(pkts[0]->len, 0);
	cr_assert_eq(pkts[0]->flags, 0);
	expect_frame(1, 13, 1);
	expect_frame(2, 60, 2);
}

/* max + 1 cannot be a frame: one buffer flagged truncated (the engine
 * counts it, drop_truncated), then the client is over. What came before
 * it is delivered. */
Test(endpoint_stream, length_over_max_ends_the_client_after_one_drop)
{
	client_record(60, 60, 0);
	client_record(MAX_FRAME + 1, MAX_FRAME + 1, 1);
	client_record(60, 60, 2); /* after the bad length: never read */
	cr_assert_eq(ep_read(BATCH), 2);
	expect_frame(0, 60, 0);
	cr_assert_eq(pkts[1]->flags, PKT_F_TRUNCATED);
	cr_assert_eq(ep_read(BATCH), -ECONNRESET);
	cr_assert_eq(ep_read(BATCH), -ECONNRESET, "the end must stay");
}

Test(endpoint_stream, length_of_4_gib_minus_1_ends_the_client)
{
	static const unsigned char ones[4] = {0xff, 0xff, 0xff, 0xff};

	client_write(ones, 4);
	cr_assert_eq(ep_read(BATCH), 1);
	cr_assert_eq(pkts[0]->flags, PKT_F_TRUNCATED);
	cr_assert_eq(pkts[0]->len, 0, "no bytes of it were taken");
	cr_assert_eq(ep_read(BATCH), -ECONNRESET);
}

Test(endpoint_stream, a_length_split_across_reads_is_joined)
{
	unsigned char hdr[4], body[100];

	put_be32(hdr, sizeof(body));
	fill(body, sizeof(body), 7);
	for (int i = 0; i < 4; i++) {
		client_write(hdr + i, 1);
		cr_assert_eq(ep_read(BATCH), -EAGAIN,
			     "a frame out of %d length bytes", i + 1);
	}
	client_write(body, sizeof(body));
	cr_assert_eq(ep_read(BATCH), 1);
	expect_frame(0, sizeof(body), 7);
}

Test(endpoint_stream, a_frame_split_across_writes_is_joined)
{
	unsigned char rec[4 + MAX_FRAME];

	put_be32(rec, MAX_FRAME);
	fill(rec + 4, MAX_FRAME, 3);
	/* Cut at every kind of place: in the length, right after it, in
	 * the frame, one byte before its end. */
	const size_t cuts[] = {2, 4, 700, 4 + MAX_FRAME - 1};
	size_t at = 0;
	for (unsigned i = 0; i < 4; i++) {
		client_write(rec + at, cuts[i] - at);
		at = cuts[i];
		cr_assert_eq(ep_read(BATCH), -EAGAIN, "a frame after %zu bytes",
			     at);
	}
	client_write(rec + at, sizeof(rec) - at);
	cr_assert_eq(ep_read(BATCH), 1);
	expect_frame(0, MAX_FRAME, 3);
}

Test(endpoint_stream, more_frames_than_buffers_come_over_several_reads)
{
	for (unsigned i = 0; i < 20; i++)
		client_record(60 + i, 60 + i, i);
	unsigned seen = 0;
	for (int round = 0; round < 10 && seen < 20; round++) {
		int r = ep_read(3);
		cr_assert_gt(r, 0, "after %u frames: %d", seen, r);
		cr_assert_leq(r, 3);
		for (int i = 0; i < r; i++)
			expect_frame((unsigned)i, 60 + seen + (unsigned)i,
				     seen + (unsigned)i);
		seen += (unsigned)r;
	}
	cr_assert_eq(seen, 20);
	cr_assert_eq(ep_read(3), -EAGAIN);
}

Test(endpoint_stream, a_client_leaving_between_frames_is_no_drop)
{
	client_record(60, 60, 0);
	close(peer);
	peer = -1;
	cr_assert_eq(ep_read(BATCH), 1);
	expect_frame(0, 60, 0);
	cr_assert_eq(ep_read(BATCH), -ECONNRESET);
}

Test(endpoint_stream, a_client_leaving_mid_frame_is_one_truncated_frame)
{
	client_record(60, 60, 0);
	client_record(MAX_FRAME, 1000, 1); /* 514 bytes never come */
	close(peer);
	peer = -1;
	int r = ep_read(BATCH);
	if (r == 1) /* the end of file came in a read of its own */
		r += endpoint_read(ep, pkts + 1, BATCH - 1);
	cr_assert_eq(r, 2);
	expect_frame(0, 60, 0);
	cr_assert_eq(pkts[1]->flags, PKT_F_TRUNCATED);
	cr_assert_eq(pkts[1]->len, 1000, "the bytes that came: %u",
		     pkts[1]->len);
	cr_assert_eq(ep_read(BATCH), -ECONNRESET);
}

Test(endpoint_stream, a_client_leaving_mid_length_is_one_truncated_frame)
{
	static const unsigned char half[2] = {0, 0};

	client_write(half, 2);
	close(peer);
	peer = -1;
	cr_assert_eq(ep_read(BATCH), 1);
	cr_assert_eq(pkts[0]->flags, PKT_F_TRUNCATED);
	cr_assert_eq(ep_read(BATCH), -ECONNRESET);
}

Test(endpoint_stream, tso_frames_of_65550_bytes_pass_whole)
{
	struct endpoint *big;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(endpoint_stream_open(sv[1], "tso", 65550, BATCH, &big), 0);
	close(peer);
	peer = sv[0];
	/* Both ways: the client writes two, blocking, while this thread
	 * reads, so the socket buffer never needs to hold both. */
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		client_record(65550, 65550, 1);
		client_record(65550, 65550, 2);
		_exit(0);
	}
	int got = 0;
	while (got < 2) {
		struct pollfd p = {.fd = big->fd, .events = POLLIN};
		cr_assert_eq(poll(&p, 1, 10000), 1, "nothing came");
		int r = endpoint_read(big, pkts + got, (unsigned)(BATCH - got));
		if (r == -EAGAIN)
			continue;
		cr_assert_gt(r, 0, "read: %d", r);
		got += r;
	}
	cr_assert_eq(got, 2);
	for (unsigned i = 0; i < 2; i++) {
		cr_assert_eq(pkts[i]->len, 65550);
		cr_assert(filled(pkts[i]->data, 65550, i + 1));
	}
	int status;
	waitpid(pid, &status, 0);
	endpoint_close(big);
}

/* What the client reads: records parsed from the raw stream. */
struct parsed {
	unsigned frames;
	uint32_t lens[4096];
	unsigned char first[4096]; /* each frame's first byte */
	bool damaged;
};

/* Read every byte waiting for the client and parse it into @p; @carry and
 * @carry_len hold a record cut off by the end of what was read. */
static void client_parse(struct parsed *p, unsigned char *carry,
			 size_t *carry_len)
{
	for (;;) {
		ssize_t r = recv(peer, carry + *carry_len, 200000 - *carry_len,
				 MSG_DONTWAIT);
		if (r <= 0)
			break;
		*carry_len += (size_t)r;
		size_t at = 0;
		while (*carry_len - at >= 4) {
			uint32_t len = (uint32_t)carry[at] << 24 |
				       (uint32_t)carry[at + 1] << 16 |
				       (uint32_t)carry[at + 2] << 8 |
				       carry[at + 3];
			if (len > MAX_FRAME) {
				p->damaged = true;
				return;
			}
			if (*carry_len - at < 4 + (size_t)len)
				break;
			if (p->frames < 4096) {
				p->lens[p->frames] = len;
				p->first[p->frames] = carry[at + 4];
			}
			/* Every byte but the first (a marker) is fill(0)'s. */
			for (uint32_t i = 1; i < len; i++)
				if (carry[at + 4 + i] != (unsigned char)i)
					p->damaged = true;
			p->frames++;
			at += 4 + (size_t)len;
		}
		memmove(carry, carry + at, *carry_len - at);
		*carry_len -= at;
	}
}

Test(endpoint_stream, a_batch_goes_out_as_length_and_frame_records)
{
	struct parsed got = {0};
	static unsigned char carry[200000];
	size_t carry_len = 0;

	for (unsigned i = 0; i < 3; i++) {
		pkts[i]->len = 14 + 100 * i;
		fill(pkts[i]->data, pkts[i]->len, 0);
		pkts[i]->data[0] = (unsigned char)i;
	}
	cr_assert_eq(endpoint_write(ep, pkts, 3), 3);
	client_parse(&got, carry, &carry_len);
	cr_assert_not(got.damaged);
	cr_assert_eq(got.frames, 3);
	for (unsigned i = 0; i < 3; i++) {
		cr_assert_eq(got.lens[i], 14 + 100 * i);
		cr_assert_eq(got.first[i], i);
	}
	cr_assert_eq(carry_len, 0, "%zu stray bytes", carry_len);
}

Test(endpoint_stream, a_frame_longer_than_max_is_refused_for_good)
{
	pkts[0]->len = MAX_FRAME + 1;
	cr_assert_eq(endpoint_write(ep, pkts, 1), -EMSGSIZE);
	pkts[0]->len = 60;
	pkts[1]->len = MAX_FRAME + 1;
	cr_assert_eq(endpoint_write(ep, pkts, 2), 1,
		     "stops before the frame it cannot send");
}

/*
 * The kernel takes part of a batch, ending inside a record. Whatever the
 * caller does next (resubmit the rest, or drop it and send new frames, as
 * the engine does after its write wait), the client must see whole
 * records only, each frame once, in order.
 */
Test(endpoint_stream, partial_writes_never_break_the_stream)
{
	struct parsed got = {0};
	static unsigned char carry[200000];
	size_t carry_len = 0;
	int small = 4096;
	unsigned next = 0, written = 0, refused = 0;

	setsockopt(ep->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	for (int round = 0; round < 400 && written < 300; round++) {
		/* A fresh batch every time: frames the last call did not
		 * take are dropped, as the engine drops a stalled batch. */
		for (unsigned i = 0; i < BATCH; i++) {
			pkts[i]->len = 100 + (next + i) % 1400;
			fill(pkts[i]->data, pkts[i]->len, 0);
			pkts[i]->data[0] = (unsigned char)(next + i);
		}
		int r = endpoint_write(ep, pkts, BATCH);
		if (r > 0) {
			cr_assert_leq(r, BATCH);
			next += (unsigned)r;
			written += (unsigned)r;
		} else {
			cr_assert_eq(r, -EAGAIN, "write: %d", r);
			refused++;
			next += BATCH; /* dropped, never sent */
			client_parse(&got, carry, &carry_len);
		}
	}
	cr_assert_gt(refused, 0, "the socket never filled: nothing tested");
	/* The rest of a record sent in part goes out before the next
	 * frame: one more, written once the client has read enough. */
	pkts[0]->data[0] = (unsigned char)next;
	int r = -EAGAIN;
	for (int i = 0; i < 1000 && r == -EAGAIN; i++) {
		client_parse(&got, carry, &carry_len);
		r = endpoint_write(ep, pkts, 1);
	}
	cr_assert_eq(r, 1, "the last write: %d", r);
	written++;
	client_parse(&got, carry, &carry_len);
	cr_assert_not(got.damaged, "a length out of step");
	cr_assert_eq(carry_len, 0, "%zu bytes of a record left over",
		     carry_len);
	cr_assert_eq(got.frames, written, "client got %u frames, %u written",
		     got.frames, written);
	/* In order: the markers never go backwards (mod 256). */
	for (unsigned i = 1; i < got.frames && i < 4096; i++)
		cr_assert_neq(got.first[i], got.first[i - 1],
			      "frame %u repeated", i);
}

Test(endpoint_stream, writes_to_a_client_that_left_say_so)
{
	close(peer);
	peer = -1;
	pkts[0]->len = 60;
	int r = endpoint_write(ep, pkts, 1);
	cr_assert(r == -EPIPE || r == -ECONNRESET, "write: %d", r);
}

Test(endpoint_stream, rejects_a_batch_over_its_size)
{
	cr_assert_eq(endpoint_read(ep, pkts, 0), -EINVAL);
	cr_assert_eq(endpoint_write(ep, pkts, 0), -EINVAL);
}
