/* SPDX-License-Identifier: Apache-2.0 */
/* guard_scenarios.c - the guard inside a running engine while DHCP ACKs
 * move the VM's address: the learned MAC crosses from the socket worker to
 * the host worker, the lease back; shared by Criterion and the TSan runner
 * (no Criterion here). */
#include "guard_scenarios.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "endpoint_dgram.h"
#include "engine.h"
#include "port.h"
#include "guard.h"
#include "test_frames.h"

enum { HOST = 0, VM = 1 };

#define STUCK_SECONDS 60
#define ROUNDS	      1000
#define WINDOW	      6 /* frames sent while the round's ACK is in flight */
#define VM_MAC	      "52:54:00:12:34:56"
#define OTHER_MAC     "52:54:00:ab:cd:ef"
#define SERVER_MAC    "5a:94:ef:e4:0c:dd"
#define FIRST_IP      "10.0.0.2" /* the VM's before any lease */
#define ALLOWED_DST   "10.0.0.1"
#define BLOCKED_DST   "11.1.1.1" /* --block 11.0.0.0/8 */
#define PAYLOAD_OFF   42	 /* Ethernet + IPv4 + UDP headers */

/* What a frame from the VM is, and so what the guard must do with it. */
enum kind {
	K_FIRST,   /* from FIRST_IP before any ACK: delivered (learned) */
	K_WIN_NEW, /* in the window, from the round's lease: either */
	K_WIN_OLD, /* in the window, from the last round's: either */
	K_GOOD,	   /* after the ACK, from its lease: delivered */
	K_OLD,	   /* after the ACK, from the last lease: drop_guard_ip */
	K_FOREIGN, /* from the address an ACK to OTHER_MAC gave: _ip */
	K_MAC,	   /* from OTHER_MAC: drop_guard_mac */
	K_DST,	   /* to BLOCKED_DST: drop_guard_dst */
};

/* The payload of every frame from the VM, so the host side knows it. */
struct tag {
	uint32_t seq, round;
	uint8_t kind;
};
#define TAG_LEN 9

struct guard_rig {
	int app[2]; /* the test's ends */
	struct endpoint *ep[2];
	struct engine *engine;
	struct guard *guard;
	pthread_t thread;
	bool running;
	uint8_t vm[6], other[6], server[6];

	/* What the test saw, all on the test thread. */
	uint32_t seq;	     /* frames sent from the VM side */
	uint64_t acks_sent;  /* frames sent from the host side */
	uint64_t got_host;   /* frames from the VM that came through */
	uint64_t got_vm;     /* ACKs that reached the VM side */
	uint64_t must_got;   /* of got_host: K_FIRST and K_GOOD */
	uint64_t win_sent;   /* K_WIN_* sent */
	uint64_t win_got;    /* of got_host: K_WIN_* */
	uint64_t win_new_ok; /* of win_got: K_WIN_NEW (the ACK won) */
	int64_t next_seq;    /* the lowest seq the host side may see next */
	int64_t new_round;   /* round of the last new-lease frame seen */
	struct stress_result res;
};

static void *run_engine(void *arg)
{
	struct guard_rig *r = arg;

	engine_run(r->engine);
	return NULL;
}

/* Round @i's lease (10.1.x.y) and the one an ACK to OTHER_MAC gives
 * (10.2.x.y); round -1's is FIRST_IP. */
static void lease_of(int i, bool foreign, char *buf, size_t len)
{
	if (i < 0)
		snprintf(buf, len, "%s", FIRST_IP);
	else
		snprintf(buf, len, "10.%u.%u.%u", foreign ? 2u : 1u,
			 (unsigned)i >> 8 & 0xff, (unsigned)i & 0xff);
}

/* A frame from the host side came to the VM side: a DHCP ACK. */
static void saw_at_vm(struct guard_rig *r, const uint8_t *b, ssize_t n)
{
	(void)b;
	(void)n;
	r->got_vm++;
}

/* A frame from the VM came through: it must be one the guard may pass,
 * in order, and no old-lease frame after a new-lease one of its round. */
