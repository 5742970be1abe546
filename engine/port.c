/* SPDX-License-Identifier: Apache-2.0 */
/* port.c - one endpoint's read and write steps, run by its worker. */
#include "port.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "poller.h"

/*
 * How it works
 *
 * A port is one endpoint with the rings and pools around it:
 *
 *   write: take a batch from tx_ring, write it to the endpoint, give the
 *          buffers back to tx_pool (the peer's pool);
 *   read:  take free buffers from rx_pool, read a batch into them, drop bad
 *          frames (counted), push the rest onto rx_ring (the peer's
 *          tx_ring).
 *
 * Frames are never copied: the buffer a frame is read into is the buffer it
 * is written from. Each ring has one producer port and one consumer port,
 * so it stays single-producer single-consumer whether the two ports are
 * served by two threads or by one.
 *
 * Backpressure. A full ring stops reading: frames wait in the kernel (or in
 * vmnet), which is where a slow consumer's traffic should queue and be
 * dropped, and reading resumes as soon as the peer frees space. A batch the
 * endpoint refuses waits for writability (-EAGAIN, an OUT event) or retries
 * every retry_us (-ENOBUFS, no event exists), but only while the reader
 * keeps taking frames: once it has taken none for write_wait_us (counted
 * from the first refusal, and again from every write that went through
 * after one), the rest of the batch is dropped and counted. A slow reader
 * is thus waited for, however slow, and a stalled one costs at most one
 * batch per write_wait_us; that bound keeps it from holding frames forever
 * and small frames from starving behind bulk ones (the same reasoning as
 * vmnet-helper's 10 x 50 us retry budget). Counting from the first refusal
 * alone dropped frames a draining reader would have taken: a client whose
 * kernel queue holds 11 datagrams (a --socket client that never connects
 * back, as QEMU's) refuses a 64-frame batch several times over.
 */

uint64_t port_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int port_init(struct port *p)
{
	unsigned b = p->cfg.batch;

	p->stash = calloc(b, sizeof(*p->stash));
	p->good = calloc(b, sizeof(*p->good));
	p->pending = calloc(b, sizeof(*p->pending));
	if (!p->stash || !p->good || !p->pending) {
		port_free(p);
		return -ENOMEM;
	}
	p->can_read = p->can_write = true;
	return 0;
}

void port_free(struct port *p)
{
	free(p->stash);
	free(p->good);
	free(p->pending);
	p->stash = p->good = p->pending = NULL;
}

/* Give the whole pending batch back to its pool. */
static void release_pending(struct port *p, bool *kick)
{
	pool_put_burst(p->tx_pool, p->pending, p->pending_n);
	p->pending_n = p->pending_off = 0;
	p->write_deadline_us = 0;
	p->retry_at_us = 0;
	*kick = true;
}

