/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet.h - the vmnet endpoint's state, shared by the files of the
 * macOS host side (vmnet/darwin/). */
#ifndef VMNET_HELPER_HOST_VMNET_H
#define VMNET_HELPER_HOST_VMNET_H

#include <dispatch/dispatch.h>
#include <sys/uio.h>
#include <vmnet/vmnet.h>
#include <xpc/xpc.h>

#include "expose_plan.h"
#include "host.h"

/* Seconds to wait for vmnet to start an interface; it usually takes well
 * under one, but the first start after boot can take several. */
#define START_TIMEOUT_S 30
/* Seconds to wait for the reason when vmnet refused a start at once. */
#define REFUSED_ANSWER_S 1
/* Seconds to wait for vmnet to confirm a stop (see
 * host_vmnet_stop_interface()). */
#define STOP_TIMEOUT_S 5

struct host_vmnet {
	struct endpoint ep; /* first: the engine sees only this */
	interface_ref iface;
	dispatch_queue_t queue; /* serial: vmnet's events and completions */
	struct vmpktdesc *descs;
	struct iovec *iovs;
	unsigned max_batch;	      /* room in descs and iovs */
	unsigned read_max, write_max; /* packets per vmnet call */
	xpc_connection_t broker;      /* --network: held open, else NULL */
	void *network;		      /* --network: vmnet_network_ref */
	/* --expose: the port-forwarding rules on the interface now
	 * (host_vmnet_expose.c), removed before it stops. */
	unsigned forward_count;
	struct expose_forward forwards[HOST_EXPOSE_MAX];
};

/**
 * host_vmnet_expose_remove() - remove every --expose rule from the
 * interface, waiting a bounded time for each; before it stops
 * @h:	the interface's state; forward_count is 0 afterwards
 */
void host_vmnet_expose_remove(struct host_vmnet *h);

#endif
