/* SPDX-License-Identifier: Apache-2.0 */
/* test_endpoint_dgram.c - the endpoint over a unix datagram socket: a
 * --socket client's endpoint flags what other senders send. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dgram_util.h"
#include "endpoint_dgram.h"

/* The --socket endpoint accepts frames from its client only: what others
 * send is flagged for the engine to drop and count. Linux refuses other
 * senders of a connected socket itself, so the server stays unconnected
 * here to let them through, as macOS does. */
Test(endpoint_dgram, client_endpoint_flags_frames_from_other_senders,
     .timeout = 10)
{
	char dir[] = "/tmp/test_endpoint.XXXXXX";
	char srv_path[64], a_path[64], b_path[64];
	struct pool *p = dgram_util_pool(8, ETH_FRAME);
	struct pkt *tx[4], *rx[4];
	struct endpoint *ep;
	struct sockaddr_un client = {.sun_family = AF_UNIX};
	int srv, a, b, u;

	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(srv_path, sizeof(srv_path), "%s/server", dir);
	snprintf(a_path, sizeof(a_path), "%s/a", dir);
	snprintf(b_path, sizeof(b_path), "%s/b", dir);
	srv = dgram_util_bound(srv_path);
	a = dgram_util_bound(a_path);
	b = dgram_util_bound(b_path);
	u = dgram_util_bound(NULL);
	dgram_util_connect(a, srv_path);
	dgram_util_connect(b, srv_path);
	dgram_util_connect(u, srv_path);
	cr_assert_eq(unlink(srv_path), 0);
	cr_assert_eq(unlink(a_path), 0);
	cr_assert_eq(unlink(b_path), 0);
	cr_assert_eq(rmdir(dir), 0);

	snprintf(client.sun_path, sizeof(client.sun_path), "%s", a_path);
	cr_assert_eq(endpoint_dgram_open_client(srv, "vm", ETH_FRAME, 4,
						&client, sizeof(client), &ep),
		     0);
	dgram_util_take(p, tx, 4);
	dgram_util_take(p, rx, 4);
	const int from[4] = {a, b, u, a};
	for (unsigned i = 0; i < 4; i++) {
		dgram_util_fill(tx[i], 60, i);
		cr_assert_eq(send(from[i], tx[i]->data, tx[i]->len, 0), 60);
	}
	cr_assert_eq(endpoint_read(ep, rx, 4), 4);
	const uint32_t want[4] = {0, PKT_F_FOREIGN, PKT_F_FOREIGN, 0};
	for (unsigned i = 0; i < 4; i++) {
		cr_assert_eq(dgram_util_seq(rx[i]), i);
		cr_assert_eq(rx[i]->flags, want[i], "frame %u flags %u", i,
			     rx[i]->flags);
	}
	endpoint_close(ep); /* closes srv */
	close(a);
	close(b);
	close(u);
	pool_destroy(p);
}

/* What the engine sees of an --fd socket: a batch each way, the frames
 * intact and in order, one cut at max_frame flagged, the fd pollable and
 * the name and max frame as given. */
Test(endpoint_dgram, moves_batches_both_ways_and_flags_a_cut_frame,
     .timeout = 10)
{
	struct pool *p = dgram_util_pool(8, ETH_FRAME + 100);
	struct pkt *tx[3], *rx[3];
	struct endpoint *ep;
	unsigned char big[ETH_FRAME + 10];
	int sv[2];

	dgram_util_pair(sv);
	cr_assert_eq(endpoint_dgram_open(sv[1], "vm", ETH_FRAME, 3, &ep), 0);
	cr_expect_eq(ep->fd, sv[1]);
	cr_expect_str_eq(ep->name, "vm");
	cr_expect_eq(ep->max_frame, ETH_FRAME);
	dgram_util_take(p, tx, 3);
	dgram_util_take(p, rx, 3);
	for (unsigned i = 0; i < 3; i++)
		dgram_util_fill(tx[i], 60 + 700 * i, i);
	cr_assert_eq(endpoint_write(ep, tx, 3), 3);
	for (unsigned i = 0; i < 3; i++) {
		cr_assert_eq(recv(sv[0], big, sizeof(big), 0),
			     (ssize_t)(60 + 700 * i));
		cr_expect_eq(memcmp(big, tx[i]->data, tx[i]->len), 0);
	}
	cr_assert_eq(send(sv[0], tx[0]->data, 60, 0), 60);
	memset(big, 0xab, sizeof(big));
	cr_assert_eq(send(sv[0], big, sizeof(big), 0), (ssize_t)sizeof(big));
	cr_assert_eq(endpoint_read(ep, rx, 3), 2);
	dgram_util_check(rx[0], 60, 0);
	cr_expect_eq(rx[0]->flags, 0);
	cr_expect_eq(rx[1]->flags, PKT_F_TRUNCATED);
	cr_expect_eq(rx[1]->len, ETH_FRAME);
	cr_expect_eq(endpoint_read(ep, rx, 3), -EAGAIN);
	endpoint_close(ep); /* closes sv[1] */
	close(sv[0]);
	pool_destroy(p);
}
