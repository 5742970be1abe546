/* SPDX-License-Identifier: Apache-2.0 */
/* test_guard_engine.c - the guard as the engine's filter: frames it drops
 * never reach the host side, each is counted by reason, the rest arrive
 * in order, and read = delivered + drops holds exactly once it stops; the
 * buffers it rejects are reused (many more frames than the pool holds);
 * and, with DHCP ACKs moving the lease, the scenario of guard_scenarios.c. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "endpoint_dgram.h"
#include "engine.h"
#include "guard.h"
#include "guard_scenarios.h"
#include "test_frames.h"
#include "testutil.h"

#define VM_MAC	"52:54:00:12:34:56"
#define OTHER	"52:54:00:ab:cd:ef"
#define ROUNDS	200 /* x 4 frames: far more than the 16-slot ring */
#define WAIT_MS 10000

enum { HOST = 0, VM = 1 };

static void *run(void *arg)
{
	engine_run(arg);
	return NULL;
}

/* Send @f; while the engine cannot take it, drain the host side into
 * *@got (checking the order of the tags). */
static void drain(int fd, unsigned *got)
{
	uint8_t buf[TEST_FRAME_MAX];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
		/* Only the good frames come: their tag counts up. */
		cr_assert_eq(buf[14 + 28], (uint8_t)*got, "frame %u", *got);
		(*got)++;
	}
}

Test(guard_engine, drops_are_counted_and_every_frame_accounted, .timeout = 60)
{
	static struct guard_config gc;
	int sv[2][2], app[2];
	struct endpoint *ep[2];
	struct engine_config cfg;
	struct engine *e;
	struct guard *g;
	pthread_t t;
	char err[160] = "";
	uint8_t mac[6], other[6], f[TEST_FRAME_MAX];
	unsigned sent_good = 0, got = 0;

	for (int i = 0; i < 2; i++) {
		cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv[i]), 0);
		app[i] = sv[i][0];
		cr_assert_eq(
		    endpoint_dgram_open(sv[i][1], "t", 1514, 16, &ep[i]), 0);
	}
	tf_mac(VM_MAC, mac);
	tf_mac(OTHER, other);
	gc.mac_mode = GUARD_MAC_FIXED;
	memcpy(gc.mac, mac, 6);
	gc.enforce_ip = true;
	gc.ipv4_n = 1;
	memcpy(gc.ipv4[0], (uint8_t[]){10, 0, 0, 2}, 4);
	gc.cidr_n = 1;
	gc.cidrs[0] = (struct guard_cidr){
	    .family = 4, .len = 8, .block = true, .addr = {11}};
	cr_assert_eq(guard_create(&gc, &g), 0);
	engine_config_defaults(&cfg);
	cfg.batch = 16;
	cfg.ring_size = 16;
	cfg.filter_from_vm = guard_filter(g);
	cr_assert_eq(
	    engine_create(&cfg, ep[HOST], ep[VM], &e, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(pthread_create(&t, NULL, run, e), 0);

	for (unsigned r = 0; r < ROUNDS; r++) {
		/* good, bad MAC, bad source, blocked destination */
		static const char *const src[4] = {"10.0.0.2", "10.0.0.2",
						   "10.0.0.9", "10.0.0.2"};
		static const char *const dst[4] = {"10.0.0.1", "10.0.0.1",
						   "10.0.0.1", "11.1.1.1"};
		for (int k = 0; k < 4; k++) {
			uint8_t tag = k == 0 ? (uint8_t)sent_good : 0xee;
			size_t n = tf_ipv4_udp(f, k == 1 ? other : mac, mac,
					       src[k], dst[k], 1, 2, &tag, 1);
			while (send(app[VM], f, n, MSG_DONTWAIT) !=
			       (ssize_t)n) {
				cr_assert(errno == EAGAIN || errno == ENOBUFS,
					  "send: %s", strerror(errno));
				struct pollfd p = {app[HOST], POLLIN, 0};
				poll(&p, 1, 10);
				drain(app[HOST], &got);
			}
			sent_good += k == 0;
		}
	}
	while (got < sent_good) {
		struct pollfd p = {app[HOST], POLLIN, 0};
		cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "%u of %u arrived", got,
			     sent_good);
		drain(app[HOST], &got);
	}
	engine_stop(e);
	pthread_join(t, NULL);

	struct engine_stats s;
	engine_get_stats(e, &s);
	const struct direction_stats *d = &s.vm_to_host;
	cr_expect_eq(d->read_packets, 4 * ROUNDS);
	cr_expect_eq(d->packets, ROUNDS);
	cr_expect_eq(d->drop_guard_mac, ROUNDS);
	cr_expect_eq(d->drop_guard_ip, ROUNDS);
	cr_expect_eq(d->drop_guard_dst, ROUNDS);
	cr_expect_eq(d->read_packets, d->packets + direction_drops(d));
	cr_expect_eq(s.host_to_vm.drop_guard_mac, 0);
	engine_destroy(e);
	guard_destroy(g);
	for (int i = 0; i < 2; i++) {
		endpoint_close(ep[i]);
		close(app[i]);
	}
}

/* The lease and the learned MAC crossing between the workers while the
 * VM sends from the old and the new address (tests/scenarios/
 * guard_scenarios.c; the TSan runner runs it too). */
Test(guard_engine, lease_moves_while_vm_sends_two_workers, .timeout = 120)
{
	STRESS_ASSERT(scenario_guard_lease_moves(2));
}

Test(guard_engine, lease_moves_while_vm_sends_one_worker, .timeout = 120)
{
	STRESS_ASSERT(scenario_guard_lease_moves(1));
}
