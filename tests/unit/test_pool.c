/* SPDX-License-Identifier: Apache-2.0 */
/* test_pool.c - packet buffer pool: limits, layout, and buffers handed
 * between two threads with their contents checked. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"
#include "stress.h"
#include "testutil.h"

static struct pool *make_pool(uint32_t count, uint32_t frame_size)
{
	struct pool *p;
	int err = pool_create(count, frame_size, &p);

	cr_assert_eq(err, 0, "pool_create(%u, %u): %s", count, frame_size,
		     pool_create_error(err));
	return p;
}

Test(pool, rejects_counts_and_sizes_out_of_range)
{
	struct pool *p = (struct pool *)1;

	cr_assert_eq(pool_create(0, 1514, &p), -EINVAL);
	cr_assert_null(p);
	cr_assert_eq(pool_create(POOL_COUNT_MAX + 1, 1514, &p), -EINVAL);
	cr_assert_eq(pool_create(16, 0, &p), -EINVAL);
	cr_assert_eq(pool_create(16, POOL_FRAME_SIZE_MAX + 1, &p), -EINVAL);
	cr_assert(strstr(pool_create_error(-EINVAL), "65550"));
}

Test(pool, reports_out_of_memory)
{
	struct pool *p = (struct pool *)1;

	/* 2^20 TSO buffers are about 70 GiB. */
	test_limit_memory(UINT64_C(1) << 32);
	cr_assert_eq(pool_create(POOL_COUNT_MAX, POOL_FRAME_SIZE_MAX, &p),
		     -ENOMEM);
	cr_assert_null(p);
	cr_assert(strstr(pool_create_error(-ENOMEM), "memory"));
}

Test(pool, buffers_are_aligned_and_disjoint)
{
	const uint32_t sizes[] = {60, 1514, 9000, POOL_FRAME_SIZE_MAX};

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct pool *p = make_pool(33, sizes[k]);
		uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

		cr_assert_eq((uintptr_t)p->mem % page, 0, "block page aligned");
		for (uint32_t i = 0; i < p->count; i++) {
			struct pkt *pkt = pool_pkt(p, i);

			cr_assert_eq(pkt->index, i);
			cr_assert_eq((uintptr_t)pkt->data % 64, 0);
			if (sizes[k] >= 4096)
				cr_assert_eq((uintptr_t)pkt % 4096, 0);
			if (i > 0)
				cr_assert_geq((unsigned char *)pkt,
					      pool_pkt(p, i - 1)->data +
						  sizes[k],
					      "buffer %u overlaps", i);
			/* Every byte is writable: ASan catches an
			 * overrun past the allocation. */
			memset(pkt->data, 0xa5, sizes[k]);
		}
		pool_destroy(p);
	}
}

Test(pool, every_buffer_holds_its_frame_size_and_the_spare_bytes)
{
	/* 1536 + the 64-byte header is a whole number of cache lines: no
	 * rounding leaves room by luck, only POOL_SPARE does (ASan checks
	 * the last buffer against the end of the block). */
	const uint32_t size = 1536, count = 4;
	struct pool *p = make_pool(count, size);

	for (uint32_t i = 0; i < count; i++)
		memset(pool_pkt(p, i)->data, 0xa5, size + POOL_SPARE);
	for (uint32_t i = 0; i < count; i++) {
		cr_assert_eq(pool_pkt(p, i)->index, i, "header %u overwritten",
			     i);
		cr_assert_eq(pool_pkt(p, i)->data[size + POOL_SPARE - 1], 0xa5);
	}
	pool_destroy(p);
}

Test(pool, hands_out_each_buffer_once_until_returned)
{
	struct pool *p = make_pool(100, 1514);
	struct pkt *got[128];
	unsigned char seen[100] = {0};

	cr_assert_eq(pool_get_burst(p, got, 128), 100);
	cr_assert_eq(pool_get_burst(p, got + 100, 1), 0, "pool is empty");
	for (int i = 0; i < 100; i++) {
		cr_assert_lt(got[i]->index, 100);
		cr_assert_eq(seen[got[i]->index]++, 0, "buffer given twice");
	}
	pool_put_burst(p, got, 40);
	cr_assert_eq(pool_get_burst(p, got, 128), 40);
	pool_destroy(p);
}

Test(pool_stress, two_threads_burst_1)
{
	STRESS_ASSERT(stress_pool(1));
}
Test(pool_stress, two_threads_burst_7)
{
	STRESS_ASSERT(stress_pool(7));
}
Test(pool_stress, two_threads_burst_32)
{
	STRESS_ASSERT(stress_pool(32));
}
Test(pool_stress, two_threads_burst_256)
{
	STRESS_ASSERT(stress_pool(256));
}
