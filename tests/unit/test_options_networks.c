/* SPDX-License-Identifier: Apache-2.0 */
/* test_options_networks.c - the network, pidfile and address options
 * (options_networks.c, options_values.c): each value, each rule between
 * them and the others, on both platforms' rules. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "options.h"

#define LINUX	 OPTIONS_PLATFORM_LINUX
#define MAC	 OPTIONS_PLATFORM_DARWIN
#define ARGS_MAX 16
#define ROWS(a)	 (sizeof(a) / sizeof((a)[0]))
#define UUID	 "6f1d3c2a-9b7e-4e5f-8a1b-2c3d4e5f6a7b"
#define MAC1	 "52:54:00:12:34:56"
#define MAC2	 "52:54:00:12:34:57"

struct row {
	const char *args[ARGS_MAX]; /* after "--fd 3"; ends at a NULL */
	enum options_platform platform;
	const char *want; /* NULL: accepted; else a substring of the error */
};

static int parse(const struct row *r, struct options *o, char *err,
		 size_t errlen)
{
	char *argv[ARGS_MAX + 4] = {"vmnet-helper", "--fd", "3"};
	int argc = 3;

	for (int i = 0; i < ARGS_MAX && r->args[i]; i++)
		argv[argc++] = (char *)r->args[i];
	argv[argc] = NULL;
	return options_parse(o, argc, argv, r->platform, err, errlen);
}

