/* SPDX-License-Identifier: Apache-2.0 */
/* endpoint.h - what the engine needs from each side of the cable: the VM's
 * datagram socket, and the host interface (vmnet, TAP, or another datagram
 * socket). Both workers run the same loop over this interface. */
#ifndef VMNET_HELPER_ENDPOINT_H
#define VMNET_HELPER_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "pool.h"

struct endpoint;

/* A block of memory that the frames an endpoint reads and writes lie in:
 * one of the engine's pools. */
struct endpoint_region {
	void *base;
	size_t len;
};

/*
 * Errors an endpoint returns, and what the worker does with them:
 *   -EAGAIN	nothing to read / cannot write now; for a write, an OUT event
 *		on ep->fd will say when to try again.
 *   -ENOBUFS	cannot write now and no event will say when (macOS unix
 *		datagram peer full): the worker retries on a short timer.
 *   -EMSGSIZE	this one frame can never be written: dropped and counted
 *		(drop_too_big); the next one is tried.
 *   -ENETDOWN	this one frame is lost because the host link is down (a
 *		TAP set down), as on an unplugged cable: dropped and counted
 *		(drop_link_down); the next one is tried.
 *		A write that hands a whole batch to the kernel at once cannot
 *		refuse one frame: it flags each frame it could not send
 *		PKT_F_UNSENT and counts it as written, and the worker counts
 *		it as dropped (drop_unsent), whatever the reason.
 *   -EPIPE, -ECONNREFUSED, -ECONNRESET, -ENOTCONN
 *		the other side is gone (end of file included): the engine
 *		stops with ENGINE_EXIT_VM_GONE or ENGINE_EXIT_HOST_GONE.
 *   anything else: the endpoint failed: the engine stops with an error.
 */
struct endpoint_ops {
	/**
	 * read_batch() - read up to @n frames, one per buffer
	 * @ep:		endpoint
	 * @pkts:	buffers with room for ep->max_frame + POOL_SPARE bytes
	 *		(pool.h); each read sets len, and flags to 0 or
	 *		PKT_F_TRUNCATED
	 * @n:		buffers offered
	 *
	 * Return: frames read (>= 1) or a negative errno (see above).
	 */
	int (*read_batch)(struct endpoint *ep, struct pkt **pkts, unsigned n);

	/**
	 * write_batch() - write up to @n frames in order
	 * @ep:		endpoint
	 * @pkts:	frames to write
	 * @n:		how many
	 *
	 * Return: frames written (>= 1; the caller resubmits the rest), or
	 * the negative errno that refused the first one (see above).
	 */
	int (*write_batch)(struct endpoint *ep, struct pkt *const *pkts,
			   unsigned n);

	/**
	 * set_notify() - for endpoints without a pollable fd: register the
	 * function to call, from any thread, when frames are ready to read
	 * @ep:		endpoint
	 * @notify:	function; calls may come before or during reads
	 * @arg:	its argument
	 *
	 * NULL for endpoints with an fd. Called with a NULL @notify when
	 * the worker stops: no call may follow once it returns.
	 */
	void (*set_notify)(struct endpoint *ep, void (*notify)(void *arg),
			   void *arg);

	/**
	 * use_buffers() - optional: every frame given to read_batch() and
	 * write_batch() from now on lies in one of @regions
	 * @ep:		endpoint
	 * @regions:	the engine's pools, valid until the next call
	 * @n:		how many; 0 when the engine that owns them is about to
	 *		free them (the endpoint must forget them)
	 *
	 * An endpoint may register them with the kernel once (io_uring
	 * fixed buffers), saving the per-frame mapping of user memory. NULL
	 * if it has no use for them. Called before the workers start and
	 * after they stop, never while they run.
	 *
	 * Return: 0, or a negative errno: the endpoint goes on without them.
	 */
	int (*use_buffers)(struct endpoint *ep,
			   const struct endpoint_region *regions, unsigned n);

	/**
	 * close() - release the endpoint; never blocks for long
	 * @ep:		endpoint
	 */
	void (*close)(struct endpoint *ep);
};

struct endpoint {
	const struct endpoint_ops *ops;
	const char *name;   /* for logs: "vm socket", "tap0", "vmnet" */
	int fd;		    /* nonblocking fd for IN/OUT readiness, or -1 */
	uint32_t max_frame; /* largest frame either way, in bytes */
};

/* Ethernet header: anything shorter is not a frame. */
#define ENDPOINT_MIN_FRAME 14

static inline int endpoint_read(struct endpoint *ep, struct pkt **pkts,
				unsigned n)
{
	return ep->ops->read_batch(ep, pkts, n);
}

static inline int endpoint_write(struct endpoint *ep, struct pkt *const *pkts,
				 unsigned n)
{
	return ep->ops->write_batch(ep, pkts, n);
}

static inline int endpoint_use_buffers(struct endpoint *ep,
				       const struct endpoint_region *regions,
				       unsigned n)
{
	return ep->ops->use_buffers ? ep->ops->use_buffers(ep, regions, n) : 0;
}

static inline void endpoint_close(struct endpoint *ep)
{
	if (ep)
		ep->ops->close(ep);
}

#endif
