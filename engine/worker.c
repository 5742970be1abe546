/* SPDX-License-Identifier: Apache-2.0 */
/* worker.c - the loop each datapath thread runs over its endpoint. */
#include "worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "placement.h"
#include "poller.h"

/*
 * How it works
 *
 * A worker owns one endpoint and runs, until asked to stop:
 *
 *   1. write: take a batch from tx_ring, write it to the endpoint, give the
 *      buffers back to tx_pool (the peer's pool);
 *   2. read: take free buffers from rx_pool, read a batch into them, drop
 *      bad frames (counted), push the rest onto rx_ring (the peer's
 *      tx_ring);
 *   3. if either step moved something the peer will consume, kick the peer;
 *   4. if neither step could do anything, sleep in the poller.
 *
 * Frames are never copied: the buffer a frame is read into is the buffer it
 * is written from.
 *
 * Sleeping without losing a wake-up. The sleeper announces itself, then
 * looks for work once more; the peer publishes work, then looks for a
 * sleeper. Both looks are read-modify-writes of the sleeper's flag:
 *
 *   sleeper (worker_sleep)             peer (kick_peer)
 *   exchange(sleeping, 1) acq_rel [S1] ring enqueue (release store)
 *   check rings for work               exchange(sleeping, 0) acq_rel [K1]
 *   poller_wait()                      if it was 1: poller_wake()
 *
 * Read-modify-writes of one variable are totally ordered. If K1 comes
 * after S1, it reads 1 and wakes the sleeper. If K1 comes first, S1 reads
 * the 0 that K1 wrote, so K1 (a release) synchronizes with S1 (an
 * acquire): the enqueue before K1 happens before the sleeper's check, which
 * therefore finds the work and does not sleep. No fence is needed (and
 * ThreadSanitizer, which cannot model fences, can check this one). A
 * wake-up is a syscall, so it happens only when the peer really sleeps;
 * while both are busy a kick costs one uncontended exchange per batch,
 * never per packet. After waking, the sleeper clears the flag with a plain
 * store: a peer that still saw 1 just wakes it once more, and the poller
 * keeps that wake-up pending, so it cannot be lost either.
 *
 * Backpressure. A full ring stops reading: frames wait in the kernel (or in
 * vmnet), which is where a slow consumer's traffic should queue and be
 * dropped, and reading resumes as soon as the peer frees space. A batch the
 * endpoint refuses waits for writability (-EAGAIN, an OUT event) or retries
 * every retry_us (-ENOBUFS, no event exists), but never longer than
 * write_wait_us after its first refusal; then the rest of the batch is
 * dropped and counted. That bound is what keeps a stalled reader from
 * blocking the other direction and small frames from starving behind bulk
 * ones (the same reasoning as vmnet-helper's 10 x 50 us retry budget).
 */

enum { TAG_WAKE = 1, TAG_ENDPOINT = 2 };

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int worker_init(struct worker *w)
{
	unsigned b = w->cfg.batch;
	int r;

	w->stash = calloc(b, sizeof(*w->stash));
	w->good = calloc(b, sizeof(*w->good));
	w->pending = calloc(b, sizeof(*w->pending));
	if (!w->stash || !w->good || !w->pending) {
		worker_free(w);
		return -ENOMEM;
	}
	r = poller_create(&w->poller, TAG_WAKE);
	if (r)
		worker_free(w);
	return r;
}

void worker_free(struct worker *w)
{
	free(w->stash);
	free(w->good);
	free(w->pending);
	w->stash = w->good = w->pending = NULL;
	poller_destroy(w->poller);
	w->poller = NULL;
}

/* Wake the peer if it sleeps, after this worker published work for it:
 * frames on its tx_ring or buffers back in its rx_pool. */
static void kick_peer(struct worker *w)
{
	struct worker *p = w->peer;

	/* K1: acq_rel; pairs with S1 in worker_sleep() (see the top). The
	 * release half publishes the ring stores just made to a sleeper
	 * whose S1 reads this 0. */
	if (atomic_exchange_explicit(&p->sleeping, 0, memory_order_acq_rel))
		poller_wake(p->poller);
}

void worker_notify(void *arg)
{
	struct worker *w = arg;

	/* Same protocol as kick_peer(), with ep_ready as the work: the
	 * relaxed store is published by the exchange's release (K1). */
	atomic_store_explicit(&w->ep_ready, 1, memory_order_relaxed);
	if (atomic_exchange_explicit(&w->sleeping, 0, memory_order_acq_rel))
		poller_wake(w->poller);
}

