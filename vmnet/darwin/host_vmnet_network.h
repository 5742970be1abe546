/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet_network.h - what uses vmnet's macOS 26 API: joining --network,
 * releasing it, and the max packets keys; found at run time, so any SDK
 * builds it and an older macOS refuses --network with a clear line. */
#ifndef VMNET_HELPER_HOST_VMNET_NETWORK_H
#define VMNET_HELPER_HOST_VMNET_NETWORK_H

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
 * Return: 0 with @done handed to vmnet (h->iface NULL if vmnet refused
 * the start at once), or a negative errno with @done not handed (-ENOTSUP
 * before macOS 26).
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

/**
 * host_vmnet_max_packets_keys() - the interface parameters' keys for the
 * packets-per-call limits
 * @rd:	gets vmnet_read_max_packets_key's value
 * @wr:	gets vmnet_write_max_packets_key's value
 *
 * Where vmnet lacks the symbols (before macOS 26), their values' names,
 * which newer releases also report under (vmnet-helper's JSON shows them).
 */
void host_vmnet_max_packets_keys(const char **rd, const char **wr);

/**
 * host_vmnet_start_on_own_network() - make a macOS 26 network of the
 * helper's own (vmnet_network_plan.h) and start the interface on it
 * @h:		its queue is used; gets network and iface
 * @cfg:	what to open: mode, subnet, DHCP, reservations
 * @desc:	the interface description
 * @done:	vmnet's start completion block
 * @err:	why not, and what to do
 * @errlen:	room in @err
 *
 * Return: as host_vmnet_start_on_network() (-ENOTSUP before macOS 26).
 */
int host_vmnet_start_on_own_network(
    struct host_vmnet *h, const struct host_config *cfg, xpc_object_t desc,
    vmnet_start_interface_completion_handler_t done, char *err, size_t errlen);

/**
 * host_vmnet_network_info() - what the network vmnet made or joined chose:
 * its IPv4 subnet and IPv6 prefix, for the JSON line
 * @h:		started; nothing is done without h->network
 * @info:	gets net_ipv4_subnet, net_ipv4_mask, net_ipv6_prefix(_len)
 */
void host_vmnet_network_info(struct host_vmnet *h, struct host_info *info);

#endif
