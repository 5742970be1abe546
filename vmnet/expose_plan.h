/* SPDX-License-Identifier: Apache-2.0 */
/* expose_plan.h - --expose's rules for one guest address, as both
 * platforms' port forwarding needs them: a list of forwards (what vmnet's
 * port-forwarding rules take) and the names the messages use. Platform
 * neutral, tested on Linux. */
#ifndef VMNET_HELPER_EXPOSE_PLAN_H
#define VMNET_HELPER_EXPOSE_PLAN_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "host.h"

/* One forward: vmnet_interface_add_ip_port_forwarding_rule()'s arguments
 * (protocol, external port, internal address, internal port), and the
 * host address nftables matches on (INADDR_ANY: any local address). */
struct expose_forward {
	uint8_t protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	struct in_addr host_address;
	uint16_t external_port; /* host order */
	struct in_addr internal_address;
	uint16_t internal_port; /* host order */
};

/**
 * expose_plan_forwards() - the forwards of @cfg's rules to @guest
 * @cfg:	cfg->expose holds the rules
 * @guest:	the guest's IPv4 address
 * @out:	room for cfg->expose_count forwards (HOST_EXPOSE_MAX is
 *		always enough)
 *
 * Return: the number of forwards, cfg->expose_count.
 */
unsigned expose_plan_forwards(const struct host_config *cfg,
			      struct in_addr guest, struct expose_forward *out);

/**
 * expose_rule_name() - a rule's host side, as messages name it
 * @r:		the rule
 * @buf:	"8080/tcp", or "127.0.0.1:8080/tcp" with a host address
 * @len:	room in @buf; 32 is always enough
 *
 * Return: @buf.
 */
const char *expose_rule_name(const struct host_expose_rule *r, char *buf,
			     size_t len);

/**
 * expose_plan_describe() - "8080/tcp -> 10.0.0.2:80", for the log
 * @r:		the rule
 * @guest:	the guest's address
 * @buf:	output
 * @len:	room in @buf; 64 is always enough
 *
 * Return: @buf.
 */
const char *expose_plan_describe(const struct host_expose_rule *r,
				 struct in_addr guest, char *buf, size_t len);

#endif
