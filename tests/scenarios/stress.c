/* SPDX-License-Identifier: Apache-2.0 */
/* stress.c - two-thread scenarios for the ring and the pool; see stress.h.
 * No Criterion here: the ThreadSanitizer runner links this file too. */
#include "stress.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement.h"
#include "pool.h"
#include "ring.h"

#if defined(__SANITIZE_THREAD__)
#define STRESS_DEFAULT_ITEMS 4000000
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STRESS_DEFAULT_ITEMS 4000000
#endif
#endif
#ifndef STRESS_DEFAULT_ITEMS
#define STRESS_DEFAULT_ITEMS 50000000
#endif

uint64_t stress_items(void)
{
	const char *env = getenv("TEST_STRESS_ITEMS");

	if (env && *env)
		return strtoull(env, NULL, 10);
	return STRESS_DEFAULT_ITEMS;
}

struct stress_result stress_pass(void)
{
	struct stress_result r = {.ok = 1};

	return r;
}

struct stress_result stress_fail(const char *fmt, ...)
{
	struct stress_result r = {.ok = 0};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r.why, sizeof(r.why), fmt, ap);
	va_end(ap);
	return r;
}

struct pinned {
	void *(*fn)(void *);
	void *arg;
	int cpu;
};

static void *pinned_start(void *p)
{
	struct pinned *t = p;

	/* Best effort: on one CPU the scenario still runs, just slower. */
	if (placement_cpu_count() > 1)
		placement_pin_self(t->cpu);
	return t->fn(t->arg);
}

/* Run @a on CPU 0 and @b on CPU 1 and wait for both. */
static int run_pair(void *(*a)(void *), void *(*b)(void *), void *arg)
{
	struct pinned ta = {a, arg, 0}, tb = {b, arg, 1};
	pthread_t tha, thb;

	if (pthread_create(&tha, NULL, pinned_start, &ta))
		return -1;
	if (pthread_create(&thb, NULL, pinned_start, &tb)) {
		pthread_join(tha, NULL);
		return -1;
	}
	pthread_join(tha, NULL);
	pthread_join(thb, NULL);
	return 0;
}

static void *item(uintptr_t v)
{
	return (void *)v;
}

/* Two threads: the producer sends 1, 2, 3 ... as pointers in bursts, the
 * consumer checks each one is the next expected. A loss, a duplicate or a
 * reordering shows up as the first mismatch. */
struct ring_stress {
	struct ring *ring;
	uint64_t items;
	unsigned burst;
	uint64_t received;
	uint64_t first_bad; /* expected value at the first mismatch, or 0 */
	uintptr_t bad_value;
};

static void *ring_stress_producer(void *arg)
{
	struct ring_stress *s = arg;
	void *buf[256];
	uint64_t next = 1;

	while (next <= s->items) {
		unsigned n = s->burst;
		if (n > s->items - next + 1)
			n = (unsigned)(s->items - next + 1);
		for (unsigned i = 0; i < n; i++)
			buf[i] = item((uintptr_t)(next + i));
		unsigned sent = 0;
		while (sent < n) {
			unsigned k =
			    ring_enqueue_burst(s->ring, buf + sent, n - sent);
			if (k == 0)
				sched_yield();
			sent += k;
		}
		next += n;
	}
	return NULL;
}

static void *ring_stress_consumer(void *arg)
{
	struct ring_stress *s = arg;
	void *buf[256];
	uint64_t expect = 1;

	while (expect <= s->items) {
		unsigned n = ring_dequeue_burst(s->ring, buf, s->burst);
		if (n == 0) {
			sched_yield();
			continue;
		}
		for (unsigned i = 0; i < n; i++, expect++) {
			if ((uintptr_t)buf[i] != (uintptr_t)expect &&
			    !s->first_bad) {
				s->first_bad = expect;
				s->bad_value = (uintptr_t)buf[i];
			}
		}
	}
	s->received = expect - 1;
	return NULL;
}

struct stress_result stress_ring(unsigned burst)
{
	struct ring_stress s = {.items = stress_items(), .burst = burst};
	struct stress_result r = stress_pass();

	if (ring_create(1024, &s.ring))
		return stress_fail("ring_create(1024) failed");
	if (run_pair(ring_stress_producer, ring_stress_consumer, &s))
		r = stress_fail("pthread_create failed");
	else if (s.first_bad)
		r = stress_fail("burst %u: expected %" PRIu64 ", got %" PRIuPTR,
				burst, s.first_bad, s.bad_value);
	else if (s.received != s.items)
		r = stress_fail("burst %u: received %" PRIu64 " of %" PRIu64,
				burst, s.received, s.items);
	else if (ring_count(s.ring) != 0)
		r = stress_fail("burst %u: %u items left in the ring", burst,
				ring_count(s.ring));
	ring_destroy(s.ring);
	return r;
}

