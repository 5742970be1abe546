/* SPDX-License-Identifier: Apache-2.0 */
/* guest_scenarios.c - the guest-address learner inside a running engine,
 * read by the test thread while both workers write it; shared by Criterion
 * and the TSan runner (no Criterion here). */
#include "guest_scenarios.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "endpoint_dgram.h"
#include "engine.h"
#include "port.h"
#include "guest_frame.h"
#include "guest_learn.h"
#include "test_frames.h"

enum { HOST = 0, VM = 1 };

#define STUCK_SECONDS 60

struct guest_rig {
	int app[2]; /* the test's ends */
	struct endpoint *ep[2];
	struct engine *engine;
	struct guest_learn *learn;
	pthread_t thread;
	bool running;
};

static void *run_engine(void *arg)
{
	struct guest_rig *r = arg;

	engine_run(r->engine);
	return NULL;
}

/* Address @i as IPv6 with @i in both halves, so a torn read (one half of
 * one address, one of another) shows: fd00:I::I. */
static void ipv6_of(unsigned i, char *buf, size_t len)
{
	snprintf(buf, len, "fd00:%x::%x", i & 0xffff, i & 0xffff);
}

static bool ipv6_whole(const uint8_t *a)
{
	return a[0] == 0xfd && a[1] == 0 && a[2] == a[14] && a[3] == a[15];
}

/* Send @f from the test's end @side; drain both ends while the engine
 * cannot take it. */
static bool send_frame(struct guest_rig *r, int side, const uint8_t *f,
		       size_t n, uint64_t *delivered)
{
	uint8_t buf[TEST_FRAME_MAX];
	uint64_t deadline = port_now_us() + STUCK_SECONDS * 1000000ull;

	for (;;) {
		while (recv(r->app[HOST], buf, sizeof(buf), MSG_DONTWAIT) > 0 ||
		       recv(r->app[VM], buf, sizeof(buf), MSG_DONTWAIT) > 0)
			(*delivered)++;
		if (send(r->app[side], f, n, MSG_DONTWAIT | MSG_NOSIGNAL) ==
		    (ssize_t)n)
			return true;
		if ((errno != EAGAIN && errno != ENOBUFS) ||
		    port_now_us() > deadline)
			return false;
		struct pollfd p[2] = {{r->app[HOST], POLLIN, 0},
				      {r->app[VM], POLLIN, 0}};
		poll(p, 2, 10);
	}
}

struct stress_result scenario_guest_learning(unsigned rounds)
{
	struct guest_rig r = {.app = {-1, -1}};
	struct engine_config cfg;
	struct stress_result res = stress_pass();
	uint8_t vm[6], server[6], f[TEST_FRAME_MAX];
	char err[160] = "", a4[32], a6[64];
	uint64_t delivered = 0, snapshots = 0, busy = 0;
	uint32_t arp_of_last = 0;
	int sv[2];

