/* SPDX-License-Identifier: Apache-2.0 */
/* engine_scenarios.c - the engine between two socketpairs; see
 * engine_scenarios.h. No Criterion here: the TSan runner links it too. */
#include "engine_scenarios.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "endpoint_dgram.h"
#include "endpoint_stream.h"
#include "engine.h"
#include "port.h"

enum { HOST = 0, VM = 1 };

#define FRAME_MIN 60
#define FRAME_MAX 1514
#define SEQ_OFF	  14
/* Give up on a peer that sees no progress for this long: a hang becomes a
 * failure with a reason instead of a CI time-out. */
#define STUCK_SECONDS 30

/* Test frames: Ethernet header, sequence number, bytes derived from it,
 * FNV-1a checksum of everything before it in the last 4 bytes. */
static uint32_t fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static uint32_t frame_len(uint64_t seq)
{
	return FRAME_MIN +
	       (uint32_t)((seq * 2654435761u) % (FRAME_MAX - FRAME_MIN + 1));
}

static uint32_t frame_fill(unsigned char *b, uint64_t seq)
{
	uint32_t len = frame_len(seq), sum;

	memset(b, 0x02, 6);
	memset(b + 6, 0x04, 6);
	b[12] = 0x88; /* local experimental ethertype 0x88b5 */
	b[13] = 0xb5;
	memcpy(b + SEQ_OFF, &seq, sizeof(seq));
	for (uint32_t i = SEQ_OFF + 8; i < len - 4; i++)
		b[i] = (unsigned char)(seq * 7 + i);
	sum = fnv1a(b, len - 4);
	memcpy(b + len - 4, &sum, 4);
	return len;
}

/* Return: true if @b is an intact test frame; its sequence in *seq. */
static bool frame_check(const unsigned char *b, size_t n, uint64_t *seq)
{
	uint32_t sum;

	if (n < SEQ_OFF + 8 + 4)
		return false;
	memcpy(seq, b + SEQ_OFF, sizeof(*seq));
	if (n != frame_len(*seq))
		return false;
	memcpy(&sum, b + n - 4, 4);
	return sum == fnv1a(b, n - 4);
}

/* Worker threads of the engines the scenarios start (engine_config.workers):
 * every scenario runs with two workers and with one serving both sides. */
static unsigned scenario_workers = 2;

void scenario_set_workers(unsigned workers)
{
	scenario_workers = workers;
}

/* The defaults, with the workers the scenarios run with. */
static void scenario_config(struct engine_config *cfg)
{
	engine_config_defaults(cfg);
	cfg->workers = scenario_workers;
}

/* The engine with a socketpair on each side: app[i] is the test's end,
 * ep[i] the engine's. The VM's is a datagram socketpair, or with vm_stream
 * a stream one framed as QEMU's -netdev stream is. */
struct rig {
	bool vm_stream;
	int app[2];
	struct endpoint *ep[2];
	struct engine *engine;
	pthread_t thread;
	bool running;
	enum engine_exit verdict;
};

static void *engine_thread(void *arg)
{
	struct rig *r = arg;

	r->verdict = engine_run(r->engine);
	return NULL;
}