/* The filling thread takes free buffers, writes a frame whose length and
 * bytes follow from its sequence number, and passes it through a data ring;
 * the emptying thread checks every byte and gives the buffer back. */
struct pool_stress {
	struct pool *pool;
	struct ring *data;
	uint64_t items;
	unsigned burst;
	uint64_t received;
	uint64_t first_bad; /* sequence of the first bad frame + 1, or 0 */
};

static uint32_t frame_len(uint64_t seq)
{
	return 60 + (uint32_t)(seq % 197);
}

static void *pool_stress_filler(void *arg)
{
	struct pool_stress *s = arg;
	struct pkt *buf[256];
	uint64_t seq = 0;

	while (seq < s->items) {
		unsigned want = s->burst;
		if (want > s->items - seq)
			want = (unsigned)(s->items - seq);
		unsigned n = pool_get_burst(s->pool, buf, want);
		if (n == 0) {
			sched_yield();
			continue;
		}
		for (unsigned i = 0; i < n; i++, seq++) {
			struct pkt *pkt = buf[i];

			pkt->len = frame_len(seq);
			memcpy(pkt->data, &seq, sizeof(seq));
			for (uint32_t b = sizeof(seq); b < pkt->len; b++)
				pkt->data[b] = (unsigned char)(seq + b);
		}
		unsigned sent = 0;
		while (sent < n) {
			unsigned k = ring_enqueue_burst(
			    s->data, (void *const *)(buf + sent), n - sent);
			if (k == 0)
				sched_yield();
			sent += k;
		}
	}
	return NULL;
}

static int frame_ok(const struct pkt *pkt, uint64_t seq)
{
	uint64_t got;

	if (pkt->len != frame_len(seq))
		return 0;
	memcpy(&got, pkt->data, sizeof(got));
	if (got != seq)
		return 0;
	for (uint32_t b = sizeof(seq); b < pkt->len; b++)
		if (pkt->data[b] != (unsigned char)(seq + b))
			return 0;
	return 1;
}

static void *pool_stress_emptier(void *arg)
{
	struct pool_stress *s = arg;
	struct pkt *buf[256];
	uint64_t seq = 0;

	while (seq < s->items) {
		unsigned n =
		    ring_dequeue_burst(s->data, (void **)buf, s->burst);
		if (n == 0) {
			sched_yield();
			continue;
		}
		for (unsigned i = 0; i < n; i++, seq++)
			if (!s->first_bad && !frame_ok(buf[i], seq))
				s->first_bad = seq + 1;
		pool_put_burst(s->pool, buf, n);
	}
	s->received = seq;
	return NULL;
}

struct stress_result stress_pool(unsigned burst)
{
	struct pool_stress s = {.items = stress_items(), .burst = burst};
	struct stress_result r = stress_pass();

	if (pool_create(512, 1514, &s.pool))
		return stress_fail("pool_create(512, 1514) failed");
	if (ring_create(512, &s.data)) {
		pool_destroy(s.pool);
		return stress_fail("ring_create(512) failed");
	}
	if (run_pair(pool_stress_filler, pool_stress_emptier, &s))
		r = stress_fail("pthread_create failed");
	else if (s.first_bad)
		r = stress_fail("burst %u: frame %" PRIu64 " is wrong", burst,
				s.first_bad - 1);
	else if (s.received != s.items)
		r = stress_fail("burst %u: received %" PRIu64 " of %" PRIu64,
				burst, s.received, s.items);
	else if (ring_count(s.pool->free) != 512)
		r = stress_fail("burst %u: %u of 512 buffers came back", burst,
				ring_count(s.pool->free));
	ring_destroy(s.data);
	pool_destroy(s.pool);
	return r;
}

const struct stress_case stress_cases[] = {
    {"ring_stress::two_threads_burst_1", stress_ring, 1},
    {"ring_stress::two_threads_burst_7", stress_ring, 7},
    {"ring_stress::two_threads_burst_32", stress_ring, 32},
    {"ring_stress::two_threads_burst_256", stress_ring, 256},
    {"pool_stress::two_threads_burst_1", stress_pool, 1},
    {"pool_stress::two_threads_burst_7", stress_pool, 7},
    {"pool_stress::two_threads_burst_32", stress_pool, 32},
    {"pool_stress::two_threads_burst_256", stress_pool, 256},
};
const unsigned stress_case_count =
    sizeof(stress_cases) / sizeof(stress_cases[0]);