static void saw_at_host(struct guard_rig *r, const uint8_t *b, ssize_t n)
{
	struct tag t;

	r->got_host++;
	if (!r->res.ok)
		return;
	if (n < PAYLOAD_OFF + TAG_LEN) {
		r->res = stress_fail("a %zd-byte frame came through", n);
		return;
	}
	memcpy(&t.seq, b + PAYLOAD_OFF, 4);
	memcpy(&t.round, b + PAYLOAD_OFF + 4, 4);
	t.kind = b[PAYLOAD_OFF + 8];
	if ((int64_t)t.seq < r->next_seq) {
		r->res = stress_fail("frame %" PRIu32 " came after %" PRId64,
				     t.seq, r->next_seq - 1);
		return;
	}
	r->next_seq = (int64_t)t.seq + 1;
	switch (t.kind) {
	case K_FIRST: /* before any lease: not the new one */
		r->must_got++;
		break;
	case K_GOOD:
		r->must_got++;
		r->new_round = t.round;
		break;
	case K_WIN_NEW:
		r->win_got++;
		r->win_new_ok++;
		r->new_round = t.round;
		break;
	case K_WIN_OLD:
		r->win_got++;
		if (r->new_round == (int64_t)t.round)
			r->res = stress_fail(
			    "round %" PRIu32 ": frame %" PRIu32 " from the "
			    "old lease passed after one from the new lease",
			    t.round, t.seq);
		break;
	default:
		r->res = stress_fail("round %" PRIu32 ": frame %" PRIu32
				     " (kind %u) passed the guard",
				     t.round, t.seq, t.kind);
	}
}

/* Take whatever has come to either of the test's ends. */
static void drain(struct guard_rig *r)
{
	uint8_t buf[TEST_FRAME_MAX];
	ssize_t n;
	bool any;

	do {
		any = false;
		if ((n = recv(r->app[HOST], buf, sizeof(buf), MSG_DONTWAIT)) >
		    0) {
			saw_at_host(r, buf, n);
			any = true;
		}
		if ((n = recv(r->app[VM], buf, sizeof(buf), MSG_DONTWAIT)) >
		    0) {
			saw_at_vm(r, buf, n);
			any = true;
		}
	} while (any);
}

static void wait_a_little(struct guard_rig *r)
{
	struct pollfd p[2] = {{r->app[HOST], POLLIN, 0},
			      {r->app[VM], POLLIN, 0}};

	poll(p, 2, 10);
}

/* Send @f from the test's end @side, draining both ends while the
 * engine cannot take it. */
static bool send_frame(struct guard_rig *r, int side, const uint8_t *f,
		       size_t n)
{
	uint64_t deadline = port_now_us() + STUCK_SECONDS * 1000000ull;

	for (;;) {
		drain(r);
		if (send(r->app[side], f, n, MSG_DONTWAIT | MSG_NOSIGNAL) ==
		    (ssize_t)n)
			return true;
		if ((errno != EAGAIN && errno != ENOBUFS) ||
		    port_now_us() > deadline) {
			r->res = stress_fail("cannot send from the %s side: %s",
					     side == VM ? "VM" : "host",
					     strerror(errno));
			return false;
		}
		wait_a_little(r);
	}
}

/* One frame from the VM: UDP from @src to @dst, tagged. */
static bool send_vm(struct guard_rig *r, enum kind k, unsigned round,
		    const char *src, const char *dst)
{
	uint8_t f[TEST_FRAME_MAX], p[TAG_LEN];
	const uint8_t *mac = k == K_MAC ? r->other : r->vm;
	uint32_t seq = r->seq++, rd = round;

	memcpy(p, &seq, 4);
	memcpy(p + 4, &rd, 4);
	p[8] = (uint8_t)k;
	r->win_sent += k == K_WIN_NEW || k == K_WIN_OLD;
	return send_frame(
	    r, VM, f,
	    tf_ipv4_udp(f, mac, r->server, src, dst, 5000, 5001, p, sizeof(p)));
}

/* A DHCP ACK from the host side giving @yiaddr to @chaddr. */
static bool send_ack(struct guard_rig *r, const uint8_t *chaddr,
		     const char *yiaddr)
{
	uint8_t f[TEST_FRAME_MAX];

	r->acks_sent++;
	return send_frame(
	    r, HOST, f,
	    tf_dhcp_reply(f, r->server, chaddr, ALLOWED_DST, yiaddr, 5));
}

/* Wait until *@count reaches @want (what drain() counts). */
static bool wait_for(struct guard_rig *r, const uint64_t *count, uint64_t want,
		     const char *what)
{
	uint64_t deadline = port_now_us() + STUCK_SECONDS * 1000000ull;

	for (;;) {
		drain(r);
		if (!r->res.ok)
			return false;
		if (*count >= want)
			return true;
		if (port_now_us() > deadline) {
			r->res = stress_fail("only %" PRIu64 " of %" PRIu64
					     " %s came through",
					     *count, want, what);
			return false;
		}
		wait_a_little(r);
	}
}

