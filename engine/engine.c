/* SPDX-License-Identifier: Apache-2.0 */
/* engine.c - the supervisor: builds the datapath, runs the workers, watches
 * them and stops them. */
#include "engine.h"

#include "errmsg.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "placement.h"
#include "poller.h"
#include "signals.h"
#include "thread_cpu.h"
#include "worker.h"

enum {
	SUP_TAG_WAKE = 1,
	SUP_TAG_STATS,
	SUP_TAG_PEER_CHECK,
	SUP_TAG_EXIT_FD,
	SUP_TAG_TICK,
	SUP_TAG_SIGNAL_BASE = 64, /* + signal number (signals_watch()) */
};
enum { HOST = 0, SOCKET = 1 };

struct engine {
	struct engine_config cfg;
	struct endpoint *ep[2];
	struct pool *pool[2]; /* pool[i]: buffers port i reads into */
	struct ring *ring[2]; /* ring[i]: frames port i read */
	struct port port[2];
	struct worker worker[ENGINE_WORKERS_MAX];
	unsigned nworkers;
	struct poller *poller; /* the supervisor's */
	_Atomic int stop_requested;
	bool buffers_offered; /* endpoint_use_buffers() was called */
	char exit_message[160];
};

void engine_config_defaults(struct engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->batch = ENGINE_BATCH_DEFAULT;
	cfg->ring_size = ENGINE_RING_DEFAULT;
	cfg->write_wait_us = ENGINE_WRITE_WAIT_US_DEFAULT;
	cfg->retry_us = ENGINE_RETRY_US_DEFAULT;
	cfg->spin_us = ENGINE_SPIN_US_DEFAULT;
	cfg->host_cpu = -1;
	cfg->socket_cpu = -1;
	cfg->workers = ENGINE_WORKERS_AUTO;
	/* Now, not in engine_create(): on Linux the count is read from a
	 * file (glibc's get_nprocs() opens /sys/devices/system/cpu/online),
	 * which the helper's sandbox forbids once it serves. */
	cfg->online_cpus = placement_online_cpu_count();
	cfg->exit_fd = -1;
}

/* Worker ended: wake the supervisor, which looks at why. */
static void on_worker_exit(void *arg)
{
	struct engine *e = arg;

	poller_wake(e->poller);
}

/* Buffers can be on the ring, in the writer's pending batch, in the
 * reader's stash, or free: ring + 2 batches lets the reader always fill
 * the ring, so the ring, not the pool, is the limit. */
static uint32_t pool_count(unsigned batch, unsigned ring_size)
{
	return ring_size + 2 * batch;
}

size_t engine_memory_needed(unsigned batch, unsigned ring_size,
			    uint32_t max_frame)
{
	/* Per direction: a pool and the ring towards the other worker. */
	return 2 * (pool_mem_bytes(pool_count(batch, ring_size), max_frame) +
		    (size_t)ring_size * sizeof(void *));
}

