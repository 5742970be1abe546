/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet_network.c - vmnet's macOS 26 API, declared here and found at
 * run time: joining --network through vmnet-broker, and the max packets
 * keys. */
#include "host_vmnet_network.h"

#include <CoreFoundation/CoreFoundation.h>
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <net/ethernet.h>
#include <stdio.h>

#include "errmsg.h"
#include "host_vmnet_broker.h"
#include "host_vmnet_status.h"
#include "vmnet_macos26.h"
#include "vmnet_network_plan.h"

/*
 * How it works
 *
 * The macOS 26 SDK declares vmnet_network_create_with_serialization(),
 * vmnet_interface_start_with_network() and the max packets keys; the 12.0
 * SDK the check is built with declares none, and a binary that linked them
 * directly would not start on macOS 15 or earlier. So they are declared
 * here under our own names, with the types of Apple's documentation, and
 * looked up with dlsym() once (vmnet.framework is linked, so its symbols
 * are loaded; the 26.0 SDK's vmnet.tbd exports all four): the same binary,
 * built with any SDK, joins --network on 26 and refuses it before
 * (vmnet_macos26_check_network()). Every line compiles and links against
 * the 12.0 SDK, so check-macos checks it.
 *
 * A vmnet_network_ref is an opaque CoreFoundation object (Apple: release it
 * with CFRelease), hence -framework CoreFoundation, which vmnet does not
 * re-export.
 */

/* vmnet_network_ref */
typedef void *network_ref;
typedef network_ref (*network_create_with_serialization_fn)(
    xpc_object_t serialization, vmnet_return_t *status);
typedef interface_ref (*interface_start_with_network_fn)(
    network_ref network, xpc_object_t interface_desc, dispatch_queue_t queue,
    vmnet_start_interface_completion_handler_t handler);

/* The configuration calls (vmnet_network_configuration_create(3) and its
 * siblings on developer.apple.com): a vmnet_network_configuration_ref is a
 * CoreFoundation object too (released with CFRelease), vmnet_mode_t takes
 * operating_modes_t's values, ether_addr_t is struct ether_addr. */
typedef void *configuration_ref;
typedef configuration_ref (*configuration_create_fn)(operating_modes_t mode,
						     vmnet_return_t *status);
typedef vmnet_return_t (*configuration_set_ipv4_subnet_fn)(
    configuration_ref config, const struct in_addr *subnet_addr,
    const struct in_addr *subnet_mask);
typedef void (*configuration_disable_dhcp_fn)(configuration_ref config);
typedef vmnet_return_t (*configuration_add_dhcp_reservation_fn)(
    configuration_ref config, const struct ether_addr *client,
    const struct in_addr *reservation);
typedef network_ref (*network_create_fn)(configuration_ref config,
					 vmnet_return_t *status);
typedef void (*network_get_ipv4_subnet_fn)(network_ref network,
					   struct in_addr *subnet,
					   struct in_addr *mask);
typedef void (*network_get_ipv6_prefix_fn)(network_ref network,
					   struct in6_addr *prefix,
					   uint8_t *prefix_len);

static void *lookup(void *arg, const char *name)
{
	(void)arg;
	return dlsym(RTLD_DEFAULT, name);
}

/* Looked up once; every caller then reads the same table. */
static const struct vmnet_macos26 *api(void)
{
	static struct vmnet_macos26 a;
	static dispatch_once_t once;

	dispatch_once(&once, ^{
	  vmnet_macos26_resolve(&a, lookup, NULL);
	});
	return &a;
}

int host_vmnet_start_on_network(struct host_vmnet *h, const char *name,
				xpc_object_t desc,
				vmnet_start_interface_completion_handler_t done,
				char *err, size_t errlen)
{
	const struct vmnet_macos26 *a = api();
	network_create_with_serialization_fn create;
	interface_start_with_network_fn start;
	xpc_object_t serial = NULL;
	vmnet_return_t st = VMNET_FAILURE;
	network_ref net;
	int r = vmnet_macos26_check_network(a, name, err, errlen);

	if (r)
		return r;
	create = (network_create_with_serialization_fn)
		     a->sym[VMNET_MACOS26_NETWORK_CREATE_WITH_SERIALIZATION];
	start = (interface_start_with_network_fn)
		    a->sym[VMNET_MACOS26_INTERFACE_START_WITH_NETWORK];
	r = host_vmnet_broker_acquire(h, name, &serial, err, errlen);
	if (r)
		return r;
	net = create(serial, &st);
	xpc_release(serial);
	if (!net)
		return errmsg_fail(
		    err, errlen,
		    st != VMNET_SUCCESS ? host_vmnet_status_errno(st) : -EIO,
		    "cannot join network '%s': %s", name,
		    host_vmnet_status_text(st));
	h->network = net;
	/* NULL is a refusal; the caller says so (host_vmnet_start.c). */
	h->iface = start(net, desc, h->queue, done);
	return 0;
}

void host_vmnet_network_release(void *network)
{
	if (network)
		CFRelease((CFTypeRef)network);
}

void host_vmnet_max_packets_keys(const char **rd, const char **wr)
{
	const struct vmnet_macos26 *a = api();
	/* dlsym() of a variable gives its address: the key's pointer. */
	const char *const *r = a->sym[VMNET_MACOS26_READ_MAX_PACKETS_KEY];
	const char *const *w = a->sym[VMNET_MACOS26_WRITE_MAX_PACKETS_KEY];

	*rd = r && *r ? *r : "vmnet_read_max_packets";
	*wr = w && *w ? *w : "vmnet_write_max_packets";
}

/* Make the configuration the plan describes. Return: it, or NULL with
 * @err filled. */