/* One round: the ACKs, the window that races them, then the frames the
 * VM sends once it has both ACKs, whose verdicts are certain as long as
 * no later ACK can overtake them. */
static bool round_of(struct guard_rig *r, unsigned i)
{
	char lease[32], old[32], foreign[32];

	lease_of((int)i, false, lease, sizeof(lease));
	lease_of((int)i - 1, false, old, sizeof(old));
	lease_of((int)i, true, foreign, sizeof(foreign));
	if (!send_ack(r, r->other, foreign) || !send_ack(r, r->vm, lease))
		return false;
	for (unsigned k = 0; k < WINDOW; k++)
		if (!send_vm(r, k % 2 ? K_WIN_OLD : K_WIN_NEW, i,
			     k % 2 ? old : lease, ALLOWED_DST))
			return false;
	if (!wait_for(r, &r->got_vm, r->acks_sent, "ACKs"))
		return false;
	if (!send_vm(r, K_GOOD, i, lease, ALLOWED_DST) ||
	    !send_vm(r, K_OLD, i, old, ALLOWED_DST) ||
	    !send_vm(r, K_MAC, i, lease, ALLOWED_DST) ||
	    !send_vm(r, K_FOREIGN, i, foreign, ALLOWED_DST) ||
	    !send_vm(r, K_DST, i, lease, BLOCKED_DST) ||
	    !send_vm(r, K_GOOD, i, lease, ALLOWED_DST))
		return false;
	/* The round ends when its last frame came through: the socket
	 * worker has judged every frame of it, in order. Without this the
	 * next ACK may overtake them (a worker can lag behind the VM's
	 * socket), and they would be judged by the lease after theirs. */
	return wait_for(r, &r->must_got, 1 + 2ull * (i + 1), "good frames");
}

static struct stress_result start(struct guard_rig *r, unsigned workers)
{
	static struct guard_config gc; /* large: not on the stack */
	struct engine_config cfg;
	char err[160] = "";
	int sv[2];

	memset(&gc, 0, sizeof(gc));
	gc.mac_mode = GUARD_MAC_LEARN;
	gc.enforce_ip = true;
	gc.cidr_n = 1;
	gc.cidrs[0] = (struct guard_cidr){
	    .family = 4, .len = 8, .block = true, .addr = {11}};
	if (guard_create(&gc, &r->guard))
		return stress_fail("guard_create failed");
	engine_config_defaults(&cfg);
	cfg.workers = workers;
	/* Every frame must come through or be the guard's drop: a test
	 * thread the machine leaves waiting longer than the default 500 us
	 * would otherwise see a full socket's batch dropped (drop_stalled),
	 * and the counts would not be exact. */
	cfg.write_wait_us = 30u * 1000000u;
	cfg.filter_from_vm = guard_filter(r->guard);
	cfg.inspect_to_vm = guard_to_vm(r->guard, NULL);
	if (!cfg.inspect_to_vm)
		return stress_fail("the guard does not watch leases");
	for (int i = 0; i < 2; i++) {
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
			return stress_fail("socketpair: %s", strerror(errno));
		r->app[i] = sv[0];
		if (endpoint_dgram_open(sv[1], i ? "vm socket" : "test host",
					1514, cfg.batch, &r->ep[i])) {
			close(sv[1]);
			return stress_fail("endpoint_dgram_open failed");
		}
	}
	if (engine_create(&cfg, r->ep[HOST], r->ep[VM], &r->engine, err,
			  sizeof(err)))
		return stress_fail("engine_create: %s", err);
	if (engine_workers(r->engine) != workers)
		return stress_fail("engine runs %u workers, asked for %u",
				   engine_workers(r->engine), workers);
	if (pthread_create(&r->thread, NULL, run_engine, r))
		return stress_fail("pthread_create failed");
	r->running = true;
	return stress_pass();
}

/* Once the engine has stopped (joined: its counters are final and
 * visible), every count is exact. */
static struct stress_result check_counts(const struct guard_rig *r)
{
	struct engine_stats s;
	const struct direction_stats *d = &s.vm_to_host, *h = &s.host_to_vm;
	uint64_t want_ip = 2ull * ROUNDS + (r->win_sent - r->win_got);

