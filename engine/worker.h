/* SPDX-License-Identifier: Apache-2.0 */
/* worker.h - one pinned thread that owns one endpoint: it reads frames from
 * it into the ring towards the other worker, and writes the frames the other
 * worker sends it. The engine runs two: host and socket. */
#ifndef VMNET_HELPER_WORKER_H
#define VMNET_HELPER_WORKER_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "counters.h"
#include "endpoint.h"
#include "frame_inspector.h"
#include "pool.h"
#include "ring.h"

struct poller;

enum worker_exit {
	WORKER_RUNNING = 0,
	WORKER_STOPPED,	  /* worker_request_stop() */
	WORKER_PEER_GONE, /* the endpoint's other side went away */
	WORKER_FAILED,	  /* the endpoint or the poller failed */
};

struct worker_config {
	const char *name;	/* thread name, also in log lines */
	int cpu;		/* CPU to pin to, or -1 */
	unsigned batch;		/* frames per read and per write call */
	unsigned write_wait_us; /* longest a batch waits for a full peer */
	unsigned retry_us;	/* retry period when no event will come */
	unsigned spin_us; /* look for ring work this long before sleeping */
};

struct worker {
	/* Set before worker_start(), read-only afterwards. */
	struct worker_config cfg;
	struct endpoint *ep;
	struct poller *poller; /* made by worker_init(), its wake-up tag ours */
	struct pool *rx_pool;  /* this worker takes free buffers from it */
	struct ring *rx_ring;  /* frames read here, for the peer to write */
	struct ring *tx_ring;  /* frames from the peer, to write here */
	struct pool *tx_pool;  /* ... whose buffers go back to this pool */
	struct worker *peer;
	/* Sees each batch of good frames read here, or NULL. */
	struct frame_inspector *inspector;
	void (*on_exit)(void *arg); /* called once when the loop ends */
	void *on_exit_arg;

	/* Flags other threads read or write; see worker.c for the protocol. */
	alignas(RING_CACHE_LINE) _Atomic int sleeping;
	_Atomic int stop_requested;
	_Atomic int ep_ready;	 /* set by the endpoint's notify callback */
	_Atomic int exit_reason; /* enum worker_exit, release-stored once */
	int exit_errno;		 /* valid once exit_reason is set */
	uint64_t cpu_ns;	 /* thread CPU time at exit; likewise */
	int pin_error;		 /* result of placement_pin_self(), 0 = ok */

	/* Written by this worker only, read by the supervisor. */
	alignas(RING_CACHE_LINE) struct counters counters;

	/* Private to the worker thread. */
	alignas(RING_CACHE_LINE) bool can_read, can_write;
	struct pkt **stash; /* free buffers taken from rx_pool, not yet used */
	unsigned stash_n;
	struct pkt **good;    /* scratch: frames of one read that pass checks */
	struct pkt **pending; /* frames taken from tx_ring, being written */
	unsigned pending_n, pending_off;
	uint64_t write_deadline_us; /* 0 while the batch has not been refused */
	uint64_t retry_at_us;	    /* 0 unless waiting out an ENOBUFS */
	pthread_t thread;
};

/**
 * worker_init() - allocate a worker's private arrays and its poller
 * @w:		zeroed worker whose cfg and pointers the caller has set
 *
 * Return: 0, -ENOMEM, or the negative errno of poller_create().
 */
int worker_init(struct worker *w);

/**
 * worker_start() - start the worker's thread
 * @w:	initialised worker
 *
 * Return: 0 or a negative errno from pthread_create().
 */
int worker_start(struct worker *w);

/**
 * worker_request_stop() - ask the worker to end its loop soon; any thread
 * @w:	worker
 */
void worker_request_stop(struct worker *w);

/**
 * worker_join() - wait for the worker's thread to end
 * @w:	started worker
 */
void worker_join(struct worker *w);

/**
 * worker_count_leftovers() - count the frames @w was still to write as
 * dropped at shutdown: those on its tx_ring and in its pending batch
 * @w:	worker whose thread, and whose peer's, have been joined
 *
 * So that every frame read is delivered or counted, also at a stop in
 * the middle of a flood. The buffers go back to their pool.
 */
void worker_count_leftovers(struct worker *w);

/**
 * worker_free() - free what worker_init() allocated, poller included
 * @w:	worker that is not running
 */
void worker_free(struct worker *w);

/**
 * worker_notify() - wake the worker because its endpoint has frames
 * @arg:	the worker
 *
 * Given to endpoints without a pollable fd (vmnet); safe from any thread.
 */
void worker_notify(void *arg);

/**
 * worker_exit_reason() - why the worker stopped, once it has
 * @w:	worker
 *
 * Return: WORKER_RUNNING while it runs, else the reason.
 */
static inline enum worker_exit worker_exit_reason(struct worker *w)
{
	/* Acquire: pairs with the release store in worker_finish(), so
	 * exit_errno is valid once the reason is seen. */
	return (enum worker_exit)atomic_load_explicit(&w->exit_reason,
						      memory_order_acquire);
}

#endif
