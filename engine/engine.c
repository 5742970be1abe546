/* SPDX-License-Identifier: Apache-2.0 */
/* engine.c - the supervisor: builds the datapath, runs the two workers,
 * watches them and stops them. */
#include "engine.h"

#include "errmsg.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poller.h"
#include "signals.h"
#include "worker.h"

enum {
	SUP_TAG_WAKE = 1,
	SUP_TAG_STATS,
	SUP_TAG_VM_CHECK,
	SUP_TAG_EXIT_FD,
	SUP_TAG_TICK,
	SUP_TAG_SIGNAL_BASE = 64, /* + signal number (signals_watch()) */
};
enum { HOST = 0, SOCKET = 1 };

struct engine {
	struct engine_config cfg;
	struct endpoint *ep[2];
	struct pool *pool[2]; /* pool[i]: buffers worker i reads into */
	struct ring *ring[2]; /* ring[i]: frames worker i read */
	struct worker worker[2];
	struct poller *poller; /* the supervisor's */
	_Atomic int stop_requested;
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
	if (c->retry_us < 1 || c->write_wait_us < c->retry_us) {
		errmsg_format(
		    err, errlen,
		    "write wait %u us and retry %u us: retry must be at "
		    "least 1 us and the wait at least one retry",
		    c->write_wait_us, c->retry_us);
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

int engine_create(const struct engine_config *cfg, struct endpoint *host,
		  struct endpoint *vm, struct engine **ep, char *err,
		  size_t errlen)
{
	static const char *const names[2] = {"vmnet-host", "vmnet-socket"};
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
	for (int i = 0; i < 2 && !r; i++) {
		struct worker *w = &e->worker[i];

		w->cfg.name = names[i];
		w->cfg.cpu = i == HOST ? cfg->host_cpu : cfg->socket_cpu;
		w->cfg.batch = cfg->batch;
		w->cfg.write_wait_us = cfg->write_wait_us;
		w->cfg.retry_us = cfg->retry_us;
		w->cfg.spin_us = cfg->spin_us;
		w->ep = e->ep[i];
		w->rx_pool = e->pool[i];
		w->rx_ring = e->ring[i];
		w->tx_ring = e->ring[1 - i];
		w->tx_pool = e->pool[1 - i];
		w->peer = &e->worker[1 - i];
		w->inspector =
		    i == HOST ? cfg->inspect_to_vm : cfg->inspect_from_vm;
		w->on_exit = on_worker_exit;
		w->on_exit_arg = e;
		r = worker_init(w);
	}
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
	for (int i = 0; i < 2; i++) {
		worker_free(&e->worker[i]);
		ring_destroy(e->ring[i]);
		pool_destroy(e->pool[i]);
	}
	poller_destroy(e->poller);
	free(e);
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
}

void engine_get_stats(struct engine *e, struct engine_stats *s)
{
	struct counters *host = &e->worker[HOST].counters;
	struct counters *sock = &e->worker[SOCKET].counters;

	memset(s, 0, sizeof(*s)); /* fields the engine does not count, too */
	read_direction(&s->host_to_vm, host, sock);
	read_direction(&s->vm_to_host, sock, host);
	s->host_wakeups = counter_get(&host->wakeups);
	s->socket_wakeups = counter_get(&sock->wakeups);
	/* cpu_ns is written before the release store of the exit reason,
	 * so it may be read once that is seen (acquire). */
	s->host_cpu_ns = worker_exit_reason(&e->worker[HOST]) != WORKER_RUNNING
			     ? e->worker[HOST].cpu_ns
			     : 0;
	s->socket_cpu_ns =
	    worker_exit_reason(&e->worker[SOCKET]) != WORKER_RUNNING
		? e->worker[SOCKET].cpu_ns
		: 0;
}

const char *engine_exit_message(const struct engine *e)
{
	return e->exit_message;
}

/* Why did a worker end? Fills the exit message; returns the engine exit. */
static enum engine_exit worker_verdict(struct engine *e, int i)
{
	struct worker *w = &e->worker[i];
	const char *side = i == HOST ? "host interface" : "VM socket";

	switch (worker_exit_reason(w)) {
	case WORKER_PEER_GONE:
		snprintf(e->exit_message, sizeof(e->exit_message),
			 i == HOST ? "the host interface %s closed (%s)"
				   : "the VM closed its socket (%s%s)",
			 i == HOST ? w->ep->name : "", strerror(w->exit_errno));
		return i == HOST ? ENGINE_EXIT_HOST_GONE : ENGINE_EXIT_VM_GONE;
	case WORKER_FAILED:
		snprintf(e->exit_message, sizeof(e->exit_message),
			 "%s %s failed: %s", side, w->ep->name,
			 strerror(w->exit_errno));
		return ENGINE_EXIT_FAILED;
	default:
		snprintf(e->exit_message, sizeof(e->exit_message),
			 "%s worker stopped", side);
		return ENGINE_EXIT_STOPPED;
	}
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
	if (!r && e->cfg.vm_alive && e->cfg.vm_check_ms)
		r = poller_add_timer(e->poller, SUP_TAG_VM_CHECK,
				     e->cfg.vm_check_ms);
	if (!r && e->cfg.on_tick && e->cfg.tick_ms)
		r = poller_add_timer(e->poller, SUP_TAG_TICK, e->cfg.tick_ms);
	if (!r && e->cfg.exit_fd >= 0)
		r = poller_add_fd(e->poller, e->cfg.exit_fd, POLLER_IN,
				  SUP_TAG_EXIT_FD);
	return r;
}

/* The stats timer fired, or SIGUSR1 came. */
static void report_stats(struct engine *e)
{
	struct engine_stats s;

	if (!e->cfg.on_stats)
		return;
	engine_get_stats(e, &s);
	e->cfg.on_stats(&s, e->cfg.stats_arg);
}

enum engine_exit engine_run(struct engine *e)
{
	enum engine_exit verdict = ENGINE_EXIT_STOPPED;
	int started = 0;
	int r;

	r = setup_supervisor(e);
	for (int i = 0; i < 2 && !r; i++) {
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
			} else if (ev[k].tag == SUP_TAG_VM_CHECK &&
				   e->cfg.vm_alive(e->cfg.vm_alive_arg) == 0) {
				snprintf(e->exit_message,
					 sizeof(e->exit_message),
					 "the VM closed its socket (its end no "
					 "longer exists)");
				verdict = ENGINE_EXIT_VM_GONE;
				r = 1;
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
		for (int i = 0; i < 2; i++) {
			if (worker_exit_reason(&e->worker[i]) !=
			    WORKER_RUNNING) {
				verdict = worker_verdict(e, i);
				r = 1;
				break;
			}
		}
	}

	for (int i = 0; i < started; i++)
		worker_request_stop(&e->worker[i]);
	for (int i = 0; i < started; i++)
		worker_join(&e->worker[i]);
	/* Frames still on a ring or in a pending batch are lost now:
	 * counted, so that every frame read is delivered or dropped. */
	for (int i = 0; i < 2; i++)
		worker_count_leftovers(&e->worker[i]);
	/* The signals stay blocked: one arriving during the caller's
	 * cleanup must not kill the process with a signal status. */
	return verdict;
}
