/* SPDX-License-Identifier: Apache-2.0 */
/* vmnet_desc.c - struct host_config to vmnet interface description entries;
 * pure, no vmnet, built and tested on every platform. */
#include "vmnet_desc.h"

#include "vmnet_network_plan.h"

#include <arpa/inet.h>
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
    [VMNET_DESC_KEY_NETWORK_IDENTIFIER] = "vmnet_network_identifier_key",
    [VMNET_DESC_KEY_HOST_IP_ADDRESS] = "vmnet_host_ip_address_key",
    [VMNET_DESC_KEY_HOST_SUBNET_MASK] = "vmnet_host_subnet_mask_key",
    [VMNET_DESC_KEY_NAT66_PREFIX] = "vmnet_nat66_prefix_key",
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

/* @s fits: a dotted quad, or an interface name options_check_rules()
 * held to IFNAMSIZ - 1 characters. */
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

/* vmnet-helper's network-mode description: the four entries it sets when
 * it joins a vmnet-broker network. */
static void build_network(const struct host_config *cfg, struct vmnet_desc *d)
{
	/* vmnet picks the MAC itself on a network (and ignores this on
	 * macOS 26.2); the VM's own MAC is used instead. */
	add_bool(d, VMNET_DESC_KEY_ALLOCATE_MAC_ADDRESS, false);
	add_bool(d, VMNET_DESC_KEY_ENABLE_TSO, cfg->enable_tso);
	add_bool(d, VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD,
		 cfg->enable_checksum_offload);
	add_bool(d, VMNET_DESC_KEY_ENABLE_ISOLATION, cfg->enable_isolation);
}

static void build_bridged(const struct host_config *cfg, struct vmnet_desc *d)
{
	add_u64(d, VMNET_DESC_KEY_OPERATION_MODE, VMNET_DESC_MODE_BRIDGED);
	add_str(d, VMNET_DESC_KEY_SHARED_INTERFACE_NAME,
		cfg->shared_interface ? cfg->shared_interface : "");
}

static void build_shared_or_host(const struct host_config *cfg,
				 struct vmnet_desc *d)
{
	add_u64(d, VMNET_DESC_KEY_OPERATION_MODE,
		cfg->mode == HOST_MODE_HOST ? VMNET_DESC_MODE_HOST
					    : VMNET_DESC_MODE_SHARED);
	if (cfg->addresses_given) {
		add_addr(d, VMNET_DESC_KEY_START_ADDRESS, cfg->start_address);
		add_addr(d, VMNET_DESC_KEY_END_ADDRESS, cfg->end_address);
		add_addr(d, VMNET_DESC_KEY_SUBNET_MASK, cfg->subnet_mask);
	}
	add_bool(d, VMNET_DESC_KEY_ENABLE_ISOLATION, cfg->enable_isolation);
	/* vmnet.h: an isolated host-mode network with no DHCP, and the
	 * host's address on it (only with the identifier). */
	if (cfg->network_identifier_given) {
		struct vmnet_desc_entry *e =
		    add(d, VMNET_DESC_KEY_NETWORK_IDENTIFIER, VMNET_DESC_UUID);

		memcpy(e->value.uuid, cfg->network_identifier,
		       sizeof(e->value.uuid));
		if (cfg->host_address_given) {
			add_addr(d, VMNET_DESC_KEY_HOST_IP_ADDRESS,
				 cfg->host_ip_address);
			add_addr(d, VMNET_DESC_KEY_HOST_SUBNET_MASK,
				 cfg->host_subnet_mask);
		}
	}
	/* A string, e.g. "fd00:1:2:3::" (vmnet.h: a ULA, shared mode). */
	if (cfg->nat66_prefix_given) {
		struct vmnet_desc_entry *e =
		    add(d, VMNET_DESC_KEY_NAT66_PREFIX, VMNET_DESC_STRING);

		inet_ntop(AF_INET6, &cfg->nat66_prefix, e->value.str,
			  sizeof(e->value.str));
	}
}

void vmnet_desc_build(const struct host_config *cfg, struct vmnet_desc *d)
{
	memset(d, 0, sizeof(*d));
	if (cfg->network || vmnet_network_plan_wanted(cfg)) {
		build_network(cfg, d);
		return;
	}
	if (cfg->interface_id_given) {
		struct vmnet_desc_entry *e =
		    add(d, VMNET_DESC_KEY_INTERFACE_ID, VMNET_DESC_UUID);

		memcpy(e->value.uuid, cfg->interface_id, sizeof(e->value.uuid));
	}
	if (cfg->mode == HOST_MODE_BRIDGED)
		build_bridged(cfg, d);
	else
		build_shared_or_host(cfg, d);
	add_bool(d, VMNET_DESC_KEY_ENABLE_TSO, cfg->enable_tso);
	add_bool(d, VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD,
		 cfg->enable_checksum_offload);
}
