/* SPDX-License-Identifier: Apache-2.0 */
/* options_rules.c - the rules between vmnet-helper's options: the VM
 * socket, --host-fd, the network, the mode, the addresses and the sizes
 * (options_sizing.c). The only home
 * of the rules of what vmnet accepts: vmnet_desc.c maps what passes here
 * and checks nothing again. */
#include "options_rules.h"

#include <arpa/inet.h>

#include "errmsg.h"
#include "options_expose.h"
#include "options_sizing.h"
#include "options_guard.h"
#include "options_networks.h"
#include "options_table.h"

/* The first of the address options given, by name and typed value. */
static bool first_address(const struct options *o,
			  const struct options_typed *t, const char **name,
			  const char **value)
{
	if (o->start_address_given) {
		*name = "start-address";
		*value = t->start;
	} else if (o->end_address_given) {
		*name = "end-address";
		*value = t->end;
	} else if (o->subnet_mask_given) {
		*name = "subnet-mask";
		*value = t->mask;
	} else {
		return false;
	}
	return true;
}

/* vmnet takes only RFC 1918 addresses for its DHCP range. */
static bool is_private(struct in_addr addr)
{
	uint32_t a = ntohl(addr.s_addr);

	return (a >> 24) == 10 || (a >> 20) == ((172u << 4) | 1) ||
	       (a >> 16) == ((192u << 8) | 168);
}

static bool one_subnet(const struct host_config *c)
{
	uint32_t mask = ntohl(c->subnet_mask.s_addr);

	return (ntohl(c->start_address.s_addr) & mask) ==
	       (ntohl(c->end_address.s_addr) & mask);
}

static int check_addresses(struct options *o, const struct options_typed *t,
			   char *err, size_t errlen)
{
	const struct {
		const char *name, *value;
		bool given;
	} trio[] = {
	    {"start-address", t->start, o->start_address_given},
	    {"end-address", t->end, o->end_address_given},
	    {"subnet-mask", t->mask, o->subnet_mask_given},
	};
	char given[OPTIONS_ERR_MAX] = "", missing[64] = "";
	int n = 0;

	for (size_t i = 0; i < 3; i++) {
		if (trio[i].given) {
			opt_list_append(given, sizeof(given), trio[i].name,
					trio[i].value);
			n++;
		} else {
			opt_list_append(missing, sizeof(missing), trio[i].name,
					NULL);
		}
	}
	if (n == 1 || n == 2)
		return errmsg_fail(
		    err, errlen, -1,
		    "--start-address, --end-address and --subnet-mask "
		    "go together: got %s without %s; pass all three or "
		    "none (vmnet then picks a free subnet)",
		    given, missing);
	if (n == 3 && ntohl(o->host.start_address.s_addr) >=
			  ntohl(o->host.end_address.s_addr))
		return errmsg_fail(
		    err, errlen, -1,
		    "--start-address '%s' is not below --end-address "
		    "'%s'; the start address is the gateway and DHCP "
		    "hands out the addresses after it, up to the end "
		    "address",
		    t->start, t->end);
	if (n == 3 && !one_subnet(&o->host))
		return errmsg_fail(
		    err, errlen, -1,
		    "--start-address '%s' and --end-address '%s' are not "
		    "in one subnet of --subnet-mask '%s'; pass a range "
		    "inside one subnet, e.g. 192.168.105.1 to "
		    "192.168.105.254 with 255.255.255.0",
		    t->start, t->end, t->mask);
	if (n == 3 && (!is_private(o->host.start_address) ||
		       !is_private(o->host.end_address)))
		return errmsg_fail(
		    err, errlen, -1,
		    "--start-address '%s' to --end-address '%s' is not a "
		    "private range; vmnet takes only RFC 1918 addresses "
		    "(10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)",
		    t->start, t->end);
	o->host.addresses_given = n == 3;
	return 0;
}

/* --host-fd is the host side: an option that opens or shapes another one
 * (a TAP, a bridge, a vmnet interface) has nothing to act on, and the VM's
 * socket cannot be its own peer. */
