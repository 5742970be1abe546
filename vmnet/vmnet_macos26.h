/* SPDX-License-Identifier: Apache-2.0 */
/* vmnet_macos26.h - the vmnet calls and keys that exist from macOS 26 on
 * (--network, the max packets keys), found at run time by name, so that one
 * binary built with any SDK uses them where they exist; and what --network
 * says where they do not. Pure: the macOS side passes dlsym()
 * (vmnet/darwin/host_vmnet_network.c), the tests a table. */
#ifndef VMNET_HELPER_VMNET_MACOS26_H
#define VMNET_HELPER_VMNET_MACOS26_H

#include <stddef.h>

enum vmnet_macos26_symbol {
	/* Needed for --network. */
	VMNET_MACOS26_NETWORK_CREATE_WITH_SERIALIZATION,
	VMNET_MACOS26_INTERFACE_START_WITH_NETWORK,
	VMNET_MACOS26_REQUIRED,
	/* Optional: the parameter keys' names are used without them. */
	VMNET_MACOS26_READ_MAX_PACKETS_KEY = VMNET_MACOS26_REQUIRED,
	VMNET_MACOS26_WRITE_MAX_PACKETS_KEY,
	/* Needed, with interface_start_with_network, for a network of the
	 * helper's own (vmnet_network_plan.h). */
	VMNET_MACOS26_CONFIGURATION_CREATE,
	VMNET_MACOS26_CONFIGURATION_SET_IPV4_SUBNET,
	VMNET_MACOS26_CONFIGURATION_DISABLE_DHCP,
	VMNET_MACOS26_CONFIGURATION_ADD_DHCP_RESERVATION,
	VMNET_MACOS26_NETWORK_CREATE,
	/* Optional: what the network chose, for the JSON line. */
	VMNET_MACOS26_NETWORK_GET_IPV4_SUBNET,
	VMNET_MACOS26_NETWORK_GET_IPV6_PREFIX,
	VMNET_MACOS26_COUNT,
};

struct vmnet_macos26 {
	void *sym[VMNET_MACOS26_COUNT]; /* NULL where not found */
	const char *missing; /* first required name not found, or NULL */
	/* First name a network of the helper's own needs and lacks, or
	 * NULL. */
	const char *missing_own;
};

/**
 * vmnet_macos26_name() - the C name of @s in vmnet.framework
 * @s:	symbol
 *
 * Return: e.g. "vmnet_network_create_with_serialization".
 */
const char *vmnet_macos26_name(enum vmnet_macos26_symbol s);

/**
 * vmnet_macos26_resolve() - look every symbol up
 * @api:	filled in
 * @lookup:	returns the address of @name, or NULL (dlsym(RTLD_DEFAULT))
 * @arg:	passed to @lookup
 */
void vmnet_macos26_resolve(struct vmnet_macos26 *api,
			   void *(*lookup)(void *arg, const char *name),
			   void *arg);

/**
 * vmnet_macos26_check_network() - whether --network can work here
 * @api:	resolved
 * @network:	--network's value
 * @err:	why not, and what to do
 * @errlen:	room in @err
 *
 * Return: 0, or -ENOTSUP with @err naming the missing call.
 */
int vmnet_macos26_check_network(const struct vmnet_macos26 *api,
				const char *network, char *err, size_t errlen);

/**
 * vmnet_macos26_check_own_network() - whether a network of the helper's
 * own can be made here
 * @api:	resolved
 * @option:	the option that asks for one, e.g. "--disable-dhcp"
 * @err:	why not, and what to do
 * @errlen:	room in @err
 *
 * Return: 0, or -ENOTSUP with @err naming the missing call.
 */
int vmnet_macos26_check_own_network(const struct vmnet_macos26 *api,
				    const char *option, char *err,
				    size_t errlen);

#endif
