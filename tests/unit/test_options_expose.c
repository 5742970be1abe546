/* SPDX-License-Identifier: Apache-2.0 */
/* test_options_expose.c - --expose (options_expose.c): each form of the
 * value, each refusal and its fix, the rules against the other options on
 * both platforms, and the forwards and names built from the rules
 * (vmnet/expose_plan.c, what macOS's vmnet calls take). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "expose_plan.h"
#include "options.h"

#define LINUX	 OPTIONS_PLATFORM_LINUX
#define MAC	 OPTIONS_PLATFORM_DARWIN
#define ARGS_MAX 12
#define ROWS(a)	 (sizeof(a) / sizeof((a)[0]))

struct row {
	const char *args[ARGS_MAX]; /* after "--fd 3"; ends at a NULL */
	enum options_platform platform;
	const char *want; /* NULL: accepted; else a substring of the error */
};

static int parse(const char *const *args, enum options_platform platform,
		 struct options *o, char *err, size_t errlen)
{
	char *argv[ARGS_MAX + 4] = {"vmnet-helper", "--fd", "3"};
	int argc = 3;

	for (int i = 0; i < ARGS_MAX && args[i]; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	return options_parse(o, argc, argv, platform, err, errlen);
}

static const struct row rows[] = {
    {{"--expose", "8080:80"}, LINUX, NULL},
    {{"--expose", "8080:80/tcp", "--expose", "8080:80/udp"}, LINUX, NULL},
    {{"--expose", "127.0.0.1:8080:80"}, LINUX, NULL},
    {{"--expose", "8080:80"}, MAC, NULL},
    {{"--expose", "70000:80"},
     LINUX,
     "invalid --expose '70000:80': the host port must be 1-65535, got "
     "'70000'; e.g. --expose 8080:80"},
    {{"--expose", "0:80"}, LINUX, "the host port must be 1-65535, got '0'"},
    {{"--expose", "8080:"}, LINUX, "the guest port must be 1-65535, got ''"},
    {{"--expose", "8080:+80"}, LINUX, "the guest port must be 1-65535"},
    {{"--expose", "8080"}, LINUX, "expected HOSTPORT:GUESTPORT"},
    {{"--expose", "8080:80/sctp"},
     LINUX,
     "the protocol must be /tcp or /udp, got '/sctp'"},
    {{"--expose", "10.0.0.300:8080:80"},
     LINUX,
     "'10.0.0.300' is not an IPv4 address"},
    {{"--expose", "[::1]:8080:80"},
     LINUX,
     "IPv6 host addresses are not supported"},
    {{"--expose", "::1:8080:80"},
     LINUX,
     "IPv6 host addresses are not supported"},
    {{"--expose", "8080:80", "--expose", "8080:81"},
     LINUX,
     "invalid --expose '8080:81': host port 8080/tcp is already exposed"},
    {{"--expose", "8080:80", "--host-fd", "4"},
     LINUX,
     "--expose cannot be used with --host-fd 4"},
    {{"--expose", "8080:80", "--host-fd", "4"},
     MAC,
     "--expose cannot be used with --host-fd 4"},
    {{"--expose", "127.0.0.1:8080:80"},
     MAC,
     "--expose 127.0.0.1:8080:80: on macOS vmnet forwards a port on every "
     "host address"},
    {{"--expose", "8080:80", "--operation-mode", "host"},
     MAC,
     "--expose works in shared mode only on macOS"},
    {{"--expose", "8080:80", "--operation-mode", "bridged",
      "--shared-interface", "en0"},
     MAC,
     "--expose works in shared mode only on macOS"},
};

Test(options_expose, each_value_and_rule)
{
	for (size_t i = 0; i < ROWS(rows); i++) {
		struct options o;
		char err[OPTIONS_ERR_MAX];
		int r =
		    parse(rows[i].args, rows[i].platform, &o, err, sizeof(err));

		if (!rows[i].want) {
			cr_expect_eq(r, 0, "row %zu (%s): %s", i,
				     rows[i].args[1], err);
			continue;
		}
		cr_expect_eq(r, -1, "row %zu (%s) accepted", i,
			     rows[i].args[1]);
		cr_expect(strstr(err, rows[i].want), "row %zu: got '%s'", i,
			  err);
	}
}

Test(options_expose, values_land_in_the_host_config_and_turn_the_learner_on)
{
	struct options o;
	char err[OPTIONS_ERR_MAX];
	const char *args[] = {"--expose", "8080:80", "--expose",
			      "192.168.1.5:5353:53/udp", NULL};

	cr_assert_eq(parse(args, LINUX, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert(o.learn_addresses);
	cr_assert_eq(o.host.expose_count, 2);
	cr_assert_eq(o.host.expose[0].proto, HOST_EXPOSE_TCP);
	cr_assert_eq(o.host.expose[0].host_port, 8080);
	cr_assert_eq(o.host.expose[0].guest_port, 80);
	cr_assert_eq(o.host.expose[0].host_address.s_addr, INADDR_ANY);
	cr_assert_eq(o.host.expose[1].proto, HOST_EXPOSE_UDP);
	cr_assert_eq(o.host.expose[1].host_port, 5353);
	cr_assert_eq(o.host.expose[1].guest_port, 53);
	cr_assert_eq(o.host.expose[1].host_address.s_addr,
		     inet_addr("192.168.1.5"));
}

Test(options_expose, at_most_host_expose_max)
{
	static char ports[HOST_EXPOSE_MAX + 1][16];
	char *argv[2 * (HOST_EXPOSE_MAX + 1) + 4] = {"vmnet-helper", "--fd",
						     "3"};
	int argc = 3;
	struct options o;
	char err[OPTIONS_ERR_MAX];

	for (int i = 0; i <= HOST_EXPOSE_MAX; i++) {
		snprintf(ports[i], sizeof(ports[i]), "%d:80", 8000 + i);
		argv[argc++] = "--expose";
		argv[argc++] = ports[i];
	}
	argv[argc] = NULL;
	cr_assert_eq(options_parse(&o, argc, argv, LINUX, err, sizeof(err)),
		     -1);
	cr_assert(strstr(err, "at most 32 --expose options"), "%s", err);
}

Test(options_expose, the_plan_gives_vmnet_its_forwards_in_host_order)
{
	struct options o;
	char err[OPTIONS_ERR_MAX], line[64];
	const char *args[] = {"--expose", "8080:80", "--expose", "5353:53/udp",
			      NULL};
	struct expose_forward f[HOST_EXPOSE_MAX];
	struct in_addr guest = {inet_addr("192.168.64.2")};

	cr_assert_eq(parse(args, MAC, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(expose_plan_forwards(&o.host, guest, f), 2);
	cr_assert_eq(f[0].protocol, IPPROTO_TCP);
	cr_assert_eq(f[0].external_port, 8080);
	cr_assert_eq(f[0].internal_port, 80);
	cr_assert_eq(f[0].internal_address.s_addr, guest.s_addr);
	cr_assert_eq(f[1].protocol, IPPROTO_UDP);
	cr_assert_eq(f[1].external_port, 5353);
	cr_assert_eq(f[1].internal_port, 53);
	cr_assert_str_eq(
	    expose_plan_describe(&o.host.expose[1], guest, line, sizeof(line)),
	    "5353/udp -> 192.168.64.2:53");
}

Test(options_expose, a_rule_with_a_host_address_is_named_with_it)
{
	struct host_expose_rule r = {.proto = HOST_EXPOSE_TCP,
				     .host_address = {inet_addr("127.0.0.1")},
				     .host_port = 8080,
				     .guest_port = 80};
	char name[32];

	cr_assert_str_eq(expose_rule_name(&r, name, sizeof(name)),
			 "127.0.0.1:8080/tcp");
}
