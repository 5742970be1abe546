/* SPDX-License-Identifier: Apache-2.0 */
/* test_scale.c - many helpers on one bridge: N vmnet-helpers, each on its own
 * TAP on one Linux bridge, each serving a VM the test plays over the
 * helper's datagram socket (--fd for even VMs, --socket for odd ones). Every
 * VM reaches every other VM and the host, no unicast frame reaches a VM it
 * is not for, and every frame is in the helpers' final counters. Also the
 * MTU a bridge with a VXLAN port serves, and the frames above it, counted
 * each way. Root, in a network namespace of the test's own (testutil.h). */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "testutil.h"

#define MAX_VMS	  64
#define BRIDGE	  "vmhsbr0"
#define HOST_IP	  "192.0.2.1"
#define WAIT_MS	  20000	 /* per phase; generous for 64 ASan helpers */
#define ETHERTYPE 0x88b5 /* IEEE local experimental */
#define FRAME_LEN 60
#define MAGIC	  "vmh-scale"

/* Our frames: what kind, from which VM to which. */
enum kind { K_HELLO = 'H', K_LEARN = 'L', K_UNICAST = 'U', K_END = 'E' };

struct vm {
	struct child helper;
	int fd; /* the VM's end of the helper's socket */
	bool by_path;
	unsigned char mac[6];
	uint32_t ip; /* host order */
	/* What arrived, by sender. */
	bool learn[MAX_VMS], unicast[MAX_VMS], end[MAX_VMS];
	unsigned arp_requests, arp_replies;
	uint64_t rx, tx; /* frames, to compare with the helper's counters */
	char unexpected[512];
};

static struct vm *vms;
static int nvms;
static char dir[64];

static const unsigned char bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
/* 802.1AB nearest bridge: a bridge never forwards it (br_input.c passes
 * 01:80:c2:00:00:0e up the port's own stack), so a hello to it makes a
 * --socket helper learn its client and floods nobody. */
static const unsigned char nearest_bridge[6] = {0x01, 0x80, 0xc2,
						0x00, 0x00, 0x0e};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void cleanup(void)
{
	char path[128];

	for (int i = 0; vms && i < nvms; i++) {
		child_kill(&vms[i].helper);
		if (vms[i].fd >= 0)
			close(vms[i].fd);
	}
	if (dir[0]) {
		/* What a killed helper or a failed test left behind. */
		for (int i = 0; i < nvms; i++) {
			static const char *const names[] = {"v%d", "h%d",
							    "h%d.lock"};

			for (int k = 0; k < 3; k++) {
				char name[16];

				snprintf(name, sizeof(name), names[k], i);
				snprintf(path, sizeof(path), "%s/%s", dir,
					 name);
				unlink(path);
			}
		}
		rmdir(dir);
		dir[0] = '\0';
	}
	free(vms);
	vms = NULL;
}

TestSuite(scale, .fini = cleanup);

static void parse_mac(const char *json, unsigned char mac[6])
{
	const char *p = strstr(json, "\"vmnet_mac_address\":\"");

	cr_assert_not_null(p, "no MAC in %s", json);
	p += strlen("\"vmnet_mac_address\":\"");
	cr_assert_eq(sscanf(p, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &mac[0],
			    &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]),
		     6, "bad MAC in %s", json);
}

/* Start helper @i on TAP vmhs@i, a port of BRIDGE; @extra (NULL-ended)
 * go at the end of its command line. Waits for nothing. */
