/* SPDX-License-Identifier: Apache-2.0 */
/* test_vmnet_desc.c - host_config to vmnet interface description: entries
 * and their order per mode. What vmnet refuses is test_options.c's. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "vmnet_desc.h"

static const unsigned char test_uuid[16] = {
    0x0c, 0x2f, 0x5a, 0x71, 0x3e, 0x44, 0x4b, 0x1d,
    0x9a, 0x50, 0x6e, 0x21, 0x8f, 0x03, 0xd7, 0xc4,
};

static struct in_addr addr(const char *s)
{
	struct in_addr a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1, "bad test address %s", s);
	return a;
}

static struct host_config config(enum host_mode mode)
{
	struct host_config c;

	memset(&c, 0, sizeof(c));
	c.mode = mode;
	c.max_batch = 64;
	return c;
}

static void with_addresses(struct host_config *c, const char *start,
			   const char *end, const char *mask)
{
	c->addresses_given = true;
	c->start_address = addr(start);
	c->end_address = addr(end);
	c->subnet_mask = addr(mask);
}

static struct vmnet_desc build_ok(const struct host_config *c)
{
	struct vmnet_desc d;

	memset(&d, 0xa5, sizeof(d)); /* nothing from before may survive */
	vmnet_desc_build(c, &d);
	return d;
}

/* The keys of @d, in order, must be exactly @keys. */
static void assert_keys(const struct vmnet_desc *d,
			const enum vmnet_desc_key *keys, unsigned n)
{
	cr_assert_eq(d->count, n, "%u entries, expected %u", d->count, n);
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(d->entries[i].key, keys[i],
			     "entry %u is %s, expected %s", i,
			     vmnet_desc_key_name(d->entries[i].key),
			     vmnet_desc_key_name(keys[i]));
}

static const struct vmnet_desc_entry *find(const struct vmnet_desc *d,
					   enum vmnet_desc_key key)
{
	for (unsigned i = 0; i < d->count; i++)
		if (d->entries[i].key == key)
			return &d->entries[i];
	return NULL;
}

static void assert_bool(const struct vmnet_desc *d, enum vmnet_desc_key key,
			bool v)
{
	const struct vmnet_desc_entry *e = find(d, key);

	cr_assert_not_null(e, "%s missing", vmnet_desc_key_name(key));
	cr_assert_eq(e->type, VMNET_DESC_BOOL);
	cr_assert_eq(e->value.b, v, "%s is %d", vmnet_desc_key_name(key),
		     e->value.b);
}

static void assert_str(const struct vmnet_desc *d, enum vmnet_desc_key key,
		       const char *v)
{
	const struct vmnet_desc_entry *e = find(d, key);

	cr_assert_not_null(e, "%s missing", vmnet_desc_key_name(key));
	cr_assert_eq(e->type, VMNET_DESC_STRING);
	cr_assert_str_eq(e->value.str, v);
}

static void assert_mode(const struct vmnet_desc *d, uint64_t mode)
{
	const struct vmnet_desc_entry *e =
	    find(d, VMNET_DESC_KEY_OPERATION_MODE);

	cr_assert_not_null(e);
	cr_assert_eq(e->type, VMNET_DESC_UINT64);
	cr_assert_eq(e->value.u64, mode);
}

Test(vmnet_desc, mode_constants_are_vmnets_numbers)
{
	cr_assert_eq(VMNET_DESC_MODE_HOST, 1000);
	cr_assert_eq(VMNET_DESC_MODE_SHARED, 1001);
	cr_assert_eq(VMNET_DESC_MODE_BRIDGED, 1002);
}

Test(vmnet_desc, shared_default_sets_mode_isolation_tso_and_checksum)
{
	struct host_config c = config(HOST_MODE_SHARED);
	static const enum vmnet_desc_key keys[] = {
	    VMNET_DESC_KEY_OPERATION_MODE,
	    VMNET_DESC_KEY_ENABLE_ISOLATION,
	    VMNET_DESC_KEY_ENABLE_TSO,
	    VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD,
	};
	struct vmnet_desc d = build_ok(&c);

	assert_keys(&d, keys, 4);
	assert_mode(&d, VMNET_DESC_MODE_SHARED);
	assert_bool(&d, VMNET_DESC_KEY_ENABLE_ISOLATION, false);
	assert_bool(&d, VMNET_DESC_KEY_ENABLE_TSO, false);
	assert_bool(&d, VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD, false);
}