static struct stress_result
rig_open(struct rig *r, const struct engine_config *cfg, bool vm_stream)
{
	static const char *const names[2] = {"test host", "vm socket"};
	char err[160] = "";
	int sv[2];

	memset(r, 0, sizeof(*r));
	r->vm_stream = vm_stream;
	r->app[HOST] = r->app[VM] = -1;
	for (int i = 0; i < 2; i++) {
		bool stream = i == VM && vm_stream;

		if (socketpair(AF_UNIX, stream ? SOCK_STREAM : SOCK_DGRAM, 0,
			       sv))
			return stress_fail("socketpair: %s", strerror(errno));
		r->app[i] = sv[0];
		int e = stream
			    ? endpoint_stream_open(sv[1], names[i], FRAME_MAX,
						   cfg->batch, &r->ep[i])
			    : endpoint_dgram_open(sv[1], names[i], FRAME_MAX,
						  cfg->batch, &r->ep[i]);
		if (e) {
			close(sv[1]);
			return stress_fail("endpoint_%s_open: %s",
					   stream ? "stream" : "dgram",
					   strerror(-e));
		}
	}
	if (engine_create(cfg, r->ep[HOST], r->ep[VM], &r->engine, err,
			  sizeof(err)))
		return stress_fail("engine_create: %s", err);
	if (cfg->workers && engine_workers(r->engine) != cfg->workers)
		return stress_fail("engine runs %u workers, asked for %u",
				   engine_workers(r->engine), cfg->workers);
	if (pthread_create(&r->thread, NULL, engine_thread, r))
		return stress_fail("pthread_create failed");
	r->running = true;
	return stress_pass();
}

static struct stress_result rig_start(struct rig *r,
				      const struct engine_config *cfg)
{
	return rig_open(r, cfg, false);
}

/* Wait for the engine to stop by itself. */
static bool rig_wait(struct rig *r, int seconds)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += seconds;
	if (pthread_timedjoin_np(r->thread, NULL, &deadline) != 0)
		return false;
	r->running = false;
	return true;
}

/* Stop the engine and wait for it: afterwards its counters are final, and
 * every counter write happens before the caller's reads (thread join). */
static void rig_stop(struct rig *r)
{
	if (r->running) {
		engine_stop(r->engine);
		pthread_join(r->thread, NULL);
		r->running = false;
	}
}

/* Once the engine has stopped, however it stopped, every frame it read is
 * delivered or counted as dropped, in both directions. */
static struct stress_result check_accounted(struct engine *e)
{
	struct engine_stats s;

	engine_get_stats(e, &s);
	const struct direction_stats *d[2] = {&s.host_to_vm, &s.vm_to_host};
	for (int i = 0; i < 2; i++)
		if (d[i]->read_packets != d[i]->packets + direction_drops(d[i]))
			return stress_fail(
			    "%s: read %" PRIu64 " but delivered %" PRIu64
			    " + dropped %" PRIu64 " (%" PRIu64 " at shutdown)",
			    i ? "vm->host" : "host->vm", d[i]->read_packets,
			    d[i]->packets, direction_drops(d[i]),
			    d[i]->drop_shutdown);
	return stress_pass();
}

/* Stop and free the rig. Every scenario ends here, so every stop path
 * (signal, peer gone, stall, engine_stop()) is checked for exact
 * accounting on the way out. Return: @res, or the accounting failure. */
static struct stress_result rig_finish(struct rig *r, struct stress_result res)
{
	rig_stop(r);
	if (res.ok && r->engine)
		res = check_accounted(r->engine);
	engine_destroy(r->engine);
	for (int i = 0; i < 2; i++) {
		endpoint_close(r->ep[i]);
		if (r->app[i] >= 0)
			close(r->app[i]);
	}
	return res;
}

/* A test peer: sends to_send frames into its socket while reading and
 * checking what comes out of it. */
struct peer {
	int fd;
	struct engine *engine;
	int side; /* HOST or VM: which direction it receives */
	uint64_t to_send;
	/* Done receiving: lossless peers when expect frames came; lossy
	 * ones when the engine accounts for all other->sent frames. */
	bool lossy;
	uint64_t expect;
	struct peer *other;
	struct peer *hold_until_sent; /* read nothing until it sent all */
	uint64_t signal_after;	      /* kill(getpid(), signo) after that */
	int signo;		      /* many frames received, if non-zero */

	_Atomic int done_sending;
	_Atomic int stop;
	_Atomic uint64_t received;
	uint64_t sent, bad, disorder, last_seq;
	bool have_last;
	char err[160];

