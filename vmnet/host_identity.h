/* SPDX-License-Identifier: Apache-2.0 */
/* host_identity.h - the VM's interface id and the MAC address derived from
 * it, for a host side that does not assign one itself: the TAP (Linux) and
 * an inherited datagram socket (--host-fd, both platforms). vmnet assigns
 * its own. */
#ifndef VMNET_HELPER_HOST_IDENTITY_H
#define VMNET_HELPER_HOST_IDENTITY_H

#include <stddef.h>

#include "host.h"

/**
 * host_identity() - the interface id and MAC address to report
 * @cfg:	the given --interface-id, if any
 * @info:	gets interface_id (the given one, or a new random v4 UUID)
 *		and mac_address (derived from it: the same id gives the same
 *		MAC on every run and host)
 * @err:	why it failed
 * @errlen:	room in @err
 *
 * Return: 0, or a negative errno with @err filled.
 */
int host_identity(const struct host_config *cfg, struct host_info *info,
		  char *err, size_t errlen);

#endif