static const struct row rows[] = {
    /* --network-identifier and its other spelling. */
    {{"--network-identifier", UUID}, MAC, NULL},
    {{"--network-id", UUID, "--operation-mode", "host"}, MAC, NULL},
    {{"--network-id", "not-a-uuid"}, MAC, "invalid --network-id 'not-a-uuid'"},
    {{"--network-identifier", UUID, "--operation-mode", "shared"},
     MAC,
     "needs --operation-mode host (got 'shared')"},
    {{"--network-identifier", UUID, "--operation-mode", "bridged",
      "--shared-interface", "en0"},
     MAC,
     "needs --operation-mode host (got 'bridged')"},
    {{"--network-identifier", UUID, "--network", "shared"},
     MAC,
     "cannot be used with --network 'shared'"},
    {{"--network-identifier", UUID, "--start-address", "192.168.9.1",
      "--end-address", "192.168.9.9", "--subnet-mask", "255.255.255.0"},
     MAC,
     "its network has no DHCP"},
    {{"--network-identifier", UUID, "--disable-dhcp"},
     MAC,
     "cannot be used with --disable-dhcp"},
    {{"--network-identifier", UUID}, LINUX, "only available on macOS"},
    /* --host-ip-address with --host-subnet-mask. */
    {{"--network-id", UUID, "--host-ip-address", "192.168.77.1",
      "--host-subnet-mask", "255.255.255.0"},
     MAC,
     NULL},
    {{"--network-id", UUID, "--host-ip-address", "192.168.77.1"},
     MAC,
     "go together: got --host-ip-address '192.168.77.1' alone"},
    {{"--network-id", UUID, "--host-subnet-mask", "255.255.255.0"},
     MAC,
     "got --host-subnet-mask '255.255.255.0' alone"},
    {{"--host-ip-address", "192.168.77.1", "--host-subnet-mask",
      "255.255.255.0"},
     MAC,
     "needs --network-identifier UUID"},
    {{"--network-id", UUID, "--host-ip-address", "192.168.77.0",
      "--host-subnet-mask", "255.255.255.0"},
     MAC,
     "network or broadcast address"},
    {{"--network-id", UUID, "--host-ip-address", "192.168.77.1",
      "--host-subnet-mask", "255.0.255.0"},
     MAC,
     "not contiguous"},
    {{"--network-id", UUID, "--host-ip-address", "192.168.77",
      "--host-subnet-mask", "255.255.255.0"},
     MAC,
     "invalid --host-ip-address '192.168.77'"},
    {{"--host-ip-address", "10.0.0.1"}, LINUX, "only available on macOS"},
    /* --nat66-prefix. */
    {{"--nat66-prefix", "fd12:3456:789a:1::"}, MAC, NULL},
    {{"--nat66-prefix", "fd12:3456:789a:1::/64"}, MAC, NULL},
    {{"--nat66-prefix", "fd12:3456:789a:1::/48"}, MAC, "only a /64"},
    {{"--nat66-prefix", "2001:db8::"}, MAC, "not a unique local address"},
    {{"--nat66-prefix", "fd12::1"}, MAC, "the last 64 bits must be zero"},
    {{"--nat66-prefix", "fd12:zz::"}, MAC, "not an IPv6 prefix"},
    {{"--nat66-prefix", "fd12::", "--operation-mode", "host"},
     MAC,
     "needs shared mode (the mode is host)"},
    {{"--nat66-prefix", "fd12::", "--network", "shared"},
     MAC,
     "the network sets its prefix"},
    {{"--nat66-prefix", "fd12::", "--network-id", UUID},
     MAC,
     "needs shared mode (the mode is host)"},
    {{"--nat66-prefix", "fd12::", "--disable-dhcp"},
     MAC,
     "takes a random ULA prefix"},
    {{"--nat66-prefix", "fd12::"}, LINUX, "only available on macOS"},
    /* A network of the helper's own (macOS 26). */
    {{"--network-subnet", "192.168.77.0/24"}, MAC, NULL},
    {{"--network-subnet", "10.9.0.0/16", "--operation-mode", "host"},
     MAC,
     NULL},
    {{"--network-subnet", "192.168.77.5/24"},
     MAC,
     "not the network's own address; pass 192.168.77.0/24"},
    {{"--network-subnet", "8.8.8.0/24"}, MAC, "not private"},
    {{"--network-subnet", "192.168.0.0/15"}, MAC, "not private"},
    {{"--network-subnet", "192.168.77.0/30"}, MAC, "is not 8 to 29"},
    {{"--network-subnet", "192.168.77.0"}, MAC, "not ADDRESS/LENGTH"},
    {{"--network-subnet", "192.168.77.0/24x"}, MAC, "not ADDRESS/LENGTH"},
    {{"--network-subnet", "192.168.77.0/24", "--network", "shared"},
     MAC,
     "cannot be used with --network 'shared'"},
    {{"--network-subnet", "192.168.77.0/24", "--operation-mode", "bridged",
      "--shared-interface", "en0"},
     MAC,
     "only shared and host networks can be made"},
    {{"--disable-dhcp", "--start-address", "192.168.9.1", "--end-address",
      "192.168.9.9", "--subnet-mask", "255.255.255.0"},
     MAC,
     "pass the network as --network-subnet instead"},
    {{"--disable-dhcp"}, MAC, NULL},
    {{"--disable-dhcp"}, LINUX, "only available on macOS"},
    {{"--dhcp-reservation", MAC1 "=192.168.77.10"}, MAC, NULL},
    {{"--network-subnet", "192.168.77.0/24", "--dhcp-reservation",
      MAC1 "=192.168.77.10", "--dhcp-reservation", MAC2 "=192.168.77.11"},
     MAC,
     NULL},
    {{"--dhcp-reservation", MAC1 "=192.168.77.10", "--dhcp-reservation",
      MAC1 "=192.168.77.11"},
     MAC,
     "that MAC address has a reservation already"},
    {{"--dhcp-reservation", MAC1 "=192.168.77.10", "--dhcp-reservation",
      MAC2 "=192.168.77.10"},
     MAC,
     "reserved for another MAC already"},
    {{"--dhcp-reservation", "01:00:5e:00:00:01=192.168.77.10"},
     MAC,
     "no unicast MAC address"},
    {{"--dhcp-reservation", "52:54:00:12:34=192.168.77.10"},
     MAC,
     "no unicast MAC address"},
    {{"--dhcp-reservation", MAC1}, MAC, "no unicast MAC address"},
    {{"--dhcp-reservation", MAC1 "=192.168.77"}, MAC, "is not an IPv4"},
    {{"--network-subnet", "192.168.77.0/24", "--dhcp-reservation",
      MAC1 "=192.168.77.1"},
     MAC,
     "pass one from the third up"},
    {{"--network-subnet", "192.168.77.0/24", "--dhcp-reservation",
      MAC1 "=192.168.77.255"},
     MAC,
     "not an address DHCP can hand out"},
    {{"--network-subnet", "192.168.77.0/24", "--dhcp-reservation",
      MAC1 "=192.168.78.10"},
     MAC,
     "not an address DHCP can hand out"},
    {{"--disable-dhcp", "--dhcp-reservation", MAC1 "=192.168.77.10"},
     MAC,
     "without DHCP nobody hands the address out"},
    {{"--dhcp-reservation", MAC1 "=10.0.0.5"}, LINUX, "only available on"},
    /* --pidfile, --address-file, --learn-addresses: both platforms. */
    {{"--pidfile", "/run/vm1.pid"}, LINUX, NULL},
    {{"--pidfile", "/run/vm1.pid"}, MAC, NULL},
    {{"--pidfile", ""}, LINUX, "invalid --pidfile '': empty"},
    {{"--address-file", "/run/vm1.addr"}, LINUX, NULL},
    {{"--address-file", ""}, MAC, "invalid --address-file '': empty"},
    {{"--learn-addresses"}, MAC, NULL},
    {{"--learn-addresses=yes"}, LINUX, "takes no value"},
};

