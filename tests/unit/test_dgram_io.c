/* SPDX-License-Identifier: Apache-2.0 */
/* test_dgram_io.c - batch datagram I/O over real unix datagram sockets:
 * contents, order, truncation, a full peer, a closed peer, senders' paths
 * and TSO-sized frames. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dgram_io.h"
#include "dgram_util.h"
#include "pool.h"

static struct dgram_io *make_io(int fd, unsigned max_batch, int want_source)
{
	struct dgram_io *io;

	cr_assert_eq(dgram_io_create(fd, max_batch, want_source, &io), 0);
	return io;
}

Test(dgram_io, create_rejects_batch_sizes_out_of_range, .timeout = 10)
{
	struct dgram_io *io = (struct dgram_io *)1;
	int sv[2];

	dgram_util_pair(sv);
	cr_assert_eq(dgram_io_create(sv[0], 0, 0, &io), -EINVAL);
	cr_assert_null(io);
	cr_assert_eq(dgram_io_create(sv[0], DGRAM_IO_BATCH_MAX + 1, 1, &io),
		     -EINVAL);
	cr_assert_null(io);
	cr_assert_eq(dgram_io_create(sv[0], DGRAM_IO_BATCH_MAX, 1, &io), 0);
	cr_assert_not_null(io);
	dgram_io_destroy(io);
	dgram_io_destroy(NULL);
	close(sv[0]);
	close(sv[1]);
}

Test(dgram_io, calls_reject_batches_outside_one_to_max_batch, .timeout = 10)
{
	struct pool *p = dgram_util_pool(8, ETH_FRAME);
	struct pkt *pkts[8];
	struct dgram_io *io;
	int sv[2];

	dgram_util_pair(sv);
	io = make_io(sv[0], 4, 0);
	dgram_util_take(p, pkts, 8);
	for (unsigned i = 0; i < 8; i++)
		dgram_util_fill(pkts[i], 60, i);
	cr_assert_eq(dgram_io_send(io, pkts, 0), -EINVAL);
	cr_assert_eq(dgram_io_send(io, pkts, 5), -EINVAL);
	cr_assert_eq(dgram_io_recv(io, pkts, 0, ETH_FRAME), -EINVAL);
	cr_assert_eq(dgram_io_recv(io, pkts, 5, ETH_FRAME), -EINVAL);
	/* Nothing was sent by the refused calls. */
	cr_assert_eq(recv(sv[1], pkts[0]->data, ETH_FRAME, MSG_DONTWAIT), -1);
	cr_assert_eq(errno, EAGAIN);
	dgram_io_destroy(io);
	pool_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