static bool is_peer_gone(int err)
{
	return err == -EPIPE || err == -ECONNREFUSED || err == -ECONNRESET ||
	       err == -ENOTCONN;
}

/* Give the whole pending batch back to its pool. */
static void release_pending(struct worker *w, bool *kick)
{
	pool_put_burst(w->tx_pool, w->pending, w->pending_n);
	w->pending_n = w->pending_off = 0;
	w->write_deadline_us = 0;
	w->retry_at_us = 0;
	*kick = true;
}

/* Step 1. Return: 0, or a negative errno that ends the worker. */
static int worker_write(struct worker *w, bool *progress, bool *kick)
{
	struct counters_out *c = &w->counters.out;

	if (w->pending_n == 0) {
		w->pending_n = ring_dequeue_burst(
		    w->tx_ring, (void **)w->pending, w->cfg.batch);
		if (w->pending_n == 0)
			return 0;
		*progress = true;
		/* Still waiting for writability: this batch's wait starts
		 * now, so a reader that never comes back costs one batch per
		 * write_wait_us instead of holding frames forever. */
		if (!w->can_write) {
			w->write_deadline_us = now_us() + w->cfg.write_wait_us;
			return 0;
		}
	} else if (!w->can_write || w->retry_at_us) {
		/* Refused before: drop the rest if it waited too long, try
		 * again if the retry is due, else keep waiting. */
		uint64_t now = now_us();

		if (now >= w->write_deadline_us) {
			counter_add(&c->drop_stalled,
				    w->pending_n - w->pending_off);
			release_pending(w, kick);
			*progress = true;
			return 0;
		}
		if (!w->can_write || now < w->retry_at_us)
			return 0;
		w->retry_at_us = 0;
	}

	while (w->pending_off < w->pending_n) {
		struct pkt **p = w->pending + w->pending_off;
		unsigned n = w->pending_n - w->pending_off;
		int r = endpoint_write(w->ep, p, n);

		if (r > 0) {
			uint64_t bytes = 0, unsent = 0;

			for (int i = 0; i < r; i++) {
				if (p[i]->flags & PKT_F_UNSENT) {
					p[i]->flags &= ~PKT_F_UNSENT;
					unsent++;
				} else {
					bytes += p[i]->len;
				}
			}
			if (unsent)
				counter_add(&c->drop_unsent, unsent);
			counter_add(&c->packets, (uint64_t)r - unsent);
			counter_add(&c->bytes, bytes);
			counter_add(&c->batches, 1);
			w->pending_off += (unsigned)r;
			*progress = true;
			continue;
		}
		if (r == -EMSGSIZE || r == -ENETDOWN) {
			counter_add(r == -EMSGSIZE ? &c->drop_too_big
						   : &c->drop_link_down,
				    1);
			w->pending_off++;
			*progress = true;
			continue;
		}
		if (r == -EAGAIN || r == -ENOBUFS) {
			uint64_t now = now_us();

			counter_add(&c->retries, 1);
			if (!w->write_deadline_us)
				w->write_deadline_us =
				    now + w->cfg.write_wait_us;
			/* Only an fd can tell us when it drains. */
			if (r == -EAGAIN && w->ep->fd >= 0)
				w->can_write = false;
			else
				w->retry_at_us = now + w->cfg.retry_us;
			return 0;
		}
		return r;
	}
	release_pending(w, kick);
	return 0;
}

/* Whether a frame may cross; counts the reason when it may not. */
static bool frame_ok(struct counters_in *c, const struct pkt *pkt)
{
	if (pkt->flags & PKT_F_FOREIGN) {
		counter_add(&c->drop_foreign, 1);
		return false;
	}
	if (pkt->flags & PKT_F_TRUNCATED) {
		counter_add(&c->drop_truncated, 1);
		return false;
	}
	if (pkt->len < ENDPOINT_MIN_FRAME) {
		/* vfkit and krunkit greet a unix socket with exactly these
		 * 4 bytes; counted apart so they do not look like damage. */
		if (pkt->len == 4 && memcmp(pkt->data, "VFKT", 4) == 0)
			counter_add(&c->drop_vfkt, 1);
		else
			counter_add(&c->drop_runt, 1);
		return false;
	}
	return true;
}