static configuration_ref configure(const struct vmnet_macos26 *a,
				   const struct vmnet_network_plan *p,
				   char *err, size_t errlen)
{
	configuration_create_fn create =
	    (configuration_create_fn)a->sym[VMNET_MACOS26_CONFIGURATION_CREATE];
	configuration_set_ipv4_subnet_fn set_subnet =
	    (configuration_set_ipv4_subnet_fn)
		a->sym[VMNET_MACOS26_CONFIGURATION_SET_IPV4_SUBNET];
	configuration_disable_dhcp_fn disable_dhcp =
	    (configuration_disable_dhcp_fn)
		a->sym[VMNET_MACOS26_CONFIGURATION_DISABLE_DHCP];
	configuration_add_dhcp_reservation_fn reserve =
	    (configuration_add_dhcp_reservation_fn)
		a->sym[VMNET_MACOS26_CONFIGURATION_ADD_DHCP_RESERVATION];
	vmnet_return_t st = VMNET_FAILURE;
	configuration_ref c = create((operating_modes_t)p->mode, &st);
	char ip[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN];

	if (!c) {
		errmsg_fail(err, errlen, -EIO,
			    "vmnet cannot make a network configuration: %s",
			    host_vmnet_status_text(st));
		return NULL;
	}
	if (p->set_subnet) {
		st = set_subnet(c, &p->subnet, &p->mask);
		if (st != VMNET_SUCCESS) {
			inet_ntop(AF_INET, &p->subnet, ip, sizeof(ip));
			inet_ntop(AF_INET, &p->mask, mask, sizeof(mask));
			errmsg_fail(err, errlen, host_vmnet_status_errno(st),
				    "--network-subnet %s/%s: vmnet refused it: "
				    "%s; choose another private subnet",
				    ip, mask, host_vmnet_status_text(st));
			goto fail;
		}
	}
	if (p->disable_dhcp)
		disable_dhcp(c);
	for (unsigned i = 0; i < p->reservations; i++) {
		const struct host_dhcp_reservation *r = &p->reservation[i];
		struct ether_addr mac;

		memcpy(mac.octet, r->mac, sizeof(mac.octet));
		st = reserve(c, &mac, &r->address);
		if (st != VMNET_SUCCESS) {
			inet_ntop(AF_INET, &r->address, ip, sizeof(ip));
			errmsg_fail(err, errlen, host_vmnet_status_errno(st),
				    "--dhcp-reservation for %s: vmnet refused "
				    "it: %s; reserve an address inside the "
				    "network's subnet, past its first two",
				    ip, host_vmnet_status_text(st));
			goto fail;
		}
	}
	return c;
fail:
	CFRelease((CFTypeRef)c);
	return NULL;
}

int host_vmnet_start_on_own_network(
    struct host_vmnet *h, const struct host_config *cfg, xpc_object_t desc,
    vmnet_start_interface_completion_handler_t done, char *err, size_t errlen)
{
	const struct vmnet_macos26 *a = api();
	struct vmnet_network_plan p;
	const char *option = cfg->own_subnet_given ? "--network-subnet"
			     : cfg->disable_dhcp   ? "--disable-dhcp"
						   : "--dhcp-reservation";
	interface_start_with_network_fn start =
	    (interface_start_with_network_fn)
		a->sym[VMNET_MACOS26_INTERFACE_START_WITH_NETWORK];
	network_create_fn create =
	    (network_create_fn)a->sym[VMNET_MACOS26_NETWORK_CREATE];
	vmnet_return_t st = VMNET_FAILURE;
	configuration_ref c;
	network_ref net;
	int r = vmnet_macos26_check_own_network(a, option, err, errlen);

	if (r)
		return r;
	vmnet_network_plan_build(cfg, &p);
	c = configure(a, &p, err, errlen);
	if (!c)
		return -EINVAL;
	/* vmnet_network_create(3): reserves what the configuration asks
	 * for, for as long as the network object lives (h->network). */
	net = create(c, &st);
	CFRelease((CFTypeRef)c);
	if (!net)
		return errmsg_fail(
		    err, errlen,
		    st != VMNET_SUCCESS ? host_vmnet_status_errno(st) : -EIO,
		    "cannot make the network %s asks for: %s", option,
		    host_vmnet_status_text(st));
	h->network = net;
	h->iface = start(net, desc, h->queue, done);
	return 0;
}

void host_vmnet_network_info(struct host_vmnet *h, struct host_info *info)
{
	const struct vmnet_macos26 *a = api();
	network_get_ipv4_subnet_fn get4 =
	    (network_get_ipv4_subnet_fn)
		a->sym[VMNET_MACOS26_NETWORK_GET_IPV4_SUBNET];
	network_get_ipv6_prefix_fn get6 =
	    (network_get_ipv6_prefix_fn)
		a->sym[VMNET_MACOS26_NETWORK_GET_IPV6_PREFIX];
	struct in_addr subnet = {0}, mask = {0};
	struct in6_addr prefix = IN6ADDR_ANY_INIT;
	uint8_t len = 0;

	if (!h->network)
		return;
	if (get4) {
		get4(h->network, &subnet, &mask);
		if (subnet.s_addr) {
			inet_ntop(AF_INET, &subnet, info->net_ipv4_subnet,
				  sizeof(info->net_ipv4_subnet));
			inet_ntop(AF_INET, &mask, info->net_ipv4_mask,
				  sizeof(info->net_ipv4_mask));
		}
	}
	if (get6) {
		get6(h->network, &prefix, &len);
		if (len) {
			inet_ntop(AF_INET6, &prefix, info->net_ipv6_prefix,
				  sizeof(info->net_ipv6_prefix));
			info->net_ipv6_prefix_len = len;
		}
	}
}
