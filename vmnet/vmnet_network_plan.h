/* SPDX-License-Identifier: Apache-2.0 */
/* vmnet_network_plan.h - struct host_config to the calls that make a
 * macOS 26 vmnet network of the helper's own (subnet, DHCP off, DHCP
 * reservations), platform-neutral so it is tested on Linux. */
#ifndef VMNET_HELPER_VMNET_NETWORK_PLAN_H
#define VMNET_HELPER_VMNET_NETWORK_PLAN_H

/*
 * From macOS 26 a process can make a network itself, without root or
 * vmnet-broker: vmnet_network_configuration_create(mode), then optional
 * calls on the configuration (vmnet_network_configuration_set_ipv4_subnet,
 * _disable_dhcp, _add_dhcp_reservation, ...), then vmnet_network_create()
 * and vmnet_interface_start_with_network(). Everything not set keeps
 * Apple's default: NAT44, NAT66, DHCP, DNS proxy and router
 * advertisements on, a /24 under 192.168/16, a random ULA prefix, MTU
 * 1500 (vmnet_network_configuration_create(3) on developer.apple.com).
 * vmnet/darwin/host_vmnet_network.c makes the calls this plan lists, in
 * its order.
 */

#include <stdbool.h>
#include <stdint.h>

#include "host.h"

struct vmnet_network_plan {
	uint64_t mode;	 /* VMNET_DESC_MODE_SHARED or VMNET_DESC_MODE_HOST */
	bool set_subnet; /* vmnet_network_configuration_set_ipv4_subnet() */
	struct in_addr subnet, mask;
	bool disable_dhcp;     /* vmnet_network_configuration_disable_dhcp() */
	unsigned reservations; /* ..._add_dhcp_reservation(), each in turn */
	struct host_dhcp_reservation reservation[HOST_DHCP_RESERVATIONS_MAX];
};

/**
 * vmnet_network_plan_wanted() - whether @cfg asks for a network of the
 * helper's own
 * @cfg:	what to open
 *
 * Return: true with a subnet, DHCP off or a reservation given.
 */
bool vmnet_network_plan_wanted(const struct host_config *cfg);

/**
 * vmnet_network_plan_build() - the calls to make, from @cfg
 * @cfg:	what options_parse() accepted (its rules hold: shared or host
 *		mode, a private subnet, reservations inside it)
 * @p:		filled
 */
void vmnet_network_plan_build(const struct host_config *cfg,
			      struct vmnet_network_plan *p);

#endif
