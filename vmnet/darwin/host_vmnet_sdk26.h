/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet_sdk26.h - what needs the macOS 26 SDK: joining --network, and
 * releasing it; with an older SDK they say so or do nothing. */
#ifndef VMNET_HELPER_HOST_VMNET_SDK26_H
#define VMNET_HELPER_HOST_VMNET_SDK26_H

#include <stddef.h>

#include "host_vmnet.h"

/**
 * host_vmnet_start_on_network() - join --network through vmnet-broker
 * @h:		its queue is used; gets broker, network and iface
 * @name:	the network's name
 * @desc:	the interface description
 * @done:	vmnet's start completion block
 * @err:	why not, and what to do
 * @errlen:	room in @err
 *
 * Return: 0 with @done handed to vmnet (h->iface may still be NULL: vmnet
 * then reports why through the block), or a negative errno before
 * anything was handed (always with an SDK older than 26).
 */
int host_vmnet_start_on_network(struct host_vmnet *h, const char *name,
				xpc_object_t desc,
				vmnet_start_interface_completion_handler_t done,
				char *err, size_t errlen);

/**
 * host_vmnet_network_release() - release what host_vmnet_start_on_network()
 * put in h->network
 * @network:	a vmnet_network_ref, or NULL
 */
void host_vmnet_network_release(void *network);

#endif