static int check_host_fd(const struct options *o, const struct options_typed *t,
			 char *err, size_t errlen)
{
	const char *addr_name = NULL, *addr_value = NULL;
	bool addr = first_address(o, t, &addr_name, &addr_value);
	const struct {
		bool given;
		const char *name, *value;
	} clash[] = {
	    {o->host.tap != NULL, "tap", o->host.tap},
	    {o->host.bridge != NULL, "bridge", o->host.bridge},
	    {o->operation_mode_given, "operation-mode", t->mode},
	    {o->host.shared_interface != NULL, "shared-interface",
	     o->host.shared_interface},
	    {addr, addr_name, addr_value},
	    {o->host.enable_checksum_offload, "enable-checksum-offload", NULL},
	    {o->host.enable_isolation, "enable-isolation", NULL},
	    {o->host.network != NULL, "network", o->host.network},
	};
	char typed[OPTIONS_ERR_MAX / 2];

	if (o->host_fd == o->fd)
		return errmsg_fail(
		    err, errlen, -1,
		    "--host-fd %d is also --fd %d: the VM's socket and the "
		    "host side need a socket each; pass the host side's as "
		    "another descriptor, e.g. --fd 3 --host-fd 4",
		    o->host_fd, o->fd);
	for (size_t i = 0; i < sizeof(clash) / sizeof(clash[0]); i++) {
		if (!clash[i].given)
			continue;
		typed[0] = '\0';
		opt_list_append(typed, sizeof(typed), clash[i].name,
				clash[i].value);
		return errmsg_fail(
		    err, errlen, -1,
		    "--host-fd %d cannot be used with %s: the socket is the "
		    "host side, in place of a TAP or vmnet interface, so "
		    "--%s has nothing to set; drop one of them",
		    o->host_fd, typed, clash[i].name);
	}
	return 0;
}

/* As vmnet-helper does, once all options are read. */
int options_check_rules(struct options *o, const struct options_typed *t,
			enum options_platform platform, char *err,
			size_t errlen)
{
	const char *addr_name, *addr_value;
	bool addr = first_address(o, t, &addr_name, &addr_value);

	if (o->host_fd >= 0 && check_host_fd(o, t, err, errlen) < 0)
		return -1;
	if (o->host.network != NULL) {
		if (o->operation_mode_given)
			return errmsg_fail(
			    err, errlen, -1,
			    "--network '%s' cannot be used with "
			    "--operation-mode '%s': the network sets "
			    "the mode; drop --operation-mode",
			    o->host.network, t->mode);
		if (o->host.shared_interface != NULL)
			return errmsg_fail(
			    err, errlen, -1,
			    "--network '%s' cannot be used with "
			    "--shared-interface '%s': the network "
			    "sets the interface; drop "
			    "--shared-interface",
			    o->host.network, o->host.shared_interface);
		if (addr)
			return errmsg_fail(err, errlen, -1,
					   "--network '%s' cannot be used with "
					   "--%s '%s': the network sets the "
					   "addresses; drop --start-address, "
					   "--end-address and --subnet-mask",
					   o->host.network, addr_name,
					   addr_value);
		o->warn_interface_id_ignored = o->host.interface_id_given;
	}
	if (o->host.mode == HOST_MODE_BRIDGED) {
		if (o->host.shared_interface == NULL)
			return errmsg_fail(
			    err, errlen, -1,
			    "--operation-mode bridged needs "
			    "--shared-interface NAME, the host "
			    "interface to bridge, e.g. en0 "
			    "(--list-shared-interfaces shows them)");
		if (o->host.enable_isolation)
			return errmsg_fail(
			    err, errlen, -1,
			    "--enable-isolation cannot be used with "
			    "--operation-mode bridged; isolation works "
			    "in shared and host modes only, so drop "
			    "one of them");
		if (addr)
			return errmsg_fail(
			    err, errlen, -1,
			    "--%s '%s' cannot be used with "
			    "--operation-mode bridged: a bridged VM "
			    "gets its address from the network it "
			    "joins; drop --start-address, "
			    "--end-address and --subnet-mask",
			    addr_name, addr_value);
	} else if (o->host.shared_interface != NULL) {
		return errmsg_fail(
		    err, errlen, -1,
		    "--shared-interface '%s' needs --operation-mode "
		    "bridged (the mode is %s); vmnet-helper ignores it "
		    "in other modes but this helper refuses it, so add "
		    "--operation-mode bridged or drop "
		    "--shared-interface",
		    o->host.shared_interface,
		    t->mode != NULL ? t->mode : "shared by default");
	}
	if (check_addresses(o, t, err, errlen) < 0)
		return -1;
	if (options_check_network_rules(o, t, err, errlen) < 0)
		return -1;
	if (options_check_expose_rules(o, platform, err, errlen) < 0)
		return -1;
	if (options_check_guard_rules(o, err, errlen) < 0)
		return -1;
	if (options_size_datapath(o, t, platform, err, errlen) < 0)
		return -1;
	if (o->fd < 0 && o->socket_path == NULL)
		return errmsg_fail(
		    err, errlen, -1,
		    "missing --fd or --socket: pass --fd FD to use an "
		    "inherited socket (vmnet-run, QEMU) or --socket "
		    "PATH to bind one for the VM to send to (vfkit, "
		    "krunkit)");
	if (o->fd >= 0 && o->socket_path != NULL)
		return errmsg_fail(
		    err, errlen, -1,
		    "--fd %d and --socket '%s' cannot be used together: "
		    "--fd uses a socket the helper inherited, --socket "
		    "binds a new one at PATH; pass only one",
		    o->fd, o->socket_path);
	return 0;
}
