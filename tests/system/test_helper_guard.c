/* SPDX-License-Identifier: Apache-2.0 */
/* test_helper_guard.c - the guard through the real binary: frames from the
 * VM with a spoofed MAC, a spoofed source address or a blocked destination
 * are dropped and counted in the final counters while the VM's own traffic
 * passes in order, and a DHCP ACK towards the VM sets the address it may
 * use. The host side is --host-fd, the test holding its other end, so no
 * TAP, namespace or privilege is needed and the test runs as any user; as
 * root the helper drops to the SUDO_UID given and runs sandboxed, as with
 * a TAP. The guard sits between the VM's socket and the host side, so
 * which host side it is does not change what it sees; the last test checks
 * that with a real TAP, as root, in the test's own network namespace. */
#include <criterion/criterion.h>
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "test_frames.h"
#include "testutil.h"

#define WAIT_MS 10000 /* generous: the ASan build is slow */
#define UUID	"6f1d3c2a-9b7e-4e5f-8a1b-2c3d4e5f6a11"
#define OTHER	"52:54:00:66:66:66"
#define GATEWAY "5a:94:ef:00:00:01"

static struct child h;

static void setup(void)
{
	h.pid = -1;
	h.pidfd = -1;
	h.out_fd = h.err_fd = -1;
}

static void cleanup(void)
{
	child_kill(&h);
}

TestSuite(helper_guard, .init = setup, .fini = cleanup);

/* vmnet-helper --fd 3 --host-fd 4 @extra...: the test keeps vm[0] (the
 * VM) and host[0] (the host side's other end); with @host NULL the host
 * side is @extra's --tap instead. */
static void start(int vm[2], int host[2], const char *const *extra)
{
	char *argv[24] = {(char *)child_program("vmnet-helper"), "--fd", "3",
			  "--interface-id", UUID};
	char *env[] = {"SUDO_UID=65534", "SUDO_GID=65534", NULL};
	int n = 5;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, vm), 0);
	if (host) {
		cr_assert_eq(
		    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, host), 0);
		argv[n++] = "--host-fd";
		argv[n++] = "4";
	}
	struct child_fd fds[] = {{3, vm[1]}, {4, host ? host[1] : -1}};
	cr_assert_eq(access(argv[0], X_OK), 0, "%s is not built", argv[0]);
	for (; *extra && n < 23; extra++)
		argv[n++] = (char *)*extra;
	argv[n] = NULL;
	int r = child_start(&h, argv, geteuid() == 0 ? env : NULL, fds,
			    host ? 2 : 1);
	cr_assert_eq(r, 0, "cannot start %s: %s", argv[0], strerror(-r));
	close(vm[1]);
	if (host)
		close(host[1]);
	cr_assert(child_wait_for(&h, true, "}\n", WAIT_MS),
		  "no JSON line; stderr:\n%s", h.err);
	cr_assert(child_wait_for(&h, false, "system call filter on", WAIT_MS),
		  "%s", h.err);
}

/* The MAC the JSON line tells the VM to use. */
static void json_mac(uint8_t mac[6])
{
	struct json_object *o = json_tokener_parse(h.out), *v;

	cr_assert_not_null(o, "not JSON: %s", h.out);
	cr_assert(json_object_object_get_ex(o, "vmnet_mac_address", &v));
	tf_mac(json_object_get_string(v), mac);
	json_object_put(o);
}

/* A UDP frame whose payload names it: @tag. */
static void send_udp(int fd, const uint8_t mac[6], const char *src,
		     const char *dst, const char *tag)
{
	uint8_t f[TEST_FRAME_MAX], gw[6];
	char payload[16] = {0};

	tf_mac(GATEWAY, gw);
	snprintf(payload, sizeof(payload), "%s", tag);
	size_t n = tf_ipv4_udp(f, mac, gw, src, dst, 5000, 5001, payload,
			       sizeof(payload));
	cr_assert_eq(send(fd, f, n, 0), (ssize_t)n, "send %s: %s", tag,
		     strerror(errno));
}