	/* A stream peer: each frame after its 4-byte big-endian length.
	 * The record being sent (partial sends resume it), and what was
	 * received of a record not yet whole. */
	bool stream;
	unsigned char out[4 + FRAME_MAX];
	size_t out_len, out_off;
	unsigned char in[4 * (4 + FRAME_MAX)];
	size_t in_len;
};

/* Sum of the drops of the direction this peer receives. */
static bool lossy_done(struct peer *p)
{
	struct engine_stats s;
	struct direction_stats *d;

	if (!atomic_load(&p->other->done_sending))
		return false;
	engine_get_stats(p->engine, &s);
	d = p->side == VM ? &s.host_to_vm : &s.vm_to_host;
	uint64_t drops = direction_drops(d);
	return d->read_packets == p->other->sent &&
	       d->packets + drops == p->other->sent &&
	       atomic_load(&p->received) == d->packets;
}

static bool peer_done(struct peer *p)
{
	if (p->sent < p->to_send)
		return false;
	if (p->lossy)
		return lossy_done(p);
	return atomic_load(&p->received) >= p->expect;
}

static uint32_t get_be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static void peer_take(struct peer *p, const unsigned char *buf, size_t n);

/* Stream peer: the whole records among the bytes received so far. */
static void peer_take_records(struct peer *p)
{
	size_t at = 0;

	while (p->in_len - at >= 4) {
		uint32_t len = get_be32(p->in + at);

		if (len > FRAME_MAX) {
			snprintf(p->err, sizeof(p->err),
				 "stream out of step: length %u", len);
			return;
		}
		if (p->in_len - at < 4 + (size_t)len)
			break;
		peer_take(p, p->in + at + 4, len);
		at += 4 + (size_t)len;
	}
	memmove(p->in, p->in + at, p->in_len - at);
	p->in_len -= at;
}

static void peer_receive(struct peer *p, bool *progress)
{
	unsigned char buf[FRAME_MAX + 64];

	for (;;) {
		ssize_t n = p->stream
				? recv(p->fd, p->in + p->in_len,
				       sizeof(p->in) - p->in_len, MSG_DONTWAIT)
				: recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 || (n == 0 && p->stream)) {
			if (n == 0 || errno != EAGAIN)
				snprintf(p->err, sizeof(p->err), "recv: %s",
					 n == 0 ? "end of file"
						: strerror(errno));
			return;
		}
		*progress = true;
		if (p->stream) {
			p->in_len += (size_t)n;
			peer_take_records(p);
		} else {
			peer_take(p, buf, (size_t)n);
		}
	}
}

/* One frame received: check it, and its place in the sequence. */
static void peer_take(struct peer *p, const unsigned char *buf, size_t n)
{
	uint64_t seq;

	if (!frame_check(buf, n, &seq)) {
		p->bad++;
		return;
	}
	uint64_t got = atomic_load(&p->received);
	/* Lossless: exactly the next one. Lossy: gaps allowed, never
	 * backwards or twice. */
	if (p->lossy ? (p->have_last && seq <= p->last_seq) : seq != got)
		p->disorder++;
	p->last_seq = seq;
	p->have_last = true;
	atomic_store(&p->received, got + 1);
	if (p->signo && got + 1 == p->signal_after)
		kill(getpid(), p->signo);
}

/* Stream peer: send (more of) the record of frame p->sent. Return: true
 * when it went whole, false when the socket is full or failed. */
