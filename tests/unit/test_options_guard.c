/* SPDX-License-Identifier: Apache-2.0 */
/* test_options_guard.c - the guard's options (options_guard.c): each
 * value accepted or refused with the message that names the fix, lists and
 * repeats, the limits, and --guest-ip's need of --enforce-ip. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "options.h"

#define LINUX	 OPTIONS_PLATFORM_LINUX
#define ARGS_MAX 8
#define ROWS(a)	 (sizeof(a) / sizeof((a)[0]))

struct row {
	const char *args[ARGS_MAX]; /* after "--fd 3"; ends at a NULL */
	const char *want; /* NULL: accepted; else a substring of the error */
};

/* struct options holds the rule table: too large for many stack frames. */
static struct options o;

static int parse(const char *const *args, char *err, size_t errlen)
{
	char *argv[ARGS_MAX + 4] = {"vmnet-helper", "--fd", "3"};
	int argc = 3;

	for (int i = 0; i < ARGS_MAX && args[i]; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	return options_parse(&o, argc, argv, LINUX, err, errlen);
}

static const struct row rows[] = {
    {{"--enforce-mac"}, NULL},
    {{"--enforce-mac=learn"}, NULL},
    {{"--enforce-mac=52:54:00:12:34:56"}, NULL},
    {{"--enforce-mac=52:54:00:AB:cd:EF"}, NULL},
    {{"--enforce-mac=learn2"},
     "invalid --enforce-mac 'learn2': not 'learn' or a MAC address; pass "
     "--enforce-mac (the MAC of the JSON line), --enforce-mac=learn or "
     "--enforce-mac=52:54:00:12:34:56"},
    {{"--enforce-mac=52:54:00:12:34"}, "not 'learn' or a MAC address"},
    {{"--enforce-mac=52-54-00-12-34-56"}, "not 'learn' or a MAC address"},
    {{"--enforce-mac=01:00:5e:00:00:01"}, "a multicast MAC"},
    {{"--enforce-ip"}, NULL},
    {{"--enforce-ip=yes"}, "--enforce-ip takes no value"},
    {{"--enforce-ip", "--guest-ip", "192.168.64.2"}, NULL},
    {{"--enforce-ip", "--guest-ip", "192.168.64.2,fd00::2"}, NULL},
    {{"--guest-ip", "192.168.64.2"},
     "--guest-ip needs --enforce-ip or --expose: it names the addresses "
     "--enforce-ip lets the VM send from, and the IPv4 one --expose "
     "forwards to; add one of them or drop --guest-ip"},
    {{"--expose", "8080:80", "--guest-ip", "192.168.64.2"}, NULL},
    {{"--expose", "8080:80", "--guest-ip", "fd00::2"},
     "--guest-ip needs --enforce-ip or --expose"},
    {{"--enforce-ip", "--guest-ip", "0.0.0.0"},
     "invalid --guest-ip '0.0.0.0': 0.0.0.0 cannot be a VM's own address"},
    {{"--enforce-ip", "--guest-ip", "ff02::1"}, "cannot be a VM's own"},
    {{"--enforce-ip", "--guest-ip", "::"}, "cannot be a VM's own"},
    {{"--enforce-ip", "--guest-ip", "host"},
     "invalid --guest-ip 'host': 'host' is not an IPv4 or IPv6 address; "
     "pass the VM's own address, e.g. --guest-ip 192.168.64.2"},
    {{"--enforce-ip", "--guest-ip", "10.0.0.2,"}, "an empty or overlong"},
    {{"--enforce-ip", "--guest-ip", ""}, "an empty or overlong"},
    {{"--allow", "10.0.0.0/8"}, NULL},
    {{"--allow", "10.0.0.0/8,fd00::/8", "--block", "0.0.0.0/0,::/0"}, NULL},
    {{"--block", "192.0.2.1"}, NULL},
    {{"--block", "2001:db8::1/128"}, NULL},
    {{"--block", "10.0.0.0/33"},
     "invalid --block '10.0.0.0/33': the prefix length of an IPv4 CIDR is "
     "0-32, e.g. --block 10.0.0.0/8"},
    {{"--allow", "fd00::/129"},
     "invalid --allow 'fd00::/129': the prefix length of an IPv6 CIDR is "
     "0-128, e.g. --allow fd00:1::/32"},
    {{"--block", "10.0.0.0/"}, "prefix length of an IPv4 CIDR is 0-32"},
    {{"--block", "10.0.0.0/8x"}, "prefix length of an IPv4 CIDR is 0-32"},
    {{"--block", "10.0.0.0/-1"}, "prefix length of an IPv4 CIDR is 0-32"},
    {{"--block", "10.0.0.1/8"},
     "invalid --block '10.0.0.1/8': '10.0.0.1/8' has bits set past its "
     "prefix length; pass the network, --block 10.0.0.0/8"},
    {{"--block", "fd00::1/64"}, "pass the network, --block fd00::/64"},
    {{"--allow", "10.0.0.0/8,,fd00::/8"}, "an empty or overlong entry"},
    {{"--allow", ",10.0.0.0/8"}, "an empty or overlong entry"},
    {{"--allow", "10.0.0.0/8,"}, "an empty or overlong entry"},
    {{"--allow", "example.com/8"},
     "invalid --allow 'example.com/8': 'example.com' is not an IPv4 or "
     "IPv6 address; pass ADDRESS/LENGTH, e.g. --allow 10.0.0.0/8"},
};

Test(options_guard, rows)
{
	for (size_t i = 0; i < ROWS(rows); i++) {
		char err[OPTIONS_ERR_MAX] = "";
		int r = parse(rows[i].args, err, sizeof(err));

		if (!rows[i].want) {
			cr_expect_eq(r, 0, "row %zu (%s): %s", i,
				     rows[i].args[0], err);
			continue;
		}
		cr_expect_eq(r, -1, "row %zu (%s) accepted", i,
			     rows[i].args[0]);
		cr_expect(strstr(err, rows[i].want), "row %zu: '%s' lacks '%s'",
			  i, err, rows[i].want);
	}
}

Test(options_guard, values_land_in_the_guard_config)
{
	static const char *const args[] = {"--enforce-mac=52:54:00:12:34:56",
					   "--enforce-ip",
					   "--guest-ip",
					   "192.168.64.2,fd00::2",
					   "--guest-ip",
					   "10.0.0.2",
					   "--block",
					   "0.0.0.0/0",
					   NULL};
	char err[OPTIONS_ERR_MAX];

	cr_assert_eq(parse(args, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(o.guard.mac_mode, GUARD_MAC_FIXED);
	cr_assert_not(o.guard_mac_from_host);
	cr_assert_eq(o.guard.mac[5], 0x56);
	cr_assert(o.guard.enforce_ip);
	cr_assert_eq(o.guard.ipv4_n, 2);
	cr_assert_eq(o.guard.ipv6_n, 1);
	cr_assert_eq(o.guard.ipv4[1][0], 10);
	cr_assert_eq(o.guard.cidr_n, 1);
	cr_assert(o.guard.cidrs[0].block);
	cr_assert_eq(o.guard.cidrs[0].len, 0);
}

Test(options_guard, plain_enforce_mac_takes_the_host_sides_mac)
{
	static const char *const plain[] = {"--enforce-mac", NULL};
	static const char *const learn[] = {"--enforce-mac=learn", NULL};
	static const char *const none[] = {NULL};
	char err[OPTIONS_ERR_MAX];

	cr_assert_eq(parse(plain, err, sizeof(err)), 0, "%s", err);
	cr_assert(o.guard_mac_from_host);
	cr_assert_eq(o.guard.mac_mode, GUARD_MAC_FIXED);
	cr_assert_eq(parse(learn, err, sizeof(err)), 0, "%s", err);
	cr_assert_not(o.guard_mac_from_host);
	cr_assert_eq(o.guard.mac_mode, GUARD_MAC_LEARN);
	cr_assert_eq(parse(none, err, sizeof(err)), 0, "%s", err);
	cr_assert_not(guard_config_active(&o.guard));
}

Test(options_guard, at_most_4096_cidrs_and_16_addresses_a_family)
{
	static char list[GUARD_CIDRS_MAX * 16 + 32];
	static char ips[16 * 16 + 32];
	const char *args[] = {"--block", list, "--allow", "10.0.0.0/8", NULL};
	char err[OPTIONS_ERR_MAX];
	size_t used = 0;

	for (unsigned i = 0; i < GUARD_CIDRS_MAX; i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
					 "%s10.%u.%u.0/24", i ? "," : "",
					 i >> 8, i & 0xff);
	cr_assert_eq(parse(args + 0, err, sizeof(err)), -1);
	cr_assert(strstr(err, "too many CIDRs at --allow '10.0.0.0/8': "
			      "--allow and --block take 4096 together"),
		  "%s", err);
	args[2] = NULL;
	cr_assert_eq(parse(args, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(o.guard.cidr_n, GUARD_CIDRS_MAX);

	used = 0;
	for (unsigned i = 0; i <= GUARD_GUEST_IPS_MAX; i++)
		used += (size_t)snprintf(ips + used, sizeof(ips) - used,
					 "%s10.0.0.%u", i ? "," : "", i + 1);
	const char *ip_args[] = {"--enforce-ip", "--guest-ip", ips, NULL};
	cr_assert_eq(parse(ip_args, err, sizeof(err)), -1);
	cr_assert(strstr(err, "at most 16 IPv4 and 16 IPv6 addresses"), "%s",
		  err);
}
