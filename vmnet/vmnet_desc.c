/* SPDX-License-Identifier: Apache-2.0 */
/* vmnet_desc.c - struct host_config to vmnet interface description entries;
 * pure, no vmnet, built and tested on every platform. */
#include "vmnet_desc.h"

#include "errmsg.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const key_names[VMNET_DESC_KEY_COUNT] = {
    [VMNET_DESC_KEY_INTERFACE_ID] = "vmnet_interface_id_key",
    [VMNET_DESC_KEY_OPERATION_MODE] = "vmnet_operation_mode_key",
    [VMNET_DESC_KEY_START_ADDRESS] = "vmnet_start_address_key",
    [VMNET_DESC_KEY_END_ADDRESS] = "vmnet_end_address_key",
    [VMNET_DESC_KEY_SUBNET_MASK] = "vmnet_subnet_mask_key",
    [VMNET_DESC_KEY_ENABLE_ISOLATION] = "vmnet_enable_isolation_key",
    [VMNET_DESC_KEY_SHARED_INTERFACE_NAME] = "vmnet_shared_interface_name_key",
    [VMNET_DESC_KEY_ALLOCATE_MAC_ADDRESS] = "vmnet_allocate_mac_address_key",
    [VMNET_DESC_KEY_ENABLE_TSO] = "vmnet_enable_tso_key",
    [VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD] =
	"vmnet_enable_checksum_offload_key",
};

const char *vmnet_desc_key_name(enum vmnet_desc_key key)
{
	if ((unsigned)key >= VMNET_DESC_KEY_COUNT)
		return "?";
	return key_names[key];
}

/* The next entry; build() never adds more than VMNET_DESC_MAX_ENTRIES. */
static struct vmnet_desc_entry *
add(struct vmnet_desc *d, enum vmnet_desc_key key, enum vmnet_desc_type type)
{
	struct vmnet_desc_entry *e = &d->entries[d->count++];

	memset(e, 0, sizeof(*e));
	e->key = key;
	e->type = type;
	return e;
}

static void add_u64(struct vmnet_desc *d, enum vmnet_desc_key key, uint64_t v)
{
	add(d, key, VMNET_DESC_UINT64)->value.u64 = v;
}

static void add_bool(struct vmnet_desc *d, enum vmnet_desc_key key, bool v)
{
	add(d, key, VMNET_DESC_BOOL)->value.b = v;
}

/* @s fits: every caller checked its length or it is a dotted quad. */
static void add_str(struct vmnet_desc *d, enum vmnet_desc_key key,
		    const char *s)
{
	struct vmnet_desc_entry *e = add(d, key, VMNET_DESC_STRING);

	snprintf(e->value.str, sizeof(e->value.str), "%s", s);
}

static void add_addr(struct vmnet_desc *d, enum vmnet_desc_key key,
		     struct in_addr a)
{
	struct vmnet_desc_entry *e = add(d, key, VMNET_DESC_STRING);

	inet_ntop(AF_INET, &a, e->value.str, sizeof(e->value.str));
}

/* vmnet takes only RFC 1918 addresses for its DHCP range. */
static bool is_private(uint32_t a)
{
	return (a >> 24) == 10 || (a >> 20) == ((172u << 4) | 1) ||
	       (a >> 16) == ((192u << 8) | 168);
}

static int check_addresses(const struct host_config *cfg, char *err,
			   size_t errlen)
{
	uint32_t start = ntohl(cfg->start_address.s_addr);
	uint32_t end = ntohl(cfg->end_address.s_addr);
	uint32_t mask = ntohl(cfg->subnet_mask.s_addr);
	char s[INET_ADDRSTRLEN], e[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &cfg->start_address, s, sizeof(s));
	inet_ntop(AF_INET, &cfg->end_address, e, sizeof(e));
	inet_ntop(AF_INET, &cfg->subnet_mask, m, sizeof(m));
	/* A valid mask's zeros are all at the bottom: ~mask is 2^k - 1. */
	if (mask == 0 || (~mask & (~mask + 1)) != 0)
		return errmsg_fail(
		    err, errlen, -EINVAL,
		    "subnet mask %s is not contiguous ones followed "
		    "by zeros; pass e.g. 255.255.255.0 (a /24)",
		    m);
	if (start >= end)
		return errmsg_fail(
		    err, errlen, -EINVAL,
		    "start address %s is not below end address %s; "
		    "the start address is the gateway and DHCP hands "
		    "out the addresses after it, up to the end address",
		    s, e);
	if ((start & mask) != (end & mask))
		return errmsg_fail(
		    err, errlen, -EINVAL,
		    "start address %s and end address %s are not in "
		    "one subnet of mask %s; pass a range inside one "
		    "subnet, e.g. 192.168.105.1 to 192.168.105.254 "
		    "with 255.255.255.0",
		    s, e, m);
	if (!is_private(start) || !is_private(end))
		return errmsg_fail(
		    err, errlen, -EINVAL,
		    "address range %s to %s is not private; vmnet "
		    "takes only RFC 1918 addresses (10.0.0.0/8, "
		    "172.16.0.0/12, 192.168.0.0/16)",
		    s, e);
	return 0;
}

/* vmnet-helper's network-mode description: the four entries it sets when
 * it joins a vmnet-broker network. */