/* The next frame on @fd is the UDP frame @tag: nothing in between. */
static void expect_udp(int fd, const char *tag)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint8_t f[2048];

	cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "no frame %s; stderr:\n%s", tag,
		     h.err);
	ssize_t n = recv(fd, f, sizeof(f), 0);
	cr_assert_geq(n, 14 + 28 + 16, "frame %s: %zd bytes", tag, n);
	cr_assert_str_eq((const char *)f + 14 + 28, tag, "want %s", tag);
}

static uint64_t counter(struct json_object *o, const char *key)
{
	struct json_object *d, *v;

	cr_assert(json_object_object_get_ex(o, "vm", &d));
	cr_assert(json_object_object_get_ex(d, key, &v), "no vm.%s", key);
	return (uint64_t)json_object_get_int64(v);
}

/* SIGTERM, then the final counters; VM to host adds up exactly. */
static struct json_object *stop(void)
{
	kill(h.pid, SIGTERM);
	int st = child_wait_exit(&h, WAIT_MS);
	cr_assert_eq(st, 0, "exit status %d; stderr:\n%s", st, h.err);
	const char *line = strstr(h.err, "final counters ");
	cr_assert_not_null(line, "%s", h.err);
	struct json_object *o =
	    json_tokener_parse(line + strlen("final counters "));
	cr_assert_not_null(o, "%s", h.err);
	cr_assert_eq(counter(o, "read_packets"),
		     counter(o, "packets") + counter(o, "drops"), "%s", h.err);
	return o;
}

Test(helper_guard, spoofed_frames_are_dropped_and_counted_real_ones_pass)
{
	int vm[2], host[2];
	uint8_t mac[6], other[6];

	start(vm, host,
	      (const char *const[]){"--enforce-mac", "--enforce-ip",
				    "--guest-ip", "10.0.0.2", "--block",
				    "10.9.0.0/16", NULL});
	cr_expect(strstr(h.err, "[main] guard: source MAC "), "%s", h.err);
	json_mac(mac);
	tf_mac(OTHER, other);
	send_udp(vm[0], mac, "10.0.0.2", "10.0.0.1", "real1");
	send_udp(vm[0], other, "10.0.0.2", "10.0.0.1", "mac");
	send_udp(vm[0], mac, "10.0.0.3", "10.0.0.1", "ip");
	send_udp(vm[0], mac, "10.0.0.2", "10.9.1.1", "dst");
	send_udp(vm[0], mac, "10.0.0.2", "10.8.1.1", "real2");
	expect_udp(host[0], "real1");
	expect_udp(host[0], "real2");
	struct json_object *o = stop();
	cr_expect_eq(counter(o, "read_packets"), 5);
	cr_expect_eq(counter(o, "packets"), 2);
	cr_expect_eq(counter(o, "drop_guard_mac"), 1);
	cr_expect_eq(counter(o, "drop_guard_ip"), 1);
	cr_expect_eq(counter(o, "drop_guard_dst"), 1);
	cr_expect_eq(counter(o, "drops"), 3);
	json_object_put(o);
	close(vm[0]);
	close(host[0]);
}

/* The lease the host side's DHCP server gives is the address the VM may
 * use; the learner (--learn-addresses) still sees the ACK through the
 * guard's inspector. */