static int check_config(const struct engine_config *c, uint32_t frame,
			char *err, size_t errlen)
{
	size_t need;

	if (c->batch < 1 || c->batch > ENGINE_BATCH_MAX) {
		errmsg_format(err, errlen, "batch size %u: must be 1 to %d",
			      c->batch, ENGINE_BATCH_MAX);
		return -EINVAL;
	}
	if (c->ring_size < c->batch || (c->ring_size & (c->ring_size - 1)) ||
	    c->ring_size > POOL_COUNT_MAX / 2) {
		errmsg_format(
		    err, errlen,
		    "ring size %u: must be a power of two from the batch "
		    "size (%u) to %u",
		    c->ring_size, c->batch, POOL_COUNT_MAX / 2);
		return -EINVAL;
	}
	if (c->workers > ENGINE_WORKERS_MAX) {
		errmsg_format(err, errlen, "%u workers: must be 1, 2 or auto",
			      c->workers);
		return -EINVAL;
	}
	if (c->retry_us < 1 || c->write_wait_us < c->retry_us ||
	    (c->socket_write_wait_us &&
	     c->socket_write_wait_us < c->retry_us)) {
		errmsg_format(
		    err, errlen,
		    "write wait %u us and retry %u us: retry must be at "
		    "least 1 us and the wait at least one retry",
		    c->write_wait_us < c->retry_us ? c->write_wait_us
						   : c->socket_write_wait_us,
		    c->retry_us);
		return -EINVAL;
	}
	if (c->stats_interval_s > ENGINE_STATS_INTERVAL_MAX_S) {
		errmsg_format(err, errlen,
			      "stats interval %u s: at most %u s, the longest "
			      "the timer counts in milliseconds",
			      c->stats_interval_s, ENGINE_STATS_INTERVAL_MAX_S);
		return -EINVAL;
	}
	need = engine_memory_needed(c->batch, c->ring_size, frame);
	if (need > ENGINE_MEMORY_MAX) {
		errmsg_format(
		    err, errlen,
		    "batch size %u and ring size %u with %u-byte frames "
		    "need %zu MiB of packet buffers, more than the %zu MiB "
		    "limit; use a smaller ring size",
		    c->batch, c->ring_size, (unsigned)frame,
		    (need + (1u << 20) - 1) >> 20, ENGINE_MEMORY_MAX >> 20);
		return -EINVAL;
	}
	return 0;
}

/* Two threads on one CPU would take turns on it, and every hand-off
 * between them would cost a wake-up and a context switch: one thread serving
 * both ports does the same work without them. The same holds on a machine
 * of ENGINE_AUTO_ONE_WORKER_MAX_CPUS CPUs or fewer, where the VM whose frames
 * the helper moves needs one of them: measured on 2 CPUs with the load on
 * one and the helper free on both, two workers moved 0.70-0.89x the
 * frames of a single-thread forwarder and one worker 0.93-1.02x
 * (docs/performance.md, "Issue 13, third pass"). A helper
 * confined to a subset of a bigger machine (its affinity) still gets two. */
static unsigned choose_workers(const struct engine_config *c)
{
	if (c->workers != ENGINE_WORKERS_AUTO)
		return c->workers;
	if (c->host_cpu >= 0 && c->host_cpu == c->socket_cpu)
		return 1;
	if (placement_cpu_count() == 1 ||
	    c->online_cpus <= ENGINE_AUTO_ONE_WORKER_MAX_CPUS)
		return 1;
	return 2;
}

static int setup_ports(struct engine *e)
{
	const struct engine_config *cfg = &e->cfg;

	for (int i = 0; i < 2; i++) {
		struct port *p = &e->port[i];
		int r;

		p->cfg.batch = cfg->batch;
		p->cfg.write_wait_us = i == SOCKET && cfg->socket_write_wait_us
					   ? cfg->socket_write_wait_us
					   : cfg->write_wait_us;
		p->cfg.retry_us = cfg->retry_us;
		p->ep = e->ep[i];
		p->rx_pool = e->pool[i];
		p->rx_ring = e->ring[i];
		p->tx_ring = e->ring[1 - i];
		p->tx_pool = e->pool[1 - i];
		p->peer = &e->port[1 - i];
		/* The host port reads what goes to the VM, the socket port
		 * what comes from it. */
		p->inspector =
		    i == HOST ? cfg->inspect_to_vm : cfg->inspect_from_vm;
		p->filter = i == HOST ? NULL : cfg->filter_from_vm;
		r = port_init(p);
		if (r)
			return r;
	}
	return 0;
}

