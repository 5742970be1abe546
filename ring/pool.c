/* SPDX-License-Identifier: Apache-2.0 */
/* pool.c - creation and destruction of packet buffer pools. */
#include "pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POOL_LARGE_ALIGN 4096u

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

static uint32_t next_power_of_two(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* Bytes per buffer: its header, frame and POOL_SPARE, and a buffer of a page or
 * more starts on a page (see pool.h). */
static size_t pool_stride(uint32_t frame_size)
{
	size_t stride = round_up(sizeof(struct pkt) + frame_size + POOL_SPARE,
				 alignof(struct pkt));

	return stride >= POOL_LARGE_ALIGN ? round_up(stride, POOL_LARGE_ALIGN)
					  : stride;
}

size_t pool_mem_bytes(uint32_t count, uint32_t frame_size)
{
	return (size_t)count * pool_stride(frame_size) +
	       (size_t)next_power_of_two(count) * sizeof(void *);
}

int pool_create(uint32_t count, uint32_t frame_size, struct pool **poolp)
{
	struct pool *p;
	void *mem;
	int err;

	*poolp = NULL;
	if (count == 0 || count > POOL_COUNT_MAX || frame_size == 0 ||
	    frame_size > POOL_FRAME_SIZE_MAX)
		return -EINVAL;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->count = count;
	p->frame_size = frame_size;
	p->stride = pool_stride(frame_size);
	p->mem_size = (size_t)count * p->stride;

	long page = sysconf(_SC_PAGESIZE);
	if (page < (long)alignof(struct pkt))
		page = 4096;
	if (posix_memalign(&mem, (size_t)page, p->mem_size)) {
		free(p);
		return -ENOMEM;
	}
	p->mem = mem;

	err = ring_create(next_power_of_two(count), &p->free);
	if (err) {
		free(p->mem);
		free(p);
		return err;
	}
	/* Only the headers are written here: frame data pages stay
	 * untouched, so an idle helper's RSS does not grow with the pool. */
	for (uint32_t i = 0; i < count; i++) {
		struct pkt *pkt = pool_pkt(p, i);

		memset(pkt, 0, sizeof(*pkt));
		pkt->index = i;
		ring_enqueue_burst(p->free, (void *const *)&pkt, 1);
	}
	*poolp = p;
	return 0;
}

void pool_destroy(struct pool *p)
{
	if (!p)
		return;
	ring_destroy(p->free);
	free(p->mem);
	free(p);
}

const char *pool_create_error(int err)
{
	switch (err) {
	case -EINVAL:
		return "packet pool needs 1 to 2^20 buffers of 1 to 65550 "
		       "bytes";
	case -ENOMEM:
		return "not enough memory for the packet pool: use fewer or "
		       "smaller buffers";
	default:
		return "unknown packet pool error";
	}
}
