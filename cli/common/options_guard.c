/* SPDX-License-Identifier: Apache-2.0 */
/* options_guard.c - the guard's option values (see options_guard.h):
 * MACs, addresses and CIDR lists checked once, here, so that the guard
 * (engine/guard/) only builds its tables. */
#include "options_guard.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "errmsg.h"
#include "options_table.h"
#include "options_values.h"

/* A CIDR, an address or a list item as typed, at most this long. */
#define ITEM_MAX (INET6_ADDRSTRLEN + 4)

bool options_parse_mac(const char *s, uint8_t out[6])
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		int h = options_hex_digit(s[i * 3]),
		    l = options_hex_digit(s[i * 3 + 1]);

		if (h < 0 || l < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return false;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return true;
}

static int parse_enforce_mac(struct options *o, const char *arg, char *err,
			     size_t errlen)
{
	static const char hint[] =
	    "pass --enforce-mac (the MAC of the JSON line), "
	    "--enforce-mac=learn or --enforce-mac=52:54:00:12:34:56";
	struct guard_config *g = &o->guard;

	o->guard_mac_from_host = false;
	if (arg == NULL) {
		g->mac_mode = GUARD_MAC_FIXED;
		o->guard_mac_from_host = true;
		return 0;
	}
	if (strcmp(arg, "learn") == 0) {
		g->mac_mode = GUARD_MAC_LEARN;
		return 0;
	}
	if (!options_parse_mac(arg, g->mac))
		return errmsg_fail(err, errlen, -1,
				   "invalid --enforce-mac '%s': not 'learn' or "
				   "a MAC address; %s",
				   arg, hint);
	if (g->mac[0] & 1)
		return errmsg_fail(err, errlen, -1,
				   "invalid --enforce-mac '%s': a multicast "
				   "MAC, which no interface sends from; %s",
				   arg, hint);
	g->mac_mode = GUARD_MAC_FIXED;
	return 0;
}

/* Copy the next comma-separated item of *@s into @item; false at the end
 * or when the item is empty or too long (*@bad says which). */
static bool next_item(const char **s, char *item, bool *bad)
{
	const char *comma = strchr(*s, ',');
	size_t n = comma ? (size_t)(comma - *s) : strlen(*s);

	*bad = n == 0 || n >= ITEM_MAX;
	if (*bad)
		return false;
	memcpy(item, *s, n);
	item[n] = '\0';
	*s += n + (comma ? 1 : 0);
	return true;
}

/* One --allow or --block item: ADDRESS or ADDRESS/LENGTH. */
static int parse_cidr(const char *opt, const char *arg, char *item,
		      struct guard_cidr *c, char *err, size_t errlen)
{
	char *slash = strchr(item, '/');
	const char *example = strchr(item, ':') ? "fd00:1::/32" : "10.0.0.0/8";
	unsigned len = 0, max;

	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, item, c->addr) == 1) {
		c->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, item, c->addr) == 1) {
		c->family = 6;
		max = 128;
	} else {
		return errmsg_fail(err, errlen, -1,
				   "invalid --%s '%s': '%s' is not an IPv4 or "
				   "IPv6 address; pass ADDRESS/LENGTH, e.g. "
				   "--%s %s",
				   opt, arg, item, opt, example);
	}
	if (slash) {
		const char *p = slash + 1;

		if (*p == '\0' || strlen(p) > 3)
			len = 999;
		for (; *p && len != 999; p++)
			len = *p >= '0' && *p <= '9'
				  ? len * 10 + (unsigned)(*p - '0')
				  : 999;
		if (len > max)
			return errmsg_fail(err, errlen, -1,
					   "invalid --%s '%s': the prefix "
					   "length of an IPv%d CIDR is 0-%u, "
					   "e.g. --%s %s",
					   opt, arg, c->family, max, opt,
					   example);
	} else {
		len = max; /* one address */
	}
	c->len = (uint8_t)len;
	/* Bits past the length: a typo for another network, most often, so
	 * it is refused rather than masked, naming the network it masks to. */
	uint8_t net[16];
	bool host_bits = false;
	memcpy(net, c->addr, sizeof(net));
	for (unsigned bit = len; bit < max; bit++) {
		host_bits |= (net[bit / 8] & (0x80 >> (bit % 8))) != 0;
		net[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
	}
	if (host_bits) {
		char text[INET6_ADDRSTRLEN];

		inet_ntop(c->family == 4 ? AF_INET : AF_INET6, net, text,
			  sizeof(text));
		return errmsg_fail(err, errlen, -1,
				   "invalid --%s '%s': '%s/%u' has bits set "
				   "past its prefix length; pass the network, "
				   "--%s %s/%u",
				   opt, arg, item, len, opt, text, len);
	}
	return 0;
}