Test(dgram_io, batch_of_mixed_sizes_arrives_intact_and_in_order, .timeout = 10)
{
	static const uint32_t sizes[] = {14, 60, ETH_FRAME, 60, 14, ETH_FRAME};
	const unsigned n = sizeof(sizes) / sizeof(sizes[0]);
	struct pool *p = dgram_util_pool(16, ETH_FRAME);
	struct pkt *tx[6], *rx[8];
	struct dgram_io *a, *b;
	int sv[2];

	dgram_util_pair(sv);
	a = make_io(sv[0], 8, 0);
	b = make_io(sv[1], 8, 0);
	dgram_util_take(p, tx, n);
	dgram_util_take(p, rx, 8);
	for (unsigned i = 0; i < n; i++) {
		dgram_util_fill(tx[i], sizes[i], 100 + i);
		/* Stale values the receive must overwrite. */
		rx[i]->len = 0xdead;
		rx[i]->flags = 0xbeef;
	}
	cr_assert_eq(dgram_io_send(a, tx, n), (int)n);
	cr_assert_eq(dgram_io_recv(b, rx, 8, ETH_FRAME), (int)n);
	for (unsigned i = 0; i < n; i++) {
		cr_assert_eq(rx[i]->len, sizes[i], "frame %u length", i);
		cr_assert_eq(rx[i]->flags, 0, "frame %u flags", i);
		dgram_util_check(rx[i], sizes[i], 100 + i);
	}
	cr_assert_eq(dgram_io_recv(b, rx, 8, ETH_FRAME), -EAGAIN);
	pool_put_burst(p, tx, n);
	pool_put_burst(p, rx, 8);
	dgram_io_destroy(a);
	dgram_io_destroy(b);
	pool_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

Test(dgram_io, recv_on_empty_socket_returns_eagain, .timeout = 10)
{
	struct pool *p = dgram_util_pool(4, ETH_FRAME);
	struct pkt *rx[4];
	struct dgram_io *io;
	int sv[2];

	dgram_util_pair(sv);
	io = make_io(sv[1], 4, 1);
	dgram_util_take(p, rx, 4);
	cr_assert_eq(dgram_io_recv(io, rx, 4, ETH_FRAME), -EAGAIN);
	dgram_io_destroy(io);
	pool_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

Test(dgram_io, truncated_datagram_is_flagged_and_next_arrives_intact,
     .timeout = 10)
{
	const uint32_t cap = 100;
	struct pool *p = dgram_util_pool(8, ETH_FRAME);
	struct pkt *tx[2], *rx[4];
	struct dgram_io *a, *b;
	unsigned got = 0;
	int sv[2], r;

	dgram_util_pair(sv);
	a = make_io(sv[0], 4, 0);
	b = make_io(sv[1], 4, 0);
	dgram_util_take(p, tx, 2);
	dgram_util_take(p, rx, 4);
	dgram_util_fill(tx[0], ETH_FRAME, 1);
	dgram_util_fill(tx[1], 60, 2);
	for (unsigned i = 0; i < 4; i++)
		rx[i]->data[cap] = 0xa5; /* must survive: beyond cap */
	cr_assert_eq(dgram_io_send(a, tx, 2), 2);
	/* Linux returns both at once; macOS stops after the truncated one.
	 * Either way two receives at most get both. */
	for (int tries = 0; tries < 2 && got < 2; tries++) {
		r = dgram_io_recv(b, rx + got, 4 - got, cap);
		cr_assert_gt(r, 0, "recv: %d", r);
		got += (unsigned)r;
	}
	cr_assert_eq(got, 2);
	cr_assert_eq(rx[0]->len, cap);
	cr_assert_eq(rx[0]->flags, PKT_F_TRUNCATED);
	dgram_util_check(rx[0], cap, 1);
	cr_assert_eq(rx[0]->data[cap], 0xa5, "wrote past cap");
	cr_assert_eq(rx[1]->len, 60);
	cr_assert_eq(rx[1]->flags, 0);
	dgram_util_check(rx[1], 60, 2);
	cr_assert_eq(dgram_io_recv(b, rx, 4, cap), -EAGAIN);
	dgram_io_destroy(a);
	dgram_io_destroy(b);
	pool_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

/* Receives everything queued on io, checking that frames come in the order
 * they were numbered, starting at *next. */
static void drain_in_order(struct dgram_io *io, struct pkt **rx, unsigned n,
			   uint32_t *next)
{
	int r;

	while ((r = dgram_io_recv(io, rx, n, ETH_FRAME)) > 0) {
		for (int i = 0; i < r; i++) {
			cr_assert_eq(rx[i]->len, ETH_FRAME);
			cr_assert_eq(rx[i]->flags, 0);
			cr_assert_eq(dgram_util_seq(rx[i]), *next,
				     "duplicate or lost");
			dgram_util_check(rx[i], ETH_FRAME, *next);
			(*next)++;
		}
	}
	cr_assert_eq(r, -EAGAIN, "recv: %d", r);
}

Test(dgram_io, full_peer_gives_partial_count_then_resubmit_delivers_once,
     .timeout = 10)
{
	const unsigned n = DGRAM_IO_BATCH_MAX;
	struct pool *p = dgram_util_pool(2 * DGRAM_IO_BATCH_MAX, ETH_FRAME);
	struct pkt *tx[DGRAM_IO_BATCH_MAX], *rx[DGRAM_IO_BATCH_MAX];
	struct dgram_io *a, *b;
	unsigned sent, rounds = 0;
	uint32_t next = 0;
	int sv[2], r;

	dgram_util_pair(sv);
	a = make_io(sv[0], n, 0);
	b = make_io(sv[1], n, 0);
	dgram_util_take(p, tx, n);
	dgram_util_take(p, rx, n);
	for (unsigned i = 0; i < n; i++)
		dgram_util_fill(tx[i], ETH_FRAME, i);

	/* 256 full-size frames are 380 KiB, more than the default 208 KiB
	 * SO_SNDBUF that bounds a socketpair's queue (about 93 frames). */
	r = dgram_io_send(a, tx, n);
	cr_assert(r >= 1 && r < (int)n, "first send: %d", r);
	sent = (unsigned)r;
	r = dgram_io_send(a, tx + sent, n - sent);
	cr_assert(r == -EAGAIN || r == -ENOBUFS, "send to full peer: %d", r);

	while (sent < n) {
		cr_assert_lt(++rounds, 100, "no progress");
		drain_in_order(b, rx, n, &next);
		cr_assert_eq(next, sent, "received all that was sent");
		r = dgram_io_send(a, tx + sent, n - sent);
		cr_assert_gt(r, 0, "send after drain: %d", r);
		sent += (unsigned)r;
	}
	drain_in_order(b, rx, n, &next);
	cr_assert_eq(next, n);
	dgram_io_destroy(a);
	dgram_io_destroy(b);
	pool_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A datagram socket has no end-of-file. On Linux, closing one end of a
 * socketpair leaves the survivor's receive queue alone and latches no
 * error, so receive keeps returning what was queued and then EAGAIN; only
 * send finds out: the first send fails with ECONNREFUSED, which also
 * disconnects the socket, and later sends fail with ENOTCONN.
 */
Test(dgram_io, send_to_closed_peer_is_refused_then_not_connected, .timeout = 10)
{
	struct pool *p = dgram_util_pool(2, ETH_FRAME);
	struct pkt *tx[2];
	struct dgram_io *a;
	int sv[2];

	dgram_util_pair(sv);
	a = make_io(sv[0], 2, 0);
	dgram_util_take(p, tx, 2);
	dgram_util_fill(tx[0], 60, 0);
	dgram_util_fill(tx[1], 60, 1);
	cr_assert_eq(close(sv[1]), 0);
	cr_assert_eq(dgram_io_send(a, tx, 2), -ECONNREFUSED);
	cr_assert_eq(dgram_io_send(a, tx, 2), -ENOTCONN);
	dgram_io_destroy(a);
	pool_destroy(p);
	close(sv[0]);
}

Test(dgram_io, recv_after_peer_closed_gets_queued_frames_then_eagain,
     .timeout = 10)
{
	struct pool *p = dgram_util_pool(4, ETH_FRAME);
	struct pkt *tx[1], *rx[2];
	struct dgram_io *a, *b;
	int sv[2];

	dgram_util_pair(sv);
	a = make_io(sv[0], 2, 0);
	b = make_io(sv[1], 2, 0);
	dgram_util_take(p, tx, 1);
	dgram_util_take(p, rx, 2);
	dgram_util_fill(tx[0], 60, 7);
	cr_assert_eq(dgram_io_send(b, tx, 1), 1);
	dgram_io_destroy(b);
	cr_assert_eq(close(sv[1]), 0);

	cr_assert_eq(dgram_io_recv(a, rx, 2, ETH_FRAME), 1);
	cr_assert_eq(rx[0]->len, 60);
	dgram_util_check(rx[0], 60, 7);
	cr_assert_eq(dgram_io_recv(a, rx, 2, ETH_FRAME), -EAGAIN);
	/* Even once send has seen the peer gone, receive reports nothing. */
	cr_assert_eq(dgram_io_send(a, tx, 1), -ECONNREFUSED);
	cr_assert_eq(dgram_io_recv(a, rx, 2, ETH_FRAME), -EAGAIN);
	dgram_io_destroy(a);
	pool_destroy(p);
	close(sv[0]);
}

Test(dgram_io, source_reports_each_senders_path_in_order, .timeout = 10)
{
	char dir[] = "/tmp/test_dgram_io.XXXXXX";
	char srv_path[64], a_path[64], b_path[64];
	struct pool *p = dgram_util_pool(8, ETH_FRAME);
	struct pkt *tx[3], *rx[4];
	struct dgram_io *srv_io, *io[3];
	const struct sockaddr_un *src;
	int srv, cli[3];
	socklen_t len;

	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(srv_path, sizeof(srv_path), "%s/server", dir);
	snprintf(a_path, sizeof(a_path), "%s/client-a", dir);
	snprintf(b_path, sizeof(b_path), "%s/client-b", dir);
	srv = dgram_util_bound(srv_path);
	cli[0] = dgram_util_bound(a_path);
	cli[1] = dgram_util_bound(b_path);
	cli[2] = dgram_util_bound(NULL); /* an unbound sender has no address */
	for (int i = 0; i < 3; i++)
		dgram_util_connect(cli[i], srv_path);
	/* Bound sockets keep their names after unlink, so clean up now and a
	 * failing assertion below leaves nothing behind. */
	cr_assert_eq(unlink(srv_path), 0);
	cr_assert_eq(unlink(a_path), 0);
	cr_assert_eq(unlink(b_path), 0);
	cr_assert_eq(rmdir(dir), 0);

	srv_io = make_io(srv, 4, 1);
	dgram_util_take(p, tx, 3);
	dgram_util_take(p, rx, 4);
	for (unsigned i = 0; i < 3; i++) {
		io[i] = make_io(cli[i], 1, 0);
		dgram_util_fill(tx[i], 60, i);
		cr_assert_eq(dgram_io_send(io[i], &tx[i], 1), 1);
	}
	cr_assert_eq(dgram_io_recv(srv_io, rx, 4, ETH_FRAME), 3);
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(dgram_util_seq(rx[i]), i);

	src = dgram_io_source(srv_io, 0, &len);
	cr_assert_not_null(src);
	cr_assert_gt(len, offsetof(struct sockaddr_un, sun_path));
	cr_assert_eq(src->sun_family, AF_UNIX);
	cr_assert_str_eq(src->sun_path, a_path);
	src = dgram_io_source(srv_io, 1, &len);
	cr_assert_not_null(src);
	cr_assert_gt(len, offsetof(struct sockaddr_un, sun_path));
	cr_assert_str_eq(src->sun_path, b_path);
	len = 99;
	dgram_io_source(srv_io, 2, &len);
	cr_assert_eq(len, 0, "unbound sender");

	for (int i = 0; i < 3; i++) {
		dgram_io_destroy(io[i]);
		close(cli[i]);
	}
	dgram_io_destroy(srv_io);
	close(srv);
	pool_destroy(p);
}

static void set_buf(int fd, int opt, int bytes)
{
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes)), 0,
		     "setsockopt: %s", strerror(errno));
}

/*
 * A datagram must fit in the sender's SO_SNDBUF (Linux refuses one longer
 * than SO_SNDBUF - 32; macOS's default for unix datagrams is only 2 KiB).
 * The helper sets 256 KiB so a 65550-byte TSO frame fits with the kernel's
 * per-datagram overhead and a few more are in flight; the receiver gets
 * the same so macOS, which checks the receive side, can queue them too.
 */
Test(dgram_io, tso_frame_goes_through_with_large_socket_buffers, .timeout = 10)
{
	struct pool *p = dgram_util_pool(2, POOL_FRAME_SIZE_MAX);
	struct pkt *tx[1], *rx[1];
	struct dgram_io *a, *b;
	int sv[2];

	dgram_util_pair(sv);
	set_buf(sv[0], SO_SNDBUF, 256 * 1024);
	set_buf(sv[1], SO_RCVBUF, 256 * 1024);
	a = make_io(sv[0], 1, 0);
	b = make_io(sv[1], 1, 0);
	dgram_util_take(p, tx, 1);
	dgram_util_take(p, rx, 1);
	dgram_util_fill(tx[0], POOL_FRAME_SIZE_MAX, 42);
	cr_assert_eq(dgram_io_send(a, tx, 1), 1);
	cr_assert_eq(dgram_io_recv(b, rx, 1, POOL_FRAME_SIZE_MAX), 1);
	cr_assert_eq(rx[0]->len, POOL_FRAME_SIZE_MAX);
	cr_assert_eq(rx[0]->flags, 0);
	dgram_util_check(rx[0], POOL_FRAME_SIZE_MAX, 42);
	dgram_io_destroy(a);
	dgram_io_destroy(b);
	pool_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

Test(dgram_io, send_stops_at_frame_too_big_for_send_buffer, .timeout = 10)
{
	struct pool *p = dgram_util_pool(4, POOL_FRAME_SIZE_MAX);
	struct pkt *tx[3], *rx[1];
	struct dgram_io *a, *b;
	int sv[2];

	dgram_util_pair(sv);
	/* Linux doubles this and keeps at least 4.5 KiB: room for 1514 bytes,
	 * never for 65550. */
	set_buf(sv[0], SO_SNDBUF, 4096);
	a = make_io(sv[0], 3, 0);
	b = make_io(sv[1], 1, 0);
	dgram_util_take(p, tx, 3);
	dgram_util_take(p, rx, 1);
	dgram_util_fill(tx[0], 60, 0);
	dgram_util_fill(tx[1], POOL_FRAME_SIZE_MAX, 1);
	dgram_util_fill(tx[2], 60, 2);
	cr_assert_eq(dgram_io_send(a, tx, 3), 1);
	cr_assert_eq(dgram_io_send(a, tx + 1, 2), -EMSGSIZE);
	cr_assert_eq(dgram_io_recv(b, rx, 1, POOL_FRAME_SIZE_MAX), 1);
	cr_assert_eq(dgram_util_seq(rx[0]), 0);
	cr_assert_eq(dgram_io_recv(b, rx, 1, POOL_FRAME_SIZE_MAX), -EAGAIN);
	dgram_io_destroy(a);
	dgram_io_destroy(b);
	pool_destroy(p);
	close(sv[0]);
	close(sv[1]);
}

/* Linux charges queued datagrams to the sender's SO_SNDBUF: sizing must
 * give the send side room for far more than vmnet-helper's 65 KiB (which
 * Linux reports doubled). As root the sysctl caps do not apply. */
Test(dgram_io, sized_buffers_let_megabytes_queue_both_ways, .timeout = 10)
{
	const int want = 1 << 20;
	int sv[2], snd, rcv;
	socklen_t len = sizeof(int);

	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	cr_assert_eq(dgram_io_size_buffers(sv[0], want), 0);
	cr_assert_eq(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &snd, &len), 0);
	cr_assert_eq(getsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &rcv, &len), 0);
	cr_expect_gt(snd, 2 * 65 * 1024, "SO_SNDBUF %d", snd);
	cr_expect_gt(rcv, 2 * 65 * 1024, "SO_RCVBUF %d", rcv);
	if (geteuid() == 0) {
		cr_expect_geq(snd, want, "SO_SNDBUF %d as root", snd);
		cr_expect_geq(rcv, want, "SO_RCVBUF %d as root", rcv);
	}
	close(sv[0]);
	close(sv[1]);
}