static bool peer_send_record(struct peer *p, bool *want_out)
{
	if (p->out_off == p->out_len) {
		uint32_t len = frame_fill(p->out + 4, p->sent);

		p->out[0] = (unsigned char)(len >> 24);
		p->out[1] = (unsigned char)(len >> 16);
		p->out[2] = (unsigned char)(len >> 8);
		p->out[3] = (unsigned char)len;
		p->out_len = 4 + (size_t)len;
		p->out_off = 0;
	}
	ssize_t n = send(p->fd, p->out + p->out_off, p->out_len - p->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		if (errno == EAGAIN)
			*want_out = true;
		else
			snprintf(p->err, sizeof(p->err), "send: %s",
				 strerror(errno));
		return false;
	}
	p->out_off += (size_t)n;
	if (p->out_off < p->out_len) {
		*want_out = true;
		return false;
	}
	p->sent++;
	return true;
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	unsigned char buf[FRAME_MAX];
	uint64_t last_progress = port_now_us();

	while (!atomic_load(&p->stop) && !p->err[0]) {
		bool progress = false, want_out = false;

		/* A burst of sends, then a look at the receive side, so
		 * both directions move even when one side floods. */
		for (int i = 0; i < 64 && p->sent < p->to_send; i++) {
			if (p->stream) {
				if (!peer_send_record(p, &want_out))
					break;
				progress = true;
				continue;
			}
			uint32_t len = frame_fill(buf, p->sent);

			if (send(p->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) <
			    0) {
				if (errno == EAGAIN || errno == ENOBUFS)
					want_out = true;
				else
					snprintf(p->err, sizeof(p->err),
						 "send: %s", strerror(errno));
				break;
			}
			p->sent++;
			progress = true;
		}
		if (p->sent == p->to_send)
			atomic_store(&p->done_sending, 1);

		bool reading = !p->hold_until_sent ||
			       atomic_load(&p->hold_until_sent->done_sending);
		if (reading)
			peer_receive(p, &progress);
		if (peer_done(p))
			break;
		if (progress) {
			last_progress = port_now_us();
			continue;
		}
		if (port_now_us() - last_progress >
		    STUCK_SECONDS * 1000000ull) {
			snprintf(p->err, sizeof(p->err),
				 "no progress for %d s: sent %" PRIu64
				 ", received %" PRIu64,
				 STUCK_SECONDS, p->sent,
				 (uint64_t)atomic_load(&p->received));
			break;
		}
		/* Wait for the socket, or re-check the engine's counters
		 * (lossy peers, held readers) every 10 ms. */
		struct pollfd pfd = {
		    .fd = p->fd,
		    .events = (short)((reading ? POLLIN : 0) |
				      (want_out ? POLLOUT : 0)),
		};
		poll(&pfd, 1, 10);
	}
	atomic_store(&p->done_sending, 1);
	return NULL;
}

static void peer_init(struct peer *p, struct rig *r, int side, uint64_t to_send,
		      struct peer *other)
{
	memset(p, 0, sizeof(*p));
	p->fd = r->app[side];
	p->stream = side == VM && r->vm_stream;
	p->engine = r->engine;
	p->side = side;
	p->to_send = to_send;
	p->other = other;
	p->expect = other->to_send;
}

static struct stress_result run_peers(struct peer *host, struct peer *vm)
{
	pthread_t th, tv;

	if (pthread_create(&th, NULL, peer_main, host))
		return stress_fail("pthread_create failed");
	if (pthread_create(&tv, NULL, peer_main, vm)) {
		atomic_store(&host->stop, 1);
		pthread_join(th, NULL);
		return stress_fail("pthread_create failed");
	}
	pthread_join(th, NULL);
	pthread_join(tv, NULL);
	if (host->err[0])
		return stress_fail("host peer: %s", host->err);
	if (vm->err[0])
		return stress_fail("vm peer: %s", vm->err);
	return stress_pass();
}

/* Frames arrived intact and in order at @p. */
static struct stress_result check_intact(const char *who, struct peer *p)
{
	if (p->bad)
		return stress_fail("%s received %" PRIu64 " damaged frames",
				   who, p->bad);
	if (p->disorder)
		return stress_fail("%s received %" PRIu64
				   " frames out of order",
				   who, p->disorder);
	return stress_pass();
}

#define CHECK(expr)                                                            \
	do {                                                                   \
		res = (expr);                                                  \
		if (!res.ok)                                                   \
			goto out;                                              \
	} while (0)

#define REQUIRE(cond, ...)                                                     \
	do {                                                                   \
		if (!(cond)) {                                                 \
			res = stress_fail(__VA_ARGS__);                        \
			goto out;                                              \
		}                                                              \
	} while (0)

