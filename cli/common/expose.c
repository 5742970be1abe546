/* SPDX-License-Identifier: Apache-2.0 */
/* expose.c - --expose for the helper (see expose.h). */
#include "expose.h"

#include <arpa/inet.h>
#include <string.h>

#include "expose_plan.h"
#include "log.h"

int expose_open(struct expose *e, const struct host_config *cfg, uid_t uid,
		gid_t gid, bool drop, char *err, size_t errlen)
{
	memset(e, 0, sizeof(*e));
	e->cfg = cfg;
	if (cfg->expose_count == 0)
		return 0;
	return host_expose_open(cfg, uid, gid, drop, &e->x, err, errlen);
}

static void log_waiting(const struct expose *e)
{
	char name[32];

	for (unsigned i = 0; i < e->cfg->expose_count; i++)
		log_info(
		    "[main] expose %s: guest address unknown yet; "
		    "waiting for the guest's IPv4 address",
		    expose_rule_name(&e->cfg->expose[i], name, sizeof(name)));
}

int expose_attach(struct expose *e, struct endpoint *host, in_addr_t fixed)
{
	char name[32];

	e->host = host;
	/* Allowed, as route_localnet may be on; but by default the kernel
	 * drops a DNAT'ed packet whose source stays 127.0.0.1 outside lo
	 * (docs/expose.md). */
	for (unsigned i = 0; e->x && i < e->cfg->expose_count; i++)
		if ((ntohl(e->cfg->expose[i].host_address.s_addr) >> 24) == 127)
			log_warn("[main] expose %s: connections to a loopback "
				 "address reach the guest only with "
				 "net.ipv4.conf.all.route_localnet=1; expose "
				 "another address of the host",
				 expose_rule_name(&e->cfg->expose[i], name,
						  sizeof(name)));
	e->fixed = fixed != 0;
	if (e->x && fixed)
		return expose_set_guest_ipv4(e, fixed);
	if (e->x && e->guest == 0)
		log_waiting(e);
	return 0;
}

int expose_set_guest_ipv4(struct expose *e, in_addr_t ipv4)
{
	char err[512], line[64];
	struct in_addr a = {ipv4};

	if (!e->x || ipv4 == e->tried)
		return 0;
	/* Once per address: a rule the kernel refuses is not asked for
	 * again each tick, only when the address changes. */
	e->tried = ipv4;
	if (host_expose_set_guest(e->x, e->host, a, err, sizeof(err))) {
		log_error("[main] %s", err);
		return -1;
	}
	e->guest = ipv4;
	if (ipv4 == 0) {
		log_waiting(e);
		return 0;
	}
	for (unsigned i = 0; i < e->cfg->expose_count; i++)
		log_info("[main] expose %s",
			 expose_plan_describe(&e->cfg->expose[i], a, line,
					      sizeof(line)));
	return 0;
}

void expose_follow_learned(struct expose *e, in_addr_t ipv4)
{
	if (!e->fixed)
		(void)expose_set_guest_ipv4(e, ipv4);
}

void expose_close(struct expose *e)
{
	host_expose_close(e->x);
	e->x = NULL;
}
