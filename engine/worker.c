/* SPDX-License-Identifier: Apache-2.0 */
/* worker.c - the loop each datapath thread runs over its ports. */
#include "worker.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "placement.h"
#include "poller.h"

/*
 * How it works
 *
 * A worker serves one port or two (port.c) and runs, until asked to stop:
 *
 *   1. for each port: write a batch from its tx_ring, read a batch onto
 *      its rx_ring;
 *   2. if a step moved something that a port served by another worker
 *      will consume, kick that worker;
 *   3. if no step could do anything, spin for up to spin_us, then sleep in
 *      the poller, on the fds of the ports that found them blocked.
 *
 * Two workers (one port each, the default) put the two endpoints on two
 * CPUs. One worker serving both ports is for a helper that may use only
 * one CPU: two threads there would take turns on it, and every hand-off
 * between them would be a wake-up and a context switch; one thread hands
 * a batch from one port to the other by going on to the next step.
 *
 * Sleeping without losing a wake-up. The sleeper announces itself, then
 * looks for work once more; a peer publishes work, then looks for a
 * sleeper. Both looks are read-modify-writes of the sleeper's flag:
 *
 *   sleeper (worker_sleep)             peer (kick_worker, worker_notify)
 *   exchange(sleeping, 1) acq_rel [S1] ring enqueue (release store)
 *   check every port for work          exchange(sleeping, 0) acq_rel [K1]
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
 * never per packet, and a worker serving both ports never kicks itself.
 * After waking, the sleeper clears the flag with a plain store: a peer
 * that still saw 1 just wakes it once more, and the poller keeps that
 * wake-up pending, so it cannot be lost either.
 */

/* Poller tags: the worker's wake-up, and port i's fd TAG_PORT0 + i. */
#define TAG_WAKE  1
#define TAG_PORT0 2

int worker_init(struct worker *w)
{
	return poller_create(&w->poller, TAG_WAKE);
}

void worker_free(struct worker *w)
{
	poller_destroy(w->poller);
	w->poller = NULL;
}

int worker_add_port(struct worker *w, struct port *p)
{
	if (w->nports >= WORKER_PORTS_MAX)
		return -EINVAL;
	w->ports[w->nports++] = p;
	p->worker = w;
	return 0;
}

/* Wake @w if it sleeps, after this thread published work for it: frames
 * on one of its tx_rings or buffers back in one of its pools. */
static void kick_worker(struct worker *w)
{
	/* K1: acq_rel; pairs with S1 in worker_sleep() (see the top). The
	 * release half publishes the ring stores just made to a sleeper
	 * whose S1 reads this 0. */
	if (atomic_exchange_explicit(&w->sleeping, 0, memory_order_acq_rel))
		poller_wake(w->poller);
}

void worker_notify(void *arg)
{
	struct port *p = arg;

	/* Same protocol as kick_worker(), with ep_ready as the work: the
	 * relaxed store is published by the exchange's release (K1). */
	atomic_store_explicit(&p->ep_ready, 1, memory_order_relaxed);
	kick_worker(p->worker);
}

static bool is_peer_gone(int err)
{
	return err == -EPIPE || err == -ECONNREFUSED || err == -ECONNRESET ||
	       err == -ENOTCONN;
}

static bool stop_requested(struct worker *w)
{
	/* Acquire: pairs with the release in worker_request_stop(). */
	return atomic_load_explicit(&w->stop_requested, memory_order_acquire);
}

/* Whether any port would do something now; called after S1. */
static bool has_work(struct worker *w)
{
	if (atomic_load_explicit(&w->stop_requested, memory_order_relaxed))
		return true;
	for (unsigned i = 0; i < w->nports; i++)
		if (port_has_work(w->ports[i]))
			return true;
	return false;
}

/* How long the poller may sleep: until the earliest pending batch's next
 * retry or deadline, or forever. */
static int64_t sleep_timeout_us(struct worker *w)
{
	uint64_t until = 0;

	for (unsigned i = 0; i < w->nports; i++) {
		uint64_t t = port_sleep_until_us(w->ports[i]);

		if (t && (!until || t < until))
			until = t;
	}
	if (!until)
		return -1;
	uint64_t now = port_now_us();
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
	if (!w->spin_us)
		return false;
	uint64_t until = port_now_us() + w->spin_us;
	do {
		for (int k = 0; k < 64; k++) {
			for (unsigned i = 0; i < w->nports; i++)
				if (port_ring_work(w->ports[i]))
					return true;
			if (atomic_load_explicit(&w->stop_requested,
						 memory_order_relaxed))
				return true;
			cpu_relax();
		}
	} while (port_now_us() < until);
	return false;
}

/* The fds to wait on and for what: only what a step found blocked (IN
 * after EAGAIN on a read, OUT after one on a write). The poller watches
 * them for this wait only, so while the worker is busy the threads that
 * fill and drain its fds pay nothing for it (poller_wait_on()). */