static int build_network(const struct host_config *cfg, struct vmnet_desc *d,
			 char *err, size_t errlen)
{
	if (cfg->network[0] == '\0')
		return errmsg_fail(
		    err, errlen, -EINVAL,
		    "--network needs a network name, e.g. shared");
	if (cfg->shared_interface)
		return errmsg_fail(
		    err, errlen, -EINVAL,
		    "--network '%s' cannot be used with a shared "
		    "interface ('%s'): the network sets the interface",
		    cfg->network, cfg->shared_interface);
	if (cfg->addresses_given)
		return errmsg_fail(
		    err, errlen, -EINVAL,
		    "--network '%s' cannot be used with --start-address, "
		    "--end-address and --subnet-mask: the network sets "
		    "the addresses",
		    cfg->network);
	/* vmnet picks the MAC itself on a network (and ignores this on
	 * macOS 26.2); the VM's own MAC is used instead. */
	add_bool(d, VMNET_DESC_KEY_ALLOCATE_MAC_ADDRESS, false);
	add_bool(d, VMNET_DESC_KEY_ENABLE_TSO, cfg->enable_tso);
	add_bool(d, VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD,
		 cfg->enable_checksum_offload);
	add_bool(d, VMNET_DESC_KEY_ENABLE_ISOLATION, cfg->enable_isolation);
	return 0;
}

static int build_bridged(const struct host_config *cfg, struct vmnet_desc *d,
			 char *err, size_t errlen)
{
	const char *name = cfg->shared_interface;

	if (!name || name[0] == '\0')
		return errmsg_fail(
		    err, errlen, -EINVAL,
		    "bridged mode needs a shared interface, the host "
		    "interface to bridge, e.g. en0 "
		    "(--list-shared-interfaces shows them)");
	if (strlen(name) >= VMNET_DESC_STR_MAX)
		return errmsg_fail(
		    err, errlen, -EINVAL,
		    "shared interface '%s' is not an interface name: "
		    "names have at most %d characters; "
		    "--list-shared-interfaces shows them",
		    name, VMNET_DESC_STR_MAX - 1);
	if (cfg->enable_isolation)
		return errmsg_fail(
		    err, errlen, -EINVAL,
		    "isolation cannot be used with bridged mode; it "
		    "works in shared and host modes only");
	if (cfg->addresses_given)
		return errmsg_fail(
		    err, errlen, -EINVAL,
		    "--start-address, --end-address and --subnet-mask "
		    "cannot be used with bridged mode: a bridged VM "
		    "gets its address from the network it joins");
	add_u64(d, VMNET_DESC_KEY_OPERATION_MODE, VMNET_DESC_MODE_BRIDGED);
	add_str(d, VMNET_DESC_KEY_SHARED_INTERFACE_NAME, name);
	return 0;
}

static int build_shared_or_host(const struct host_config *cfg,
				struct vmnet_desc *d, char *err, size_t errlen)
{
	bool shared = cfg->mode == HOST_MODE_SHARED;
	int r;

	if (cfg->shared_interface)
		return errmsg_fail(
		    err, errlen, -EINVAL,
		    "shared interface '%s' needs bridged mode (the "
		    "mode is %s); choose bridged mode or drop the "
		    "interface",
		    cfg->shared_interface, shared ? "shared" : "host");
	add_u64(d, VMNET_DESC_KEY_OPERATION_MODE,
		shared ? VMNET_DESC_MODE_SHARED : VMNET_DESC_MODE_HOST);
	if (cfg->addresses_given) {
		r = check_addresses(cfg, err, errlen);
		if (r)
			return r;
		add_addr(d, VMNET_DESC_KEY_START_ADDRESS, cfg->start_address);
		add_addr(d, VMNET_DESC_KEY_END_ADDRESS, cfg->end_address);
		add_addr(d, VMNET_DESC_KEY_SUBNET_MASK, cfg->subnet_mask);
	}
	add_bool(d, VMNET_DESC_KEY_ENABLE_ISOLATION, cfg->enable_isolation);
	return 0;
}

int vmnet_desc_build(const struct host_config *cfg, struct vmnet_desc *d,
		     char *err, size_t errlen)
{
	int r;

	memset(d, 0, sizeof(*d));
	if (cfg->network) {
		r = build_network(cfg, d, err, errlen);
		goto out;
	}
	if (cfg->mode != HOST_MODE_SHARED && cfg->mode != HOST_MODE_HOST &&
	    cfg->mode != HOST_MODE_BRIDGED)
		return errmsg_fail(
		    err, errlen, -EINVAL,
		    "unknown operation mode %d; use shared, host or "
		    "bridged",
		    (int)cfg->mode);
	if (cfg->interface_id_given) {
		struct vmnet_desc_entry *e =
		    add(d, VMNET_DESC_KEY_INTERFACE_ID, VMNET_DESC_UUID);

		memcpy(e->value.uuid, cfg->interface_id, sizeof(e->value.uuid));
	}
	if (cfg->mode == HOST_MODE_BRIDGED)
		r = build_bridged(cfg, d, err, errlen);
	else
		r = build_shared_or_host(cfg, d, err, errlen);
	if (r == 0) {
		add_bool(d, VMNET_DESC_KEY_ENABLE_TSO, cfg->enable_tso);
		add_bool(d, VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD,
			 cfg->enable_checksum_offload);
	}
out:
	if (r)
		memset(d, 0, sizeof(*d));
	return r;
}