static int setup_workers(struct engine *e)
{
	static const char *const names[ENGINE_WORKERS_MAX] = {"vmnet-host",
							      "vmnet-socket"};
	const struct engine_config *cfg = &e->cfg;

	e->nworkers = choose_workers(cfg);
	/* check_config() bounds it; the second test says so to the static
	 * analyzer. */
	for (unsigned i = 0; i < e->nworkers && i < ENGINE_WORKERS_MAX; i++) {
		struct worker *w = &e->worker[i];
		int r;

		if (e->nworkers == 1) {
			w->name = "vmnet-worker";
			w->cpu = cfg->host_cpu >= 0 ? cfg->host_cpu
						    : cfg->socket_cpu;
			worker_add_port(w, &e->port[HOST]);
			worker_add_port(w, &e->port[SOCKET]);
		} else {
			w->name = names[i];
			w->cpu = i == HOST ? cfg->host_cpu : cfg->socket_cpu;
			worker_add_port(w, &e->port[i]);
		}
		w->spin_us = cfg->spin_us;
		w->on_exit = on_worker_exit;
		w->on_exit_arg = e;
		r = worker_init(w);
		if (r)
			return r;
	}
	return 0;
}

/* Tell each endpoint where its frames will lie: the pool it reads into and
 * the one it writes from. Endpoints that can use this register them once;
 * failing to is not fatal, the endpoint then does without. */
static void offer_buffers(struct engine *e)
{
	for (int i = 0; i < 2; i++) {
		const struct endpoint_region regions[2] = {
		    {e->pool[i]->mem, e->pool[i]->mem_size},
		    {e->pool[1 - i]->mem, e->pool[1 - i]->mem_size},
		};
		int r = endpoint_use_buffers(e->ep[i], regions, 2);

		if (r)
			log_debug("[engine] %s: buffers not registered: %s",
				  e->ep[i]->name, strerror(-r));
		e->buffers_offered = true;
	}
}

/* The endpoints outlive the engine; its pools do not. Done as soon as
 * the workers are joined: the caller may close an endpoint between
 * engine_run() and engine_destroy() (engine.h). */
static void withdraw_buffers(struct engine *e)
{
	for (int i = 0; i < 2 && e->buffers_offered; i++)
		endpoint_use_buffers(e->ep[i], NULL, 0);
	e->buffers_offered = false;
}

int engine_create(const struct engine_config *cfg, struct endpoint *host,
		  struct endpoint *vm, struct engine **ep, char *err,
		  size_t errlen)
{
	struct engine *e;
	int r;

	/* A frame read on one side is written on the other, so both pools
	 * hold the larger of the two sides' frames. */
	uint32_t frame =
	    host->max_frame > vm->max_frame ? host->max_frame : vm->max_frame;

	*ep = NULL;
	r = check_config(cfg, frame, err, errlen);
	if (r)
		return r;
	e = calloc(1, sizeof(*e));
	if (!e) {
		errmsg_format(err, errlen, "out of memory for the engine");
		return -ENOMEM;
	}
	e->cfg = *cfg;
	e->ep[HOST] = host;
	e->ep[SOCKET] = vm;
	uint32_t count = pool_count(cfg->batch, cfg->ring_size);

	r = poller_create(&e->poller, SUP_TAG_WAKE);
	for (int i = 0; i < 2 && !r; i++) {
		r = pool_create(count, frame, &e->pool[i]);
		if (r) {
			errmsg_format(err, errlen, "%s", pool_create_error(r));
			break;
		}
		r = ring_create(cfg->ring_size, &e->ring[i]);
		if (r) {
			errmsg_format(err, errlen, "%s", ring_create_error(r));
			break;
		}
	}
	if (!r)
		r = setup_ports(e);
	if (!r)
		r = setup_workers(e);
	if (!r)
		offer_buffers(e);
	if (r) {
		if (err && !*err)
			errmsg_format(err, errlen,
				      "cannot set up the engine: %s",
				      strerror(-r));
		engine_destroy(e);
		return r;
	}
	*ep = e;
	return 0;
}

void engine_destroy(struct engine *e)
{
	if (!e)
		return;
	withdraw_buffers(e); /* an engine that never ran */
	for (int i = 0; i < ENGINE_WORKERS_MAX; i++)
		worker_free(&e->worker[i]);
	for (int i = 0; i < 2; i++) {
		port_free(&e->port[i]);
		ring_destroy(e->ring[i]);
		pool_destroy(e->pool[i]);
	}
	poller_destroy(e->poller);
	free(e);
}

