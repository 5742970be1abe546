/* SPDX-License-Identifier: Apache-2.0 */
/* ring_bench.c - items per second through the SPSC ring, against a mutex +
 * condition-variable queue measured in the same run as the baseline.
 *
 * Usage: ring_bench [RUNS [RING_ITEMS [MUTEX_ITEMS]]]
 *
 * For each burst size (1, 8, 32, 128) three queues move their items from a
 * producer thread pinned to CPU 0 to a consumer pinned to CPU 1, RUNS times
 * each, interleaved so drift affects all alike; the median of each is
 * printed with the ring's ratio to it. The baselines are one mutex +
 * condition-variable queue used two ways: moving a whole burst per lock
 * hold (the strongest lock-based design), and one item per lock hold (the
 * usual one). The consumer checks the
 * sequence, so a fast wrong answer cannot pass. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "placement.h"
#include "ring.h"

#define QUEUE_CAPACITY 1024
#define MAX_BURST      128

/* The baseline: a bounded queue guarded by one mutex, with "not empty" and
 * "not full" condition variables; moves up to a burst per lock hold. */
struct mutex_queue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	void *slots[QUEUE_CAPACITY];
	uint32_t head, tail; /* free-running, like the ring's */
};

static unsigned mq_enqueue(struct mutex_queue *q, void *const *items,
			   unsigned n)
{
	pthread_mutex_lock(&q->lock);
	while (q->head - q->tail == QUEUE_CAPACITY)
		pthread_cond_wait(&q->not_full, &q->lock);
	unsigned space = QUEUE_CAPACITY - (q->head - q->tail);
	if (n > space)
		n = space;
	for (unsigned i = 0; i < n; i++)
		q->slots[(q->head + i) % QUEUE_CAPACITY] = items[i];
	q->head += n;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
	return n;
}

static unsigned mq_dequeue(struct mutex_queue *q, void **items, unsigned n)
{
	pthread_mutex_lock(&q->lock);
	while (q->head == q->tail)
		pthread_cond_wait(&q->not_empty, &q->lock);
	unsigned avail = q->head - q->tail;
	if (n > avail)
		n = avail;
	for (unsigned i = 0; i < n; i++)
		items[i] = q->slots[(q->tail + i) % QUEUE_CAPACITY];
	q->tail += n;
	pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->lock);
	return n;
}

/* Wait for the other thread without a syscall: each thread has a core of
 * its own, so spinning with a pause hint is cheaper than sched_yield(),
 * which would cost a microsecond every time the queue is momentarily empty.
 * After a long spin, yield anyway in case the CPUs are shared after all. */
static void spin_wait(unsigned *spins)
{
	if (++*spins < 1024) {
		/* Back off before looking again: polling the ring at full
		 * speed keeps pulling its index line away from the other
		 * thread, which then stalls on every store. */
		for (int i = 0; i < 64; i++) {
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#elif defined(__aarch64__)
			__asm__ __volatile__("yield");
#endif
		}
		return;
	}
	*spins = 0;
	sched_yield();
}

enum queue_kind {
	QUEUE_RING,
	QUEUE_MUTEX_BURST, /* one lock hold moves up to a burst */
	QUEUE_MUTEX_ITEM,  /* one lock hold per item: the common design */
};

struct run {
	enum queue_kind kind;
	struct ring *ring;
	struct mutex_queue *mq;
	uint64_t items;
	unsigned burst;
	int cpu_ok;
	uint64_t errors;
};

static void pin(int cpu, struct run *r)
{
	if (placement_pin_self(cpu) != 0)
		r->cpu_ok = 0;
}