Test(vmnet_desc, shared_with_everything_keeps_vmnet_helpers_order)
{
	struct host_config c = config(HOST_MODE_SHARED);
	static const enum vmnet_desc_key keys[] = {
	    VMNET_DESC_KEY_INTERFACE_ID,
	    VMNET_DESC_KEY_OPERATION_MODE,
	    VMNET_DESC_KEY_START_ADDRESS,
	    VMNET_DESC_KEY_END_ADDRESS,
	    VMNET_DESC_KEY_SUBNET_MASK,
	    VMNET_DESC_KEY_ENABLE_ISOLATION,
	    VMNET_DESC_KEY_ENABLE_TSO,
	    VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD,
	};
	struct vmnet_desc d;

	c.interface_id_given = true;
	memcpy(c.interface_id, test_uuid, sizeof(test_uuid));
	with_addresses(&c, "192.168.105.1", "192.168.105.254", "255.255.255.0");
	c.enable_isolation = true;
	c.enable_tso = true;
	c.enable_checksum_offload = true;
	d = build_ok(&c);

	assert_keys(&d, keys, 8);
	cr_assert_eq(d.entries[0].type, VMNET_DESC_UUID);
	cr_assert_arr_eq(d.entries[0].value.uuid, test_uuid, 16);
	assert_str(&d, VMNET_DESC_KEY_START_ADDRESS, "192.168.105.1");
	assert_str(&d, VMNET_DESC_KEY_END_ADDRESS, "192.168.105.254");
	assert_str(&d, VMNET_DESC_KEY_SUBNET_MASK, "255.255.255.0");
	assert_bool(&d, VMNET_DESC_KEY_ENABLE_ISOLATION, true);
	assert_bool(&d, VMNET_DESC_KEY_ENABLE_TSO, true);
	assert_bool(&d, VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD, true);
}

Test(vmnet_desc, host_mode_uses_host_constant_and_takes_addresses)
{
	struct host_config c = config(HOST_MODE_HOST);
	static const enum vmnet_desc_key keys[] = {
	    VMNET_DESC_KEY_OPERATION_MODE,
	    VMNET_DESC_KEY_START_ADDRESS,
	    VMNET_DESC_KEY_END_ADDRESS,
	    VMNET_DESC_KEY_SUBNET_MASK,
	    VMNET_DESC_KEY_ENABLE_ISOLATION,
	    VMNET_DESC_KEY_ENABLE_TSO,
	    VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD,
	};
	struct vmnet_desc d;

	with_addresses(&c, "10.20.0.1", "10.20.255.254", "255.255.0.0");
	d = build_ok(&c);

	assert_keys(&d, keys, 7);
	assert_mode(&d, VMNET_DESC_MODE_HOST);
	assert_str(&d, VMNET_DESC_KEY_START_ADDRESS, "10.20.0.1");
	assert_str(&d, VMNET_DESC_KEY_SUBNET_MASK, "255.255.0.0");
}

Test(vmnet_desc, address_trio_is_sent_only_when_given)
{
	struct host_config c = config(HOST_MODE_HOST);
	struct vmnet_desc d = build_ok(&c);

	cr_assert_null(find(&d, VMNET_DESC_KEY_START_ADDRESS));
	cr_assert_null(find(&d, VMNET_DESC_KEY_END_ADDRESS));
	cr_assert_null(find(&d, VMNET_DESC_KEY_SUBNET_MASK));
	/* Values left in the struct without the flag are not sent. */
	c.start_address = addr("192.168.1.1");
	d = build_ok(&c);
	cr_assert_null(find(&d, VMNET_DESC_KEY_START_ADDRESS));
}

