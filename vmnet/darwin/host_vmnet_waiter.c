/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet_waiter.c - one asynchronous vmnet call waited for with a
 * timeout, by reference count; stopping an interface and draining a queue
 * with it. */
#include "host_vmnet_waiter.h"

#include <stdlib.h>

#include "host_vmnet_status.h"
#include "log.h"
#include "signals.h"

/* How often a wait before the engine runs looks for a stop signal: short
 * beside a person's patience, long beside the cost of a wake-up. */
#define STOP_CHECK_MS 100

struct host_vmnet_waiter *host_vmnet_waiter_new(void)
{
	struct host_vmnet_waiter *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->sem = dispatch_semaphore_create(0);
	if (!w->sem) {
		free(w);
		return NULL;
	}
	w->status = VMNET_FAILURE;
	atomic_init(&w->refs, 2);
	return w;
}

static void waiter_free(struct host_vmnet_waiter *w)
{
	if (w->obj)
		xpc_release(w->obj);
	dispatch_release(w->sem);
	free(w);
}

void host_vmnet_waiter_put(struct host_vmnet_waiter *w)
{
	/* acq_rel: the last side to let go sees everything the other side
	 * stored (status, obj) before its own put. */
	if (atomic_fetch_sub_explicit(&w->refs, 1, memory_order_acq_rel) != 1)
		return;
	waiter_free(w);
}

void host_vmnet_waiter_cancel(struct host_vmnet_waiter *w)
{
	/* No block holds it: no other thread can see it, no ordering. */
	waiter_free(w);
}

/* The completion block's side: record, wake the waiter, let go. The
 * semaphore orders these stores before the waiter's reads. */
void host_vmnet_waiter_done(struct host_vmnet_waiter *w, vmnet_return_t status,
			    xpc_object_t obj)
{
	w->status = status;
	w->obj = obj ? xpc_retain(obj) : NULL;
	dispatch_semaphore_signal(w->sem);
	host_vmnet_waiter_put(w);
}

/* Return: true if the block ran within @seconds (0: do not wait). */
bool host_vmnet_waiter_wait(struct host_vmnet_waiter *w, unsigned seconds)
{
	dispatch_time_t t = dispatch_time(
	    DISPATCH_TIME_NOW, (int64_t)seconds * (int64_t)NSEC_PER_SEC);

	return dispatch_semaphore_wait(w->sem, t) == 0;
}

int host_vmnet_waiter_wait_or_stop(struct host_vmnet_waiter *w,
				   unsigned seconds)
{
	for (unsigned long ms = 0; ms < seconds * 1000ul; ms += STOP_CHECK_MS) {
		dispatch_time_t t = dispatch_time(
		    DISPATCH_TIME_NOW, (int64_t)STOP_CHECK_MS * NSEC_PER_MSEC);
		int signo;

		if (dispatch_semaphore_wait(w->sem, t) == 0)
			return 1;
		signo = signals_stop_pending();
		if (signo)
			return -signo;
	}
	return 0;
}

/*
 * Stop @iface, waiting at most @seconds for vmnet to confirm. Stopping
 * must never hang: it runs on the way out (after SIGTERM or a failure),
 * and a helper stuck there keeps its caller (vmnet-run, minikube, launchd)
 * waiting for an exit that never comes; vmnet-helper hit exactly this when
 * a blocked queue held up vmnet_stop_interface(). If vmnet does not answer
 * in time we go on: the interface goes away with the process anyway.
 * Once the completion has run, every block queued before it on @q has run.
 */
void host_vmnet_stop_interface(interface_ref iface, dispatch_queue_t q,
			       unsigned seconds)
{
	struct host_vmnet_waiter *w = host_vmnet_waiter_new();
	vmnet_return_t st;

	if (!w) {
		(void)vmnet_stop_interface(iface, q, ^(vmnet_return_t s) {
		  (void)s;
		});
		log_warn("stopping the vmnet interface without waiting: out "
			 "of memory");
		return;
	}
	st = vmnet_stop_interface(iface, q, ^(vmnet_return_t s) {
	  host_vmnet_waiter_done(w, s, NULL);
	});
	if (st != VMNET_SUCCESS) {
		/* Not scheduled, so the block will never let go. */
		host_vmnet_waiter_cancel(w);
		log_warn("cannot stop the vmnet interface: %s",
			 host_vmnet_status_text(st));
		return;
	}
	if (!host_vmnet_waiter_wait(w, seconds)) {
		if (seconds > 0)
			log_warn("vmnet did not confirm the interface stopped "
				 "within %u s; going on without it",
				 seconds);
	} else if (w->status != VMNET_SUCCESS) {
		log_warn("stopping the vmnet interface: %s",
			 host_vmnet_status_text(w->status));
	} else {
		log_debug("stopped the vmnet interface");
	}
	host_vmnet_waiter_put(w);
}

/* Wait, at most @seconds, until every block already on @q has run. */
void host_vmnet_drain_queue(dispatch_queue_t q, unsigned seconds)
{
	struct host_vmnet_waiter *w = host_vmnet_waiter_new();

	if (!w)
		return;
	dispatch_async(q, ^{
	  host_vmnet_waiter_done(w, VMNET_SUCCESS, NULL);
	});
	if (!host_vmnet_waiter_wait(w, seconds))
		log_warn("the vmnet queue did not drain within %u s", seconds);
	host_vmnet_waiter_put(w);
}