unsigned engine_workers(const struct engine *e)
{
	return e->nworkers;
}

size_t engine_memory_bytes(const struct engine *e)
{
	size_t total = 0;

	for (int i = 0; i < 2; i++)
		total +=
		    e->pool[i]->mem_size +
		    (size_t)ring_capacity(e->ring[i]) * sizeof(void *) +
		    (size_t)ring_capacity(e->pool[i]->free) * sizeof(void *);
	return total;
}

void engine_stop(struct engine *e)
{
	/* Release: pairs with the acquire in engine_run()'s loop. */
	atomic_store_explicit(&e->stop_requested, 1, memory_order_release);
	poller_wake(e->poller);
}

static void read_direction(struct direction_stats *d, struct counters *in,
			   struct counters *out)
{
	d->packets = counter_get(&out->out.packets);
	d->bytes = counter_get(&out->out.bytes);
	d->batches = counter_get(&out->out.batches);
	d->retries = counter_get(&out->out.retries);
	d->drop_too_big = counter_get(&out->out.drop_too_big);
	d->drop_link_down = counter_get(&out->out.drop_link_down);
	d->drop_unsent = counter_get(&out->out.drop_unsent);
	d->drop_stalled = counter_get(&out->out.drop_stalled);
	d->drop_shutdown = counter_get(&out->out.drop_shutdown);
	d->read_packets = counter_get(&in->in.packets);
	d->read_bytes = counter_get(&in->in.bytes);
	d->read_batches = counter_get(&in->in.batches);
	d->drop_runt = counter_get(&in->in.drop_runt);
	d->drop_truncated = counter_get(&in->in.drop_truncated);
	d->drop_vfkt = counter_get(&in->in.drop_vfkt);
	d->drop_foreign = counter_get(&in->in.drop_foreign);
	d->drop_guard_mac = counter_get(&in->in.drop_guard_mac);
	d->drop_guard_ip = counter_get(&in->in.drop_guard_ip);
	d->drop_guard_dst = counter_get(&in->in.drop_guard_dst);
	d->drop_guard_vlan = counter_get(&in->in.drop_guard_vlan);
}

/* A worker's CPU time, once it has stopped: cpu_ns is written before the
 * release store of its ports' exit reasons, so it may be read once one is
 * seen (acquire). */
static uint64_t worker_cpu_ns(struct worker *w)
{
	return port_exit_reason(w->ports[0]) != PORT_RUNNING ? w->cpu_ns : 0;
}

void engine_get_stats(struct engine *e, struct engine_stats *s)
{
	struct counters *host = &e->port[HOST].counters;
	struct counters *sock = &e->port[SOCKET].counters;

	memset(s, 0, sizeof(*s)); /* fields the engine does not count, too */
	read_direction(&s->host_to_vm, host, sock);
	read_direction(&s->vm_to_host, sock, host);
	s->host_wakeups = counter_get(&e->worker[HOST].wakeups);
	s->host_cpu_ns = worker_cpu_ns(&e->worker[HOST]);
	if (e->nworkers > 1) {
		s->socket_wakeups = counter_get(&e->worker[SOCKET].wakeups);
		s->socket_cpu_ns = worker_cpu_ns(&e->worker[SOCKET]);
	}
}

const char *engine_exit_message(const struct engine *e)
{
	return e->exit_message;
}

/* Why did port @i's worker stop serving it? Fills the exit message;
 * returns the engine exit. */
static enum engine_exit port_verdict(struct engine *e, int i)
{
	struct port *p = &e->port[i];
	const char *side = i == HOST ? "host interface" : "VM socket";