Test(vmnet_desc, interface_id_is_sent_first_and_only_when_given)
{
	struct host_config c = config(HOST_MODE_BRIDGED);
	struct vmnet_desc d;

	c.shared_interface = "en0";
	d = build_ok(&c);
	cr_assert_null(find(&d, VMNET_DESC_KEY_INTERFACE_ID));

	c.interface_id_given = true;
	memcpy(c.interface_id, test_uuid, sizeof(test_uuid));
	d = build_ok(&c);
	cr_assert_eq(d.entries[0].key, VMNET_DESC_KEY_INTERFACE_ID);
	cr_assert_arr_eq(d.entries[0].value.uuid, test_uuid, 16);
}

Test(vmnet_desc, bridged_sends_interface_name_and_no_isolation)
{
	struct host_config c = config(HOST_MODE_BRIDGED);
	static const enum vmnet_desc_key keys[] = {
	    VMNET_DESC_KEY_OPERATION_MODE,
	    VMNET_DESC_KEY_SHARED_INTERFACE_NAME,
	    VMNET_DESC_KEY_ENABLE_TSO,
	    VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD,
	};
	struct vmnet_desc d;

	c.shared_interface = "en0";
	c.enable_tso = true;
	d = build_ok(&c);

	assert_keys(&d, keys, 4);
	assert_mode(&d, VMNET_DESC_MODE_BRIDGED);
	assert_str(&d, VMNET_DESC_KEY_SHARED_INTERFACE_NAME, "en0");
	assert_bool(&d, VMNET_DESC_KEY_ENABLE_TSO, true);
	assert_bool(&d, VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD, false);
}

Test(vmnet_desc, network_mode_sends_vmnet_helpers_four_entries)
{
	struct host_config c = config(HOST_MODE_SHARED);
	static const enum vmnet_desc_key keys[] = {
	    VMNET_DESC_KEY_ALLOCATE_MAC_ADDRESS,
	    VMNET_DESC_KEY_ENABLE_TSO,
	    VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD,
	    VMNET_DESC_KEY_ENABLE_ISOLATION,
	};
	struct vmnet_desc d;

	c.network = "shared";
	c.enable_checksum_offload = true;
	c.enable_isolation = true;
	/* vmnet ignores the id on a network, so it is not sent. */
	c.interface_id_given = true;
	memcpy(c.interface_id, test_uuid, sizeof(test_uuid));
	d = build_ok(&c);

	assert_keys(&d, keys, 4);
	assert_bool(&d, VMNET_DESC_KEY_ALLOCATE_MAC_ADDRESS, false);
	assert_bool(&d, VMNET_DESC_KEY_ENABLE_TSO, false);
	assert_bool(&d, VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD, true);
	assert_bool(&d, VMNET_DESC_KEY_ENABLE_ISOLATION, true);
}

Test(vmnet_desc, key_names_are_vmnets_symbols)
{
	cr_assert_str_eq(vmnet_desc_key_name(VMNET_DESC_KEY_OPERATION_MODE),
			 "vmnet_operation_mode_key");
	cr_assert_str_eq(vmnet_desc_key_name(VMNET_DESC_KEY_INTERFACE_ID),
			 "vmnet_interface_id_key");
	cr_assert_str_eq(
	    vmnet_desc_key_name(VMNET_DESC_KEY_SHARED_INTERFACE_NAME),
	    "vmnet_shared_interface_name_key");
	cr_assert_str_eq(
	    vmnet_desc_key_name(VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD),
	    "vmnet_enable_checksum_offload_key");
	cr_assert_str_eq(vmnet_desc_key_name(VMNET_DESC_KEY_COUNT), "?");
	for (int k = 0; k < VMNET_DESC_KEY_COUNT; k++) {
		const char *n = vmnet_desc_key_name((enum vmnet_desc_key)k);
		size_t len = strlen(n);

		cr_assert(strncmp(n, "vmnet_", 6) == 0 && len > 10 &&
			      strcmp(n + len - 4, "_key") == 0,
			  "key %d: %s", k, n);
	}
}