Test(options_networks, each_row)
{
	for (size_t i = 0; i < ROWS(rows); i++) {
		struct options o;
		char err[OPTIONS_ERR_MAX] = "";
		int r = parse(&rows[i], &o, err, sizeof(err));

		if (!rows[i].want) {
			cr_expect_eq(r, 0, "row %zu (%s): refused: %s", i,
				     rows[i].args[0], err);
			continue;
		}
		cr_expect_eq(r, -1, "row %zu (%s): accepted", i,
			     rows[i].args[0]);
		cr_expect(strstr(err, rows[i].want),
			  "row %zu: want '%s', got '%s'", i, rows[i].want, err);
		cr_expect_null(strchr(err, '\n'), "row %zu: two lines", i);
	}
}

static void parse_ok(struct options *o, enum options_platform p,
		     const char *const *args)
{
	struct row r = {.platform = p};
	char err[OPTIONS_ERR_MAX] = "";

	for (int i = 0; args[i]; i++)
		r.args[i] = args[i];
	cr_assert_eq(parse(&r, o, err, sizeof(err)), 0, "%s", err);
}

static uint32_t v4(const char *s)
{
	struct in_addr a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

Test(options_networks, network_identifier_fills_the_host_config_in_host_mode)
{
	struct options o;

	parse_ok(&o, MAC,
		 (const char *const[]){"--network-identifier", UUID,
				       "--host-ip-address", "192.168.77.1",
				       "--host-subnet-mask", "255.255.255.0",
				       NULL});
	cr_assert(o.host.network_identifier_given);
	cr_assert_eq(o.host.network_identifier[0], 0x6f);
	cr_assert_eq(o.host.network_identifier[15], 0x7b);
	cr_assert_eq(o.host.mode, HOST_MODE_HOST, "implied");
	cr_assert(o.host.host_address_given);
	cr_assert_eq(o.host.host_ip_address.s_addr, v4("192.168.77.1"));
	cr_assert_eq(o.host.host_subnet_mask.s_addr, v4("255.255.255.0"));
}

Test(options_networks, own_network_fills_subnet_and_reservations)
{
	struct options o;

	parse_ok(&o, MAC,
		 (const char *const[]){"--network-subnet", "10.77.0.0/16",
				       "--dhcp-reservation", MAC1 "=10.77.3.4",
				       "--interface-id", UUID, NULL});
	cr_assert(o.host.own_subnet_given);
	cr_assert_eq(o.host.own_subnet.s_addr, v4("10.77.0.0"));
	cr_assert_eq(o.host.own_subnet_mask.s_addr, v4("255.255.0.0"));
	cr_assert_eq(o.host.dhcp_reservation_count, 1);
	cr_assert_eq(o.host.dhcp_reservations[0].mac[5], 0x56);
	cr_assert_eq(o.host.dhcp_reservations[0].address.s_addr,
		     v4("10.77.3.4"));
	cr_assert(o.warn_interface_id_ignored, "vmnet ignores the id there");
}

Test(options_networks, reservations_stop_at_the_limit)
{
	char *argv[2 + 2 * (HOST_DHCP_RESERVATIONS_MAX + 1) + 2];
	char vals[HOST_DHCP_RESERVATIONS_MAX + 1][40];
	char err[OPTIONS_ERR_MAX] = "";
	struct options o;
	int argc = 0;

	argv[argc++] = "vmnet-helper";
	argv[argc++] = "--fd=3";
	for (int i = 0; i <= HOST_DHCP_RESERVATIONS_MAX; i++) {
		snprintf(vals[i], sizeof(vals[i]),
			 "52:54:00:00:00:%02x=192.168.77.%d", i + 1, i + 10);
		argv[argc++] = "--dhcp-reservation";
		argv[argc++] = vals[i];
	}
	argv[argc] = NULL;
	cr_assert_eq(options_parse(&o, argc, argv, MAC, err, sizeof(err)), -1);
	cr_assert(
	    strstr(err, "too many --dhcp-reservation options: at most 32"),
	    "%s", err);
}

Test(options_networks, nat66_prefix_is_kept_canonical)
{
	struct options o;
	char text[64];

	parse_ok(&o, MAC,
		 (const char *const[]){"--nat66-prefix",
				       "FD12:3456:789A:0001:0:0:0:0/64", NULL});
	cr_assert(o.host.nat66_prefix_given);
	inet_ntop(AF_INET6, &o.host.nat66_prefix, text, sizeof(text));
	cr_assert_str_eq(text, "fd12:3456:789a:1::");
}

Test(options_networks, address_file_turns_learning_on)
{
	struct options o;

	parse_ok(&o, LINUX, (const char *const[]){NULL});
	cr_assert_not(o.learn_addresses, "off unless asked for");
	cr_assert_null(o.pidfile);
	parse_ok(&o, LINUX,
		 (const char *const[]){"--address-file", "/run/a", "--pidfile",
				       "/run/p", NULL});
	cr_assert(o.learn_addresses);
	cr_assert_str_eq(o.address_file, "/run/a");
	cr_assert_str_eq(o.pidfile, "/run/p");
}
