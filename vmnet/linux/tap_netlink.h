/* SPDX-License-Identifier: Apache-2.0 */
/* tap_netlink.h - what only rtnetlink tells about a network device: its
 * master (the bridge a TAP is a port of). */
#ifndef VMNET_HELPER_TAP_NETLINK_H
#define VMNET_HELPER_TAP_NETLINK_H

/**
 * tap_master_index() - the device a network device is a port of
 * @ifindex:	the device, e.g. a TAP
 *
 * Return: the master's ifindex, 0 if it has none, or a negative errno.
 */
int tap_master_index(int ifindex);

#endif