static struct stress_result both_directions(unsigned frames, bool vm_stream)
{
	struct engine_config cfg;
	struct engine_stats s;
	struct rig rig;
	struct peer host, vm;
	struct stress_result res;

	scenario_config(&cfg);
	/* Nothing may be dropped here: let a busy peer make the engine
	 * wait as long as it takes. */
	cfg.write_wait_us = 30u * 1000000u;
	CHECK(rig_open(&rig, &cfg, vm_stream));
	memset(&vm, 0, sizeof(vm));
	vm.to_send = frames;
	peer_init(&host, &rig, HOST, frames, &vm);
	peer_init(&vm, &rig, VM, frames, &host);
	CHECK(run_peers(&host, &vm));
	CHECK(check_intact("VM", &vm));
	CHECK(check_intact("host", &host));
	REQUIRE(atomic_load(&vm.received) == frames,
		"VM received %" PRIu64 " of %u", (uint64_t)vm.received, frames);
	REQUIRE(atomic_load(&host.received) == frames,
		"host received %" PRIu64 " of %u", (uint64_t)host.received,
		frames);
	rig_stop(&rig);
	engine_get_stats(rig.engine, &s);
	REQUIRE(s.host_to_vm.packets == frames &&
		    s.vm_to_host.packets == frames,
		"engine delivered %" PRIu64 " / %" PRIu64 " of %u",
		s.host_to_vm.packets, s.vm_to_host.packets, frames);
	REQUIRE(s.host_to_vm.drop_stalled + s.vm_to_host.drop_stalled == 0,
		"engine dropped frames");
out:
	return rig_finish(&rig, res);
}

struct stress_result scenario_both_directions(unsigned frames)
{
	return both_directions(frames, false);
}

struct stress_result scenario_stream_both_directions(unsigned frames)
{
	return both_directions(frames, true);
}

struct stress_result scenario_stream_client_breaks_framing(unsigned how)
{
	struct engine_config cfg;
	struct engine_stats s;
	struct rig rig;
	struct stress_result res;
	unsigned char rec[4 + FRAME_MAX + 1], buf[FRAME_MAX + 64];
	uint64_t got = 0, seq;

	engine_config_defaults(&cfg);
	CHECK(rig_open(&rig, &cfg, true));
	for (uint64_t i = 0; i < 3; i++) {
		uint32_t len = frame_fill(rec + 4, i);

		rec[0] = rec[1] = 0;
		rec[2] = (unsigned char)(len >> 8);
		rec[3] = (unsigned char)len;
		REQUIRE(send(rig.app[VM], rec, 4 + len, MSG_NOSIGNAL) ==
			    (ssize_t)(4 + len),
			"send: %s", strerror(errno));
	}
	/* The good frames through first: the client's end ends the engine,
	 * which drops what is still in its rings (drop_shutdown), so
	 * frames still on their way would make the count below a race. */
	while (got < 3) {
		struct pollfd p = {.fd = rig.app[HOST], .events = POLLIN};

		REQUIRE(poll(&p, 1, 10000) == 1,
			"the host got %" PRIu64 " of the 3 good frames", got);
		ssize_t n = recv(rig.app[HOST], buf, sizeof(buf), MSG_DONTWAIT);
		REQUIRE(n > 0 && frame_check(buf, (size_t)n, &seq) &&
			    seq == got,
			"frame %" PRIu64 " damaged or out of order", got);
		got++;
	}
	/* 0: a length one over the max frame; 1: a record cut short by the
	 * client leaving. Either ends the client, never the engine's
	 * accounting. */
	uint32_t len = how == 0 ? FRAME_MAX + 1 : FRAME_MAX;
	size_t sent = how == 0 ? 4 + (size_t)len : 4 + 100;
	memset(rec + 4, 0x5a, sizeof(rec) - 4);
	rec[0] = rec[1] = 0;
	rec[2] = (unsigned char)(len >> 8);
	rec[3] = (unsigned char)len;
	REQUIRE(send(rig.app[VM], rec, sent, MSG_NOSIGNAL) == (ssize_t)sent,
		"send: %s", strerror(errno));
	if (how == 1) {
		close(rig.app[VM]);
		rig.app[VM] = -1;
	}
	REQUIRE(rig_wait(&rig, 30), "engine still running 30 s later");
	REQUIRE(rig.verdict == ENGINE_EXIT_VM_GONE, "engine exit %d: %s",
		rig.verdict, engine_exit_message(rig.engine));
	REQUIRE(recv(rig.app[HOST], buf, sizeof(buf), MSG_DONTWAIT) < 0,
		"a frame after the 3 good ones reached the host");
	engine_get_stats(rig.engine, &s);
	REQUIRE(s.vm_to_host.read_packets == 4 && s.vm_to_host.packets == 3 &&
		    s.vm_to_host.drop_truncated == 1,
		"read %" PRIu64 ", delivered %" PRIu64 ", truncated %" PRIu64,
		s.vm_to_host.read_packets, s.vm_to_host.packets,
		s.vm_to_host.drop_truncated);
out:
	return rig_finish(&rig, res);
}

