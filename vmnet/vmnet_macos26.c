/* SPDX-License-Identifier: Apache-2.0 */
/* vmnet_macos26.c - find vmnet's macOS 26 calls by name (see the header). */
#include "vmnet_macos26.h"

#include <errno.h>
#include <stdbool.h>

#include "errmsg.h"

/* The names the macOS 26 SDK's vmnet.tbd exports them under (less the
 * leading underscore, as dlsym() wants). */
static const char *const names[VMNET_MACOS26_COUNT] = {
    [VMNET_MACOS26_NETWORK_CREATE_WITH_SERIALIZATION] =
	"vmnet_network_create_with_serialization",
    [VMNET_MACOS26_INTERFACE_START_WITH_NETWORK] =
	"vmnet_interface_start_with_network",
    [VMNET_MACOS26_READ_MAX_PACKETS_KEY] = "vmnet_read_max_packets_key",
    [VMNET_MACOS26_WRITE_MAX_PACKETS_KEY] = "vmnet_write_max_packets_key",
    [VMNET_MACOS26_CONFIGURATION_CREATE] = "vmnet_network_configuration_create",
    [VMNET_MACOS26_CONFIGURATION_SET_IPV4_SUBNET] =
	"vmnet_network_configuration_set_ipv4_subnet",
    [VMNET_MACOS26_CONFIGURATION_DISABLE_DHCP] =
	"vmnet_network_configuration_disable_dhcp",
    [VMNET_MACOS26_CONFIGURATION_ADD_DHCP_RESERVATION] =
	"vmnet_network_configuration_add_dhcp_reservation",
    [VMNET_MACOS26_NETWORK_CREATE] = "vmnet_network_create",
    [VMNET_MACOS26_NETWORK_GET_IPV4_SUBNET] = "vmnet_network_get_ipv4_subnet",
    [VMNET_MACOS26_NETWORK_GET_IPV6_PREFIX] = "vmnet_network_get_ipv6_prefix",
};

/* Is @i needed for a network of the helper's own? */
static bool own_needs(int i)
{
	return i == VMNET_MACOS26_INTERFACE_START_WITH_NETWORK ||
	       (i >= VMNET_MACOS26_CONFIGURATION_CREATE &&
		i <= VMNET_MACOS26_NETWORK_CREATE);
}

const char *vmnet_macos26_name(enum vmnet_macos26_symbol s)
{
	return s < VMNET_MACOS26_COUNT ? names[s] : "?";
}

void vmnet_macos26_resolve(struct vmnet_macos26 *api,
			   void *(*lookup)(void *arg, const char *name),
			   void *arg)
{
	api->missing = api->missing_own = NULL;
	for (int i = 0; i < VMNET_MACOS26_COUNT; i++) {
		api->sym[i] = lookup(arg, names[i]);
		if (!api->sym[i] && i < VMNET_MACOS26_REQUIRED && !api->missing)
			api->missing = names[i];
		if (!api->sym[i] && own_needs(i) && !api->missing_own)
			api->missing_own = names[i];
	}
}

int vmnet_macos26_check_network(const struct vmnet_macos26 *api,
				const char *network, char *err, size_t errlen)
{
	if (!api->missing)
		return 0;
	return errmsg_fail(err, errlen, -ENOTSUP,
			   "--network '%s' needs macOS 26 or later: this "
			   "Mac's vmnet.framework has no %s; leave --network "
			   "out and choose an --operation-mode",
			   network, api->missing);
}

int vmnet_macos26_check_own_network(const struct vmnet_macos26 *api,
				    const char *option, char *err,
				    size_t errlen)
{
	if (!api->missing_own)
		return 0;
	return errmsg_fail(err, errlen, -ENOTSUP,
			   "%s needs macOS 26 or later: this Mac's "
			   "vmnet.framework has no %s; leave it out (and "
			   "--network-subnet, --disable-dhcp and "
			   "--dhcp-reservation with it), or use "
			   "--start-address, --end-address and --subnet-mask",
			   option, api->missing_own);
}