static void start_helper(int i, const char *const *extra)
{
	struct vm *v = &vms[i];
	char tap[16], path[96], *argv[24];
	char *env[] = {"SUDO_UID", "SUDO_GID", NULL};
	struct child_fd pass = {3, -1};
	int sv[2], n = 0, r;

	snprintf(tap, sizeof(tap), "vmhs%d", i);
	argv[n++] = (char *)child_program("vmnet-helper");
	if (v->by_path) {
		snprintf(path, sizeof(path), "%s/h%d", dir, i);
		argv[n++] = "--socket";
		argv[n++] = path;
	} else {
		cr_assert_eq(
		    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0,
		    "socketpair: %s", strerror(errno));
		v->fd = sv[0];
		pass.from = sv[1];
		argv[n++] = "--fd";
		argv[n++] = "3";
	}
	argv[n++] = "--tap";
	argv[n++] = tap;
	argv[n++] = "--bridge";
	argv[n++] = BRIDGE;
	for (; extra && *extra && n < 23; extra++)
		argv[n++] = (char *)*extra;
	argv[n] = NULL;
	r = child_start(&v->helper, argv, env, v->by_path ? NULL : &pass,
			v->by_path ? 0 : 1);
	cr_assert_eq(r, 0, "cannot start %s: %s", argv[0], strerror(-r));
	if (!v->by_path)
		close(sv[1]);
}

static size_t make_frame(unsigned char *f, const unsigned char *dst,
			 const unsigned char *src, enum kind k, int from,
			 int to)
{
	memset(f, 0, FRAME_LEN);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = ETHERTYPE >> 8;
	f[13] = ETHERTYPE & 0xff;
	snprintf((char *)f + 14, FRAME_LEN - 14, MAGIC " %c %d %d", (char)k,
		 from, to);
	return FRAME_LEN;
}

static void vm_send(int i, const unsigned char *f, size_t len)
{
	cr_assert_eq(send(vms[i].fd, f, len, 0), (ssize_t)len,
		     "VM %d: send: %s", i, strerror(errno));
	vms[i].tx++;
}

static void send_ours(int i, const unsigned char *dst, enum kind k, int to)
{
	unsigned char f[FRAME_LEN];

	vm_send(i, f, make_frame(f, dst, vms[i].mac, k, i, to));
}

/* The VM behind the helper with --socket: bound beside it, connected to
 * it, and known to it once its hello arrived. */
static void connect_by_path(int i)
{
	struct sockaddr_un me = {.sun_family = AF_UNIX},
			   to = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	snprintf(me.sun_path, sizeof(me.sun_path), "%s/v%d", dir, i);
	snprintf(to.sun_path, sizeof(to.sun_path), "%s/h%d", dir, i);
	cr_assert_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0,
		     "bind %s: %s", me.sun_path, strerror(errno));
	cr_assert_eq(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0,
		     "connect %s: %s", to.sun_path, strerror(errno));
	vms[i].fd = fd;
	send_ours(i, nearest_bridge, K_HELLO, -1);
	cr_assert(
	    child_wait_for(&vms[i].helper, false, "serving client", WAIT_MS),
	    "helper %d never served its client; stderr:\n%s", i,
	    vms[i].helper.err);
}