struct stress_result scenario_stalled_reader(unsigned stall_host)
{
	const uint64_t flood = 20000, trickle = 2000;
	struct engine_config cfg;
	struct engine_stats s;
	struct rig rig;
	struct peer host, vm;
	struct stress_result res;

	scenario_config(&cfg);
	CHECK(rig_start(&rig, &cfg));
	struct peer *stalled = stall_host ? &host : &vm;
	struct peer *flooder = stall_host ? &vm : &host;
	/* peer_init reads other->to_send: set both counts first. */
	stalled->to_send = trickle;
	flooder->to_send = flood;
	peer_init(&host, &rig, HOST, host.to_send, &vm);
	peer_init(&vm, &rig, VM, vm.to_send, &host);
	host.lossy = vm.lossy = true;
	stalled->hold_until_sent = flooder;
	CHECK(run_peers(&host, &vm));
	CHECK(check_intact("host", &host));
	CHECK(check_intact("VM", &vm));

	rig_stop(&rig);
	engine_get_stats(rig.engine, &s);
	struct direction_stats *into_stalled =
	    stall_host ? &s.vm_to_host : &s.host_to_vm;
	struct direction_stats *from_stalled =
	    stall_host ? &s.host_to_vm : &s.vm_to_host;
	/* The peers only finished once sent == delivered + drops held for
	 * both directions; check it once more from the final counters. */
	REQUIRE(into_stalled->packets + into_stalled->drop_stalled == flood,
		"flood: %" PRIu64 " delivered + %" PRIu64 " dropped != %" PRIu64
		" sent",
		into_stalled->packets, into_stalled->drop_stalled, flood);
	REQUIRE(atomic_load(&stalled->received) == into_stalled->packets,
		"stalled side received %" PRIu64 ", engine delivered %" PRIu64,
		(uint64_t)stalled->received, into_stalled->packets);
	REQUIRE(into_stalled->drop_stalled > 0,
		"the stall never made the engine drop: the test did not stall");
	REQUIRE(from_stalled->packets + from_stalled->drop_stalled == trickle,
		"other direction: %" PRIu64 " + %" PRIu64 " != %" PRIu64,
		from_stalled->packets, from_stalled->drop_stalled, trickle);
	REQUIRE(atomic_load(&flooder->received) > 0,
		"nothing moved the other way during the stall");
out:
	return rig_finish(&rig, res);
}

struct stress_result scenario_signal_during_flood(unsigned signo)
{
	struct engine_config cfg;
	struct rig rig;
	struct peer host, vm;
	struct stress_result res;
	sigset_t set;
	pthread_t th, tv;
	bool peers = false;