	tf_mac("52:54:00:12:34:56", vm);
	tf_mac("5a:94:ef:e4:0c:dd", server);
	engine_config_defaults(&cfg);
	/* Two threads write the learner, one per direction, whatever the
	 * machine's CPU count would choose. */
	cfg.workers = 2;
	/* Every frame must come through: a test thread the machine leaves
	 * waiting longer than the default 500 us would otherwise see a full
	 * socket's batch dropped (drop_stalled), as test-all once did. */
	cfg.write_wait_us = 30u * 1000000u;
	if (guest_learn_create(&r.learn))
		return stress_fail("guest_learn_create: out of memory");
	cfg.inspect_from_vm = guest_learn_from_vm(r.learn);
	cfg.inspect_to_vm = guest_learn_to_vm(r.learn);
	for (int i = 0; i < 2; i++) {
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) {
			res = stress_fail("socketpair: %s", strerror(errno));
			goto out;
		}
		r.app[i] = sv[0];
		if (endpoint_dgram_open(sv[1], i ? "vm socket" : "test host",
					1514, cfg.batch, &r.ep[i])) {
			close(sv[1]);
			res = stress_fail("endpoint_dgram_open failed");
			goto out;
		}
	}
	if (engine_create(&cfg, r.ep[HOST], r.ep[VM], &r.engine, err,
			  sizeof(err))) {
		res = stress_fail("engine_create: %s", err);
		goto out;
	}
	if (pthread_create(&r.thread, NULL, run_engine, &r)) {
		res = stress_fail("pthread_create failed");
		goto out;
	}
	r.running = true;

	/* Each round: the guest moves to a new IPv4 address by ARP and
	 * uses a new IPv6 one, and a lease for it comes from the host side;
	 * between sends the test thread reads the learner, as the
	 * supervisor does, while both workers write it. */
	for (unsigned i = 0; i < rounds && res.ok; i++) {
		struct guest_addrs a;
		uint32_t arp;

		snprintf(a4, sizeof(a4), "10.%u.%u.%u", (i >> 16) & 0xff,
			 (i >> 8) & 0xff, (i & 0xff) | 1);
		ipv6_of(i, a6, sizeof(a6));
		bool ok =
		    send_frame(&r, VM, f, tf_arp(f, vm, a4, "10.0.0.1"),
			       &delivered) &&
		    send_frame(&r, VM, f, tf_ipv6_udp(f, vm, a6, "ff02::1"),
			       &delivered) &&
		    send_frame(&r, HOST, f,
			       tf_dhcp_reply(f, server, vm, "10.0.0.1", a4, 5),
			       &delivered);
		if (!ok) {
			res = stress_fail("round %u: cannot send: %s", i,
					  strerror(errno));
			break;
		}
		if (!guest_learn_snapshot(r.learn, &a)) {
			busy++;
			continue;
		}
		snapshots++;
		if (a.mac && a.mac != guest_mac_from_bytes(vm))
			res =
			    stress_fail("round %u: MAC %012" PRIx64, i, a.mac);
		for (unsigned k = 0; k < a.ipv6_count && res.ok; k++)
			if (!ipv6_whole(a.ipv6[k]))
				res = stress_fail("round %u: IPv6 slot %u torn",
						  i, k);
		/* The learned address is one of those sent so far (which
		 * one depends on how far each worker got, as the later of
		 * lease and ARP wins). */
		arp = ntohl(a.ipv4);
		if (a.ipv4 && ((arp >> 24) != 10 ||
			       (arp & 0xffffff) > ((i & 0xffffff) | 1)))
			res = stress_fail("round %u: IPv4 %08x never sent", i,
					  arp);
	}

	/* Every frame through (3 per round), then the final state. */
	uint64_t deadline = port_now_us() + STUCK_SECONDS * 1000000ull;
	while (res.ok && delivered < 3ull * rounds) {
		uint8_t buf[TEST_FRAME_MAX];

		if (recv(r.app[HOST], buf, sizeof(buf), MSG_DONTWAIT) > 0 ||
		    recv(r.app[VM], buf, sizeof(buf), MSG_DONTWAIT) > 0) {
			delivered++;
			continue;
		}
		if (port_now_us() > deadline)
			res = stress_fail("only %" PRIu64 " of %u frames came "
					  "through",
					  delivered, 3 * rounds);
		struct pollfd p[2] = {{r.app[HOST], POLLIN, 0},
				      {r.app[VM], POLLIN, 0}};
		poll(p, 2, 10);
	}
	if (res.ok) {
		struct guest_addrs a;
		uint8_t want[16];
		unsigned last = rounds - 1;

		engine_stop(r.engine);
		pthread_join(r.thread, NULL);
		r.running = false;
		if (!guest_learn_snapshot(r.learn, &a))
			res = stress_fail("snapshot busy with no writer");
		snprintf(a4, sizeof(a4), "10.%u.%u.%u", (last >> 16) & 0xff,
			 (last >> 8) & 0xff, (last & 0xff) | 1);
		inet_pton(AF_INET, a4, &arp_of_last);
		ipv6_of(last, a6, sizeof(a6));
		inet_pton(AF_INET6, a6, want);
		if (res.ok && a.ipv4 != arp_of_last)
			res = stress_fail("final IPv4 is not %s", a4);
		if (res.ok && (a.ipv6_count != GUEST_IPV6_MAX ||
			       memcmp(a.ipv6[last % GUEST_IPV6_MAX], want, 16)))
			res = stress_fail("final IPv6 table lacks %s", a6);
		if (res.ok && snapshots == 0)
			res = stress_fail(
			    "no snapshot succeeded (%" PRIu64 " busy)", busy);
	}
out:
	if (r.running) {
		engine_stop(r.engine);
		pthread_join(r.thread, NULL);
	}
	engine_destroy(r.engine);
	for (int i = 0; i < 2; i++) {
		endpoint_close(r.ep[i]);
		if (r.app[i] >= 0)
			close(r.app[i]);
	}
	guest_learn_destroy(r.learn);
	return res;
}

const struct stress_case guest_cases[] = {
    {"guest::learner_read_while_both_workers_write", scenario_guest_learning,
     3000},
};
const unsigned guest_case_count = sizeof(guest_cases) / sizeof(guest_cases[0]);
