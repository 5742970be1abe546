/* SPDX-License-Identifier: Apache-2.0 */
/* host_json.h - the one JSON line vmnet-helper prints on stdout: the host
 * interface's parameters, for the tools that start the VM. */
#ifndef VMNET_HELPER_HOST_JSON_H
#define VMNET_HELPER_HOST_JSON_H

#include <stddef.h>

#include "host.h"

/**
 * host_json_line() - format @info as vmnet-helper's JSON object
 * @info:	what host_open() reported
 * @buf:	output, NUL-terminated, no newline
 * @len:	room in @buf
 *
 * Keys, in this order: vmnet_mac_address, vmnet_mtu, vmnet_max_packet_size,
 * vmnet_interface_id, vmnet_read_max_packets, vmnet_write_max_packets; then
 * vmnet_start_address, vmnet_end_address, vmnet_subnet_mask when the mode
 * has a subnet (shared, host, or a Linux bridge with an IPv4 address);
 * vmnet_nat66_prefix when known (shared); tap_name and bridge on Linux.
 * Numbers are JSON numbers, strings are escaped.
 *
 * Return: the length, or -1 if @buf is too small.
 */
int host_json_line(const struct host_info *info, char *buf, size_t len);

#endif
