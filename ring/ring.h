/* SPDX-License-Identifier: Apache-2.0 */
/* ring.h - lock-free single-producer/single-consumer ring of pointers. */
#ifndef VMNET_HELPER_RING_H
#define VMNET_HELPER_RING_H

/*
 * How it works
 *
 * One thread (the producer) enqueues, one other thread (the consumer)
 * dequeues. Both indices are free-running 32-bit counters: the slot of index
 * i is slots[i & mask], the number of items is head - tail, and unsigned
 * arithmetic makes that difference right even after head has wrapped past
 * 2^32 and tail has not. Capacity is at most 2^31, so head - tail never
 * reaches 2^32 and full (== capacity) can never look like empty (== 0).
 *
 * The producer owns head: it writes slots, then publishes them with a
 * release store of head (P2). The consumer reads head with an acquire load
 * (C1), so the slot writes before P2 are visible to it. Symmetrically the
 * consumer reads slots, then frees them with a release store of tail (C2);
 * the producer's acquire load of tail (P1) orders its later slot writes
 * after the consumer's reads, so a slot is never overwritten while it is
 * being read. Those are the only two synchronizing edges; there are no
 * locks and no full fences.
 *
 * Each side keeps a private copy of the other side's index and reloads the
 * shared one only when its copy says the ring is full (producer) or empty
 * (consumer). In steady state a side touches the other's cache line once
 * per wrap of free space instead of once per call.
 *
 * Layout: the producer's block, the consumer's block and the read-only
 * block each sit on their own RING_CACHE_LINE, so the two threads never
 * write the same line. 128 bytes covers Apple M-series lines and x86's
 * adjacent-line prefetcher.
 */

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#define RING_CACHE_LINE 128
/* Largest capacity: 2^31 keeps head - tail unambiguous (see above). */
#define RING_CAPACITY_MAX (UINT32_C(1) << 31)

struct ring {
	/* Producer block: head is written by the producer only. */
	alignas(RING_CACHE_LINE) _Atomic uint32_t head;
	uint32_t prod_tail_cache; /* producer's last view of tail */

	/* Consumer block: tail is written by the consumer only. */
	alignas(RING_CACHE_LINE) _Atomic uint32_t tail;
	uint32_t cons_head_cache; /* consumer's last view of head */

	/* Read-only after ring_create(). */
	alignas(RING_CACHE_LINE) uint32_t capacity;
	uint32_t mask;
	void **slots;
};

/**
 * ring_create() - allocate an empty ring
 * @capacity:	number of slots, a power of two from 1 to RING_CAPACITY_MAX
 * @ringp:	on success, the new ring
 *
 * This is the only allocation a ring ever makes.
 *
 * Return: 0, -EINVAL if @capacity is zero, not a power of two or above
 * RING_CAPACITY_MAX, -ENOMEM if the memory cannot be had.
 */
int ring_create(uint32_t capacity, struct ring **ringp);

/**
 * ring_destroy() - free a ring; items still in it are not touched
 * @r:	ring from ring_create(), or NULL
 */
void ring_destroy(struct ring *r);

/**
 * ring_create_error() - explain a ring_create() failure
 * @err:	negative errno returned by ring_create()
 *
 * Return: a static sentence saying what was wrong and what to pass instead.
 */
const char *ring_create_error(int err);

/**
 * ring_set_index() - move both empty indices to @index
 * @r:		an empty ring that no thread is using
 * @index:	new value of head and tail
 *
 * Lets tests start a ring near 2^32 to prove the indices wrap correctly.
 */
void ring_set_index(struct ring *r, uint32_t index);

static inline uint32_t ring_capacity(const struct ring *r)
{
	return r->capacity;
}

/**
 * ring_enqueue_burst() - add up to @n items; producer thread only
 * @r:		ring
 * @items:	items to add, in order
 * @n:		how many to try
 *
 * Return: how many were added (0 when the ring is full), always the first
 * ones of @items.
 */
static inline unsigned ring_enqueue_burst(struct ring *r, void *const *items,
					  unsigned n)
{
	/* Relaxed: head is written only by this thread. */
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t space = r->capacity - (head - r->prod_tail_cache);

	if (space < n) {
		/* P1: acquire; pairs with the consumer's release store of
		 * tail (C2), so the slots it freed are no longer being read
		 * when we overwrite them below. */
		r->prod_tail_cache =
		    atomic_load_explicit(&r->tail, memory_order_acquire);
		space = r->capacity - (head - r->prod_tail_cache);
		if (space < n)
			n = space;
	}
	/* Nothing to publish: skip the store so a producer spinning on a full
	 * ring does not keep pulling its line away from the consumer. */
	if (n == 0)
		return 0;
	for (unsigned i = 0; i < n; i++)
		r->slots[(head + i) & r->mask] = items[i];
	/* P2: release; pairs with the consumer's acquire load of head (C1),
	 * making the slot writes above visible before the new head. */
	atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}

/**
 * ring_dequeue_burst() - take up to @n items; consumer thread only
 * @r:		ring
 * @items:	where to store the items taken, in order
 * @n:		room in @items
 *
 * Return: how many were taken (0 when the ring is empty).
 */
static inline unsigned ring_dequeue_burst(struct ring *r, void **items,
					  unsigned n)
{
	/* Relaxed: tail is written only by this thread. */
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t avail = r->cons_head_cache - tail;

	if (avail < n) {
		/* C1: acquire; pairs with the producer's release store of
		 * head (P2): every slot below the loaded head is written. */
		r->cons_head_cache =
		    atomic_load_explicit(&r->head, memory_order_acquire);
		avail = r->cons_head_cache - tail;
		if (avail < n)
			n = avail;
	}
	if (n == 0)
		return 0;
	for (unsigned i = 0; i < n; i++)
		items[i] = r->slots[(tail + i) & r->mask];
	/* C2: release; pairs with the producer's acquire load of tail (P1):
	 * our slot reads above happen before the producer may reuse them. */
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
	return n;
}

/**
 * ring_count() - number of items in the ring
 * @r:	ring
 *
 * Exact when called by the producer or the consumer while the other side is
 * idle; otherwise a snapshot that may be stale by the time it is used, which
 * is all a "is there work?" check needs. Both loads are acquire so a
 * non-zero count seen by the consumer means the items are readable.
 *
 * Return: head - tail, between 0 and the capacity.
 */
static inline uint32_t ring_count(const struct ring *r)
{
	/* Load tail first: head only grows, so a head read after tail is
	 * never behind it and the difference never underflows. */
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);

	return head - tail;
}

/**
 * ring_free_count() - free slots in the ring, with ring_count()'s caveats
 * @r:	ring
 *
 * Return: capacity - ring_count().
 */
static inline uint32_t ring_free_count(const struct ring *r)
{
	return r->capacity - ring_count(r);
}

#endif
