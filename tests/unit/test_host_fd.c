/* SPDX-License-Identifier: Apache-2.0 */
/* test_host_fd.c - the host side as an inherited datagram socket
 * (--host-fd): what it reports for the JSON line, and frames both ways. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host_fd.h"
#include "host_identity.h"
#include "pool.h"

static const unsigned char ID[16] = {1, 2,  3,	4,  5,	6,  7,	8,
				     9, 10, 11, 12, 13, 14, 15, 16};

static struct endpoint *open_ok(struct host_config *cfg, int *peer,
				struct host_info *info)
{
	struct endpoint *ep = NULL;
	char err[160] = "";
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	cr_assert_eq(host_fd_open(cfg, sv[1], &ep, info, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_not_null(ep);
	*peer = sv[0];
	return ep;
}

Test(host_fd, reports_the_mac_of_its_id_and_a_standard_mtu)
{
	struct host_config cfg = {.interface_id_given = true, .max_batch = 32};
	struct host_info info, want;
	struct endpoint *ep;
	char err[64];
	int peer;

	memcpy(cfg.interface_id, ID, sizeof(ID));
	ep = open_ok(&cfg, &peer, &info);
	cr_assert_eq(host_identity(&cfg, &want, err, sizeof(err)), 0);
	cr_assert_str_eq(info.mac_address, want.mac_address,
			 "not the TAP's MAC for this id");
	cr_assert_str_eq(info.interface_id,
			 "01020304-0506-0708-090a-0b0c0d0e0f10");
	cr_assert_eq(info.mtu, 1500);
	cr_assert_eq(info.max_packet_size, 1514);
	cr_assert_eq(ep->max_frame, 1514);
	cr_assert_eq(info.read_max_packets, 32);
	cr_assert_eq(info.write_max_packets, 32);
	cr_assert_str_empty(info.tap_name);
	cr_assert_str_eq(ep->name, "host socket");
	endpoint_close(ep);
	close(peer);
}

Test(host_fd, tso_gives_the_taps_64k_frames)
{
	struct host_config cfg = {.enable_tso = true, .max_batch = 16};
	struct host_info info;
	struct endpoint *ep;
	int peer;

	ep = open_ok(&cfg, &peer, &info);
	cr_assert_eq(info.mtu, 65521);
	cr_assert_eq(info.max_packet_size, 65535);
	cr_assert_eq(ep->max_frame, 65535);
	endpoint_close(ep);
	close(peer);
}

Test(host_fd, carries_one_frame_per_datagram_both_ways)
{
	struct host_config cfg = {.max_batch = 4};
	struct host_info info;
	struct endpoint *ep;
	struct pool *pool;
	struct pkt *p[2];
	unsigned char frame[60], got[100];
	int peer;

	ep = open_ok(&cfg, &peer, &info);
	cr_assert_eq(pool_create(4, 1514, &pool), 0);
	cr_assert_eq(pool_get_burst(pool, p, 2), 2);
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (unsigned char)(i * 7);
	/* Peer -> host side: one datagram, one frame, byte for byte. */
	cr_assert_eq(send(peer, frame, sizeof(frame), 0), sizeof(frame));
	cr_assert_eq(endpoint_read(ep, p, 2), 1);
	cr_assert_eq(p[0]->len, sizeof(frame));
	cr_assert_eq(memcmp(p[0]->data, frame, sizeof(frame)), 0);
	/* Host side -> peer. */
	p[0]->data[0] ^= 0xff;
	cr_assert_eq(endpoint_write(ep, p, 1), 1);
	cr_assert_eq(recv(peer, got, sizeof(got), 0), sizeof(frame));
	cr_assert_eq(got[0], frame[0] ^ 0xff);
	cr_assert_eq(memcmp(got + 1, frame + 1, sizeof(frame) - 1), 0);
	pool_put_burst(pool, p, 2);
	pool_destroy(pool);
	endpoint_close(ep);
	close(peer);
}
