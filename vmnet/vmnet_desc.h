/* SPDX-License-Identifier: Apache-2.0 */
/* vmnet_desc.h - what to tell vmnet.framework: struct host_config mapped to
 * the entries of vmnet's interface description, platform-neutral so it is
 * tested on Linux. */
#ifndef VMNET_HELPER_VMNET_DESC_H
#define VMNET_HELPER_VMNET_DESC_H

/*
 * vmnet_start_interface() takes an XPC dictionary of vmnet_*_key constants.
 * Those only exist on macOS, so this module describes the dictionary as a
 * small array of (key, type, value) entries in the order vmnet-helper sets
 * them, and vmnet/darwin/host_vmnet.c copies it into XPC. Every choice of
 * what to send lives here, where a Linux test can see it; what vmnet
 * refuses is checked once, on the command line (options_rules.c).
 *
 * Options mode:  [interface id] operation mode, then
 *		  shared/host:	[start, end, mask] isolation
 *				[network identifier [host address, mask]]
 *				[NAT66 prefix]
 *		  bridged:	shared interface name
 *		  then TSO and checksum offload (both always, true or false).
 * Network mode:  allocate MAC address (false), TSO, checksum offload,
 *		  isolation. The network sets the mode and addresses; vmnet
 *		  ignores the interface id there, so it is not sent. The
 *		  same for --network (vmnet-broker) and for a network of the
 *		  helper's own (vmnet_network_plan.h).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host.h"

/* The vmnet keys we set; vmnet_desc_key_name() gives each one's symbol. */
enum vmnet_desc_key {
	VMNET_DESC_KEY_INTERFACE_ID,	      /* vmnet_interface_id_key */
	VMNET_DESC_KEY_OPERATION_MODE,	      /* vmnet_operation_mode_key */
	VMNET_DESC_KEY_START_ADDRESS,	      /* vmnet_start_address_key */
	VMNET_DESC_KEY_END_ADDRESS,	      /* vmnet_end_address_key */
	VMNET_DESC_KEY_SUBNET_MASK,	      /* vmnet_subnet_mask_key */
	VMNET_DESC_KEY_ENABLE_ISOLATION,      /* vmnet_enable_isolation_key */
	VMNET_DESC_KEY_SHARED_INTERFACE_NAME, /* ..._shared_interface_name_key
					       */
	VMNET_DESC_KEY_ALLOCATE_MAC_ADDRESS,  /* ..._allocate_mac_address_key */
	VMNET_DESC_KEY_ENABLE_TSO,	      /* vmnet_enable_tso_key */
	VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD,
	VMNET_DESC_KEY_NETWORK_IDENTIFIER, /* vmnet_network_identifier_key */
	VMNET_DESC_KEY_HOST_IP_ADDRESS,	   /* vmnet_host_ip_address_key */
	VMNET_DESC_KEY_HOST_SUBNET_MASK,   /* vmnet_host_subnet_mask_key */
	VMNET_DESC_KEY_NAT66_PREFIX,	   /* vmnet_nat66_prefix_key */
	VMNET_DESC_KEY_COUNT
};

/* The XPC type of each value. */
enum vmnet_desc_type {
	VMNET_DESC_UINT64,
	VMNET_DESC_BOOL,
	VMNET_DESC_STRING,
	VMNET_DESC_UUID,
};

/* vmnet's operating_modes_t values, written out so this file needs no SDK;
 * host_vmnet.c checks them against the SDK with _Static_assert. */
enum vmnet_desc_mode {
	VMNET_DESC_MODE_HOST = 1000,
	VMNET_DESC_MODE_SHARED = 1001,
	VMNET_DESC_MODE_BRIDGED = 1002,
};

/* Longest string value plus its NUL: an IPv6 prefix (INET6_ADDRSTRLEN,
 * 46), "255.255.255.255" or an interface name (IFNAMSIZ on macOS). */
#define VMNET_DESC_STR_MAX 48
/* Most entries any description has (host mode with everything). */
#define VMNET_DESC_MAX_ENTRIES 12

struct vmnet_desc_entry {
	enum vmnet_desc_key key;
	enum vmnet_desc_type type;
	union {
		uint64_t u64;		      /* VMNET_DESC_UINT64 */
		bool b;			      /* VMNET_DESC_BOOL */
		char str[VMNET_DESC_STR_MAX]; /* VMNET_DESC_STRING */
		unsigned char uuid[16];	      /* VMNET_DESC_UUID */
	} value;
};

/* A whole description: entries[0..count) in the order to set them. Holds
 * no pointers, so it may be copied freely. */
struct vmnet_desc {
	unsigned count;
	struct vmnet_desc_entry entries[VMNET_DESC_MAX_ENTRIES];
};

/**
 * vmnet_desc_build() - map what to open to vmnet's interface description
 * @cfg:	what to open; the macOS fields and interface_id are read
 * @d:		filled with the entries
 *
 * Maps, and checks nothing: @cfg is what options_parse() accepted, whose
 * rules (options_rules.c) are those of vmnet: a shared interface exactly in
 * bridged mode, no isolation or addresses there, a private range of one
 * subnet, nothing but TSO, checksum offload and isolation with a network.
 * A caller that skips them meets vmnet's own refusal
 * (VMNET_INVALID_ARGUMENT) when the interface starts. In network mode
 * cfg->mode is ignored (the network sets it).
 */
void vmnet_desc_build(const struct host_config *cfg, struct vmnet_desc *d);

/**
 * vmnet_desc_key_name() - the vmnet symbol a key stands for
 * @key:	a key
 *
 * Return: e.g. "vmnet_operation_mode_key", for logs and tests; "?" for a
 * value out of range.
 */
const char *vmnet_desc_key_name(enum vmnet_desc_key key);

#endif
