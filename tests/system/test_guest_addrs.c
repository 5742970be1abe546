/* SPDX-License-Identifier: Apache-2.0 */
/* test_guest_addrs.c - the guest's addresses learned from real traffic, and
 * --pidfile, from the outside. Helper A (observed, TAP vmhga0, dnsmasq on
 * it) and helper B (TAP vmhgb0, standing in for the VM) share one
 * socketpair, in the test's own network namespace: busybox udhcpc on
 * vmhgb0 leases an address from dnsmasq through both helpers; ARP and
 * Neighbor Advertisements sent on vmhgb0 take the same path. Root only;
 * skips without dnsmasq or busybox. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "test_frames.h"
#include "testutil.h"

#define TAP_A	"vmhga0"
#define TAP_B	"vmhgb0"
#define WAIT_MS 15000 /* generous: the ASan build is slow */

static const char *const dnsmasq_paths[] = {"/usr/sbin/dnsmasq",
					    "/usr/bin/dnsmasq", NULL};
static char dir[64], addr_file[96], pid_file[96], script[96], leased[96];
static struct child a, b, dns, other;
static int sv[2] = {-1, -1};
/* How much of A's stderr the steps so far have matched: each step waits
 * for a line after the previous step's. */
static size_t a_seen;

static void setup(void)
{
	child_init(&a);
	child_init(&b);
	child_init(&dns);
	child_init(&other);
	a_seen = 0;
	strcpy(dir, "/tmp/vmh-guest-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(addr_file, sizeof(addr_file), "%s/vm.addr", dir);
	snprintf(pid_file, sizeof(pid_file), "%s/vm.pid", dir);
	snprintf(script, sizeof(script), "%s/udhcpc.sh", dir);
	snprintf(leased, sizeof(leased), "%s/leased", dir);
}

static void teardown(void)
{
	char cmd[128];

	child_kill(&a);
	child_kill(&b);
	child_kill(&dns);
	child_kill(&other);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

TestSuite(guest_addrs, .init = setup, .fini = teardown);

static void run_ok(const char *cmd)
{
	int r = system(cmd);

	cr_assert_eq(r, 0, "'%s' failed (%d)", cmd, r);
}

static void start_prog(struct child *c, const char *const *argv,
		       const struct child_fd *fds, int nfds)
{
	int r = child_start(c, (char *const *)argv, NULL, fds, nfds);

	cr_assert_eq(r, 0, "cannot start %s: %s", argv[0], strerror(-r));
}

/* Helper A on one end of the cable, with @extra options; B on the other. */
static void start_helpers(const char *const *extra)
{
	const char *argv[24] = {child_program("vmnet-helper"), "--fd", "3",
				"--tap", TAP_A};
	char path_b[256];
	int n = 5;

	cr_assert_eq(access(argv[0], X_OK), 0, "%s is not built", argv[0]);
	snprintf(path_b, sizeof(path_b), "%s", argv[0]);
	for (; extra && *extra; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	start_prog(&a, argv, (struct child_fd[]){{3, sv[0]}}, 1);
	cr_assert(child_wait_for(&a, true, "\"vmnet_mac_address\"", WAIT_MS),
		  "helper A not ready:\n%s", a.err);
	start_prog(
	    &b,
	    (const char *const[]){path_b, "--fd", "3", "--tap", TAP_B, NULL},
	    (struct child_fd[]){{3, sv[1]}}, 1);
	cr_assert(child_wait_for(&b, true, "\"vmnet_mac_address\"", WAIT_MS),
		  "helper B not ready:\n%s", b.err);
}

static const char *find_dnsmasq(void)
{
	for (int i = 0; dnsmasq_paths[i]; i++)
		if (access(dnsmasq_paths[i], X_OK) == 0)
			return dnsmasq_paths[i];
	return NULL;
}

/* dnsmasq serving DHCP on A's TAP: addresses from 10.77.0.50 to
 * 10.77.0.@last; @host: a "--dhcp-host=..." option or NULL. */
static void start_dnsmasq(int last, const char *host)
{
	char lease_opt[128], range[64];
	const char *path = find_dnsmasq();

	snprintf(lease_opt, sizeof(lease_opt), "--dhcp-leasefile=%s/leases",
		 dir);
	snprintf(range, sizeof(range),
		 "--dhcp-range=10.77.0.50,10.77.0.%d,255.255.255.0,2m", last);
	/* No DNS, no pid file, no configuration file: only DHCP, on A's
	 * TAP, in this namespace. */
	start_prog(&dns,
		   (const char *const[]){
		       path, "--keep-in-foreground", "--conf-file=/dev/null",
		       "--port=0", "--pid-file=", "--user=root",
		       "--interface=" TAP_A, "--bind-interfaces", range,
		       "--dhcp-authoritative", "--log-dhcp", lease_opt, host,
		       NULL},
		   NULL, 0);
}

static void write_udhcpc_script(void)
{
	FILE *f = fopen(script, "w");

	cr_assert_not_null(f);
	/* busybox udhcpc(8): $ip, $mask (prefix length), $interface. -R
	 * releases the lease at exit and then deconfigures: the address
	 * goes, so B's kernel sends nothing of its own (no ARP reply naming
	 * the lease) between the steps. */
	fprintf(f,
		"#!/bin/sh\n"
		"case \"$1\" in\n"
		"bound|renew)\n"
		"\tip address flush dev \"$interface\"\n"
		"\tip address add \"$ip/$mask\" dev \"$interface\"\n"
		"\techo \"$ip\" >%s\n"
		"\t;;\n"
		"deconfig)\n"
		"\tip address flush dev \"$interface\"\n"
		"\t;;\n"
		"esac\n",
		leased);
	fclose(f);
	cr_assert_eq(chmod(script, 0755), 0);
}

/* A DHCP exchange on B's TAP; @request: the address to ask for, or NULL.
 * Return: the address leased. */
static void dhcp(const char *request, char *ip, size_t len)
{
	struct child c;
	/* -R: release the lease on exit, so dnsmasq may give the next
	 * request another address. */
	const char *argv[20] = {"/usr/bin/busybox",
				"udhcpc",
				"-i",
				TAP_B,
				"-f",
				"-q",
				"-n",
				"-R",
				"-t",
				"10",
				"-T",
				"1",
				"-s",
				script};
	int n = 14;

	child_init(&c);
	if (request) {
		argv[n++] = "-r";
		argv[n++] = request;
	}
	argv[n] = NULL;
	start_prog(&c, argv, NULL, 0);
	int st = child_wait_exit(&c, WAIT_MS);
	cr_assert_eq(st, 0, "udhcpc failed (%d):\n%s\ndnsmasq:\n%s", st, c.err,
		     dns.err);
	FILE *f = fopen(leased, "r");
	cr_assert_not_null(f, "no lease written:\n%s", c.err);
	cr_assert_not_null(fgets(ip, (int)len, f));
	fclose(f);
	ip[strcspn(ip, "\n")] = '\0';
}

/* /sys shows the namespace it was mounted in, not the test's: ask the
 * kernel. */
static void read_mac(const char *ifname, char *mac, size_t len)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	const unsigned char *h = (unsigned char *)ifr.ifr_hwaddr.sa_data;

	cr_assert_geq(s, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	cr_assert_eq(ioctl(s, SIOCGIFHWADDR, &ifr), 0, "%s: %s", ifname,
		     strerror(errno));
	close(s);
	snprintf(mac, len, "%02x:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2],
		 h[3], h[4], h[5]);
}

static json_object *read_addr_file(void)
{
	json_object *j = json_object_from_file(addr_file);

	cr_assert_not_null(j, "%s: not JSON", addr_file);
	return j;
}

static const char *get_str(json_object *j, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(j, key, &v) ||
	    json_object_get_type(v) != json_type_string)
		return NULL;
	return json_object_get_string(v);
}

static bool has_ipv6(json_object *j, const char *want)
{
	json_object *arr;

	if (!json_object_object_get_ex(j, "ipv6", &arr))
		return false;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (strcmp(json_object_get_string(
			       json_object_array_get_idx(arr, i)),
			   want) == 0)
			return true;
	return false;
}

/* Wait for A to log that it learned @text after what the last call
 * matched, then read the file, which A writes before that line. */
static json_object *expect_learned(const char *text)
{
	int n = 1;

	for (const char *p = a.err; (p = strstr(p, text)) && p < a.err + a_seen;
	     p++)
		n++;
	cr_assert(child_wait_for_nth(&a, false, text, n, WAIT_MS),
		  "helper A never logged '%s' (again):\n%s", text, a.err);
	const char *p = a.err;
	for (int i = 0; i < n; i++)
		p = strstr(i ? p + 1 : p, text);
	a_seen = (size_t)(p - a.err) + strlen(text);
	return read_addr_file();
}

/* Send a hand-built frame out of B's TAP, as the guest's kernel would. */
static void send_on_b(const uint8_t *f, size_t n)
{
	int s = test_packet_socket(TAP_B, 0x0003 /* ETH_P_ALL */);

	cr_assert_eq(send(s, f, n, 0), (ssize_t)n, "%s", strerror(errno));
	close(s);
}

static void need_tools(void)
{
	test_need_private_netns();
	if (!find_dnsmasq())
		cr_skip_test("dnsmasq is not installed (apt-get install "
			     "dnsmasq-base)");
	if (access("/usr/bin/busybox", X_OK) != 0)
		cr_skip_test("busybox is not installed (apt-get install "
			     "busybox-static)");
	test_quiet_netns(); /* IPv6 only from the frames sent below */
}

Test(guest_addrs, learned_from_dhcp_then_arp_ndp_and_a_new_lease,
     .timeout = 120)
{
	char ip[32], mac[32], want[128];
	uint8_t f[TEST_FRAME_MAX], m[6];
	json_object *j;

	need_tools();
	start_helpers((const char *const[]){"--address-file", addr_file,
					    "--stats-interval", "1", NULL});
	run_ok("ip address add 10.77.0.1/24 dev " TAP_A);
	/* Up to .57 only: dnsmasq picks from the range by a hash of the MAC,
	 * which is random; step 4 must lease another address than step 1
	 * (step 6 leases the same one again). */
	start_dnsmasq(57, NULL);
	write_udhcpc_script();
	read_mac(TAP_B, mac, sizeof(mac));
	tf_mac(mac, m);

	/* 1. A real lease: dnsmasq's ACK to the guest's MAC. */
	dhcp(NULL, ip, sizeof(ip));
	snprintf(want, sizeof(want), "ipv4 %s (dhcp)", ip);
	j = expect_learned(want);
	cr_assert_str_eq(get_str(j, "mac"), mac);
	cr_assert_str_eq(get_str(j, "ipv4"), ip);
	cr_assert_str_eq(get_str(j, "ipv4_source"), "dhcp");
	json_object_put(j);

	/* 2. The guest takes another address itself and says so by ARP. */
	send_on_b(f, tf_arp(f, m, "10.77.0.200", "10.77.0.1"));
	j = expect_learned("ipv4 10.77.0.200 (arp)");
	cr_assert_str_eq(get_str(j, "ipv4"), "10.77.0.200");
	cr_assert_str_eq(get_str(j, "ipv4_source"), "arp");
	json_object_put(j);

	/* 3. IPv6 from a Neighbor Advertisement: source and target. */
	send_on_b(f, tf_ndp_na(f, m, "fe80::5054:ff:fe00:1", "fd77::5"));
	j = expect_learned("fd77::5");
	cr_assert(has_ipv6(j, "fe80::5054:ff:fe00:1"));
	cr_assert(has_ipv6(j, "fd77::5"));
	json_object_put(j);

	/* 4. A new lease for another address replaces the ARP one: the
	 * server now reserves .58 for the guest. */
	child_kill(&dns);
	child_init(&dns);
	snprintf(want, sizeof(want), "--dhcp-host=%s,10.77.0.58", mac);
	start_dnsmasq(60, want);
	dhcp(NULL, ip, sizeof(ip));
	cr_assert_str_eq(ip, "10.77.0.58", "dnsmasq gave %s", ip);
	j = expect_learned("ipv4 10.77.0.58 (dhcp)");
	cr_assert_str_eq(get_str(j, "ipv4"), "10.77.0.58");
	json_object_put(j);

	/* 5. The guest names its own address again: the later wins, also
	 * when it is one it had before. */
	send_on_b(f, tf_arp(f, m, "10.77.0.200", "10.77.0.1"));
	j = expect_learned("ipv4 10.77.0.200 (arp)");
	cr_assert_str_eq(get_str(j, "ipv4"), "10.77.0.200");
	json_object_put(j);

	/* 6. And the same lease, renewed, wins back. */
	dhcp(NULL, ip, sizeof(ip));
	cr_assert_str_eq(ip, "10.77.0.58", "dnsmasq gave %s", ip);
	j = expect_learned("ipv4 10.77.0.58 (dhcp)");
	cr_assert_str_eq(get_str(j, "ipv4"), "10.77.0.58");
	cr_assert_str_eq(get_str(j, "ipv4_source"), "dhcp");
	json_object_put(j);

	/* 7. The stats line carries it too. */
	cr_assert(child_wait_for(&a, false, "\"guest\":{\"mac\":", WAIT_MS),
		  "no guest object in the stats line:\n%s", a.err);

	/* 8. SIGTERM: the file goes with the helper. */
	kill(a.pid, SIGTERM);
	cr_assert_eq(child_wait_exit(&a, WAIT_MS), 0, "%s", a.err);
	cr_assert_neq(access(addr_file, F_OK), 0, "address file left behind");
}

Test(guest_addrs, vlan_frames_and_other_macs_teach_nothing, .timeout = 60)
{
	uint8_t f[TEST_FRAME_MAX], other_mac[6];
	char mac[32];
	size_t n;

	need_tools();
	start_helpers(
	    (const char *const[]){"--learn-addresses", "--verbose", NULL});
	read_mac(TAP_B, mac, sizeof(mac));
	uint8_t m[6];
	tf_mac(mac, m);
	tf_mac("52:54:00:aa:bb:cc", other_mac);
	/* The guest's first frame teaches its MAC; then a tagged ARP from it
	 * and an ARP from another MAC, then one real ARP as a marker. */
	send_on_b(f, tf_ipv6_udp(f, m, "fe80::1", "ff02::fb"));
	cr_assert(child_wait_for(&a, false, "ipv6 fe80::1", WAIT_MS), "%s",
		  a.err);
	n = tf_vlan_tag(f, tf_arp(f, m, "10.77.0.33", "10.77.0.1"), 5);
	send_on_b(f, n);
	send_on_b(f, tf_arp(f, other_mac, "10.77.0.44", "10.77.0.1"));
	send_on_b(f, tf_arp(f, m, "10.77.0.55", "10.77.0.1"));
	cr_assert(child_wait_for(&a, false, "ipv4 10.77.0.55 (arp)", WAIT_MS),
		  "%s", a.err);
	cr_assert_null(strstr(a.err, "10.77.0.33"), "learned a VLAN's:\n%s",
		       a.err);
	cr_assert_null(strstr(a.err, "10.77.0.44"), "learned another MAC's");
}

Test(guest_addrs, pidfile_locked_written_and_removed_on_sigterm, .timeout = 60)
{
	char buf[32], want[32];

	test_need_private_netns();
	start_helpers((const char *const[]){"--pidfile", pid_file, NULL});
	test_read_file(pid_file, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%d\n", (int)a.pid);
	cr_assert_str_eq(buf, want);

	/* A second helper on the same pidfile stops before any TAP. */
	start_prog(&other,
		   (const char *const[]){child_program("vmnet-helper"), "--fd",
					 "3", "--tap", "vmhgc0", "--pidfile",
					 pid_file, NULL},
		   (struct child_fd[]){{3, sv[1]}}, 1);
	cr_assert_eq(child_wait_exit(&other, WAIT_MS), 1, "%s", other.err);
	snprintf(want, sizeof(want), "is in use: helper %d holds it",
		 (int)a.pid);
	cr_assert(strstr(other.err, want), "%s", other.err);
	cr_assert_eq(if_nametoindex("vmhgc0"), 0, "the second made a TAP");

	kill(a.pid, SIGTERM);
	cr_assert_eq(child_wait_exit(&a, WAIT_MS), 0, "%s", a.err);
	cr_assert_neq(access(pid_file, F_OK), 0, "pidfile left after SIGTERM");
}

Test(guest_addrs, pidfile_and_address_file_removed_when_the_vm_leaves,
     .timeout = 60)
{
	uint8_t f[TEST_FRAME_MAX], m[6];
	char mac[32];

	test_need_private_netns();
	start_helpers((const char *const[]){"--pidfile", pid_file,
					    "--address-file", addr_file, NULL});
	read_mac(TAP_B, mac, sizeof(mac));
	tf_mac(mac, m);
	send_on_b(f, tf_arp(f, m, "10.77.0.9", "10.77.0.1"));
	json_object *j = expect_learned("ipv4 10.77.0.9 (arp)");
	json_object_put(j);
	cr_assert_eq(access(pid_file, F_OK), 0);

	/* The VM goes: B exits and its end of the cable closes. */
	kill(b.pid, SIGKILL);
	close(sv[1]);
	sv[1] = -1;
	cr_assert_eq(child_wait_exit(&a, WAIT_MS), 0, "%s", a.err);
	cr_assert(strstr(a.err, "the VM closed its socket"), "%s", a.err);
	cr_assert_neq(access(pid_file, F_OK), 0, "pidfile left behind");
	cr_assert_neq(access(addr_file, F_OK), 0, "address file left behind");
}
