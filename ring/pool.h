/* SPDX-License-Identifier: Apache-2.0 */
/* pool.h - fixed-size packet buffers handed between two threads by pointer. */
#ifndef VMNET_HELPER_POOL_H
#define VMNET_HELPER_POOL_H

/*
 * How it works
 *
 * A pool is one block of memory cut into `count` buffers, allocated once at
 * start-up, plus a ring of the buffers that are free. In one direction of
 * the datapath the filling thread takes free buffers (pool_get_burst),
 * fills them and passes the pointers to the emptying thread through a data
 * ring; the emptying thread sends them and gives them back
 * (pool_put_burst). The free ring is an SPSC ring like the data ring, with
 * the roles swapped: the emptying thread produces, the filling thread
 * consumes. Nothing is allocated, freed, copied or locked per packet.
 *
 * Each buffer starts with a struct pkt header (frame length and flags) on
 * its own cache line, followed by the frame data, cache-line aligned. A
 * buffer of a page or more starts on a 4 KiB boundary so a 64 KiB TSO frame
 * touches no more pages than it must. The block itself is page aligned.
 */

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#include "ring.h"

/* Largest frame: vmnet's max packet size with TSO (64 KiB + headers). */
#define POOL_FRAME_SIZE_MAX 65550u
/* Bytes each buffer holds beyond frame_size: a read can then ask for one
 * byte more than the largest frame it accepts, and a longer frame comes
 * back that one byte too long (so it is known to be cut) instead of cut to
 * fit without a word. */
#define POOL_SPARE 1u
/* Most buffers in one pool; keeps the free ring at most 2^20 slots. */
#define POOL_COUNT_MAX (UINT32_C(1) << 20)

/* pkt->flags: set by whatever read the frame when it was longer than the
 * buffer, so the frame is cut and must be dropped. */
#define PKT_F_TRUNCATED 0x1u
/* pkt->flags: set by an endpoint that serves one client when the frame came
 * from another sender; it must be dropped. */
#define PKT_F_FOREIGN 0x2u
/* pkt->flags: set by an endpoint's write for a frame it took but could not
 * deliver (a batch handed to the kernel at once cannot be retried in part
 * without reordering); it counts as dropped, not sent. */
#define PKT_F_UNSENT 0x4u

struct pkt {
	uint32_t len;	/* bytes of frame in data[] */
	uint32_t flags; /* per-packet flags, meaning set by the datapath */
	uint32_t index; /* position in the pool; fixed at creation */
	uint32_t reserved;
	alignas(64) unsigned char data[];
};

struct pool {
	struct ring *free;
	unsigned char *mem;
	size_t stride;
	size_t mem_size;
	uint32_t count;
	uint32_t frame_size;
};

/**
 * pool_create() - allocate @count buffers of @frame_size bytes, all free
 * @count:	number of buffers, 1 to POOL_COUNT_MAX
 * @frame_size:	room for frame data in each buffer, 1 to POOL_FRAME_SIZE_MAX;
 *		each also has POOL_SPARE bytes more
 * @poolp:	on success, the new pool
 *
 * Return: 0, -EINVAL for a count or size out of range, -ENOMEM.
 */
int pool_create(uint32_t count, uint32_t frame_size, struct pool **poolp);

/**
 * pool_mem_bytes() - what pool_create() allocates for a pool: its buffers
 * and the slots of its free ring
 * @count:	number of buffers
 * @frame_size:	room for frame data in each
 *
 * Return: the bytes, computed as pool_create() sizes them.
 */
size_t pool_mem_bytes(uint32_t count, uint32_t frame_size);

/**
 * pool_destroy() - free the pool and every buffer, in use or not
 * @p:	pool, or NULL
 */
void pool_destroy(struct pool *p);

/**
 * pool_create_error() - explain a pool_create() failure
 * @err:	negative errno returned by pool_create()
 *
 * Return: a static sentence saying what was wrong and what to pass instead.
 */
const char *pool_create_error(int err);

/**
 * pool_get_burst() - take up to @n free buffers; filling thread only
 * @p:		pool
 * @pkts:	where to store the buffers
 * @n:		how many are wanted
 *
 * Return: how many were taken; 0 when every buffer is in use.
 */
static inline unsigned pool_get_burst(struct pool *p, struct pkt **pkts,
				      unsigned n)
{
	return ring_dequeue_burst(p->free, (void **)pkts, n);
}

/**
 * pool_put_burst() - give @n buffers back; emptying thread only
 * @p:		pool
 * @pkts:	buffers from this pool
 * @n:		how many
 *
 * The free ring has room for every buffer, so this never fails.
 */
static inline void pool_put_burst(struct pool *p, struct pkt *const *pkts,
				  unsigned n)
{
	ring_enqueue_burst(p->free, (void *const *)pkts, n);
}

/**
 * pool_pkt() - the buffer at position @i
 * @p:	pool
 * @i:	0 to count - 1
 *
 * Return: the buffer, whether free or in use.
 */
static inline struct pkt *pool_pkt(const struct pool *p, uint32_t i)
{
	return (struct pkt *)(p->mem + (size_t)i * p->stride);
}

#endif
