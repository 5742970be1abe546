/* SPDX-License-Identifier: Apache-2.0 */
/* test_end_to_end.c - two network namespaces, each with a TAP served by one
 * vmnet-helper, the helpers joined by vmnet-run: real kernel stacks on both
 * ends (tests/scripts/demo.sh does the wiring and removes everything after);
 * a QEMU guest on the cable (tests/scripts/qemu_guest.sh); and VMs on two
 * simulated hosts joined by VXLAN, through Linux bridges or Open vSwitch
 * (tests/scripts/two_hosts.sh). */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

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

/* Run @script with @env; skip the test when it exits 77 ("SKIPPED: why"),
 * fail it on any other status but 0. */
static void run_script_or_skip(const char *script, const char *env, char *out,
			       size_t len)
{
	int status = run_script(child_source_file(script), env, out, len);

	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		cr_skip_test("%s", strstr(out, "SKIPPED")
				       ? strstr(out, "SKIPPED")
				       : out);
	cr_assert_eq(status, 0, "%s failed:\n%s", script, out);
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

/* Every "helper: final counters {...}" line of @out: each says that
 * nothing towards the guest was dropped and that every frame read in each
 * direction was delivered or counted. Return: how many lines. */
static int expect_clean_counters(const char *out)
{
	static const char tag[] = "helper: final counters ";
	int lines = 0;

	for (const char *p = strstr(out, tag); p; p = strstr(p + 1, tag)) {
		char line[4096];
		size_t n = strcspn(p + strlen(tag), "\n");

		cr_assert_lt(n, sizeof(line));
		memcpy(line, p + strlen(tag), n);
		line[n] = '\0';
		struct json_object *o = json_tokener_parse(line);
		cr_assert_not_null(o, "not JSON: %s", line);
		for (const char *const *d =
			 (const char *const[]){"host", "vm", NULL};
		     *d; d++) {
			struct json_object *dir, *v;
			int64_t c[4];
			const char *keys[4] = {"read_packets", "packets",
					       "drops", "drop_stalled"};

			cr_assert(json_object_object_get_ex(o, *d, &dir));
			for (int k = 0; k < 4; k++) {
				cr_assert(
				    json_object_object_get_ex(dir, keys[k], &v),
				    "no %s.%s: %s", *d, keys[k], line);
				c[k] = json_object_get_int64(v);
			}
			cr_assert_eq(c[0], c[1] + c[2], "%s: %s", *d, line);
			cr_assert_eq(c[3], 0, "%s dropped frames: %s", *d,
				     line);
		}
		cr_assert_gt(json_object_get_int64(json_object_object_get(
				 json_object_object_get(o, "host"), "packets")),
			     0, "nothing reached the guest: %s", line);
		json_object_put(o);
		lines++;
	}
	return lines;
}

/* Boot the QEMU guest of tests/scripts/qemu_guest.sh in @mode (fd,
 * socket, stream, two-nics): it pings each TAP and fetches 1 MiB over TCP
 * through each NIC with its SHA-256 checked. */
static void run_qemu_guest(const char *mode, int nics)
{
	static char out[1 << 16];
	char env[64];
	const char *why = missing();

	if (why)
		cr_skip_test("needs root, TAP and tools: %s", why);
	snprintf(env, sizeof(env), "QEMU_GUEST_MODE=%s", mode);
	/* The script exits 77 with "SKIPPED: reason" when QEMU, the guest
	 * kernel or a static busybox is missing. */
	run_script_or_skip("tests/scripts/qemu_guest.sh", env, out,
			   sizeof(out));
	static const char *const lines[] = {
	    "ping 192.0.2.1 ok",
	    "fetched from 192.0.2.1 1048576 bytes sha256 ",
	    "exited with status 0",
	    "helper: sandbox: no new privileges; system call filter on",
	    "qemu_guest: ok",
	    NULL,
	};
	expect_lines(out, lines);
	if (nics > 1) {
		static const char *const second[] = {
		    "ping 198.51.100.1 ok",
		    "fetched from 198.51.100.1 1048576 bytes sha256 ",
		    NULL,
		};
		expect_lines(out, second);
	}
	cr_assert_eq(expect_clean_counters(out), nics,
		     "want the final counters of %d helper(s):\n%s", nics, out);
}

/* A real VM on the cable: QEMU (TCG) started by vmnet-run with -netdev
 * dgram on fd 4. */
Test(end_to_end, qemu_guest_pings_and_fetches_through_vmnet_run, .timeout = 300)
{
	run_qemu_guest("fd", 1);
}

/* QEMU's -netdev dgram with unix local.path and remote.path against
 * --socket PATH: QEMU never connects back, so only 11 datagrams can queue
 * towards it, and still no frame towards the guest is dropped. */
Test(end_to_end, qemu_guest_over_socket_loses_no_frame, .timeout = 300)
{
	run_qemu_guest("socket", 1);
}

/* QEMU's -netdev stream against --socket PATH --stream: each
 * frame after its 4-byte length, records split across reads and writes
 * by a real client. */
Test(end_to_end, qemu_guest_over_a_stream_socket, .timeout = 300)
{
	run_qemu_guest("stream", 1);
}

/* Two NICs on two TAPs: vmnet-run --tap vmhq0 --nic --tap vmhq1 starts a
 * helper for each, and QEMU gets fds 4 and 5. */
Test(end_to_end, qemu_guest_with_two_nics_on_two_taps, .timeout = 300)
{
	run_qemu_guest("two-nics", 2);
}

/* What every run of two_hosts.sh shows, whatever the switch: the helpers
 * serve the VXLAN's 1450-byte MTU, full-size pings and checked TCP
 * transfers cross within and between the hosts, and a VM set to 1500 has
 * its longer frame counted by its helper. */
static const char *const two_hosts_common[] = {
    "a1: vmnet_mtu 1450",
    "b1: vmnet_mtu 1450",
    "b2: vmnet_mtu 1450",
    "tcp a1 -> b1: ok 4 MiB",
    "tcp b2 -> a1: ok 4 MiB",
    "tcp b1 -> b2: ok 4 MiB",
    "a1: vm drop_truncated 1 (the 1500-byte packet)",
    "two_hosts: ok",
    NULL,
};

static const char *const two_hosts_four_namespace_vms[] = {
    "a2: vmnet_mtu 1450",
    "pings: 12 of 12 ok",
    "tcp a2 -> a1: ok 4 MiB",
    NULL,
};

Test(end_to_end, two_hosts_over_vxlan_on_linux_bridges_reach_each_other,
     .timeout = 300)
{
	static char out[1 << 16];
	const char *why = missing();

	if (why)
		cr_skip_test("needs root, TAP and tools: %s", why);
	run_script_or_skip("tests/scripts/two_hosts.sh", "", out, sizeof(out));
	expect_lines(out, two_hosts_common);
	expect_lines(out, two_hosts_four_namespace_vms);
	cr_assert(strstr(out, "\"bridge\":\"br0\""), "%s", out);
}

/* One VM of host a is the QEMU guest: it gets the 1450 MTU from the JSON
 * line, pings the other three VMs and fetches a checked file from a VM on
 * its own host and one on the other. */
Test(end_to_end, two_hosts_with_a_qemu_guest_reach_each_other, .timeout = 600)
{
	static char out[1 << 16];
	const char *why = missing();

	if (why)
		cr_skip_test("needs root, TAP and tools: %s", why);
	run_script_or_skip("tests/scripts/two_hosts.sh", "TWO_HOSTS_QEMU=1",
			   out, sizeof(out));
	expect_lines(out, two_hosts_common);
	static const char *const guest[] = {
	    "pings: 6 of 6 ok",
	    "a2 (guest): vmnet-run: helper ready, guest MAC",
	    " MTU 1450",
	    "a2 (guest): ping 192.0.2.11 ok",
	    "a2 (guest): ping 192.0.2.21 ok",
	    "a2 (guest): ping 192.0.2.22 ok",
	    " from 192.0.2.11",
	    " from 192.0.2.21",
	    "a2 (guest): qemu_guest: ok",
	    NULL,
	};
	expect_lines(out, guest);
}

/* The same with Open vSwitch (its userspace datapath) as each host's
 * switch: ovsdb-server and ovs-vswitchd run in the host's namespace from
 * files of the script's own, and stop with it. */
Test(end_to_end, two_hosts_over_vxlan_on_open_vswitch_reach_each_other,
     .timeout = 300)
{
	static char out[1 << 16];
	const char *why = missing();

	if (why)
		cr_skip_test("needs root, TAP and tools: %s", why);
	run_script_or_skip("tests/scripts/two_hosts.sh", "TWO_HOSTS_SWITCH=ovs",
			   out, sizeof(out));
	expect_lines(out, two_hosts_common);
	expect_lines(out, two_hosts_four_namespace_vms);
	cr_assert(strstr(out, "== two hosts (ovs)"), "%s", out);
}