Test(helper_guard, a_dhcp_ack_sets_the_address_the_vm_may_use)
{
	int vm[2], host[2];
	uint8_t mac[6], gw[6], f[TEST_FRAME_MAX];

	start(vm, host,
	      (const char *const[]){"--enforce-mac=learn", "--enforce-ip",
				    "--learn-addresses", NULL});
	json_mac(mac);
	tf_mac(GATEWAY, gw);
	/* DISCOVER from 0.0.0.0 passes; the guard learns the MAC. */
	size_t n = tf_ipv4_udp(f, mac, gw, "0.0.0.0", "255.255.255.255", 68, 67,
			       NULL, 300);
	cr_assert_eq(send(vm[0], f, n, 0), (ssize_t)n);
	struct pollfd p = {.fd = host[0], .events = POLLIN};
	cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "no DISCOVER:\n%s", h.err);
	cr_assert_eq(recv(host[0], f, sizeof(f), 0), (ssize_t)n);
	/* The ACK, through to the VM. */
	n = tf_dhcp_reply(f, gw, mac, "10.0.0.1", "10.0.0.7", 5);
	cr_assert_eq(send(host[0], f, n, 0), (ssize_t)n);
	p.fd = vm[0];
	cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "no ACK:\n%s", h.err);
	cr_assert_eq(recv(vm[0], f, sizeof(f), 0), (ssize_t)n);
	send_udp(vm[0], mac, "10.0.0.8", "10.0.0.1", "other");
	send_udp(vm[0], mac, "10.0.0.7", "10.0.0.1", "leased");
	expect_udp(host[0], "leased");
	struct json_object *o = stop();
	cr_expect_eq(counter(o, "drop_guard_ip"), 1);
	cr_expect_eq(counter(o, "packets"), 2);
	cr_expect(strstr(h.err, "10.0.0.7"), "the learner missed the ACK:\n%s",
		  h.err);
	json_object_put(o);
	close(vm[0]);
	close(host[0]);
}

/* The next frames on the TAP's packet socket @ps that carry a tag, in
 * order: @want's, and no other tag between them (the kernel's own frames,
 * if any, are skipped). */
static void expect_on_tap(int ps, const char *const *want)
{
	for (; *want; want++) {
		for (;;) {
			struct pollfd p = {.fd = ps, .events = POLLIN};
			uint8_t f[2048];

			cr_assert_eq(poll(&p, 1, WAIT_MS), 1,
				     "no frame %s on the TAP; stderr:\n%s",
				     *want, h.err);
			ssize_t n = recv(ps, f, sizeof(f), 0);
			if (n < 14 + 28 + 16 || f[12] != 0x08 || f[13] != 0 ||
			    f[14 + 9] != 17 || f[14 + 20] != 5000 >> 8 ||
			    f[14 + 21] != (5000 & 0xff))
				continue; /* not one the test sent */
			cr_assert_str_eq((const char *)f + 14 + 28, *want);
			break;
		}
	}
}

/* The same through a real TAP: what reaches the kernel is only the VM's
 * own traffic. */
Test(helper_guard, on_a_tap_only_the_vms_own_frames_reach_the_kernel,
     .timeout = 60)
{
	int vm[2];
	uint8_t mac[6], other[6];

	test_need_private_netns();
	test_quiet_netns();
	start(vm, NULL,
	      (const char *const[]){"--tap", "vmhgd0", "--enforce-mac",
				    "--enforce-ip", "--guest-ip", "10.0.0.2",
				    "--block", "10.9.0.0/16", NULL});
	test_run("ip link set dev vmhgd0 up");
	int ps = test_packet_socket("vmhgd0", 0x0003 /* ETH_P_ALL */);
	json_mac(mac);
	tf_mac(OTHER, other);
	send_udp(vm[0], mac, "10.0.0.2", "10.0.0.1", "real1");
	send_udp(vm[0], other, "10.0.0.2", "10.0.0.1", "mac");
	send_udp(vm[0], mac, "10.0.0.3", "10.0.0.1", "ip");
	send_udp(vm[0], mac, "10.0.0.2", "10.9.1.1", "dst");
	send_udp(vm[0], mac, "10.0.0.2", "10.8.1.1", "real2");
	expect_on_tap(ps, (const char *const[]){"real1", "real2", NULL});
	struct json_object *o = stop();
	cr_expect_eq(counter(o, "read_packets"), 5);
	cr_expect_eq(counter(o, "packets"), 2);
	cr_expect_eq(counter(o, "drop_guard_mac"), 1);
	cr_expect_eq(counter(o, "drop_guard_ip"), 1);
	cr_expect_eq(counter(o, "drop_guard_dst"), 1);
	json_object_put(o);
	close(ps);
	close(vm[0]);
}
