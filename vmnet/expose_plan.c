/* SPDX-License-Identifier: Apache-2.0 */
/* expose_plan.c - --expose's rules for one guest address (see
 * expose_plan.h). */
#include "expose_plan.h"

#include <arpa/inet.h>
#include <stdio.h>

unsigned expose_plan_forwards(const struct host_config *cfg,
			      struct in_addr guest, struct expose_forward *out)
{
	unsigned n = cfg->expose_count;

	for (unsigned i = 0; i < n; i++) {
		const struct host_expose_rule *r = &cfg->expose[i];

		out[i] = (struct expose_forward){
		    .protocol =
			r->proto == HOST_EXPOSE_UDP ? IPPROTO_UDP : IPPROTO_TCP,
		    .host_address = r->host_address,
		    .external_port = r->host_port,
		    .internal_address = guest,
		    .internal_port = r->guest_port,
		};
	}
	return n;
}

const char *expose_rule_name(const struct host_expose_rule *r, char *buf,
			     size_t len)
{
	const char *proto = r->proto == HOST_EXPOSE_UDP ? "udp" : "tcp";
	char a[INET_ADDRSTRLEN];

	if (r->host_address.s_addr == INADDR_ANY) {
		snprintf(buf, len, "%u/%s", r->host_port, proto);
	} else {
		inet_ntop(AF_INET, &r->host_address, a, sizeof(a));
		snprintf(buf, len, "%s:%u/%s", a, r->host_port, proto);
	}
	return buf;
}

const char *expose_plan_describe(const struct host_expose_rule *r,
				 struct in_addr guest, char *buf, size_t len)
{
	char name[32], a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &guest, a, sizeof(a));
	snprintf(buf, len, "%s -> %s:%u",
		 expose_rule_name(r, name, sizeof(name)), a, r->guest_port);
	return buf;
}