/* Step 2. Return: 0, or a negative errno that ends the worker. */
static int worker_read(struct worker *w, bool *progress, bool *kick)
{
	struct counters_in *c = &w->counters.in;

	if (!w->can_read) {
		/* Relaxed: only the flag matters here; a notification that
		 * races with this is caught by worker_sleep()'s S1. */
		if (w->ep->fd >= 0 ||
		    !atomic_exchange_explicit(&w->ep_ready, 0,
					      memory_order_relaxed))
			return 0;
		w->can_read = true;
	}

	/* Exact for the producer: the consumer can only free more. */
	unsigned want = ring_free_count(w->rx_ring);
	if (want > w->cfg.batch)
		want = w->cfg.batch;
	if (want == 0)
		return 0;
	if (w->stash_n < want)
		w->stash_n += pool_get_burst(w->rx_pool, w->stash + w->stash_n,
					     w->cfg.batch - w->stash_n);
	if (want > w->stash_n)
		want = w->stash_n;
	if (want == 0)
		return 0;

	int r = endpoint_read(w->ep, w->stash, want);
	if (r == -EAGAIN) {
		w->can_read = false;
		return 0;
	}
	if (r < 0)
		return r;

	unsigned got = (unsigned)r, good = 0, bad = 0;
	uint64_t bytes = 0;

	for (unsigned i = 0; i < got; i++) {
		struct pkt *pkt = w->stash[i];

		bytes += pkt->len;
		if (frame_ok(c, pkt))
			w->good[good++] = pkt;
		else
			w->stash[bad++] = pkt; /* reused for the next read */
	}
	counter_add(&c->packets, got);
	counter_add(&c->bytes, bytes);
	counter_add(&c->batches, 1);
	/* The unused tail of the stash moves down behind the bad buffers. */
	memmove(w->stash + bad, w->stash + got,
		(w->stash_n - got) * sizeof(*w->stash));
	w->stash_n -= got - bad;

	if (good) {
		/* One branch per batch when there is none (frame_inspector.h).
		 */
		if (w->inspector)
			w->inspector->inspect(w->inspector, w->good, good);
		/* Fits: good <= want <= free slots counted above. */
		ring_enqueue_burst(w->rx_ring, (void *const *)w->good, good);
		*kick = true;
	}
	*progress = true;
	return 0;
}

/* Whether a step would do something now; called after S1. */
static bool has_work(struct worker *w)
{
	if (atomic_load_explicit(&w->stop_requested, memory_order_relaxed))
		return true;
	if (w->pending_n) {
		if (w->can_write && !w->retry_at_us)
			return true;
	} else if (ring_count(w->tx_ring) > 0) {
		return true;
	}
	bool readable = w->can_read || atomic_load_explicit(
					   &w->ep_ready, memory_order_relaxed);
	return readable && ring_free_count(w->rx_ring) > 0 &&
	       (w->stash_n > 0 || ring_count(w->rx_pool->free) > 0);
}

/* How long the poller may sleep: until the pending batch's next retry or
 * deadline, or forever. */
