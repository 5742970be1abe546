/* SPDX-License-Identifier: Apache-2.0 */
/* tap_mac.h - the VM's interface id and the MAC address derived from it. */
#ifndef VMNET_HELPER_TAP_MAC_H
#define VMNET_HELPER_TAP_MAC_H

#include <stddef.h>

#include "host.h"

/**
 * tap_identity() - the interface id and MAC address host_open() reports
 * @cfg:	the given --interface-id, if any
 * @info:	gets interface_id and mac_address
 * @err:	why it failed
 * @errlen:	room in @err
 *
 * Return: 0, or a negative errno with @err filled.
 */
int tap_identity(const struct host_config *cfg, struct host_info *info,
		 char *err, size_t errlen);

#endif
