/* SPDX-License-Identifier: Apache-2.0 */
/* options_expose.c - the --expose values and rules (see
 * options_expose.h): checked once, here, so that the platforms' port
 * forwarding only maps what passes. */
#include "options_expose.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"

#define EXPOSE_HINT "e.g. --expose 8080:80 or --expose 5353:53/udp"

/* A port: 1 to 5 decimal digits, 1-65535. */
static bool parse_port(const char *s, size_t n, uint16_t *port)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

static const char *proto_name(enum host_expose_proto p)
{
	return p == HOST_EXPOSE_UDP ? "udp" : "tcp";
}

int options_parse_expose(struct options *o, const char *arg, char *err,
			 size_t errlen)
{
	struct host_expose_rule r = {.proto = HOST_EXPOSE_TCP};
	const char *slash = strchr(arg, '/');
	size_t body = slash ? (size_t)(slash - arg) : strlen(arg);
	const char *colon[3] = {NULL, NULL, NULL};
	unsigned ncolons = 0;
	char addr[INET_ADDRSTRLEN + 1];

	if (arg[0] == '[' || memchr(arg, ']', body))
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --expose '%s': IPv6 host addresses "
		    "are not supported; forward an IPv4 "
		    "address or leave HOSTADDR out, " EXPOSE_HINT,
		    arg);
	if (slash) {
		if (strcmp(slash, "/udp") == 0)
			r.proto = HOST_EXPOSE_UDP;
		else if (strcmp(slash, "/tcp") != 0)
			return errmsg_fail(err, errlen, -1,
					   "invalid --expose '%s': the "
					   "protocol must be /tcp or /udp, "
					   "got '%s'; " EXPOSE_HINT,
					   arg, slash);
	}
	for (size_t i = 0; i < body; i++) {
		if (arg[i] != ':')
			continue;
		if (ncolons < 3)
			colon[ncolons] = arg + i;
		ncolons++;
	}
	if (ncolons > 2)
		return errmsg_fail(err, errlen, -1,
				   "invalid --expose '%s': expected "
				   "[HOSTADDR:]HOSTPORT:GUESTPORT (IPv6 host "
				   "addresses are not supported); " EXPOSE_HINT,
				   arg);
	if (ncolons == 0)
		return errmsg_fail(err, errlen, -1,
				   "invalid --expose '%s': expected "
				   "HOSTPORT:GUESTPORT, the host's port and "
				   "the guest's; " EXPOSE_HINT,
				   arg);
	const char *hp = arg;
	if (ncolons == 2) {
		size_t alen = (size_t)(colon[0] - arg);

		if (alen >= sizeof(addr) ||
		    (snprintf(addr, sizeof(addr), "%.*s", (int)alen, arg),
		     inet_pton(AF_INET, addr, &r.host_address) != 1))
			return errmsg_fail(err, errlen, -1,
					   "invalid --expose '%s': '%.*s' is "
					   "not an IPv4 address in the form "
					   "a.b.c.d; " EXPOSE_HINT,
					   arg, (int)alen, arg);
		hp = colon[0] + 1;
	}
	const char *sep = colon[ncolons - 1];
	if (!parse_port(hp, (size_t)(sep - hp), &r.host_port))
		return errmsg_fail(err, errlen, -1,
				   "invalid --expose '%s': the host port must "
				   "be 1-65535, got '%.*s'; " EXPOSE_HINT,
				   arg, (int)(sep - hp), hp);
	if (!parse_port(sep + 1, (size_t)(arg + body - sep - 1), &r.guest_port))
		return errmsg_fail(err, errlen, -1,
				   "invalid --expose '%s': the guest port "
				   "must be 1-65535, got '%.*s'; " EXPOSE_HINT,
				   arg, (int)(arg + body - sep - 1), sep + 1);

	struct host_config *c = &o->host;
	for (unsigned i = 0; i < c->expose_count; i++) {
		if (c->expose[i].host_port == r.host_port &&
		    c->expose[i].proto == r.proto)
			return errmsg_fail(
			    err, errlen, -1,
			    "invalid --expose '%s': host port %u/%s is "
			    "already exposed by an earlier --expose; give "
			    "each host port once",
			    arg, r.host_port, proto_name(r.proto));
	}
	if (c->expose_count == HOST_EXPOSE_MAX)
		return errmsg_fail(err, errlen, -1,
				   "--expose '%s': at most %d --expose "
				   "options; expose fewer ports",
				   arg, HOST_EXPOSE_MAX);
	c->expose[c->expose_count++] = r;
	/* The rules point at the guest once its address is learned. */
	o->learn_addresses = true;
	return 0;
}

int options_check_expose_rules(const struct options *o,
			       enum options_platform platform, char *err,
			       size_t errlen)
{
	const struct host_config *c = &o->host;

	if (c->expose_count == 0)
		return 0;
	if (o->host_fd >= 0)
		return errmsg_fail(err, errlen, -1,
				   "--expose cannot be used with --host-fd "
				   "%d: the socket is the host side, with no "
				   "host interface or address to forward "
				   "from; drop one of them",
				   o->host_fd);
	if (platform != OPTIONS_PLATFORM_DARWIN)
		return 0;
	for (unsigned i = 0; i < c->expose_count; i++) {
		char a[INET_ADDRSTRLEN];

		if (c->expose[i].host_address.s_addr == INADDR_ANY)
			continue;
		inet_ntop(AF_INET, &c->expose[i].host_address, a, sizeof(a));
		return errmsg_fail(err, errlen, -1,
				   "--expose %s:%u:%u: on macOS vmnet "
				   "forwards a port on every host address, "
				   "its rules take none; drop '%s:'",
				   a, c->expose[i].host_port,
				   c->expose[i].guest_port, a);
	}
	if (c->mode != HOST_MODE_SHARED || c->network_identifier_given)
		return errmsg_fail(err, errlen, -1,
				   "--expose works in shared mode only on "
				   "macOS: vmnet forwards ports through its "
				   "NAT, which host and bridged modes do not "
				   "have; use --operation-mode shared, or "
				   "reach the guest's address directly");
	return 0;
}
