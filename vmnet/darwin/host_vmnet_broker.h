/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet_broker.h - the vmnet-broker client: get a shared network by
 * name (--network, macOS 26). */
#ifndef VMNET_HELPER_HOST_VMNET_BROKER_H
#define VMNET_HELPER_HOST_VMNET_BROKER_H

#include "host_vmnet.h"

/**
 * host_vmnet_broker_acquire() - ask vmnet-broker for a network
 * @h:		gets the connection in h->broker, held open: the broker keeps a
 *		network only while a client holds one; replies arrive on
 *		h->queue
 * @name:	the network's name
 * @serialp:	gets the network's serialization (retained)
 * @err:	why not, and what to do
 * @errlen:	room in @err
 *
 * Return: 0, or a negative errno.
 */
int host_vmnet_broker_acquire(struct host_vmnet *h, const char *name,
			      xpc_object_t *serialp, char *err, size_t errlen);
#endif