static int64_t sleep_timeout_us(struct worker *w)
{
	if (!w->pending_n || !w->write_deadline_us)
		return -1;
	uint64_t until = w->write_deadline_us;
	if (w->retry_at_us && w->retry_at_us < until)
		until = w->retry_at_us;
	uint64_t now = now_us();
	return until > now ? (int64_t)(until - now) : 0;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Before sleeping, watch the rings for up to spin_us: under steady traffic
 * the peer's next batch usually lands within microseconds, and catching it
 * here saves both the sleep and the peer's wake-up syscall. Only memory is
 * read (no syscalls), and only this worker's own ring cache lines. */
static bool spin_for_work(struct worker *w)
{
	if (!w->cfg.spin_us)
		return false;
	uint64_t until = now_us() + w->cfg.spin_us;
	do {
		for (int i = 0; i < 64; i++) {
			if (ring_count(w->tx_ring) > 0 &&
			    (w->pending_n == 0 || w->can_write))
				return true;
			if (atomic_load_explicit(&w->ep_ready,
						 memory_order_relaxed) ||
			    atomic_load_explicit(&w->stop_requested,
						 memory_order_relaxed))
				return true;
			cpu_relax();
		}
	} while (now_us() < until);
	return false;
}

/* Step 4. Return: 0, or a negative errno from the poller. */
static int worker_sleep(struct worker *w)
{
	struct poller_event ev[4];

	/* S1: acq_rel; pairs with K1 in kick_peer() and worker_notify(). */
	atomic_exchange_explicit(&w->sleeping, 1, memory_order_acq_rel);
	if (has_work(w)) {
		atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
		return 0;
	}
	int n = poller_wait(w->poller, ev, 4, sleep_timeout_us(w));
	/* Relaxed: a peer that still sees 1 wakes us once more, harmlessly. */
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
	if (n < 0)
		return n;
	counter_add(&w->counters.wakeups, 1);
	for (int i = 0; i < n; i++) {
		if (ev[i].tag != TAG_ENDPOINT)
			continue;
		/* An error or hang-up is read back by the next call. */
		if (ev[i].events & (POLLER_IN | POLLER_ERR | POLLER_HUP))
			w->can_read = true;
		if (ev[i].events & (POLLER_OUT | POLLER_ERR | POLLER_HUP))
			w->can_write = true;
	}
	return 0;
}

static void worker_finish(struct worker *w, enum worker_exit reason, int err)
{
	struct timespec ts;

	/* Own CPU time, user + system: portable where per-thread clocks of
	 * other threads (pthread_getcpuclockid) are not. */
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
		w->cpu_ns =
		    (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	w->exit_errno = -err;
	/* Release: pairs with the acquire in worker_exit_reason(). */
	atomic_store_explicit(&w->exit_reason, reason, memory_order_release);
	if (w->on_exit)
		w->on_exit(w->on_exit_arg);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int err = 0;

	placement_name_self(w->cfg.name);
	if (w->cfg.cpu >= 0) {
		w->pin_error = placement_pin_self(w->cfg.cpu);
		if (w->pin_error)
			log_warn("[%s] cannot pin to CPU %d: %s; running "
				 "unpinned",
				 w->cfg.name, w->cfg.cpu,
				 strerror(-w->pin_error));
		else
			log_debug("[%s] pinned to CPU %d", w->cfg.name,
				  w->cfg.cpu);
	}

	w->can_read = w->can_write = true;
	if (w->ep->fd >= 0)
		err = poller_add_fd(w->poller, w->ep->fd,
				    POLLER_IN | POLLER_OUT, TAG_ENDPOINT);
	else if (w->ep->ops->set_notify)
		w->ep->ops->set_notify(w->ep, worker_notify, w);

	/* Acquire: pairs with the release in worker_request_stop(). */
	while (!err && !atomic_load_explicit(&w->stop_requested,
					     memory_order_acquire)) {
		bool progress = false, kick = false;

		err = worker_write(w, &progress, &kick);
		if (!err)
			err = worker_read(w, &progress, &kick);
		if (kick)
			kick_peer(w);
		if (!err && !progress && !spin_for_work(w))
			err = worker_sleep(w);
	}

	/* No notifications once the loop is over: the endpoint may outlive
	 * this worker (see endpoint.h, set_notify). */
	if (w->ep->fd < 0 && w->ep->ops->set_notify)
		w->ep->ops->set_notify(w->ep, NULL, NULL);
	if (!err)
		worker_finish(w, WORKER_STOPPED, 0);
	else if (is_peer_gone(err))
		worker_finish(w, WORKER_PEER_GONE, err);
	else
		worker_finish(w, WORKER_FAILED, err);
	return NULL;
}

void worker_count_leftovers(struct worker *w)
{
	bool kick = false;
	uint64_t n = w->pending_n - w->pending_off;

	release_pending(w, &kick);
	for (;;) {
		unsigned got = ring_dequeue_burst(
		    w->tx_ring, (void **)w->pending, w->cfg.batch);
		if (!got)
			break;
		n += got;
		pool_put_burst(w->tx_pool, w->pending, got);
	}
	/* Both threads are joined: this thread now owns the counters, and
	 * the join orders it after their last writes. */
	counter_add(&w->counters.out.drop_shutdown, n);
}

int worker_start(struct worker *w)
{
	return -pthread_create(&w->thread, NULL, worker_main, w);
}

void worker_request_stop(struct worker *w)
{
	/* Release: pairs with the acquire in worker_main()'s loop. */
	atomic_store_explicit(&w->stop_requested, 1, memory_order_release);
	poller_wake(w->poller);
}

void worker_join(struct worker *w)
{
	pthread_join(w->thread, NULL);
}