	switch (port_exit_reason(p)) {
	case PORT_PEER_GONE:
		snprintf(e->exit_message, sizeof(e->exit_message),
			 i == HOST ? "the host interface %s closed (%s)"
				   : "the VM closed its socket (%s%s)",
			 i == HOST ? p->ep->name : "", strerror(p->exit_errno));
		return i == HOST ? ENGINE_EXIT_HOST_GONE : ENGINE_EXIT_VM_GONE;
	case PORT_FAILED:
		snprintf(e->exit_message, sizeof(e->exit_message),
			 "%s %s failed: %s", side, p->ep->name,
			 strerror(p->exit_errno));
		return ENGINE_EXIT_FAILED;
	default:
		snprintf(e->exit_message, sizeof(e->exit_message),
			 "%s worker stopped", side);
		return ENGINE_EXIT_STOPPED;
	}
}

/* Whether a worker has ended; if so, the verdict from the port that says
 * why (one worker serving both ports stops both, and only the one whose
 * endpoint ended it knows the reason). */
static bool worker_ended(struct engine *e, enum engine_exit *verdict)
{
	int ended = -1;

	for (int i = 0; i < 2; i++) {
		enum port_exit r = port_exit_reason(&e->port[i]);

		if (r == PORT_PEER_GONE || r == PORT_FAILED) {
			ended = i;
			break;
		}
		if (r != PORT_RUNNING && ended < 0)
			ended = i;
	}
	if (ended < 0)
		return false;
	*verdict = port_verdict(e, ended);
	return true;
}

static int setup_supervisor(struct engine *e)
{
	int r = 0;

	/* Also for a caller that handles no signals (tests, benchmarks): a
	 * peer that vanishes mid-send must be an error code, not a death. */
	signal(SIGPIPE, SIG_IGN);
	/* Taken before the workers exist, so they inherit the mask and only
	 * the supervisor's poller sees the signals (signals.h). */
	if (e->cfg.handle_signals) {
		r = signals_take();
		if (!r)
			r = signals_watch(e->poller, SUP_TAG_SIGNAL_BASE);
	}
	if (!r && e->cfg.stats_interval_s && e->cfg.on_stats)
		r = poller_add_timer(e->poller, SUP_TAG_STATS,
				     e->cfg.stats_interval_s * 1000u);
	if (!r && (e->cfg.vm_alive || e->cfg.host_alive) && e->cfg.vm_check_ms)
		r = poller_add_timer(e->poller, SUP_TAG_PEER_CHECK,
				     e->cfg.vm_check_ms);
	if (!r && e->cfg.on_tick && e->cfg.tick_ms)
		r = poller_add_timer(e->poller, SUP_TAG_TICK, e->cfg.tick_ms);
	if (!r && e->cfg.exit_fd >= 0)
		r = poller_add_fd(e->poller, e->cfg.exit_fd, POLLER_IN,
				  SUP_TAG_EXIT_FD);
	return r;
}

/* A started worker's CPU time so far: from its thread's clock while it
 * runs; once it has ended (its clock goes with it), what it recorded at its
 * end, which engine_get_stats() gave as @at_exit or gives now. */
static uint64_t worker_cpu_so_far(struct worker *w, uint64_t at_exit)
{
	uint64_t ns;

	if (port_exit_reason(w->ports[0]) == PORT_RUNNING &&
	    thread_cpu_ns(w->thread, &ns) == 0)
		return ns;
	/* Acquire in port_exit_reason(): cpu_ns is set before it. */
	return port_exit_reason(w->ports[0]) != PORT_RUNNING ? w->cpu_ns
							     : at_exit;
}

/* The stats timer fired, or SIGUSR1 came: both workers have started. */
static void report_stats(struct engine *e)
{
	struct engine_stats s;

	if (!e->cfg.on_stats)
		return;
	engine_get_stats(e, &s);
	s.host_cpu_ns = worker_cpu_so_far(&e->worker[HOST], s.host_cpu_ns);
	if (e->nworkers > 1)
		s.socket_cpu_ns =
		    worker_cpu_so_far(&e->worker[SOCKET], s.socket_cpu_ns);
	e->cfg.on_stats(&s, e->cfg.stats_arg);
}

/* The peer check timer fired: is either socket's other end gone? Return:
 * 1 with @verdict and the exit message set when one is, else 0. */
