/* SPDX-License-Identifier: Apache-2.0 */
/* test_ring.c - the SPSC ring: limits, wrap-around and two-thread order. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "ring.h"
#include "stress.h"
#include "testutil.h"

static struct ring *make_ring(uint32_t capacity)
{
	struct ring *r;

	cr_assert_eq(ring_create(capacity, &r), 0, "ring_create(%u)", capacity);
	return r;
}

static void *item(uintptr_t v)
{
	return (void *)v;
}

Test(ring, rejects_zero_capacity)
{
	struct ring *r = item(1);

	cr_assert_eq(ring_create(0, &r), -EINVAL);
	cr_assert_null(r);
	cr_assert(strstr(ring_create_error(-EINVAL), "power of two"));
}

Test(ring, rejects_capacity_not_power_of_two)
{
	struct ring *r;

	cr_assert_eq(ring_create(3, &r), -EINVAL);
	cr_assert_eq(ring_create(1000, &r), -EINVAL);
	/* Every 32-bit value above 2^31 is not a power of two. */
	cr_assert_eq(ring_create(RING_CAPACITY_MAX + 1, &r), -EINVAL);
	cr_assert_eq(ring_create(UINT32_MAX, &r), -EINVAL);
}

Test(ring, reports_out_of_memory)
{
	struct ring *r = item(1);

	/* 2^31 slots need 16 GiB; the limit is far lower. */
	test_limit_memory(UINT64_C(1) << 32);
	cr_assert_eq(ring_create(RING_CAPACITY_MAX, &r), -ENOMEM);
	cr_assert_null(r);
	cr_assert(strstr(ring_create_error(-ENOMEM), "memory"));
}

Test(ring, empty_ring_gives_nothing)
{
	struct ring *r = make_ring(8);
	void *out[4];

	cr_assert_eq(ring_count(r), 0);
	cr_assert_eq(ring_free_count(r), 8);
	cr_assert_eq(ring_dequeue_burst(r, out, 4), 0);
	ring_destroy(r);
}

Test(ring, full_ring_takes_nothing)
{
	struct ring *r = make_ring(8);
	void *in[8];

	for (uintptr_t i = 0; i < 8; i++)
		in[i] = item(i + 1);
	cr_assert_eq(ring_enqueue_burst(r, in, 8), 8);
	cr_assert_eq(ring_count(r), 8);
	cr_assert_eq(ring_free_count(r), 0);
	cr_assert_eq(ring_enqueue_burst(r, in, 1), 0);
	ring_destroy(r);
}

Test(ring, partial_bursts_move_what_fits_in_order)
{
	struct ring *r = make_ring(8);
	void *in[10], *out[10];

	for (uintptr_t i = 0; i < 10; i++)
		in[i] = item(i + 1);
	cr_assert_eq(ring_enqueue_burst(r, in, 5), 5);
	/* Only 3 of the next 5 fit: in[5..7]. */
	cr_assert_eq(ring_enqueue_burst(r, in + 5, 5), 3);
	cr_assert_eq(ring_dequeue_burst(r, out, 10), 8);
	for (uintptr_t i = 0; i < 8; i++)
		cr_assert_eq(out[i], item(i + 1), "out[%zu]", (size_t)i);
	cr_assert_eq(ring_dequeue_burst(r, out, 10), 0);
	ring_destroy(r);
}

Test(ring, capacity_one_alternates)
{
	struct ring *r = make_ring(1);
	void *out;

	for (uintptr_t i = 1; i <= 100; i++) {
		void *in[2] = {item(i), item(i + 1000)};

		cr_assert_eq(ring_enqueue_burst(r, in, 2), 1);
		cr_assert_eq(ring_enqueue_burst(r, in, 1), 0);
		cr_assert_eq(ring_dequeue_burst(r, &out, 1), 1);
		cr_assert_eq(out, item(i));
	}
	ring_destroy(r);
}

Test(ring, capacity_2_pow_20_fills_and_drains)
{
	const uint32_t cap = UINT32_C(1) << 20;
	struct ring *r = make_ring(cap);
	void *buf[256];
	uintptr_t next = 1;

	while (ring_free_count(r) > 0) {
		for (int i = 0; i < 256; i++)
			buf[i] = item(next + i);
		next += ring_enqueue_burst(r, buf, 256);
	}
	cr_assert_eq(next - 1, cap);
	cr_assert_eq(ring_enqueue_burst(r, buf, 1), 0);

	uintptr_t expect = 1;
	unsigned n;
	while ((n = ring_dequeue_burst(r, buf, 256)) > 0)
		for (unsigned i = 0; i < n; i++)
			cr_assert_eq(buf[i], item(expect++));
	cr_assert_eq(expect - 1, cap);
	ring_destroy(r);
}

Test(ring, wraps_around_32_bit_index)
{
	struct ring *r = make_ring(16);
	void *buf[7];
	uintptr_t in = 1, out = 1;

	/* Start 50 below 2^32: the loop crosses the wrap with items in the
	 * ring, when head has wrapped to a small number and tail has not. */
	ring_set_index(r, UINT32_MAX - 50);
	for (int round = 0; round < 40; round++) {
		for (int i = 0; i < 7; i++)
			buf[i] = item(in + i);
		unsigned n = ring_enqueue_burst(r, buf, 7);
		in += n;
		cr_assert_eq(ring_count(r), in - out, "count at round %d",
			     round);
		n = ring_dequeue_burst(r, buf, round % 2 ? 7 : 3);
		for (unsigned i = 0; i < n; i++)
			cr_assert_eq(buf[i], item(out++));
	}
	cr_assert(atomic_load(&r->head) < 1000, "head wrapped past 2^32");
	while (ring_dequeue_burst(r, buf, 1) == 1)
		cr_assert_eq(buf[0], item(out++));
	cr_assert_eq(in, out);
	ring_destroy(r);
}

Test(ring_stress, two_threads_burst_1)
{
	STRESS_ASSERT(stress_ring(1));
}
Test(ring_stress, two_threads_burst_7)
{
	STRESS_ASSERT(stress_ring(7));
}
Test(ring_stress, two_threads_burst_32)
{
	STRESS_ASSERT(stress_ring(32));
}
Test(ring_stress, two_threads_burst_256)
{
	STRESS_ASSERT(stress_ring(256));
}