static void *producer(void *arg)
{
	struct run *r = arg;
	void *buf[MAX_BURST];
	uint64_t next = 1;
	unsigned spins = 0;

	pin(0, r);
	placement_name_self("bench-producer");
	while (next <= r->items) {
		unsigned n = r->burst;
		if (n > r->items - next + 1)
			n = (unsigned)(r->items - next + 1);
		for (unsigned i = 0; i < n; i++)
			buf[i] = (void *)(uintptr_t)(next + i);
		for (unsigned sent = 0; sent < n;) {
			unsigned k;
			switch (r->kind) {
			case QUEUE_RING:
				k = ring_enqueue_burst(r->ring, buf + sent,
						       n - sent);
				break;
			case QUEUE_MUTEX_BURST:
				k = mq_enqueue(r->mq, buf + sent, n - sent);
				break;
			default:
				k = mq_enqueue(r->mq, buf + sent, 1);
			}
			if (k == 0)
				spin_wait(&spins);
			sent += k;
		}
		next += n;
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct run *r = arg;
	void *buf[MAX_BURST];
	uint64_t expect = 1;
	unsigned spins = 0;

	pin(1, r);
	placement_name_self("bench-consumer");
	while (expect <= r->items) {
		unsigned n;
		switch (r->kind) {
		case QUEUE_RING:
			n = ring_dequeue_burst(r->ring, buf, r->burst);
			break;
		case QUEUE_MUTEX_BURST:
			n = mq_dequeue(r->mq, buf, r->burst);
			break;
		default:
			n = mq_dequeue(r->mq, buf, 1);
		}
		if (n == 0)
			spin_wait(&spins);
		for (unsigned i = 0; i < n; i++, expect++)
			r->errors += (uintptr_t)buf[i] != expect;
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One timed run; returns items per second. */
static double measure(struct run *r)
{
	pthread_t p, c;

	double t0 = now();
	if (pthread_create(&p, NULL, producer, r) ||
	    pthread_create(&c, NULL, consumer, r)) {
		fprintf(stderr, "ring_bench: pthread_create failed\n");
		exit(1);
	}
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	double t = now() - t0;
	if (r->errors) {
		fprintf(stderr, "ring_bench: %" PRIu64 " items out of order\n",
			r->errors);
		exit(1);
	}
	return (double)r->items / t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t arg_u64(int argc, char **argv, int i, uint64_t def)
{
	if (argc <= i)
		return def;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(argv[i], &end, 10);
	if (errno || *end || v == 0) {
		fprintf(stderr,
			"ring_bench: argument %d '%s' is not a positive "
			"number\nusage: ring_bench [RUNS [RING_ITEMS "
			"[MUTEX_ITEMS]]]\n",
			i, argv[i]);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	const unsigned bursts[] = {1, 8, 32, 128};
	int runs = (int)arg_u64(argc, argv, 1, 5);
	uint64_t ring_items = arg_u64(argc, argv, 2, 40000000);
	uint64_t mutex_items = arg_u64(argc, argv, 3, 4000000);
	int cpus = placement_cpu_count();
	int pinned = 1;

	if (runs > 101)
		runs = 101;
	struct ring *ring;
	int err = ring_create(QUEUE_CAPACITY, &ring);
	if (err) {
		fprintf(stderr, "ring_bench: %s\n", ring_create_error(err));
		return 1;
	}
	static struct mutex_queue mq = {
	    .lock = PTHREAD_MUTEX_INITIALIZER,
	    .not_empty = PTHREAD_COND_INITIALIZER,
	    .not_full = PTHREAD_COND_INITIALIZER,
	};

	printf("ring_bench: capacity %d, %d runs per point (median), "
	       "%" PRIu64 " ring / %" PRIu64 " mutex items per run\n",
	       QUEUE_CAPACITY, runs, ring_items, mutex_items);
	printf("%6s %14s %18s %7s %18s %7s\n", "burst", "ring Mitems/s",
	       "mutex/burst Mit/s", "ratio", "mutex/item Mit/s", "ratio");
	for (size_t b = 0; b < sizeof(bursts) / sizeof(bursts[0]); b++) {
		double rv[101], mv[101], iv[101];

		for (int i = 0; i < runs; i++) {
			struct run rr = {QUEUE_RING, ring, NULL, ring_items,
					 bursts[b],  1,	   0};
			struct run mr = {
			    QUEUE_MUTEX_BURST, NULL, &mq, mutex_items,
			    bursts[b],	       1,    0};
			struct run ir = {
			    QUEUE_MUTEX_ITEM, NULL, &mq, mutex_items,
			    bursts[b],	      1,    0};
			rv[i] = measure(&rr);
			mv[i] = measure(&mr);
			iv[i] = measure(&ir);
			pinned &= rr.cpu_ok & mr.cpu_ok & ir.cpu_ok;
		}
		double r = median(rv, runs), m = median(mv, runs),
		       it = median(iv, runs);
		printf("%6u %14.1f %18.2f %6.1fx %18.2f %6.1fx\n", bursts[b],
		       r / 1e6, m / 1e6, r / m, it / 1e6, r / it);
	}
	printf("threads: producer on CPU 0, consumer on CPU 1 of %d (%s)\n",
	       cpus, pinned ? "pinned" : "pinning not available: unpinned");
	ring_destroy(ring);
	return 0;
}