static int sleep_fds(struct worker *w, struct poller_fd *fds)
{
	int n = 0;

	for (unsigned i = 0; i < w->nports; i++) {
		struct port *p = w->ports[i];
		uint32_t want = (p->can_read ? 0 : POLLER_IN) |
				(p->can_write ? 0 : POLLER_OUT);

		if (p->ep->fd >= 0 && want)
			fds[n++] =
			    (struct poller_fd){p->ep->fd, want, TAG_PORT0 + i};
	}
	return n;
}

/* Return: 0, or a negative errno from the poller. */
static int worker_sleep(struct worker *w)
{
	struct poller_fd fds[WORKER_PORTS_MAX];
	struct poller_event ev[4];

	/* S1: acq_rel; pairs with K1 in kick_worker() and worker_notify(). */
	atomic_exchange_explicit(&w->sleeping, 1, memory_order_acq_rel);
	if (has_work(w)) {
		atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
		return 0;
	}
	int nfds = sleep_fds(w, fds);
	int n =
	    poller_wait_on(w->poller, fds, nfds, ev, 4, sleep_timeout_us(w));
	/* Relaxed: a peer that still sees 1 wakes us once more, harmlessly. */
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
	if (n < 0)
		return n;
	counter_add(&w->wakeups, 1);
	for (int k = 0; k < n; k++)
		if (ev[k].tag >= TAG_PORT0 && ev[k].tag < TAG_PORT0 + w->nports)
			port_on_event(w->ports[ev[k].tag - TAG_PORT0],
				      ev[k].events);
	return 0;
}

/* One pass over every port. Return: 0, or the negative errno that ends the
 * worker, with *failed the port it came from. */
static int worker_step(struct worker *w, bool *progress, struct port **failed)
{
	for (unsigned i = 0; i < w->nports; i++) {
		struct port *p = w->ports[i];
		bool kick = false;
		int err = port_write(p, progress, &kick);

		if (!err)
			err = port_read(p, progress, &kick);
		/* A worker serving both ports sees the work on its next
		 * pass; only another thread needs waking. */
		if (kick && p->peer->worker != w)
			kick_worker(p->peer->worker);
		if (err) {
			*failed = p;
			return err;
		}
	}
	return 0;
}

/* Endpoints without an fd say when they have frames through a callback;
 * those with one are waited on in worker_sleep(). */
static void start_ports(struct worker *w)
{
	for (unsigned i = 0; i < w->nports; i++) {
		struct port *p = w->ports[i];

		if (p->ep->fd < 0 && p->ep->ops->set_notify)
			p->ep->ops->set_notify(p->ep, worker_notify, p);
	}
}

static void worker_finish(struct worker *w, struct port *failed, int err)
{
	struct timespec ts;

	/* No notifications once the loop is over: the endpoint may outlive
	 * this worker (see endpoint.h, set_notify). */
	for (unsigned i = 0; i < w->nports; i++) {
		struct endpoint *ep = w->ports[i]->ep;

		if (ep->fd < 0 && ep->ops->set_notify)
			ep->ops->set_notify(ep, NULL, NULL);
	}
	/* Own CPU time, user + system: portable where per-thread clocks of
	 * other threads (pthread_getcpuclockid) are not. */
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
		w->cpu_ns =
		    (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	/* The port that failed says why; the others just stopped. */
	for (unsigned i = 0; i < w->nports; i++) {
		struct port *p = w->ports[i];

		if (p != failed)
			port_finish(p, PORT_STOPPED, 0);
		else
			port_finish(
			    p, is_peer_gone(err) ? PORT_PEER_GONE : PORT_FAILED,
			    err);
	}
	if (w->on_exit)
		w->on_exit(w->on_exit_arg);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct port *failed = NULL;
	int err = 0;

	placement_name_self(w->name);
	if (w->cpu >= 0) {
		w->pin_error = placement_pin_self(w->cpu);
		if (w->pin_error)
			log_warn("[%s] cannot pin to CPU %d: %s; running "
				 "unpinned",
				 w->name, w->cpu, strerror(-w->pin_error));
		else
			log_debug("[%s] pinned to CPU %d", w->name, w->cpu);
	}

	start_ports(w);
	while (!err && !stop_requested(w)) {
		bool progress = false;

		err = worker_step(w, &progress, &failed);
		if (!err && !progress && !spin_for_work(w)) {
			err = worker_sleep(w);
			if (err)
				failed = w->ports[0];
		}
	}
	worker_finish(w, failed, err);
	return NULL;
}

int worker_start(struct worker *w)
{
	return -pthread_create(&w->thread, NULL, worker_main, w);
}

void worker_request_stop(struct worker *w)
{
	/* Release: pairs with the acquire in stop_requested(). */
	atomic_store_explicit(&w->stop_requested, 1, memory_order_release);
	poller_wake(w->poller);
}

void worker_join(struct worker *w)
{
	pthread_join(w->thread, NULL);
}
