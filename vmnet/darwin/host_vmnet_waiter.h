/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet_waiter.h - wait for one of vmnet's asynchronous answers with a
 * timeout, and the bounded waits built on it (stop, drain). */
#ifndef VMNET_HELPER_HOST_VMNET_WAITER_H
#define VMNET_HELPER_HOST_VMNET_WAITER_H

#include <dispatch/dispatch.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <vmnet/vmnet.h>
#include <xpc/xpc.h>

/*
 * One asynchronous call waited for with a timeout. The waiting side and
 * the completion block hold one reference each; after a timeout the block
 * may still run, so the last one to let go frees it.
 */
struct host_vmnet_waiter {
	atomic_int refs;
	dispatch_semaphore_t sem;
	vmnet_return_t status;
	xpc_object_t obj; /* retained: interface params or broker reply */
};

/**
 * host_vmnet_waiter_new() - a waiter with two references: the waiting
 * side's and the completion block's
 *
 * Return: the waiter, or NULL when out of memory.
 */
struct host_vmnet_waiter *host_vmnet_waiter_new(void);

/**
 * host_vmnet_waiter_put() - let go of one reference; the last frees it
 * @w:	the waiter
 */
void host_vmnet_waiter_put(struct host_vmnet_waiter *w);

/**
 * host_vmnet_waiter_cancel() - free a waiter whose completion block was
 * never handed to vmnet (the call that takes it failed at once)
 * @w:	the waiter; both references are still the caller's
 *
 * One call for both references, where two host_vmnet_waiter_put() would
 * do: the static analyzer cannot follow the atomic count and takes the
 * second put for a use after free.
 */
void host_vmnet_waiter_cancel(struct host_vmnet_waiter *w);

/**
 * host_vmnet_waiter_done() - the completion block's side: record the
 * answer, wake the waiting side and let go
 * @w:		the waiter
 * @status:	vmnet's status
 * @obj:	the answer's object, retained here, or NULL
 */
void host_vmnet_waiter_done(struct host_vmnet_waiter *w, vmnet_return_t status,
			    xpc_object_t obj);

/**
 * host_vmnet_waiter_wait() - wait for the completion block
 * @w:		the waiter
 * @seconds:	how long at most (0: do not wait)
 *
 * Return: true if the block ran in time; status and obj are then set.
 */
bool host_vmnet_waiter_wait(struct host_vmnet_waiter *w, unsigned seconds);

/**
 * host_vmnet_waiter_wait_or_stop() - host_vmnet_waiter_wait(), ended early
 * by a pending stop signal
 * @w:		the waiter
 * @seconds:	how long at most
 *
 * For the waits before the engine runs (the start, vmnet-broker), which
 * must not keep a SIGTERM waiting for up to @seconds. Not for stopping an
 * interface, which runs after the signal and must still wait for vmnet.
 *
 * Return: 1 if the block ran in time, 0 on time-out, or minus the number
 * of the stop signal that is pending (signals_stop_pending()).
 */
int host_vmnet_waiter_wait_or_stop(struct host_vmnet_waiter *w,
				   unsigned seconds);

/**
 * host_vmnet_stop_interface() - stop a vmnet interface, never hanging
 * @iface:	the interface
 * @q:		its queue
 * @seconds:	how long to wait for vmnet to confirm (0: do not wait)
 *
 * See host_vmnet_waiter.c for why a stop must never hang.
 */
void host_vmnet_stop_interface(interface_ref iface, dispatch_queue_t q,
			       unsigned seconds);

/**
 * host_vmnet_drain_queue() - wait until every block already on @q has run
 * @q:		a serial queue
 * @seconds:	how long at most
 */
void host_vmnet_drain_queue(dispatch_queue_t q, unsigned seconds);

#endif