static int parse_cidrs(struct options *o, int c, const char *arg, char *err,
		       size_t errlen)
{
	const char *opt = c == OPT_BLOCK ? "block" : "allow";
	struct guard_config *g = &o->guard;
	char item[ITEM_MAX];
	const char *s = arg;
	bool bad = *arg == '\0' || arg[strlen(arg) - 1] == ',';

	while (!bad && *s) {
		if (!next_item(&s, item, &bad))
			break;
		if (g->cidr_n == GUARD_CIDRS_MAX)
			return errmsg_fail(
			    err, errlen, -1,
			    "too many CIDRs at --%s '%s': --allow and --block "
			    "take %d together; merge neighbouring prefixes",
			    opt, arg, GUARD_CIDRS_MAX);
		struct guard_cidr *r = &g->cidrs[g->cidr_n];
		memset(r, 0, sizeof(*r));
		if (parse_cidr(opt, arg, item, r, err, errlen) < 0)
			return -1;
		r->block = c == OPT_BLOCK;
		g->cidr_n++;
	}
	if (bad)
		return errmsg_fail(err, errlen, -1,
				   "invalid --%s '%s': an empty or overlong "
				   "entry; pass CIDRs separated by single "
				   "commas, e.g. --%s 10.0.0.0/8,fd00::/8",
				   opt, arg, opt);
	return 0;
}

static int parse_guest_ips(struct options *o, const char *arg, char *err,
			   size_t errlen)
{
	struct guard_config *g = &o->guard;
	char item[ITEM_MAX];
	const char *s = arg;
	bool bad = *arg == '\0' || arg[strlen(arg) - 1] == ',';
	uint8_t a[16];

	while (!bad && *s) {
		if (!next_item(&s, item, &bad))
			break;
		if (inet_pton(AF_INET, item, a) == 1) {
			if (a[0] == 0 || a[0] == 127 || a[0] >= 224)
				return errmsg_fail(
				    err, errlen, -1,
				    "invalid --guest-ip '%s': %s cannot be a "
				    "VM's own address; pass a unicast one, "
				    "e.g. --guest-ip 192.168.64.2",
				    arg, item);
			if (g->ipv4_n == GUARD_GUEST_IPS_MAX)
				goto too_many;
			memcpy(g->ipv4[g->ipv4_n++], a, 4);
		} else if (inet_pton(AF_INET6, item, a) == 1) {
			static const uint8_t zero[15];

			if (a[0] == 0xff ||
			    (memcmp(a, zero, 15) == 0 && a[15] <= 1))
				return errmsg_fail(
				    err, errlen, -1,
				    "invalid --guest-ip '%s': %s cannot be a "
				    "VM's own address; pass a unicast one, "
				    "e.g. --guest-ip fd00::2",
				    arg, item);
			if (g->ipv6_n == GUARD_GUEST_IPS_MAX)
				goto too_many;
			memcpy(g->ipv6[g->ipv6_n++], a, 16);
		} else {
			return errmsg_fail(
			    err, errlen, -1,
			    "invalid --guest-ip '%s': '%s' is not an IPv4 or "
			    "IPv6 address; pass the VM's own address, e.g. "
			    "--guest-ip 192.168.64.2",
			    arg, item);
		}
	}
	if (bad)
		return errmsg_fail(err, errlen, -1,
				   "invalid --guest-ip '%s': an empty or "
				   "overlong entry; pass addresses separated "
				   "by single commas, e.g. --guest-ip "
				   "192.168.64.2,fd00::2",
				   arg);
	return 0;
too_many:
	return errmsg_fail(err, errlen, -1,
			   "too many addresses at --guest-ip '%s': at most %d "
			   "IPv4 and %d IPv6 addresses",
			   arg, GUARD_GUEST_IPS_MAX, GUARD_GUEST_IPS_MAX);
}

int options_apply_guard(struct options *o, int c, const char *arg, char *err,
			size_t errlen)
{
	switch (c) {
	case OPT_ENFORCE_MAC:
		return parse_enforce_mac(o, arg, err, errlen);
	case OPT_ENFORCE_IP:
		o->guard.enforce_ip = true;
		return 0;
	case OPT_GUEST_IP:
		return parse_guest_ips(o, arg, err, errlen);
	case OPT_ALLOW:
	case OPT_BLOCK:
		return parse_cidrs(o, c, arg, err, errlen);
	}
	return 1;
}

int options_check_guard_rules(const struct options *o, char *err, size_t errlen)
{
	/* --expose forwards to the first IPv4 one (docs/expose.md). */
	bool used =
	    o->guard.enforce_ip || (o->host.expose_count && o->guard.ipv4_n);
	if ((o->guard.ipv4_n || o->guard.ipv6_n) && !used)
		return errmsg_fail(err, errlen, -1,
				   "--guest-ip needs --enforce-ip or --expose: "
				   "it names the addresses --enforce-ip lets "
				   "the VM send from, and the IPv4 one "
				   "--expose forwards to; add one of them or "
				   "drop --guest-ip");
	return 0;
}
