/* SPDX-License-Identifier: Apache-2.0 */
/* port.h - one endpoint's side of the datapath: it reads frames from the
 * endpoint onto the ring towards the other port, and writes the frames the
 * other port sends it. A worker thread (worker.h) serves one port or both. */
#ifndef VMNET_HELPER_PORT_H
#define VMNET_HELPER_PORT_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "counters.h"
#include "endpoint.h"
#include "frame_filter.h"
#include "frame_inspector.h"
#include "pool.h"
#include "ring.h"

struct worker;

enum port_exit {
	PORT_RUNNING = 0,
	PORT_STOPPED,	/* its worker was asked to stop, or failed elsewhere */
	PORT_PEER_GONE, /* the endpoint's other side went away */
	PORT_FAILED,	/* the endpoint or the worker's poller failed */
};

struct port_config {
	unsigned batch;		/* frames per read and per write call */
	unsigned write_wait_us; /* longest a refused batch waits while the
				   reader takes nothing */
	unsigned retry_us;	/* retry period when no event will come */
};

struct port {
	/* Set before the worker starts, read-only afterwards. */
	struct port_config cfg;
	struct endpoint *ep;
	struct pool *rx_pool; /* this port takes free buffers from it */
	struct ring *rx_ring; /* frames read here, for the peer to write */
	struct ring *tx_ring; /* frames from the peer, to write here */
	struct pool *tx_pool; /* ... whose buffers go back to this pool */
	struct port *peer;
	struct worker *worker; /* the thread that serves this port */
	/* Sees each batch of good frames read here, or NULL. */
	struct frame_inspector *inspector;
	/* May drop frames read here before the inspector sees them, or
	 * NULL. */
	struct frame_filter *filter;

	/* Flags other threads read or write; see worker.c for the protocol. */
	alignas(RING_CACHE_LINE) _Atomic int ep_ready; /* endpoint's notify */
	_Atomic int exit_reason; /* enum port_exit, release-stored once */
	int exit_errno;		 /* valid once exit_reason is set */

	/* Written by the serving worker only, read by the supervisor. */
	alignas(RING_CACHE_LINE) struct counters counters;

	/* Private to the serving worker. */
	alignas(RING_CACHE_LINE) bool can_read, can_write;
	struct pkt **stash; /* free buffers taken from rx_pool, not yet used */
	unsigned stash_n;
	struct pkt **good;    /* scratch: frames of one read that pass checks */
	struct pkt **pending; /* frames taken from tx_ring, being written */
	unsigned pending_n, pending_off;
	uint64_t write_deadline_us; /* 0 while the batch has not been refused;
				       moved on by every write after */
	uint64_t retry_at_us;	    /* 0 unless waiting out an ENOBUFS */
};

/**
 * port_init() - allocate a port's private arrays
 * @p:	zeroed port whose cfg and pointers the caller has set
 *
 * Return: 0 or -ENOMEM.
 */
int port_init(struct port *p);

/**
 * port_free() - free what port_init() allocated
 * @p:	port whose worker is not running
 */
void port_free(struct port *p);

/**
 * port_write() - write a batch from tx_ring to the endpoint, or carry on
 * with the pending one (retries, the write deadline)
 * @p:		port
 * @progress:	set when something moved or changed
 * @kick:	set when buffers went back to the peer's pool
 *
 * Return: 0, or a negative errno that ends the worker.
 */
int port_write(struct port *p, bool *progress, bool *kick);

/**
 * port_read() - read a batch from the endpoint onto rx_ring, dropping and
 * counting bad frames
 * @p:		port
 * @progress:	set when something was read
 * @kick:	set when frames went onto the peer's tx_ring
 *
 * Return: 0, or a negative errno that ends the worker.
 */
int port_read(struct port *p, bool *progress, bool *kick);

/**
 * port_has_work() - whether port_write() or port_read() would do something
 * now; the sleeper's last look (worker.c)
 * @p:	port
 *
 * Return: true if it would.
 */
bool port_has_work(struct port *p);

/**
 * port_ring_work() - a cheap look, for spinning: frames to write that may
 * be written, or a notification from the endpoint
 * @p:	port
 *
 * Return: true if there is such work.
 */
bool port_ring_work(struct port *p);

/**
 * port_sleep_until_us() - when the pending batch's next retry or deadline
 * is due
 * @p:	port
 *
 * Return: a CLOCK_MONOTONIC time in us, or 0 when nothing is due.
 */
uint64_t port_sleep_until_us(const struct port *p);

/**
 * port_on_event() - take in the poller's report on ep->fd
 * @p:		port
 * @events:	POLLER_* bits
 */
void port_on_event(struct port *p, uint32_t events);

/**
 * port_count_leftovers() - count the frames @p was still to write as
 * dropped at shutdown: those on its tx_ring and in its pending batch
 * @p:	port whose worker, and its peer's, have been joined
 *
 * So that every frame read is delivered or counted, also at a stop in
 * the middle of a flood. The buffers go back to their pool.
 */
void port_count_leftovers(struct port *p);

/**
 * port_finish() - record why @p's worker stopped serving it
 * @p:		port
 * @reason:	enum port_exit
 * @err:	negative errno, or 0
 *
 * Called once, by the serving worker, after its last write of anything the
 * supervisor reads (release).
 */
void port_finish(struct port *p, enum port_exit reason, int err);

/**
 * port_exit_reason() - why the port's worker stopped serving it, once it
 * has
 * @p:	port
 *
 * Return: PORT_RUNNING while it runs, else the reason.
 */
static inline enum port_exit port_exit_reason(struct port *p)
{
	/* Acquire: pairs with the release store in port_finish(), so
	 * exit_errno, and the worker's cpu_ns, are valid once the reason is
	 * seen. */
	return (enum port_exit)atomic_load_explicit(&p->exit_reason,
						    memory_order_acquire);
}

/**
 * port_now_us() - CLOCK_MONOTONIC in microseconds, the clock of the
 * deadlines above
 *
 * Return: the time.
 */
uint64_t port_now_us(void);

#endif
