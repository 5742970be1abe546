/* SPDX-License-Identifier: Apache-2.0 */
/* test_vmnet_network_plan.c - host_config to the macOS 26 network calls
 * (vmnet_network_plan.c): when a network of our own is wanted, and what
 * it is made with. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "vmnet_desc.h"
#include "vmnet_network_plan.h"

static struct in_addr addr(const char *s)
{
	struct in_addr a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

Test(vmnet_network_plan, not_wanted_without_its_options)
{
	struct host_config c;

	memset(&c, 0, sizeof(c));
	cr_assert_not(vmnet_network_plan_wanted(&c));
	c.addresses_given = true; /* the classic trio is not a network */
	cr_assert_not(vmnet_network_plan_wanted(&c));
	c.network_identifier_given = true;
	cr_assert_not(vmnet_network_plan_wanted(&c));
}

Test(vmnet_network_plan, each_option_asks_for_one)
{
	struct host_config c;

	memset(&c, 0, sizeof(c));
	c.disable_dhcp = true;
	cr_assert(vmnet_network_plan_wanted(&c));
	memset(&c, 0, sizeof(c));
	c.own_subnet_given = true;
	cr_assert(vmnet_network_plan_wanted(&c));
	memset(&c, 0, sizeof(c));
	c.dhcp_reservation_count = 1;
	cr_assert(vmnet_network_plan_wanted(&c));
}

Test(vmnet_network_plan, shared_subnet_no_dhcp_and_reservations_in_order)
{
	struct host_config c;
	struct vmnet_network_plan p;

	memset(&c, 0, sizeof(c));
	c.mode = HOST_MODE_SHARED;
	c.own_subnet_given = true;
	c.own_subnet = addr("192.168.77.0");
	c.own_subnet_mask = addr("255.255.255.0");
	c.disable_dhcp = true;
	c.dhcp_reservation_count = 2;
	memcpy(c.dhcp_reservations[0].mac, "\x52\x54\x00\x00\x00\x01", 6);
	c.dhcp_reservations[0].address = addr("192.168.77.10");
	memcpy(c.dhcp_reservations[1].mac, "\x52\x54\x00\x00\x00\x02", 6);
	c.dhcp_reservations[1].address = addr("192.168.77.11");
	vmnet_network_plan_build(&c, &p);
	cr_assert_eq(p.mode, VMNET_DESC_MODE_SHARED);
	cr_assert(p.set_subnet);
	cr_assert_eq(p.subnet.s_addr, addr("192.168.77.0").s_addr);
	cr_assert_eq(p.mask.s_addr, addr("255.255.255.0").s_addr);
	cr_assert(p.disable_dhcp);
	cr_assert_eq(p.reservations, 2);
	cr_assert_eq(p.reservation[1].address.s_addr,
		     addr("192.168.77.11").s_addr);
	cr_assert_eq(p.reservation[1].mac[5], 2);
}

Test(vmnet_network_plan, host_mode_and_vmnet_defaults_for_the_rest)
{
	struct host_config c;
	struct vmnet_network_plan p;

	memset(&c, 0, sizeof(c));
	c.mode = HOST_MODE_HOST;
	c.dhcp_reservation_count = 1;
	vmnet_network_plan_build(&c, &p);
	cr_assert_eq(p.mode, VMNET_DESC_MODE_HOST);
	cr_assert_not(p.set_subnet, "vmnet picks the subnet");
	cr_assert_not(p.disable_dhcp);
	cr_assert_eq(p.reservations, 1);
}