	/* Blocked before any thread exists, so only the engine's
	 * supervisor, through its poller, ever sees the signal. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	scenario_config(&cfg);
	cfg.handle_signals = true;
	CHECK(rig_start(&rig, &cfg));
	memset(&vm, 0, sizeof(vm));
	vm.to_send = UINT64_MAX;
	peer_init(&host, &rig, HOST, UINT64_MAX, &vm);
	peer_init(&vm, &rig, VM, UINT64_MAX, &host);
	host.lossy = vm.lossy = true;
	vm.signal_after = 1000;
	vm.signo = (int)signo;
	REQUIRE(pthread_create(&th, NULL, peer_main, &host) == 0, "thread");
	if (pthread_create(&tv, NULL, peer_main, &vm)) {
		atomic_store(&host.stop, 1);
		pthread_join(th, NULL);
		REQUIRE(0, "thread");
	}
	peers = true;
	REQUIRE(rig_wait(&rig, 30), "engine still running 30 s after %s",
		strsignal((int)signo));
	REQUIRE(rig.verdict == ENGINE_EXIT_SIGNAL, "engine exit %d: %s",
		rig.verdict, engine_exit_message(rig.engine));
	const char *want =
	    signo == SIGTERM ? "stopped by SIGTERM" : "stopped by SIGINT";
	REQUIRE(strcmp(engine_exit_message(rig.engine), want) == 0,
		"exit message '%s'", engine_exit_message(rig.engine));
out:
	if (peers) {
		atomic_store(&host.stop, 1);
		atomic_store(&vm.stop, 1);
		pthread_join(th, NULL);
		pthread_join(tv, NULL);
		if (res.ok)
			res = check_intact("VM", &vm);
		if (res.ok)
			res = check_intact("host", &host);
		if (res.ok && atomic_load(&vm.received) < 1000)
			res = stress_fail("VM received only %" PRIu64,
					  (uint64_t)vm.received);
	}
	return rig_finish(&rig, res);
}

struct stress_result scenario_peer_close(unsigned host_side)
{
	struct engine_config cfg;
	struct rig rig;
	struct stress_result res;
	unsigned char buf[FRAME_MAX];
	int gone = host_side ? HOST : VM;

	scenario_config(&cfg);
	CHECK(rig_start(&rig, &cfg));
	close(rig.app[gone]);
	rig.app[gone] = -1;
	/* A datagram peer's close raises no event: the engine learns of it
	 * when it next writes there, so send it something to write. */
	uint32_t len = frame_fill(buf, 0);
	REQUIRE(send(rig.app[1 - gone], buf, len, MSG_NOSIGNAL) == (ssize_t)len,
		"send: %s", strerror(errno));
	REQUIRE(rig_wait(&rig, 30), "engine still running 30 s after close");
	enum engine_exit want =
	    host_side ? ENGINE_EXIT_HOST_GONE : ENGINE_EXIT_VM_GONE;
	REQUIRE(rig.verdict == want, "engine exit %d, want %d: %s", rig.verdict,
		want, engine_exit_message(rig.engine));
	REQUIRE(strstr(engine_exit_message(rig.engine), "closed"),
		"exit message '%s'", engine_exit_message(rig.engine));
out:
	return rig_finish(&rig, res);
}

struct stress_result scenario_bad_frames(unsigned from_host)
{
	struct engine_config cfg;
	struct engine_stats s;
	struct rig rig;
	struct stress_result res;
	unsigned char big[FRAME_MAX + 500], buf[FRAME_MAX + 64];
	int src = from_host ? HOST : VM, dst = from_host ? VM : HOST;
	uint64_t got = 0, seq;

	scenario_config(&cfg);
	CHECK(rig_start(&rig, &cfg));