	engine_get_stats(r->engine, &s);
	if (d->read_packets != r->seq || d->packets != r->got_host)
		return stress_fail("from the VM: read %" PRIu64 " of %" PRIu32
				   ", delivered %" PRIu64 " of %" PRIu64,
				   d->read_packets, r->seq, d->packets,
				   r->got_host);
	if (d->drop_guard_mac != ROUNDS || d->drop_guard_dst != ROUNDS ||
	    d->drop_guard_ip != want_ip || d->drop_guard_vlan != 0)
		return stress_fail(
		    "guard drops mac %" PRIu64 " ip %" PRIu64 " dst %" PRIu64
		    " vlan %" PRIu64 ", want %u %" PRIu64 " %u 0",
		    d->drop_guard_mac, d->drop_guard_ip, d->drop_guard_dst,
		    d->drop_guard_vlan, ROUNDS, want_ip, ROUNDS);
	if (d->read_packets != d->packets + direction_drops(d) ||
	    direction_drops(d) !=
		d->drop_guard_mac + d->drop_guard_ip + d->drop_guard_dst)
		return stress_fail("from the VM: %" PRIu64 " read, %" PRIu64
				   " delivered, %" PRIu64 " dropped",
				   d->read_packets, d->packets,
				   direction_drops(d));
	if (h->read_packets != r->acks_sent || h->packets != r->got_vm)
		return stress_fail("to the VM: read %" PRIu64 " delivered "
				   "%" PRIu64 " of %" PRIu64 " ACKs",
				   h->read_packets, h->packets, r->acks_sent);
	return stress_pass();
}

/* A failure says how far the engine got: its counters, appended. */
static void add_counts(struct guard_rig *r)
{
	struct engine_stats s;
	const struct direction_stats *d = &s.vm_to_host;
	size_t used = strlen(r->res.why);

	engine_get_stats(r->engine, &s);
	if (used < sizeof(r->res.why))
		snprintf(r->res.why + used, sizeof(r->res.why) - used,
			 " (from the VM: read %" PRIu64 " delivered %" PRIu64
			 " mac %" PRIu64 " ip %" PRIu64 " dst %" PRIu64
			 " others %" PRIu64 "; sent %" PRIu32 ")",
			 d->read_packets, d->packets, d->drop_guard_mac,
			 d->drop_guard_ip, d->drop_guard_dst,
			 direction_drops(d) - d->drop_guard_mac -
			     d->drop_guard_ip - d->drop_guard_dst,
			 r->seq);
}

struct stress_result scenario_guard_lease_moves(unsigned workers)
{
	struct guard_rig r = {.app = {-1, -1}, .new_round = -1};

	tf_mac(VM_MAC, r.vm);
	tf_mac(OTHER_MAC, r.other);
	tf_mac(SERVER_MAC, r.server);
	r.res = start(&r, workers);
	/* The first frame teaches the guard the VM's MAC (and FIRST_IP),
	 * while ACKs giving FIRST_IP race it: the host worker reads the MAC
	 * while the socket worker stores it, and takes the ACK or not (the
	 * same address either way). Once the frame came through, the host
	 * worker has taken it off the ring after the MAC's release store,
	 * so it takes round 0's ACK. */
	if (r.res.ok && send_ack(&r, r.vm, FIRST_IP) &&
	    send_vm(&r, K_FIRST, 0, FIRST_IP, ALLOWED_DST) &&
	    send_ack(&r, r.vm, FIRST_IP) &&
	    wait_for(&r, &r.must_got, 1, "first frames"))
		wait_for(&r, &r.got_vm, r.acks_sent, "first ACKs");
	for (unsigned i = 0; i < ROUNDS && r.res.ok; i++)
		round_of(&r, i);
	if (r.running) {
		engine_stop(r.engine);
		pthread_join(r.thread, NULL);
		r.running = false;
		if (r.res.ok) {
			drain(&r);
			r.res = check_counts(&r);
		} else {
			add_counts(&r);
		}
	}
	engine_destroy(r.engine);
	for (int i = 0; i < 2; i++) {
		endpoint_close(r.ep[i]);
		if (r.app[i] >= 0)
			close(r.app[i]);
	}
	guard_destroy(r.guard);
	if (r.res.ok && getenv("VMH_GUARD_SCENARIO_VERBOSE"))
		fprintf(stderr,
			"guard scenario: %" PRIu64 " of %" PRIu64
			" window frames passed, %" PRIu64 " of them from the "
			"new lease\n",
			r.win_got, r.win_sent, r.win_new_ok);
	return r.res;
}

const struct stress_case guard_cases[] = {
    {"guard::lease_moves_while_vm_sends", scenario_guard_lease_moves, 2},
    {"guard::lease_moves_while_vm_sends (one worker)",
     scenario_guard_lease_moves, 1},
};
const unsigned guard_case_count = sizeof(guard_cases) / sizeof(guard_cases[0]);
