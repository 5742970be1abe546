/* SPDX-License-Identifier: Apache-2.0 */
/* ring.c - creation and destruction of SPSC rings; the fast path is inline
 * in ring.h. */
#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ring_create(uint32_t capacity, struct ring **ringp)
{
	struct ring *r;
	void *mem;

	*ringp = NULL;
	/* Every 32-bit value above RING_CAPACITY_MAX fails this too. */
	if (capacity == 0 || (capacity & (capacity - 1)) != 0)
		return -EINVAL;

	/* One block: the ring header (cache-line aligned) then the slots. */
	size_t slots_size = (size_t)capacity * sizeof(void *);
	if (posix_memalign(&mem, RING_CACHE_LINE, sizeof(*r) + slots_size))
		return -ENOMEM;
	r = mem;
	memset(r, 0, sizeof(*r));
	r->capacity = capacity;
	r->mask = capacity - 1;
	r->slots = (void **)(r + 1);
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	*ringp = r;
	return 0;
}

void ring_destroy(struct ring *r)
{
	free(r);
}

const char *ring_create_error(int err)
{
	switch (err) {
	case -EINVAL:
		return "ring capacity must be a power of two from 1 to 2^31";
	case -ENOMEM:
		return "not enough memory for the ring: choose a smaller "
		       "capacity";
	default:
		return "unknown ring error";
	}
}

void ring_set_index(struct ring *r, uint32_t index)
{
	/* Relaxed: the caller guarantees no other thread uses the ring; the
	 * thread that later starts using it is ordered by its own creation. */
	atomic_store_explicit(&r->head, index, memory_order_relaxed);
	atomic_store_explicit(&r->tail, index, memory_order_relaxed);
	r->prod_tail_cache = index;
	r->cons_head_cache = index;
}
