/* SPDX-License-Identifier: Apache-2.0 */
/* test_vmnet_macos26.c - finding vmnet's macOS 26 calls by name, and what
 * --network says where they are missing (vmnet_macos26.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "vmnet_macos26.h"

/* A vmnet.framework: the names it has, each at its own address. */
struct fake_vmnet {
	const char *const *has;
	char addr[VMNET_MACOS26_COUNT];
	int asked;
};

static void *fake_lookup(void *arg, const char *name)
{
	struct fake_vmnet *f = arg;

	f->asked++;
	for (int i = 0; f->has[i]; i++)
		if (strcmp(f->has[i], name) == 0)
			return &f->addr[i];
	return NULL;
}

Test(vmnet_macos26, macos_26_has_everything_network_needs)
{
	static const char *const has[] = {
	    "vmnet_network_create_with_serialization",
	    "vmnet_interface_start_with_network",
	    "vmnet_read_max_packets_key",
	    "vmnet_write_max_packets_key",
	    "vmnet_network_configuration_create",
	    "vmnet_network_configuration_set_ipv4_subnet",
	    "vmnet_network_configuration_disable_dhcp",
	    "vmnet_network_configuration_add_dhcp_reservation",
	    "vmnet_network_create",
	    "vmnet_network_get_ipv4_subnet",
	    "vmnet_network_get_ipv6_prefix",
	    NULL};
	struct fake_vmnet f = {.has = has};
	struct vmnet_macos26 api;
	char err[256] = "";

	vmnet_macos26_resolve(&api, fake_lookup, &f);
	cr_assert_eq(f.asked, VMNET_MACOS26_COUNT);
	cr_assert_null(api.missing);
	for (int i = 0; i < VMNET_MACOS26_COUNT; i++)
		cr_assert_eq(api.sym[i], &f.addr[i], "symbol %d", i);
	cr_assert_eq(
	    vmnet_macos26_check_network(&api, "shared", err, sizeof(err)), 0);
}

Test(vmnet_macos26, older_macos_refuses_network_naming_what_is_missing)
{
	static const char *const has[] = {NULL}; /* macOS 15 */
	struct fake_vmnet f = {.has = has};
	struct vmnet_macos26 api;
	char err[256] = "";

	vmnet_macos26_resolve(&api, fake_lookup, &f);
	cr_assert_str_eq(api.missing,
			 "vmnet_network_create_with_serialization");
	cr_assert_eq(
	    vmnet_macos26_check_network(&api, "shared", err, sizeof(err)),
	    -ENOTSUP);
	cr_assert(strstr(err, "--network 'shared' needs macOS 26 or later"),
		  "%s", err);
	cr_assert(strstr(err, "vmnet_network_create_with_serialization"), "%s",
		  err);
	cr_assert(strstr(err, "--operation-mode"), "%s", err);
	cr_assert_null(strchr(err, '\n'));
}

Test(vmnet_macos26, missing_keys_alone_do_not_stop_network)
{
	/* The keys are optional: their names are used without them. */
	static const char *const has[] = {
	    "vmnet_network_create_with_serialization",
	    "vmnet_interface_start_with_network", NULL};
	struct fake_vmnet f = {.has = has};
	struct vmnet_macos26 api;
	char err[256] = "";

	vmnet_macos26_resolve(&api, fake_lookup, &f);
	cr_assert_null(api.missing);
	cr_assert_null(api.sym[VMNET_MACOS26_READ_MAX_PACKETS_KEY]);
	cr_assert_eq(vmnet_macos26_check_network(&api, "x", err, sizeof(err)),
		     0);
}

Test(vmnet_macos26, one_missing_call_is_named)
{
	static const char *const has[] = {
	    "vmnet_network_create_with_serialization", NULL};
	struct fake_vmnet f = {.has = has};
	struct vmnet_macos26 api;
	char err[256] = "";

	vmnet_macos26_resolve(&api, fake_lookup, &f);
	cr_assert_str_eq(api.missing, "vmnet_interface_start_with_network");
	cr_assert_eq(vmnet_macos26_check_network(&api, "x", err, sizeof(err)),
		     -ENOTSUP);
	cr_assert(strstr(err, "vmnet_interface_start_with_network"), "%s", err);
}

Test(vmnet_macos26, own_network_needs_the_configuration_calls)
{
	static const char *const older[] = {NULL}; /* macOS 15 */
	static const char *const no_reservations[] = {
	    "vmnet_network_create_with_serialization",
	    "vmnet_interface_start_with_network",
	    "vmnet_network_configuration_create",
	    "vmnet_network_configuration_set_ipv4_subnet",
	    "vmnet_network_configuration_disable_dhcp",
	    "vmnet_network_create",
	    NULL};
	struct fake_vmnet f = {.has = older};
	struct vmnet_macos26 api;
	char err[512] = "";

	vmnet_macos26_resolve(&api, fake_lookup, &f);
	cr_assert_eq(vmnet_macos26_check_own_network(&api, "--disable-dhcp",
						     err, sizeof(err)),
		     -ENOTSUP);
	cr_assert(strstr(err, "--disable-dhcp needs macOS 26 or later"), "%s",
		  err);
	cr_assert(strstr(err, "vmnet_interface_start_with_network"), "%s", err);
	cr_assert_null(strchr(err, '\n'));

	f.has = no_reservations;
	vmnet_macos26_resolve(&api, fake_lookup, &f);
	cr_assert_null(api.missing, "--network itself still works");
	cr_assert_eq(vmnet_macos26_check_own_network(&api, "--network-subnet",
						     err, sizeof(err)),
		     -ENOTSUP);
	cr_assert(
	    strstr(err, "vmnet_network_configuration_add_dhcp_reservation"),
	    "%s", err);
}
