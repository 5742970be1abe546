/* SPDX-License-Identifier: Apache-2.0 */
/* test_end_to_end.c - two network namespaces, each with a TAP served by one
 * vmnet-helper, the helpers joined by vmnet-run: real kernel stacks on both
 * ends (tests/scripts/demo.sh does the wiring and removes everything after);
 * and a QEMU guest on the cable (tests/scripts/qemu_guest.sh). */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

/* The vmnet-helper built beside this test binary, so the ASan suite runs
 * the ASan helper (and the vmnet-run beside it). */
static char helper[PATH_MAX];

/* Why this machine cannot run the test, or NULL. */
static const char *missing(void)
{
	snprintf(helper, sizeof(helper), "%s", child_program("vmnet-helper"));
	if (geteuid() != 0)
		return "not running as root";
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		return "no /dev/net/tun";
	if (system("command -v ip ping python3 >/dev/null 2>&1") != 0)
		return "ip, ping or python3 is not installed";
	if (access(helper, X_OK) != 0)
		return "vmnet-helper is not built beside the tests";
	if (access(child_source_file("tests/scripts/demo.sh"), R_OK) != 0)
		return "tests/scripts/demo.sh is not in the source tree";
	return NULL;
}

/* Run @script with @env; return its output and exit status. */
static int run_script(const char *script, const char *env, char *out,
		      size_t len)
{
	char cmd[PATH_MAX + 128];

	snprintf(cmd, sizeof(cmd), "VMNET_HELPER=%s %s bash %s 2>&1", helper,
		 env, script);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	return pclose(p);
}

static void expect_lines(const char *out, const char *const *lines)
{
	for (; *lines; lines++)
		cr_assert(strstr(out, *lines), "missing '%s' in:\n%s", *lines,
			  out);
}

static const char *const common[] = {
    "3 packets transmitted, 3 received, 0% packet loss",
    "a -> b: ok 8 MiB",
    "b -> a: ok 8 MiB",
    "helper a: final counters {",
    "helper b: final counters {",
    /* Both helpers carried it all under the seccomp filter
     * (docs/security.md), read back from /proc. */
    "helper a: sandbox CapBnd: 0000000000000000 NoNewPrivs: 1 Seccomp: 2",
    "helper b: sandbox CapBnd: 0000000000000000 NoNewPrivs: 1 Seccomp: 2",
    "demo: ok",
    NULL,
};

Test(end_to_end, two_helpers_carry_ping_and_tcp_both_ways, .timeout = 300)
{
	static char out[1 << 16];
	const char *why = missing();

	if (why)
		cr_skip_test("needs root, TAP and tools: %s", why);
	int status = run_script(child_source_file("tests/scripts/demo.sh"),
				"DEMO_MIB=8", out, sizeof(out));
	cr_assert_eq(status, 0, "demo failed:\n%s", out);
	expect_lines(out, common);
	cr_assert(strstr(out, "\"tap_name\":\"vmh0\""), "%s", out);
}

Test(end_to_end, helper_attaches_tap_to_a_bridge, .timeout = 300)
{
	static char out[1 << 16];
	const char *why = missing();

	if (why)
		cr_skip_test("needs root, TAP and tools: %s", why);
	int status = run_script(child_source_file("tests/scripts/demo.sh"),
				"DEMO_MIB=8 DEMO_BRIDGE=1", out, sizeof(out));
	cr_assert_eq(status, 0, "demo failed:\n%s", out);
	expect_lines(out, common);
	/* The bridge's subnet is reported like vmnet's DHCP range. */
	cr_assert(strstr(out, "\"vmnet_start_address\":\"192.0.2.2\","
			      "\"vmnet_end_address\":\"192.0.2.254\","
			      "\"vmnet_subnet_mask\":\"255.255.255.0\""),
		  "%s", out);
	cr_assert(strstr(out, "\"bridge\":\"vmhbr0\""), "%s", out);
}

/* A real VM on the cable: QEMU (TCG) started by vmnet-run with -netdev
 * dgram on fd 4; the guest pings the TAP and fetches 4 MiB over TCP with
 * its SHA-256 checked (tests/scripts/qemu_guest.sh). */
Test(end_to_end, qemu_guest_pings_and_fetches_through_vmnet_run, .timeout = 600)
{
	static char out[1 << 16];
	const char *why = missing();

	if (why)
		cr_skip_test("needs root, TAP and tools: %s", why);
	int status =
	    run_script(child_source_file("tests/scripts/qemu_guest.sh"), "",
		       out, sizeof(out));
	/* The script exits 77 with "SKIPPED: reason" when QEMU, the guest
	 * kernel or a static busybox is missing. */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		cr_skip_test("%s", strstr(out, "SKIPPED")
				       ? strstr(out, "SKIPPED")
				       : out);
	cr_assert_eq(status, 0, "qemu_guest.sh failed:\n%s", out);
	static const char *const lines[] = {
	    "ping 192.0.2.1 ok",
	    "fetched 4194304 bytes sha256 ",
	    "vmnet-run exited with status 0",
	    "helper: final counters {",
	    "helper: sandbox: no new privileges; system call filter on",
	    "qemu_guest: ok",
	    NULL,
	};
	expect_lines(out, lines);
}
