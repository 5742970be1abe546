/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet_start.h - start the vmnet interface: the description in XPC,
 * the start with its bounded wait, and vmnet's parameters. */
#ifndef VMNET_HELPER_HOST_VMNET_START_H
#define VMNET_HELPER_HOST_VMNET_START_H

#include <stddef.h>

#include "host_vmnet.h"
#include "vmnet_desc.h"

/**
 * host_vmnet_desc_to_xpc() - the interface description as vmnet takes it
 * @d:	the description (vmnet_desc_build())
 *
 * Return: a new XPC dictionary, or NULL when out of memory.
 */
xpc_object_t host_vmnet_desc_to_xpc(const struct vmnet_desc *d);

/**
 * host_vmnet_start_and_wait() - start the interface, wait for vmnet
 * @h:		its queue is used; gets iface (and, with --network, broker
 *		and network)
 * @cfg:	network is used
 * @desc:	host_vmnet_desc_to_xpc()'s description
 * @paramsp:	gets vmnet's parameters (retained)
 * @err:	why not, and what to do
 * @errlen:	room in @err
 *
 * Return: 0 with h->iface running, or a negative errno with h->iface NULL.
 */
int host_vmnet_start_and_wait(struct host_vmnet *h,
			      const struct host_config *cfg, xpc_object_t desc,
			      xpc_object_t *paramsp, char *err, size_t errlen);

/**
 * host_vmnet_read_params() - vmnet's parameters into host_info
 * @p:		the parameters host_vmnet_start_and_wait() returned
 * @cfg:	max_batch stands in for packets-per-call limits not reported
 * @info:	gets MAC, id, MTU, sizes, limits and addresses
 */
void host_vmnet_read_params(xpc_object_t p, const struct host_config *cfg,
			    struct host_info *info);

#endif
