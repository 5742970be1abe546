/* SPDX-License-Identifier: Apache-2.0 */
/* options_networks.c - the network options' values and rules (see
 * options_networks.h): what vmnet accepts, checked once, here, so that
 * vmnet_desc.c and vmnet_network_plan.c only map. */
#include "options_networks.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "errmsg.h"
#include "options_table.h"

bool options_mask_is_contiguous(struct in_addr mask)
{
	/* A valid mask's zeros are all at the bottom: ~mask is 2^k - 1. */
	uint32_t host_bits = ~ntohl(mask.s_addr);

	return host_bits != UINT32_MAX && (host_bits & (host_bits + 1)) == 0;
}

/* RFC 1918, the only space vmnet hands out. */
static bool is_private(uint32_t a)
{
	return (a >> 24) == 10 || (a >> 20) == ((172u << 4) | 1) ||
	       (a >> 16) == ((192u << 8) | 168);
}

static int parse_ipv4(const char *opt, const char *s, struct in_addr *a,
		      char *err, size_t errlen)
{
	if (inet_pton(AF_INET, s, a) == 1)
		return 0;
	return errmsg_fail(err, errlen, -1,
			   "invalid --%s '%s': not an IPv4 address in the "
			   "form a.b.c.d; pass all four numbers, e.g. "
			   "192.168.77.1",
			   opt, s);
}

static int parse_host_mask(struct options *o, const char *s, char *err,
			   size_t errlen)
{
	if (parse_ipv4("host-subnet-mask", s, &o->host.host_subnet_mask, err,
		       errlen) < 0)
		return -1;
	if (!options_mask_is_contiguous(o->host.host_subnet_mask))
		return errmsg_fail(err, errlen, -1,
				   "invalid --host-subnet-mask '%s': not "
				   "contiguous ones followed by zeros; pass "
				   "e.g. 255.255.255.0 (a /24)",
				   s);
	return 0;
}

/*
 * The NAT66 prefix: vmnet.h says it "must be a ULA i.e. start with
 * fd00::/8" and that only a /64 is supported (vmnet_nat66_prefix_length_key
 * is deprecated for it). Written canonically, e.g. "fd00:1:2:3::".
 */
static int parse_nat66(struct options *o, const char *s, char *err,
		       size_t errlen)
{
	static const char hint[] = "pass a ULA /64 such as fd12:3456:789a:1::";
	char text[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	struct in6_addr *p = &o->host.nat66_prefix;
	static const uint8_t zero[8];

	if (strlen(s) >= sizeof(text))
		return errmsg_fail(err, errlen, -1,
				   "invalid --nat66-prefix '%s': too long; %s",
				   s, hint);
	snprintf(text, sizeof(text), "%.*s",
		 slash ? (int)(slash - s) : (int)strlen(s), s);
	if (slash && strcmp(slash, "/64") != 0)
		return errmsg_fail(err, errlen, -1,
				   "invalid --nat66-prefix '%s': vmnet takes "
				   "only a /64; %s",
				   s, hint);
	if (inet_pton(AF_INET6, text, p) != 1)
		return errmsg_fail(err, errlen, -1,
				   "invalid --nat66-prefix '%s': not an IPv6 "
				   "prefix; %s",
				   s, hint);
	if (p->s6_addr[0] != 0xfd)
		return errmsg_fail(err, errlen, -1,
				   "invalid --nat66-prefix '%s': not a unique "
				   "local address (fd00::/8), which vmnet "
				   "requires; %s",
				   s, hint);
	if (memcmp(p->s6_addr + 8, zero, 8) != 0)
		return errmsg_fail(err, errlen, -1,
				   "invalid --nat66-prefix '%s': the last 64 "
				   "bits must be zero in a /64 prefix; %s",
				   s, hint);
	o->host.nat66_prefix_given = true;
	return 0;
}

/* The N of a.b.c.d/N: one to three decimal digits and nothing else. */
static bool parse_prefix_length(const char *s, unsigned *len)
{
	size_t n = strlen(s);

	*len = 0;
	if (n == 0 || n > 3)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		*len = *len * 10 + (unsigned)(*s - '0');
	}
	return true;
}

/* a.b.c.d/N, the network's own address, N from 8 to 29 (vmnet reserves
 * three addresses of each subnet: a /30 would leave one). */