static void note(struct vm *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note(struct vm *v, const char *fmt, ...)
{
	size_t len = strlen(v->unexpected);
	va_list ap;

	if (len + 2 >= sizeof(v->unexpected))
		return;
	va_start(ap, fmt);
	vsnprintf(v->unexpected + len, sizeof(v->unexpected) - len, fmt, ap);
	va_end(ap);
}

/* An ARP frame at VM @j: requests are broadcasts from other VMs; a reply
 * must be the host's, to this VM. */
static void take_arp(int j, const unsigned char *f, ssize_t n)
{
	struct vm *v = &vms[j];
	uint32_t tip;

	if (n < 42) {
		note(v, "[short ARP] ");
		return;
	}
	memcpy(&tip, f + 38, 4);
	if (f[21] == 1 && memcmp(f, bcast, 6) == 0) {
		v->arp_requests++;
	} else if (f[21] == 2 && memcmp(f, v->mac, 6) == 0 &&
		   memcmp(f + 32, v->mac, 6) == 0 && ntohl(tip) == v->ip) {
		v->arp_replies++;
	} else {
		note(v, "[ARP op %d for %02x:%02x:%02x:%02x:%02x:%02x] ", f[21],
		     f[0], f[1], f[2], f[3], f[4], f[5]);
	}
}

/* One frame that arrived at VM @j, sorted into what it expects. */
static void take(int j, unsigned char *f, ssize_t n)
{
	struct vm *v = &vms[j];
	char k;
	int from, to;

	v->rx++;
	if (n >= 14 && f[12] == 0x08 && f[13] == 0x06) {
		take_arp(j, f, n);
		return;
	}
	if (n != FRAME_LEN || f[12] != (ETHERTYPE >> 8) ||
	    f[13] != (ETHERTYPE & 0xff)) {
		note(v,
		     "[%zd bytes, ethertype %02x%02x, from "
		     "%02x:%02x:%02x:%02x:%02x:%02x to "
		     "%02x:%02x:%02x:%02x:%02x:%02x] ",
		     n, f[12], f[13], f[6], f[7], f[8], f[9], f[10], f[11],
		     f[0], f[1], f[2], f[3], f[4], f[5]);
		return;
	}
	f[FRAME_LEN - 1] = '\0';
	if (sscanf((char *)f + 14, MAGIC " %c %d %d", &k, &from, &to) != 3 ||
	    from < 0 || from >= nvms || from == j) {
		note(v, "[unknown frame '%s'] ", (char *)f + 14);
		return;
	}
	if (k == K_LEARN && memcmp(f, bcast, 6) == 0)
		v->learn[from] = true;
	else if (k == K_END && memcmp(f, bcast, 6) == 0)
		v->end[from] = true;
	else if (k == K_UNICAST && to == j && memcmp(f, v->mac, 6) == 0 &&
		 !v->unicast[from])
		v->unicast[from] = true;
	else
		/* A unicast for another VM here means the bridge flooded
		 * it: the failure this test is about. */
		note(v, "[%c %d -> %d] ", k, from, to);
}

/* Read every VM's socket until @done() holds or WAIT_MS passes. */
static bool pump_until(bool (*done)(void))
{
	struct pollfd p[MAX_VMS];
	long deadline = now_ms() + WAIT_MS;
	unsigned char f[2048];

	while (!done()) {
		long left = deadline - now_ms();

		if (left <= 0)
			return false;
		for (int i = 0; i < nvms; i++)
			p[i] =
			    (struct pollfd){.fd = vms[i].fd, .events = POLLIN};
		if (poll(p, (nfds_t)nvms, (int)left) <= 0)
			continue;
		for (int i = 0; i < nvms; i++) {
			ssize_t n;

			if (!(p[i].revents & POLLIN))
				continue;
			while ((n = recv(vms[i].fd, f, sizeof(f),
					 MSG_DONTWAIT)) > 0)
				take(i, f, n);
		}
	}
	return true;
}

/* Whether every VM has @field from every other. */
static bool all_from_all(size_t offset)
{
	for (int j = 0; j < nvms; j++) {
		const bool *got =
		    (const bool *)((const char *)&vms[j] + offset);

		for (int i = 0; i < nvms; i++)
			if (i != j && !got[i])
				return false;
	}
	return true;
}

static bool learned(void)
{
	return all_from_all(offsetof(struct vm, learn));
}

static bool unicasts_in(void)
{
	return all_from_all(offsetof(struct vm, unicast));
}

static bool ends_in(void)
{
	return all_from_all(offsetof(struct vm, end));
}

static bool arp_done(void)
{
	for (int j = 0; j < nvms; j++)
		if (vms[j].arp_replies < 1 ||
		    vms[j].arp_requests < (unsigned)(nvms - 1))
			return false;
	return true;
}

static void send_arp_request(int i)
{
	unsigned char f[60] = {0};
	uint32_t sip = htonl(vms[i].ip), tip;

	inet_pton(AF_INET, HOST_IP, &tip);
	memcpy(f, bcast, 6);
	memcpy(f + 6, vms[i].mac, 6);
	f[12] = 0x08, f[13] = 0x06;		    /* ARP */
	f[14] = 0x00, f[15] = 0x01;		    /* Ethernet */
	f[16] = 0x08, f[17] = 0x00;		    /* IPv4 */
	f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1; /* request */
	memcpy(f + 22, vms[i].mac, 6);
	memcpy(f + 28, &sip, 4);
	memcpy(f + 38, &tip, 4);
	vm_send(i, f, sizeof(f));
}

static struct json_object *final_counters(int i)
{
	const char *line = strstr(vms[i].helper.err, "final counters ");
	enum json_tokener_error jerr;
	struct json_object *o;

	cr_assert_not_null(line, "helper %d: no final counters:\n%s", i,
			   vms[i].helper.err);
	line += strlen("final counters ");
	o = json_tokener_parse_verbose(line, &jerr);
	cr_assert_not_null(o, "helper %d: final counters: %s", i,
			   json_tokener_error_desc(jerr));
	return o;
}

static uint64_t counter(struct json_object *o, const char *dir_key,
			const char *key)
{
	struct json_object *d, *v;

	cr_assert(json_object_object_get_ex(o, dir_key, &d), "no %s", dir_key);
	cr_assert(json_object_object_get_ex(d, key, &v), "no %s.%s", dir_key,
		  key);
	return (uint64_t)json_object_get_int64(v);
}

/* Stop every helper with SIGTERM; each must exit 0 with final counters
 * that hold exactly what its VM sent and received, and no drop. */
static void stop_and_account(void)
{
	for (int i = 0; i < nvms; i++)
		kill(vms[i].helper.pid, SIGTERM);
	for (int i = 0; i < nvms; i++) {
		struct vm *v = &vms[i];
		int st = child_wait_exit(&v->helper, WAIT_MS);
		struct json_object *o;

		cr_assert_eq(st, 0, "helper %d exited with %d:\n%s", i, st,
			     v->helper.err);
		o = final_counters(i);
		cr_expect_eq(counter(o, "vm", "packets"), v->tx,
			     "helper %d: vm.packets %" PRIu64
			     ", VM sent %" PRIu64,
			     i, counter(o, "vm", "packets"), v->tx);
		cr_expect_eq(counter(o, "host", "packets"), v->rx,
			     "helper %d: host.packets %" PRIu64
			     ", VM got %" PRIu64,
			     i, counter(o, "host", "packets"), v->rx);
		cr_expect_eq(counter(o, "vm", "drops"), 0, "helper %d", i);
		cr_expect_eq(counter(o, "host", "drops"), 0, "helper %d", i);
		json_object_put(o);
	}
}

static void setup_vms(int n)
{
	test_need_private_netns();
	test_quiet_netns();
	nvms = n;
	vms = calloc((size_t)n, sizeof(*vms));
	cr_assert_not_null(vms);
	for (int i = 0; i < n; i++) {
		vms[i].fd = -1;
		vms[i].helper.pid = -1;
		vms[i].helper.pidfd = -1;
		vms[i].helper.out_fd = vms[i].helper.err_fd = -1;
		vms[i].by_path = i % 2 == 1;
		vms[i].ip = 0xc0000200u + 10 + (uint32_t)i; /* 192.0.2.10+i */
	}
	strcpy(dir, "/tmp/vmh-scale-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

/* Start all helpers at once, then wait for each JSON line; a --socket VM
 * then says hello, so its helper knows it before any frame comes its
 * way. */
static void start_all(const char *const *extra)
{
	for (int i = 0; i < nvms; i++)
		start_helper(i, extra);
	for (int i = 0; i < nvms; i++) {
		struct vm *v = &vms[i];

		cr_assert(child_wait_for(&v->helper, true, "}\n", WAIT_MS),
			  "helper %d printed no JSON line; stderr:\n%s", i,
			  v->helper.err);
		parse_mac(v->helper.out, v->mac);
		if (v->by_path)
			connect_by_path(i);
	}
}

/*
 * The phases, each waited for by what arrives (never by time):
 * 1. every VM broadcasts once: the bridge learns each VM's MAC on its port
 *    before it floods the frame, so once a broadcast has reached the
 *    others, its sender is known;
 * 2. every VM asks the host for its MAC (ARP for the bridge's address) and
 *    gets the answer, to itself only;
 * 3. every VM sends one unicast frame to every other VM;
 * 4. every VM broadcasts an end marker (with two VMs or more). A frame from VM
 * i reaches VM j on one path in order (i's socket and ring, i's TAP, the
 * bridge, j's TAP, j's ring and socket), so once j has i's end marker it has
 * everything i sent before it; what came besides the expected frames was
 * flooded.
 */
static void many_helpers_on_one_bridge(int n)
{
	setup_vms(n);
	/* Snooping off: with it, the bridge joins 224.0.0.106 (multicast
	 * router discovery) and reports that to every port, at times of its
	 * choosing. */
	test_run("ip link add " BRIDGE " type bridge mcast_snooping 0 && "
		 "ip link set " BRIDGE " up && ip addr add " HOST_IP
		 "/24 dev " BRIDGE);
	start_all(NULL);

	for (int i = 0; i < nvms; i++)
		send_ours(i, bcast, K_LEARN, -1);
	cr_assert(pump_until(learned), "not every VM's broadcast reached "
				       "every other VM");

	for (int i = 0; i < nvms; i++)
		send_arp_request(i);
	cr_assert(pump_until(arp_done), "not every VM had the host's ARP "
					"reply (and every other's request)");

	for (int i = 0; i < nvms; i++)
		for (int j = 0; j < nvms; j++)
			if (i != j)
				send_ours(i, vms[j].mac, K_UNICAST, j);
	cr_assert(pump_until(unicasts_in), "a unicast frame between two VMs "
					   "did not arrive");

	/* Alone, a VM has no one to see its marker, and the helper would be
	 * stopped with it in flight: the ARP reply already ordered the rest. */
	for (int i = 0; nvms > 1 && i < nvms; i++)
		send_ours(i, bcast, K_END, -1);
	cr_assert(pump_until(ends_in), "an end marker did not arrive");

	for (int j = 0; j < nvms; j++) {
		cr_expect_str_empty(vms[j].unexpected,
				    "VM %d got frames not for it: %s", j,
				    vms[j].unexpected);
		cr_expect_eq(vms[j].arp_replies, 1, "VM %d: %u ARP replies", j,
			     vms[j].arp_replies);
		cr_expect_eq(vms[j].arp_requests, (unsigned)(nvms - 1),
			     "VM %d: %u ARP requests", j, vms[j].arp_requests);
	}
	stop_and_account();
}

Test(scale, one_helper_on_a_bridge_reaches_the_host, .timeout = 120)
{
	many_helpers_on_one_bridge(1);
}

Test(scale, two_helpers_on_a_bridge_reach_each_other_without_flooding,
     .timeout = 120)
{
	many_helpers_on_one_bridge(2);
}

Test(scale, four_helpers_on_a_bridge_reach_each_other_without_flooding,
     .timeout = 120)
{
	many_helpers_on_one_bridge(4);
}

Test(scale, sixteen_helpers_on_a_bridge_reach_each_other_without_flooding,
     .timeout = 120)
{
	many_helpers_on_one_bridge(16);
}

Test(scale, sixty_four_helpers_on_a_bridge_reach_each_other_without_flooding,
     .timeout = 300)
{
	many_helpers_on_one_bridge(64);
}

/* A frame of @len bytes of our ethertype, broadcast from VM 0. */
static size_t sized_frame(unsigned char *f, size_t len, char mark)
{
	make_frame(f, bcast, vms[0].mac, K_LEARN, 0, -1);
	memset(f + FRAME_LEN, mark, len - FRAME_LEN);
	return len;
}

/* Wait on AF_PACKET socket @fd for a frame of exactly @len bytes. */
static bool host_sees(int fd, size_t len)
{
	long deadline = now_ms() + WAIT_MS;
	unsigned char f[2048];

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return false;
		n = recv(fd, f, sizeof(f), MSG_DONTWAIT);
		if (n == (ssize_t)len && f[12] == (ETHERTYPE >> 8))
			return true;
	}
}

/* Wait on VM 0's socket for a frame of exactly @len bytes. */
static bool vm_sees(size_t len)
{
	long deadline = now_ms() + WAIT_MS;
	unsigned char f[2048];

	for (;;) {
		struct pollfd p = {.fd = vms[0].fd, .events = POLLIN};
		long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return false;
		n = recv(vms[0].fd, f, sizeof(f), MSG_DONTWAIT);
		if (n == (ssize_t)len)
			return true;
	}
}

/*
 * A bridge with a VXLAN port takes frames of at most 1450 + 14 bytes: the
 * helper serves that MTU, says so in its JSON line, and counts what is
 * longer, each way, under drop_truncated. Each long frame is followed by one
 * that fits on the same path, so once that one is through, the long one was
 * handled (frames on one path stay in order).
 */
Test(scale, bridge_with_vxlan_port_serves_its_mtu_and_counts_longer_frames,
     .timeout = 120)
{
	unsigned char f[1514];
	struct json_object *o;
	int tap_fd;

	setup_vms(1);
	vms[0].by_path = false;
	test_run("ip link add ul0 type veth peer name ul1 && "
		 "ip addr add 198.51.100.1/24 dev ul0 && ip link set ul0 up && "
		 "ip link set ul1 up && "
		 "ip link add vx0 type vxlan id 42 local 198.51.100.1 "
		 "remote 198.51.100.2 dstport 4789 dev ul0 && "
		 "ip link add " BRIDGE " type bridge mcast_snooping 0 && "
		 "ip link set vx0 master " BRIDGE " && ip link set vx0 up && "
		 "ip link set " BRIDGE " up");
	start_all(NULL);
	cr_assert(strstr(vms[0].helper.out, "\"vmnet_mtu\":1450,"
					    "\"vmnet_max_packet_size\":1464"),
		  "%s", vms[0].helper.out);
	tap_fd = test_packet_socket("vmhs0", ETH_P_ALL);

	/* VM to host: 1465 bytes is one too many. */
	vm_send(0, f, sized_frame(f, 1465, 'x'));
	vm_send(0, f, sized_frame(f, 1464, 'y'));
	cr_assert(host_sees(tap_fd, 1464), "the 1464-byte frame did not come");

	/* Host to VM: the kernel sends nothing above the TAP's MTU, so raise
	 * it by hand, as a user might after start. */
	test_run("ip link set vmhs0 mtu 1500");
	cr_assert_eq(send(tap_fd, f, sized_frame(f, 1514, 'z'), 0), 1514,
		     "AF_PACKET send: %s", strerror(errno));
	cr_assert_eq(send(tap_fd, f, sized_frame(f, 1464, 'w'), 0), 1464,
		     "AF_PACKET send: %s", strerror(errno));
	cr_assert(vm_sees(1464), "the 1464-byte frame did not reach the VM");
	close(tap_fd);

	kill(vms[0].helper.pid, SIGTERM);
	cr_assert_eq(child_wait_exit(&vms[0].helper, WAIT_MS), 0, "%s",
		     vms[0].helper.err);
	o = final_counters(0);
	cr_expect_eq(counter(o, "vm", "drop_truncated"), 1);
	cr_expect_eq(counter(o, "vm", "drops"), 1);
	cr_expect_eq(counter(o, "host", "drop_truncated"), 1);
	cr_expect_eq(counter(o, "host", "drops"), 1);
	json_object_put(o);
	cr_expect(
	    strstr(vms[0].helper.err, "lowered from 1500 to match bridge"),
	    "%s", vms[0].helper.err);
}
