/* SPDX-License-Identifier: Apache-2.0 */
/* vmnet_network_plan.c - host config to the macOS 26 network calls; pure,
 * built and tested on every platform. */
#include "vmnet_network_plan.h"

#include <string.h>

#include "vmnet_desc.h"

bool vmnet_network_plan_wanted(const struct host_config *cfg)
{
	return cfg->own_subnet_given || cfg->disable_dhcp ||
	       cfg->dhcp_reservation_count > 0;
}

void vmnet_network_plan_build(const struct host_config *cfg,
			      struct vmnet_network_plan *p)
{
	unsigned n = cfg->dhcp_reservation_count;

	memset(p, 0, sizeof(*p));
	/* Only shared and host networks exist (vmnet_mode_t); the rules
	 * refuse bridged before this. */
	p->mode = cfg->mode == HOST_MODE_HOST ? VMNET_DESC_MODE_HOST
					      : VMNET_DESC_MODE_SHARED;
	if (cfg->own_subnet_given) {
		p->set_subnet = true;
		p->subnet = cfg->own_subnet;
		p->mask = cfg->own_subnet_mask;
	}
	p->disable_dhcp = cfg->disable_dhcp;
	if (n > HOST_DHCP_RESERVATIONS_MAX)
		n = HOST_DHCP_RESERVATIONS_MAX;
	p->reservations = n;
	memcpy(p->reservation, cfg->dhcp_reservations,
	       n * sizeof(p->reservation[0]));
}