int port_write(struct port *p, bool *progress, bool *kick)
{
	struct counters_out *c = &p->counters.out;

	if (p->pending_n == 0) {
		p->pending_n = ring_dequeue_burst(
		    p->tx_ring, (void **)p->pending, p->cfg.batch);
		if (p->pending_n == 0)
			return 0;
		*progress = true;
		/* Still waiting for writability: this batch's wait starts
		 * now, so a reader that never comes back costs one batch per
		 * write_wait_us instead of holding frames forever. */
		if (!p->can_write) {
			p->write_deadline_us =
			    port_now_us() + p->cfg.write_wait_us;
			return 0;
		}
	} else if (!p->can_write || p->retry_at_us) {
		/* Refused before: drop the rest if it waited too long, try
		 * again if the retry is due, else keep waiting. */
		uint64_t now = port_now_us();

		if (now >= p->write_deadline_us) {
			counter_add(&c->drop_stalled,
				    p->pending_n - p->pending_off);
			release_pending(p, kick);
			*progress = true;
			return 0;
		}
		if (!p->can_write || now < p->retry_at_us)
			return 0;
		p->retry_at_us = 0;
	}

	while (p->pending_off < p->pending_n) {
		struct pkt **f = p->pending + p->pending_off;
		unsigned n = p->pending_n - p->pending_off;
		int r = endpoint_write(p->ep, f, n);

		if (r > 0) {
			uint64_t bytes = 0, unsent = 0;

			for (int i = 0; i < r; i++) {
				if (f[i]->flags & PKT_F_UNSENT) {
					f[i]->flags &= ~PKT_F_UNSENT;
					unsent++;
				} else {
					bytes += f[i]->len;
				}
			}
			if (unsent)
				counter_add(&c->drop_unsent, unsent);
			counter_add(&c->packets, (uint64_t)r - unsent);
			counter_add(&c->bytes, bytes);
			counter_add(&c->batches, 1);
			p->pending_off += (unsigned)r;
			*progress = true;
			/* The reader took something: it is slow, not
			 * stalled, so the rest of the batch gets a full wait
			 * again from now. */
			if (p->write_deadline_us)
				p->write_deadline_us =
				    port_now_us() + p->cfg.write_wait_us;
			continue;
		}
		if (r == -EMSGSIZE || r == -ENETDOWN) {
			counter_add(r == -EMSGSIZE ? &c->drop_too_big
						   : &c->drop_link_down,
				    1);
			p->pending_off++;
			*progress = true;
			continue;
		}
		if (r == -EAGAIN || r == -ENOBUFS) {
			uint64_t now = port_now_us();

			counter_add(&c->retries, 1);
			if (!p->write_deadline_us)
				p->write_deadline_us =
				    now + p->cfg.write_wait_us;
			/* Only an fd can tell us when it drains. */
			if (r == -EAGAIN && p->ep->fd >= 0)
				p->can_write = false;
			else
				p->retry_at_us = now + p->cfg.retry_us;
			return 0;
		}
		return r;
	}
	release_pending(p, kick);
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

int port_read(struct port *p, bool *progress, bool *kick)
{
	struct counters_in *c = &p->counters.in;

	if (!p->can_read) {
		/* Relaxed: only the flag matters here; a notification that
		 * races with this is caught by the sleeper's S1 (worker.c). */
		if (p->ep->fd >= 0 ||
		    !atomic_exchange_explicit(&p->ep_ready, 0,
					      memory_order_relaxed))
			return 0;
		p->can_read = true;
	}

	/* Exact for the producer: the consumer can only free more. */
	unsigned want = ring_free_count(p->rx_ring);
	if (want > p->cfg.batch)
		want = p->cfg.batch;
	if (want == 0)
		return 0;
	if (p->stash_n < want)
		p->stash_n += pool_get_burst(p->rx_pool, p->stash + p->stash_n,
					     p->cfg.batch - p->stash_n);
	if (want > p->stash_n)
		want = p->stash_n;
	if (want == 0)
		return 0;

	int r = endpoint_read(p->ep, p->stash, want);
	if (r == -EAGAIN) {
		p->can_read = false;
		return 0;
	}
	if (r < 0)
		return r;

	unsigned got = (unsigned)r, good = 0, bad = 0;
	uint64_t bytes = 0;

	for (unsigned i = 0; i < got; i++) {
		struct pkt *pkt = p->stash[i];

		bytes += pkt->len;
		if (frame_ok(c, pkt))
			p->good[good++] = pkt;
		else
			p->stash[bad++] = pkt; /* reused for the next read */
	}
	/* One branch per batch when there is none (frame_filter.h). Its
	 * rejects join the bad buffers: stash[bad..got) is free, as each of
	 * those buffers went to good[] or further down, and the filter
	 * rejects at most good of them. */
	if (good && p->filter) {
		unsigned kept = p->filter->filter(p->filter, p->good, good,
						  p->stash + bad, c);
		bad += good - kept;
		good = kept;
	}
	counter_add(&c->packets, got);
	counter_add(&c->bytes, bytes);
	counter_add(&c->batches, 1);
	/* The unused tail of the stash moves down behind the bad buffers. */
	memmove(p->stash + bad, p->stash + got,
		(p->stash_n - got) * sizeof(*p->stash));
	p->stash_n -= got - bad;

	if (good) {
		/* One branch per batch when there is none (frame_inspector.h).
		 */
		if (p->inspector)
			p->inspector->inspect(p->inspector, p->good, good);
		/* Fits: good <= want <= free slots counted above. */
		ring_enqueue_burst(p->rx_ring, (void *const *)p->good, good);
		*kick = true;
	}
	*progress = true;
	return 0;
}

bool port_has_work(struct port *p)
{
	if (p->pending_n) {
		if (p->can_write && !p->retry_at_us)
			return true;
	} else if (ring_count(p->tx_ring) > 0) {
		return true;
	}
	bool readable = p->can_read || atomic_load_explicit(
					   &p->ep_ready, memory_order_relaxed);
	return readable && ring_free_count(p->rx_ring) > 0 &&
	       (p->stash_n > 0 || ring_count(p->rx_pool->free) > 0);
}

bool port_ring_work(struct port *p)
{
	return (ring_count(p->tx_ring) > 0 &&
		(p->pending_n == 0 || p->can_write)) ||
	       atomic_load_explicit(&p->ep_ready, memory_order_relaxed);
}

uint64_t port_sleep_until_us(const struct port *p)
{
	if (!p->pending_n || !p->write_deadline_us)
		return 0;
	uint64_t until = p->write_deadline_us;
	if (p->retry_at_us && p->retry_at_us < until)
		until = p->retry_at_us;
	return until;
}

void port_on_event(struct port *p, uint32_t events)
{
	/* An error or hang-up is read back by the next call. */
	if (events & (POLLER_IN | POLLER_ERR | POLLER_HUP))
		p->can_read = true;
	if (events & (POLLER_OUT | POLLER_ERR | POLLER_HUP))
		p->can_write = true;
}

void port_count_leftovers(struct port *p)
{
	bool kick = false;
	uint64_t n = p->pending_n - p->pending_off;

	release_pending(p, &kick);
	for (;;) {
		unsigned got = ring_dequeue_burst(
		    p->tx_ring, (void **)p->pending, p->cfg.batch);
		if (!got)
			break;
		n += got;
		pool_put_burst(p->tx_pool, p->pending, got);
	}
	/* Every worker is joined: this thread now owns the counters, and
	 * the join orders it after their last writes. */
	counter_add(&p->counters.out.drop_shutdown, n);
}

void port_finish(struct port *p, enum port_exit reason, int err)
{
	p->exit_errno = -err;
	/* Release: pairs with the acquire in port_exit_reason(). */
	atomic_store_explicit(&p->exit_reason, reason, memory_order_release);
}
