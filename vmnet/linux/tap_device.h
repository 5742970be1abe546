/* SPDX-License-Identifier: Apache-2.0 */
/* tap_device.h - set up the TAP device: open or create it, and give it its
 * MTU, bridge and up state. */
#ifndef VMNET_HELPER_TAP_DEVICE_H
#define VMNET_HELPER_TAP_DEVICE_H

#include <net/if.h>
#include <stddef.h>

#include "host.h"

#define TAP_ETH_HLEN 14
/* tun.c caps a TAP's MTU at 65535 minus its Ethernet header, so 64 KiB
 * frames need this MTU and the largest frame is exactly 65535 bytes. */
#define TAP_TSO_MTU ((int)HOST_TSO_FRAME_MAX_LINUX - TAP_ETH_HLEN)

/**
 * tap_attach() - open /dev/net/tun and bind it to a TAP device
 * @name:	the TAP's name, or "" for the kernel to choose tapN; created
 *		unless a persistent one of that name exists
 * @real:	gets the device's name
 * @err:	why it failed, and what to do
 * @errlen:	room in @err
 *
 * Return: the nonblocking, close-on-exec fd, or a negative errno.
 */
int tap_attach(const char *name, char real[IFNAMSIZ], char *err, size_t errlen);

/**
 * tap_configure() - give the TAP its MTU (TSO; never above its bridge's),
 * bridge and up state
 * @cfg:		enable_tso and bridge are used
 * @tap:		the TAP's name
 * @bridge_index:	ifindex of cfg->bridge, checked by the caller
 * @info:		gets bridge, the bridge's IPv4 addresses and the MTU
 *			read back; host_open() fills the MAC and id itself
 * @err:		why it failed, and what to do
 * @errlen:		room in @err
 *
 * Return: 0, or a negative errno.
 */
int tap_configure(const struct host_config *cfg, const char *tap,
		  unsigned bridge_index, struct host_info *info, char *err,
		  size_t errlen);

#endif