static int check_peers(struct engine *e, enum engine_exit *verdict)
{
	if (e->cfg.vm_alive && e->cfg.vm_alive(e->cfg.vm_alive_arg) == 0) {
		snprintf(e->exit_message, sizeof(e->exit_message),
			 "the VM closed its socket (its end no longer exists)");
		*verdict = ENGINE_EXIT_VM_GONE;
		return 1;
	}
	if (e->cfg.host_alive &&
	    e->cfg.host_alive(e->cfg.host_alive_arg) == 0) {
		snprintf(e->exit_message, sizeof(e->exit_message),
			 "the other end of the %s closed (it no longer "
			 "exists)",
			 e->ep[HOST]->name);
		*verdict = ENGINE_EXIT_HOST_GONE;
		return 1;
	}
	return 0;
}

enum engine_exit engine_run(struct engine *e)
{
	enum engine_exit verdict = ENGINE_EXIT_STOPPED;
	int started = 0;
	int r;

	r = setup_supervisor(e);
	if (!r && e->nworkers == 1)
		log_debug("[engine] one worker serves both endpoints");
	for (unsigned i = 0; i < e->nworkers && !r; i++) {
		r = worker_start(&e->worker[i]);
		if (!r)
			started++;
	}
	if (r) {
		snprintf(e->exit_message, sizeof(e->exit_message),
			 "cannot start the engine: %s", strerror(-r));
		verdict = ENGINE_EXIT_FAILED;
	}

	while (!r) {
		struct poller_event ev[8];
		int n = poller_wait(e->poller, ev, 8, -1);

		if (n < 0) {
			snprintf(e->exit_message, sizeof(e->exit_message),
				 "supervisor poller failed: %s", strerror(-n));
			verdict = ENGINE_EXIT_FAILED;
			break;
		}
		for (int k = 0; k < n && !r; k++) {
			int signo = 0;
			enum signal_action act = signals_classify(
			    ev[k].tag, SUP_TAG_SIGNAL_BASE, &signo);

			if (act == SIGNAL_STOP) {
				snprintf(e->exit_message,
					 sizeof(e->exit_message),
					 "stopped by %s", signal_name(signo));
				verdict = ENGINE_EXIT_SIGNAL;
				r = 1;
			} else if (act == SIGNAL_STATS) {
				report_stats(e);
			} else if (ev[k].tag == SUP_TAG_EXIT_FD) {
				snprintf(e->exit_message,
					 sizeof(e->exit_message), "%s",
					 e->cfg.exit_why ? e->cfg.exit_why
							 : "watched fd fired");
				verdict = ENGINE_EXIT_WATCHED;
				r = 1;
			} else if (ev[k].tag == SUP_TAG_PEER_CHECK) {
				r = check_peers(e, &verdict);
			} else if (ev[k].tag == SUP_TAG_STATS) {
				report_stats(e);
			} else if (ev[k].tag == SUP_TAG_TICK) {
				e->cfg.on_tick(e->cfg.tick_arg);
			}
		}
		if (r)
			break;
		/* Acquire: pairs with the release in engine_stop(). */
		if (atomic_load_explicit(&e->stop_requested,
					 memory_order_acquire)) {
			snprintf(e->exit_message, sizeof(e->exit_message),
				 "stopped");
			verdict = ENGINE_EXIT_STOPPED;
			break;
		}
		if (worker_ended(e, &verdict))
			r = 1;
	}

	for (int i = 0; i < started; i++)
		worker_request_stop(&e->worker[i]);
	for (int i = 0; i < started; i++)
		worker_join(&e->worker[i]);
	/* Frames still on a ring or in a pending batch are lost now:
	 * counted, so that every frame read is delivered or dropped. */
	for (int i = 0; i < 2; i++)
		port_count_leftovers(&e->port[i]);
	withdraw_buffers(e);
	/* The signals stay blocked: one arriving during the caller's
	 * cleanup must not kill the process with a signal status. */
	return verdict;
}