static int parse_subnet(struct options *o, const char *s, char *err,
			size_t errlen)
{
	static const char hint[] = "pass a private network such as "
				   "192.168.77.0/24";
	char text[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	unsigned len = 0;
	uint32_t a, mask;

	if (!slash || (size_t)(slash - s) >= sizeof(text) ||
	    !parse_prefix_length(slash + 1, &len))
		return errmsg_fail(err, errlen, -1,
				   "invalid --network-subnet '%s': not "
				   "ADDRESS/LENGTH; %s",
				   s, hint);
	snprintf(text, sizeof(text), "%.*s", (int)(slash - s), s);
	if (inet_pton(AF_INET, text, &o->host.own_subnet) != 1)
		return errmsg_fail(err, errlen, -1,
				   "invalid --network-subnet '%s': '%s' is not "
				   "an IPv4 address; %s",
				   s, text, hint);
	if (len < 8 || len > 29)
		return errmsg_fail(err, errlen, -1,
				   "invalid --network-subnet '%s': length %u "
				   "is not 8 to 29; %s",
				   s, len, hint);
	mask = len ? ~0u << (32 - len) : 0;
	a = ntohl(o->host.own_subnet.s_addr);
	if (!is_private(a) || !is_private(a | ~mask))
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --network-subnet '%s': not private; "
		    "vmnet takes only RFC 1918 addresses "
		    "(10.0.0.0/8, 172.16.0.0/12, "
		    "192.168.0.0/16)",
		    s);
	if (a & ~mask) {
		struct in_addr net = {htonl(a & mask)};

		inet_ntop(AF_INET, &net, text, sizeof(text));
		return errmsg_fail(err, errlen, -1,
				   "invalid --network-subnet '%s': not the "
				   "network's own address; pass %s/%u",
				   s, text, len);
	}
	o->host.own_subnet_mask.s_addr = htonl(mask);
	o->host.own_subnet_given = true;
	return 0;
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* xx:xx:xx:xx:xx:xx, a unicast MAC. */
static bool parse_mac(const char *s, size_t len, unsigned char out[6])
{
	if (len != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		int hi = hex(s[3 * i]), lo = hex(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return !(out[0] & 1) &&
	       (out[0] | out[1] | out[2] | out[3] | out[4] | out[5]) != 0;
}

static int parse_reservation(struct options *o, const char *s, char *err,
			     size_t errlen)
{
	static const char hint[] =
	    "pass MAC=ADDRESS, e.g. 52:54:00:12:34:56=192.168.77.10";
	struct host_config *h = &o->host;
	const char *eq = strchr(s, '=');
	struct host_dhcp_reservation r;

	if (h->dhcp_reservation_count == HOST_DHCP_RESERVATIONS_MAX)
		return errmsg_fail(err, errlen, -1,
				   "too many --dhcp-reservation options: at "
				   "most %d",
				   HOST_DHCP_RESERVATIONS_MAX);
	if (!eq || !parse_mac(s, (size_t)(eq - s), r.mac))
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --dhcp-reservation '%s': no unicast "
		    "MAC address before '='; %s",
		    s, hint);
	if (inet_pton(AF_INET, eq + 1, &r.address) != 1)
		return errmsg_fail(err, errlen, -1,
				   "invalid --dhcp-reservation '%s': '%s' is "
				   "not an IPv4 address; %s",
				   s, eq + 1, hint);
	for (unsigned i = 0; i < h->dhcp_reservation_count; i++) {
		const struct host_dhcp_reservation *x =
		    &h->dhcp_reservations[i];

		if (memcmp(x->mac, r.mac, 6) == 0)
			return errmsg_fail(err, errlen, -1,
					   "invalid --dhcp-reservation '%s': "
					   "that MAC address has a reservation "
					   "already; give each MAC one",
					   s);
		if (x->address.s_addr == r.address.s_addr)
			return errmsg_fail(err, errlen, -1,
					   "invalid --dhcp-reservation '%s': "
					   "that address is reserved for "
					   "another MAC already",
					   s);
	}
	h->dhcp_reservations[h->dhcp_reservation_count++] = r;
	return 0;
}

int options_apply_network(struct options *o, struct options_typed *t, int c,
			  const char *arg, char *err, size_t errlen)
{
	switch (c) {
	case OPT_NETWORK_IDENTIFIER:
	case OPT_NETWORK_ID:
		t->network_id = arg;
		if (options_parse_uuid(
			c == OPT_NETWORK_ID ? "network-id"
					    : "network-identifier",
			arg, o->host.network_identifier, err, errlen) < 0)
			return -1;
		o->host.network_identifier_given = true;
		return 0;
	case OPT_HOST_IP_ADDRESS:
		t->host_ip = arg;
		return parse_ipv4("host-ip-address", arg,
				  &o->host.host_ip_address, err, errlen);
	case OPT_HOST_SUBNET_MASK:
		t->host_mask = arg;
		return parse_host_mask(o, arg, err, errlen);
	case OPT_NAT66_PREFIX:
		t->nat66 = arg;
		return parse_nat66(o, arg, err, errlen);
	case OPT_NETWORK_SUBNET:
		t->subnet = arg;
		return parse_subnet(o, arg, err, errlen);
	case OPT_DISABLE_DHCP:
		o->host.disable_dhcp = true;
		return 0;
	case OPT_DHCP_RESERVATION:
		t->reservation = arg;
		return parse_reservation(o, arg, err, errlen);
	}
	return 1;
}

/* The network identifier's host address: both halves, a usable host. */
static int check_host_address(struct options *o, const struct options_typed *t,
			      char *err, size_t errlen)
{
	struct host_config *h = &o->host;
	uint32_t ip = ntohl(h->host_ip_address.s_addr);
	uint32_t mask = ntohl(h->host_subnet_mask.s_addr);

	if (!t->host_ip && !t->host_mask)
		return 0;
	if (!t->host_ip || !t->host_mask)
		return errmsg_fail(err, errlen, -1,
				   "--host-ip-address and --host-subnet-mask "
				   "go together: got --%s '%s' alone; pass "
				   "both, e.g. --host-ip-address 192.168.77.1 "
				   "--host-subnet-mask 255.255.255.0",
				   t->host_ip ? "host-ip-address"
					      : "host-subnet-mask",
				   t->host_ip ? t->host_ip : t->host_mask);
	if (!h->network_identifier_given)
		return errmsg_fail(err, errlen, -1,
				   "--host-ip-address '%s' needs "
				   "--network-identifier UUID: vmnet sets the "
				   "host's address only on such a network "
				   "(uuidgen makes one)",
				   t->host_ip);
	if ((ip & ~mask) == 0 || (ip & ~mask) == ~mask)
		return errmsg_fail(err, errlen, -1,
				   "--host-ip-address '%s' is the network or "
				   "broadcast address of --host-subnet-mask "
				   "'%s'; pass a host address, e.g. the "
				   "network's first",
				   t->host_ip, t->host_mask);
	h->host_address_given = true;
	return 0;
}

/* The first of the options that ask for a network of our own. */
static const char *own_network_option(const struct options *o,
				      const struct options_typed *t,
				      const char **value)
{
	*value = NULL;
	if (o->host.own_subnet_given) {
		*value = t->subnet;
		return "network-subnet";
	}
	if (o->host.disable_dhcp)
		return "disable-dhcp";
	if (o->host.dhcp_reservation_count) {
		*value = t->reservation;
		return "dhcp-reservation";
	}
	return NULL;
}

static int check_network_identifier(struct options *o,
				    const struct options_typed *t, char *err,
				    size_t errlen)
{
	const char *own, *own_value;

	if (!o->host.network_identifier_given)
		return 0;
	if (o->host.network)
		return errmsg_fail(err, errlen, -1,
				   "--network-identifier '%s' cannot be used "
				   "with --network '%s': a vmnet-broker "
				   "network is already one; pass only one",
				   t->network_id, o->host.network);
	if (o->operation_mode_given && o->host.mode != HOST_MODE_HOST)
		return errmsg_fail(err, errlen, -1,
				   "--network-identifier '%s' needs "
				   "--operation-mode host (got '%s'): vmnet "
				   "makes such networks in host mode only",
				   t->network_id, t->mode);
	if (o->host.addresses_given)
		return errmsg_fail(err, errlen, -1,
				   "--network-identifier '%s' cannot be used "
				   "with --start-address, --end-address and "
				   "--subnet-mask: its network has no DHCP; "
				   "set the host's side with --host-ip-address "
				   "and --host-subnet-mask",
				   t->network_id);
	own = own_network_option(o, t, &own_value);
	if (own)
		return errmsg_fail(err, errlen, -1,
				   "--network-identifier '%s' cannot be used "
				   "with --%s: that makes a network of the "
				   "helper's own; pass only one",
				   t->network_id, own);
	o->host.mode = HOST_MODE_HOST;
	return 0;
}

static int check_own_network(struct options *o, const struct options_typed *t,
			     char *err, size_t errlen)
{
	struct host_config *h = &o->host;
	const char *own, *value;
	char shown[96];

	own = own_network_option(o, t, &value);
	if (!own)
		return 0;
	if (value)
		snprintf(shown, sizeof(shown), "--%s '%s'", own, value);
	else
		snprintf(shown, sizeof(shown), "--%s", own);
	if (h->network)
		return errmsg_fail(err, errlen, -1,
				   "%s cannot be used with --network '%s': "
				   "the broker's network is set up already; "
				   "pass only one",
				   shown, h->network);
	if (h->mode == HOST_MODE_BRIDGED)
		return errmsg_fail(err, errlen, -1,
				   "%s cannot be used with --operation-mode "
				   "bridged: only shared and host networks can "
				   "be made; choose one of them",
				   shown);
	if (h->addresses_given)
		return errmsg_fail(err, errlen, -1,
				   "%s cannot be used with --start-address, "
				   "--end-address and --subnet-mask: pass the "
				   "network as --network-subnet instead",
				   shown);
	if (h->disable_dhcp && h->dhcp_reservation_count)
		return errmsg_fail(err, errlen, -1,
				   "--dhcp-reservation '%s' cannot be used "
				   "with --disable-dhcp: without DHCP nobody "
				   "hands the address out; drop one of them",
				   t->reservation);
	for (unsigned i = 0;
	     h->own_subnet_given && i < h->dhcp_reservation_count; i++) {
		uint32_t net = ntohl(h->own_subnet.s_addr);
		uint32_t mask = ntohl(h->own_subnet_mask.s_addr);
		uint32_t a = ntohl(h->dhcp_reservations[i].address.s_addr);
		char ip[INET_ADDRSTRLEN];

		/* Apple: the first, second (the host's) and last addresses
		 * are reserved (vmnet_network_configuration_set_ipv4_subnet
		 * (3)). */
		if ((a & mask) == net && a > net + 1 && a < (net | ~mask))
			continue;
		inet_ntop(AF_INET, &h->dhcp_reservations[i].address, ip,
			  sizeof(ip));
		return errmsg_fail(err, errlen, -1,
				   "--dhcp-reservation for %s: not an address "
				   "DHCP can hand out in --network-subnet "
				   "'%s' (vmnet keeps the first, the second, "
				   "for the host, and the last); pass one "
				   "from the third up",
				   ip, t->subnet);
	}
	o->warn_interface_id_ignored |= h->interface_id_given;
	return 0;
}

int options_check_network_rules(struct options *o,
				const struct options_typed *t, char *err,
				size_t errlen)
{
	if (check_network_identifier(o, t, err, errlen) < 0 ||
	    check_host_address(o, t, err, errlen) < 0 ||
	    check_own_network(o, t, err, errlen) < 0)
		return -1;
	if (o->host.nat66_prefix_given) {
		const char *own, *value;

		if (o->host.mode != HOST_MODE_SHARED)
			return errmsg_fail(err, errlen, -1,
					   "--nat66-prefix '%s' needs shared "
					   "mode (the mode is %s): only it has "
					   "NAT66",
					   t->nat66,
					   o->host.mode == HOST_MODE_HOST
					       ? "host"
					       : "bridged");
		if (o->host.network)
			return errmsg_fail(err, errlen, -1,
					   "--nat66-prefix '%s' cannot be used "
					   "with --network '%s': the network "
					   "sets its prefix",
					   t->nat66, o->host.network);
		own = own_network_option(o, t, &value);
		if (own)
			return errmsg_fail(err, errlen, -1,
					   "--nat66-prefix '%s' cannot be used "
					   "with --%s: a network of the "
					   "helper's own takes a random ULA "
					   "prefix",
					   t->nat66, own);
	}
	return 0;
}