	/* good 0, VFKT, good 1, runts of 10, 0 and 13 bytes, an oversized
	 * frame, good 2: 8 datagrams, 3 of them frames. */
	struct {
		const void *data;
		size_t len;
	} sends[8];
	unsigned char good[3][FRAME_MAX], runt[13] = {0};
	size_t glen[3];
	for (int i = 0; i < 3; i++)
		glen[i] = frame_fill(good[i], (uint64_t)i);
	memset(big, 0x5a, sizeof(big));
	sends[0].data = good[0], sends[0].len = glen[0];
	sends[1].data = "VFKT", sends[1].len = 4;
	sends[2].data = good[1], sends[2].len = glen[1];
	sends[3].data = runt, sends[3].len = 10;
	sends[4].data = runt, sends[4].len = 0;
	sends[5].data = runt, sends[5].len = 13;
	sends[6].data = big, sends[6].len = sizeof(big);
	sends[7].data = good[2], sends[7].len = glen[2];
	for (int i = 0; i < 8; i++)
		REQUIRE(send(rig.app[src], sends[i].data, sends[i].len,
			     MSG_NOSIGNAL) == (ssize_t)sends[i].len,
			"send %d: %s", i, strerror(errno));

	uint64_t deadline = port_now_us() + STUCK_SECONDS * 1000000ull;
	for (;;) {
		ssize_t n = recv(rig.app[dst], buf, sizeof(buf), MSG_DONTWAIT);
		if (n >= 0) {
			REQUIRE(frame_check(buf, (size_t)n, &seq) && seq == got,
				"frame %" PRIu64 " damaged or out of order",
				got);
			got++;
			continue;
		}
		engine_get_stats(rig.engine, &s);
		struct direction_stats *d =
		    from_host ? &s.host_to_vm : &s.vm_to_host;
		if (got == 3 && d->read_packets == 8)
			break;
		REQUIRE(port_now_us() < deadline,
			"after %d s: %" PRIu64
			" frames arrived, engine read %" PRIu64,
			STUCK_SECONDS, got, d->read_packets);
		struct pollfd pfd = {.fd = rig.app[dst], .events = POLLIN};
		poll(&pfd, 1, 10);
	}
	rig_stop(&rig);
	engine_get_stats(rig.engine, &s);
	struct direction_stats *d = from_host ? &s.host_to_vm : &s.vm_to_host;
	REQUIRE(d->drop_vfkt == 1, "drop_vfkt %" PRIu64, d->drop_vfkt);
	REQUIRE(d->drop_runt == 3, "drop_runt %" PRIu64, d->drop_runt);
	REQUIRE(d->drop_truncated == 1, "drop_truncated %" PRIu64,
		d->drop_truncated);
	REQUIRE(d->packets == 3, "delivered %" PRIu64, d->packets);
out:
	return rig_finish(&rig, res);
}

const struct stress_case engine_cases[] = {
    {"engine::both_directions_arrive_intact_in_order", scenario_both_directions,
     200000},
    {"engine::stalled_host_reader_accounts_every_frame",
     scenario_stalled_reader, 1},
    {"engine::stalled_vm_reader_accounts_every_frame", scenario_stalled_reader,
     0},
    {"engine::sigterm_during_flood_stops_cleanly", scenario_signal_during_flood,
     SIGTERM},
    {"engine::sigint_during_flood_stops_cleanly", scenario_signal_during_flood,
     SIGINT},
    {"engine::vm_close_stops_engine", scenario_peer_close, 0},
    {"engine::host_close_stops_engine", scenario_peer_close, 1},
    {"engine::bad_frames_from_vm_counted", scenario_bad_frames, 0},
    {"engine::bad_frames_from_host_counted", scenario_bad_frames, 1},
    {"engine::stream_both_directions_arrive_intact_in_order",
     scenario_stream_both_directions, 200000},
    {"engine::stream_length_over_max_ends_the_client",
     scenario_stream_client_breaks_framing, 0},
    {"engine::stream_client_leaving_mid_frame_is_counted",
     scenario_stream_client_breaks_framing, 1},
};
const unsigned engine_case_count =
    sizeof(engine_cases) / sizeof(engine_cases[0]);