Test(vmnet_desc, network_identifier_and_host_address_in_host_mode)
{
	struct host_config c = config(HOST_MODE_HOST);
	static const enum vmnet_desc_key keys[] = {
	    VMNET_DESC_KEY_OPERATION_MODE,
	    VMNET_DESC_KEY_ENABLE_ISOLATION,
	    VMNET_DESC_KEY_NETWORK_IDENTIFIER,
	    VMNET_DESC_KEY_HOST_IP_ADDRESS,
	    VMNET_DESC_KEY_HOST_SUBNET_MASK,
	    VMNET_DESC_KEY_ENABLE_TSO,
	    VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD,
	};

	c.network_identifier_given = true;
	memcpy(c.network_identifier, test_uuid, 16);
	c.host_address_given = true;
	c.host_ip_address = addr("192.168.77.1");
	c.host_subnet_mask = addr("255.255.255.0");
	struct vmnet_desc d = build_ok(&c);
	assert_keys(&d, keys, 7);
	assert_mode(&d, VMNET_DESC_MODE_HOST);
	const struct vmnet_desc_entry *e =
	    find(&d, VMNET_DESC_KEY_NETWORK_IDENTIFIER);
	cr_assert_eq(e->type, VMNET_DESC_UUID);
	cr_assert_arr_eq(e->value.uuid, test_uuid, 16);
	assert_str(&d, VMNET_DESC_KEY_HOST_IP_ADDRESS, "192.168.77.1");
	assert_str(&d, VMNET_DESC_KEY_HOST_SUBNET_MASK, "255.255.255.0");
	cr_assert_str_eq(vmnet_desc_key_name(VMNET_DESC_KEY_NETWORK_IDENTIFIER),
			 "vmnet_network_identifier_key");
	cr_assert_str_eq(vmnet_desc_key_name(VMNET_DESC_KEY_HOST_IP_ADDRESS),
			 "vmnet_host_ip_address_key");
	cr_assert_str_eq(vmnet_desc_key_name(VMNET_DESC_KEY_HOST_SUBNET_MASK),
			 "vmnet_host_subnet_mask_key");
}

Test(vmnet_desc, network_identifier_alone_sends_no_host_address)
{
	struct host_config c = config(HOST_MODE_HOST);

	c.network_identifier_given = true;
	struct vmnet_desc d = build_ok(&c);
	cr_assert_not_null(find(&d, VMNET_DESC_KEY_NETWORK_IDENTIFIER));
	cr_assert_null(find(&d, VMNET_DESC_KEY_HOST_IP_ADDRESS));
	cr_assert_null(find(&d, VMNET_DESC_KEY_HOST_SUBNET_MASK));
}

Test(vmnet_desc, nat66_prefix_is_a_string_of_the_prefix)
{
	struct host_config c = config(HOST_MODE_SHARED);

	c.nat66_prefix_given = true;
	cr_assert_eq(
	    inet_pton(AF_INET6, "fd12:3456:789a:ffff::", &c.nat66_prefix), 1);
	with_addresses(&c, "192.168.105.1", "192.168.105.254", "255.255.255.0");
	c.interface_id_given = true;
	c.enable_isolation = true;
	struct vmnet_desc d = build_ok(&c);
	assert_str(&d, VMNET_DESC_KEY_NAT66_PREFIX, "fd12:3456:789a:ffff::");
	cr_assert_str_eq(vmnet_desc_key_name(VMNET_DESC_KEY_NAT66_PREFIX),
			 "vmnet_nat66_prefix_key");
	cr_assert_leq(d.count, VMNET_DESC_MAX_ENTRIES);
}

Test(vmnet_desc, own_network_sends_the_network_description)
{
	struct host_config c = config(HOST_MODE_HOST);
	static const enum vmnet_desc_key keys[] = {
	    VMNET_DESC_KEY_ALLOCATE_MAC_ADDRESS,
	    VMNET_DESC_KEY_ENABLE_TSO,
	    VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD,
	    VMNET_DESC_KEY_ENABLE_ISOLATION,
	};

	/* The network sets mode and addresses, and vmnet ignores the id. */
	c.disable_dhcp = true;
	c.interface_id_given = true;
	struct vmnet_desc d = build_ok(&c);
	assert_keys(&d, keys, 4);
	assert_bool(&d, VMNET_DESC_KEY_ALLOCATE_MAC_ADDRESS, false);
}
