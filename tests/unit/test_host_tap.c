/* SPDX-License-Identifier: Apache-2.0 */
/* test_host_tap.c - the Linux host side: TAP devices, bridges, MACs, MTUs
 * and real ARP and ping through the kernel, each test in its own network
 * namespace. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "pool.h"
#include "testutil.h"

#define TEST_BATCH 8

/* The first line `cmd` prints, without its newline. */
static void output_of(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");

	cr_assert_not_null(f, "popen '%s': %s", cmd, strerror(errno));
	if (!fgets(out, (int)len, f))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	pclose(f);
}

static struct host_config config(const char *tap)
{
	struct host_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.tap = tap;
	cfg.max_batch = TEST_BATCH;
	return cfg;
}

static struct endpoint *open_ok(const struct host_config *cfg,
				struct host_info *info)
{
	struct endpoint *ep = NULL;
	char err[256] = "";
	int r;

	r = host_open(cfg, &ep, info, err, sizeof(err));
	cr_assert_eq(r, 0, "host_open: %d (%s)", r, err);
	cr_assert_not_null(ep);
	return ep;
}

static void parse_mac(const char *s, unsigned char mac[6])
{
	cr_assert_eq(sscanf(s, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &mac[0],
			    &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]),
		     6, "not a MAC: '%s'", s);
	cr_assert_eq(strlen(s), 17, "not a MAC: '%s'", s);
}

static bool link_is_up(const char *name)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r;

	cr_assert_geq(fd, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	r = ioctl(fd, SIOCGIFFLAGS, &ifr);
	close(fd);
	cr_assert_eq(r, 0, "flags of %s: %s", name, strerror(errno));
	return ifr.ifr_flags & IFF_UP;
}

static bool is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
			return false;
	}
	return true;
}

Test(host_tap, list_shared_interfaces_is_macos_only)
{
	char err[256] = "";

	cr_assert_eq(host_list_shared_interfaces(stdout, err, sizeof(err)),
		     -ENOTSUP);
	cr_assert_not_null(strstr(err, "--bridge"), "message: %s", err);
}

Test(host_tap, creates_named_tap_that_is_up)
{
	struct host_config cfg = config("tap-test0");
	struct host_info info;
	struct endpoint *ep;
	unsigned char mac[6];

	test_need_private_netns();
	ep = open_ok(&cfg, &info);
	cr_expect_str_eq(info.tap_name, "tap-test0");
	cr_expect_str_eq(ep->name, "tap-test0");
	cr_expect(link_is_up("tap-test0"));
	cr_expect_eq(info.mtu, 1500);
	cr_expect_eq(info.max_packet_size, 1514);
	cr_expect_eq(ep->max_frame, 1514);
	cr_expect_geq(ep->fd, 0);
	cr_expect_eq(info.read_max_packets, TEST_BATCH);
	cr_expect_eq(info.write_max_packets, TEST_BATCH);
	parse_mac(info.mac_address, mac);
	cr_expect(mac[0] & 0x02, "not locally administered: %s",
		  info.mac_address);
	cr_expect(!(mac[0] & 0x01), "multicast: %s", info.mac_address);
	cr_expect_str_empty(info.bridge);
	cr_expect_str_empty(info.start_address);
	cr_expect_str_empty(info.end_address);
	cr_expect_str_empty(info.subnet_mask);
	endpoint_close(ep);
	/* We created it, so it goes away with the fd. */
	cr_expect_eq(if_nametoindex("tap-test0"), 0);
}

Test(host_tap, same_id_gives_same_mac_and_different_ids_do_not)
{
	static const unsigned char id_a[16] = {
	    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	struct host_config cfg = config("tap-test0");
	struct host_info a1, a2, b;
	struct endpoint *ep;

	test_need_private_netns();
	cfg.interface_id_given = true;
	memcpy(cfg.interface_id, id_a, 16);
	ep = open_ok(&cfg, &a1);
	endpoint_close(ep);
	ep = open_ok(&cfg, &a2);
	endpoint_close(ep);
	cfg.interface_id[15] ^= 1;
	ep = open_ok(&cfg, &b);
	endpoint_close(ep);

	cr_expect_str_eq(a1.interface_id,
			 "00112233-4455-6677-8899-aabbccddeeff");
	cr_expect_str_eq(a1.mac_address, a2.mac_address);
	cr_expect_str_neq(a1.mac_address, b.mac_address);
	cr_expect_str_eq(b.interface_id,
			 "00112233-4455-6677-8899-aabbccddeefe");
}

Test(host_tap, reports_random_uuid_without_id)
{
	struct host_config cfg = config("tap-test0");
	struct host_info a, b;
	struct endpoint *ep;

	test_need_private_netns();
	ep = open_ok(&cfg, &a);
	endpoint_close(ep);
	ep = open_ok(&cfg, &b);
	endpoint_close(ep);
	cr_expect(is_uuid(a.interface_id), "not a UUID: '%s'", a.interface_id);
	cr_expect_eq(a.interface_id[14], '4', "not v4: %s", a.interface_id);
	cr_expect(strchr("89ab", a.interface_id[19]), "bad variant: %s",
		  a.interface_id);
	cr_expect_str_neq(a.interface_id, b.interface_id);
	cr_expect_str_neq(a.mac_address, b.mac_address);
}

Test(host_tap, reported_id_gives_back_the_same_mac)
{
	struct host_config cfg = config("tap-test0");
	struct host_info a, b;
	struct endpoint *ep;
	unsigned v[16];

	test_need_private_netns();
	ep = open_ok(&cfg, &a);
	endpoint_close(ep);
	cr_assert_eq(sscanf(a.interface_id,
			    "%2x%2x%2x%2x-%2x%2x-%2x%2x-%2x%2x-%2x%2x%2x%2x%2x"
			    "%2x",
			    &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			    &v[7], &v[8], &v[9], &v[10], &v[11], &v[12], &v[13],
			    &v[14], &v[15]),
		     16);
	cfg.interface_id_given = true;
	for (int i = 0; i < 16; i++)
		cfg.interface_id[i] = (unsigned char)v[i];
	ep = open_ok(&cfg, &b);
	endpoint_close(ep);
	cr_expect_str_eq(a.mac_address, b.mac_address);
}

Test(host_tap, kernel_chooses_name_without_tap)
{
	struct host_config cfg = config(NULL);
	struct host_info info;
	struct endpoint *ep;

	test_need_private_netns();
	ep = open_ok(&cfg, &info);
	cr_expect_eq(strncmp(info.tap_name, "tap", 3), 0, "name '%s'",
		     info.tap_name);
	cr_expect_neq(if_nametoindex(info.tap_name), 0);
	cr_expect(link_is_up(info.tap_name));
	endpoint_close(ep);
}

/* tun caps a TAP's MTU at 65535 - 14, so the largest frame is 65535. */
Test(host_tap, tso_raises_mtu_to_the_tap_maximum)
{
	struct host_config cfg = config("tap-test0");
	struct host_info info;
	struct endpoint *ep;
	char line[512];

	test_need_private_netns();
	cfg.enable_tso = true;
	ep = open_ok(&cfg, &info);
	cr_expect_eq(info.mtu, 65521);
	cr_expect_eq(info.max_packet_size, 65535);
	cr_expect_eq(ep->max_frame, 65535);
	output_of("ip -o link show dev tap-test0", line, sizeof(line));
	cr_expect_not_null(strstr(line, " mtu 65521 "), "%s", line);
	endpoint_close(ep);
}

Test(host_tap, attaches_to_existing_persistent_tap)
{
	struct host_config cfg = config("tap-persist");
	struct host_info info;
	struct endpoint *ep;

	test_need_private_netns();
	test_run("ip tuntap add dev tap-persist mode tap");
	ep = open_ok(&cfg, &info);
	cr_expect_str_eq(info.tap_name, "tap-persist");
	cr_expect(link_is_up("tap-persist"));
	endpoint_close(ep);
	/* Not ours to delete. */
	cr_expect_neq(if_nametoindex("tap-persist"), 0);
}

Test(host_tap, refuses_a_device_that_is_not_a_tap)
{
	struct host_config cfg = config("lo");
	struct host_info info;
	struct endpoint *ep = NULL;
	char err[256] = "";

	test_need_private_netns();
	cr_expect_eq(host_open(&cfg, &ep, &info, err, sizeof(err)), -EINVAL);
	cr_expect_null(ep);
	cr_expect_not_null(strstr(err, "'lo'"), "message: %s", err);
	cr_expect_not_null(strstr(err, "not a TAP"), "message: %s", err);
}

Test(host_tap, joins_bridge_and_reports_its_subnet)
{
	struct host_config cfg = config("tap-test0");
	struct host_info info;
	struct endpoint *ep;
	char line[512];

	test_need_private_netns();
	test_run("ip link add br-test type bridge && ip link set br-test up && "
		 "ip addr add 192.0.2.1/24 dev br-test");
	cfg.bridge = "br-test";
	ep = open_ok(&cfg, &info);
	output_of("ip -o link show dev tap-test0", line, sizeof(line));
	cr_expect_not_null(strstr(line, " master br-test "), "%s", line);
	cr_expect_str_eq(info.bridge, "br-test");
	cr_expect_str_eq(info.start_address, "192.0.2.1");
	cr_expect_str_eq(info.subnet_mask, "255.255.255.0");
	cr_expect_str_eq(info.end_address, "192.0.2.254");
	endpoint_close(ep);
}

/* A VXLAN port takes 50 bytes of outer headers off its underlay's 1500, so
 * the bridge's MTU is 1450 (the smallest of its ports): the TAP is lowered
 * to it and reports it, so the VM is told the MTU every port takes. */
Test(host_tap, lowers_mtu_to_bridge_with_a_vxlan_port)
{
	struct host_config cfg = config("tap-test0");
	struct host_info info;
	struct endpoint *ep;
	char line[512];

	test_need_private_netns();
	test_run("ip link add ul0 type veth peer name ul1 && "
		 "ip addr add 198.51.100.1/24 dev ul0 && ip link set ul0 up && "
		 "ip link add vx-test type vxlan id 42 local 198.51.100.1 "
		 "remote 198.51.100.2 dstport 4789 dev ul0 && "
		 "ip link add br-test type bridge && "
		 "ip link set vx-test master br-test");
	cfg.bridge = "br-test";
	ep = open_ok(&cfg, &info);
	cr_expect_eq(info.mtu, 1450);
	cr_expect_eq(info.max_packet_size, 1464);
	cr_expect_eq(ep->max_frame, 1464);
	output_of("ip -o link show dev tap-test0", line, sizeof(line));
	cr_expect_not_null(strstr(line, " mtu 1450 "), "%s", line);
	endpoint_close(ep);
}

/* A bridge set to more than the TAP's MTU (jumbo ports) does not raise it:
 * the TAP's own MTU is the smaller, and the one served. */
Test(host_tap, keeps_its_mtu_on_a_bridge_with_a_larger_one)
{
	struct host_config cfg = config("tap-test0");
	struct host_info info;
	struct endpoint *ep;

	test_need_private_netns();
	test_run("ip link add br-test type bridge && "
		 "ip link set br-test mtu 9000");
	cfg.bridge = "br-test";
	ep = open_ok(&cfg, &info);
	cr_expect_eq(info.mtu, 1500);
	cr_expect_eq(info.max_packet_size, 1514);
	endpoint_close(ep);
}

/* TSO asks for the TAP's largest MTU, but a bridge port that takes 1500
 * bytes would drop every larger frame: the bridge's MTU wins. */
Test(host_tap, tso_on_a_bridge_gets_no_more_than_the_bridge_mtu)
{
	struct host_config cfg = config("tap-test0");
	struct host_info info;
	struct endpoint *ep;

	test_need_private_netns();
	test_run("ip link add br-test type bridge && "
		 "ip link add p0 type veth peer name p1 && "
		 "ip link set p0 master br-test");
	cfg.bridge = "br-test";
	cfg.enable_tso = true;
	ep = open_ok(&cfg, &info);
	cr_expect_eq(info.mtu, 1500);
	cr_expect_eq(info.max_packet_size, 1514);
	endpoint_close(ep);
}

/* A bridge whose ports are all TSO TAPs follows them up (the kernel's
 * auto-adjust), so TSO frames pass between them. */
Test(host_tap, tso_on_a_bridge_of_tso_taps_keeps_64k_frames)
{
	struct host_config cfg = config("tap-test0");
	struct host_info info;
	struct endpoint *ep;

	test_need_private_netns();
	test_run("ip link add br-test type bridge");
	cfg.bridge = "br-test";
	cfg.enable_tso = true;
	ep = open_ok(&cfg, &info);
	cr_expect_eq(info.mtu, 65521);
	cr_expect_eq(info.max_packet_size, 65535);
	endpoint_close(ep);
}

Test(host_tap, rejoins_bridge_it_is_already_a_port_of)
{
	struct host_config cfg = config("tap-persist");
	struct host_info info;
	struct endpoint *ep;

	test_need_private_netns();
	test_run("ip link add br-test type bridge && "
		 "ip tuntap add dev tap-persist mode tap && "
		 "ip link set tap-persist master br-test");
	cfg.bridge = "br-test";
	ep = open_ok(&cfg, &info);
	cr_expect_str_eq(info.bridge, "br-test");
	cr_expect_str_empty(info.start_address);
	endpoint_close(ep);
}

Test(host_tap, refuses_tap_that_is_a_port_of_another_bridge)
{
	struct host_config cfg = config("tap-persist");
	struct host_info info;
	struct endpoint *ep = NULL;
	char err[256] = "";

	test_need_private_netns();
	test_run(
	    "ip link add br-a type bridge && ip link add br-b type bridge && "
	    "ip tuntap add dev tap-persist mode tap && "
	    "ip link set tap-persist master br-a");
	cfg.bridge = "br-b";
	cr_expect_eq(host_open(&cfg, &ep, &info, err, sizeof(err)), -EBUSY);
	cr_expect_null(ep);
	cr_expect_not_null(strstr(err, "already a port"), "message: %s", err);
	cr_expect_not_null(strstr(err, "nomaster"), "message: %s", err);
}

Test(host_tap, missing_bridge_is_named)
{
	struct host_config cfg = config("tap-test0");
	struct host_info info;
	struct endpoint *ep = NULL;
	char err[256] = "";
	int r;

	test_need_private_netns();
	cfg.bridge = "br-missing";
	r = host_open(&cfg, &ep, &info, err, sizeof(err));
	cr_expect_eq(r, -ENODEV);
	cr_expect_null(ep);
	cr_expect_not_null(strstr(err, "bridge 'br-missing' does not exist"),
			   "message: %s", err);
	cr_expect_not_null(strstr(err, "ip link add br-missing type bridge"),
			   "message: %s", err);
	cr_expect_eq(if_nametoindex("tap-test0"), 0, "TAP left behind");
}

Test(host_tap, not_a_bridge_is_named)
{
	struct host_config cfg = config("tap-test0");
	struct host_info info;
	struct endpoint *ep = NULL;
	char err[256] = "";

	test_need_private_netns();
	cfg.bridge = "lo";
	cr_expect_lt(host_open(&cfg, &ep, &info, err, sizeof(err)), 0);
	cr_expect_null(ep);
	cr_expect_not_null(strstr(err, "'lo' is not a bridge"), "message: %s",
			   err);
	cr_expect_eq(if_nametoindex("tap-test0"), 0, "TAP left behind");
}

/* Frames for the traffic tests. The VM is 198.51.100.2 with the MAC
 * host_open() reported; the host is the TAP's 198.51.100.1. */
#define VM_IP	"198.51.100.2"
#define HOST_IP "198.51.100.1"

static size_t put_eth(unsigned char *f, const unsigned char dst[6],
		      const unsigned char src[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = (unsigned char)(type >> 8);
	f[13] = (unsigned char)type;
	return 14;
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void put_ip(unsigned char *p, const char *ip)
{
	cr_assert_eq(inet_pton(AF_INET, ip, p), 1);
}

static bool ip_is(const unsigned char *p, const char *ip)
{
	unsigned char a[4];

	put_ip(a, ip);
	return memcmp(p, a, 4) == 0;
}

/* RFC 1071 Internet checksum. */
static uint16_t inet_csum(const unsigned char *p, size_t len)
{
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += get16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t build_arp_request(unsigned char *f, const unsigned char vm[6])
{
	static const unsigned char bcast[6] = {0xff, 0xff, 0xff,
					       0xff, 0xff, 0xff};
	unsigned char *a = f + put_eth(f, bcast, vm, 0x0806);

	put16(a, 1);	      /* Ethernet */
	put16(a + 2, 0x0800); /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1); /* request */
	memcpy(a + 8, vm, 6);
	put_ip(a + 14, VM_IP);
	memset(a + 18, 0, 6);
	put_ip(a + 24, HOST_IP);
	return 14 + 28;
}

static size_t build_echo_request(unsigned char *f, const unsigned char vm[6],
				 const unsigned char host[6], uint16_t id,
				 uint16_t seq, const char *payload)
{
	unsigned char *ip = f + put_eth(f, host, vm, 0x0800);
	unsigned char *icmp = ip + 20;
	size_t plen = strlen(payload);

	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 8 + plen));
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000); /* don't fragment */
	ip[8] = 64;
	ip[9] = 1; /* ICMP */
	put_ip(ip + 12, VM_IP);
	put_ip(ip + 16, HOST_IP);
	put16(ip + 10, inet_csum(ip, 20));

	icmp[0] = 8; /* echo request */
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, id);
	put16(icmp + 6, seq);
	memcpy(icmp + 8, payload, plen);
	put16(icmp + 2, inet_csum(icmp, 8 + plen));
	return 14 + 20 + 8 + plen;
}

static void write_frame(struct endpoint *ep, struct pkt *p,
			const unsigned char *f, size_t len)
{
	memcpy(p->data, f, len);
	p->len = (uint32_t)len;
	p->flags = 0;
	cr_assert_eq(endpoint_write(ep, &p, 1), 1);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read from @ep, up to 5 s in all, until @match accepts a frame; other
 * frames (IPv6 router solicitations, MLD reports) are skipped. The
 * matching frame is copied to @out. */
static void read_until(struct endpoint *ep, struct pool *pool,
		       bool (*match)(const struct pkt *, const void *),
		       const void *arg, unsigned char *out)
{
	long long deadline = now_ms() + 5000;
	struct pkt *pkts[TEST_BATCH];

	cr_assert_eq(pool_get_burst(pool, pkts, TEST_BATCH), TEST_BATCH);
	for (;;) {
		struct pollfd pfd = {.fd = ep->fd, .events = POLLIN};
		long long left = deadline - now_ms();
		int r;

		cr_assert_gt(left, 0, "no matching frame within 5 s");
		r = poll(&pfd, 1, (int)left);
		cr_assert_geq(r, 0, "poll: %s", strerror(errno));
		r = endpoint_read(ep, pkts, TEST_BATCH);
		if (r == -EAGAIN)
			continue;
		cr_assert_gt(r, 0, "read: %d", r);
		for (int i = 0; i < r; i++) {
			cr_assert_eq(pkts[i]->flags, 0);
			if (match(pkts[i], arg)) {
				memcpy(out, pkts[i]->data, pkts[i]->len);
				pool_put_burst(pool, pkts, TEST_BATCH);
				return;
			}
		}
	}
}

static bool is_arp_reply(const struct pkt *p, const void *arg)
{
	const unsigned char *vm = arg, *f = p->data, *a = f + 14;

	return p->len >= 42 && get16(f + 12) == 0x0806 &&
	       memcmp(f, vm, 6) == 0 && get16(a + 6) == 2 &&
	       ip_is(a + 14, HOST_IP) && memcmp(a + 18, vm, 6) == 0 &&
	       ip_is(a + 24, VM_IP);
}

static bool is_echo_reply(const struct pkt *p, const void *arg)
{
	const unsigned char *vm = arg, *f = p->data, *ip = f + 14;

	return p->len >= 14 + 20 + 8 && get16(f + 12) == 0x0800 &&
	       memcmp(f, vm, 6) == 0 && ip[9] == 1 && ip_is(ip + 12, HOST_IP) &&
	       ip_is(ip + 16, VM_IP) && ip[20] == 0;
}

/* Every way the TAP endpoint moves frames: io_uring with the pools
 * registered (what the engine sets up), io_uring without, and one read() or
 * write() per frame (VMNET_TAP_READ=read, VMNET_TAP_WRITE=write, and where
 * io_uring is unavailable). */
struct tap_mode {
	const char *name;
	const char *read, *write; /* VMNET_TAP_READ, VMNET_TAP_WRITE */
	bool registered;
};

static const struct tap_mode tap_modes[] = {
    {"io_uring, registered buffers", "io_uring", "io_uring", true},
    {"io_uring", "io_uring", "io_uring", false},
    {"read() and write()", "read", "write", false},
};
#define TAP_MODES (sizeof(tap_modes) / sizeof(tap_modes[0]))

/* Open the TAP in @m and a pool of @count buffers for it. */
static struct endpoint *open_in_mode(const struct tap_mode *m,
				     const struct host_config *cfg,
				     struct host_info *info, unsigned count,
				     struct pool **pool)
{
	struct endpoint *ep;

	cr_assert_eq(setenv("VMNET_TAP_READ", m->read, 1), 0);
	cr_assert_eq(setenv("VMNET_TAP_WRITE", m->write, 1), 0);
	ep = open_ok(cfg, info);
	cr_assert_eq(pool_create(count, ep->max_frame, pool), 0);
	if (m->registered) {
		const struct endpoint_region r = {(*pool)->mem,
						  (*pool)->mem_size};

		cr_assert_eq(endpoint_use_buffers(ep, &r, 1), 0, "%s", m->name);
	}
	return ep;
}

/* Forget the registration, as the engine does before it frees its pools,
 * then free both. */
static void close_in_mode(struct endpoint *ep, struct pool *pool)
{
	cr_assert_eq(endpoint_use_buffers(ep, NULL, 0), 0);
	pool_destroy(pool);
	endpoint_close(ep);
}

Test(host_tap, kernel_answers_arp_and_ping)
{
	static const char payload[] = "vmnet-helper tap test payload";
	struct host_config cfg = config("tap-test0");
	unsigned char vm[6], host[6], f[2048], *ip, *icmp;
	struct host_info info;
	struct endpoint *ep;
	struct pool *pool;
	struct pkt *p = NULL;
	size_t len;

	test_need_private_netns();
	for (size_t m = 0; m < TAP_MODES; m++) {
		ep = open_in_mode(&tap_modes[m], &cfg, &info, 2 * TEST_BATCH,
				  &pool);
		test_run("ip addr add " HOST_IP "/24 dev tap-test0");
		parse_mac(info.mac_address, vm);
		cr_assert_eq(pool_get_burst(pool, &p, 1), 1);

		len = build_arp_request(f, vm);
		write_frame(ep, p, f, len);
		read_until(ep, pool, is_arp_reply, vm, f);
		memcpy(host, f + 14 + 8, 6);
		cr_expect_eq(memcmp(f + 6, host, 6), 0,
			     "%s: Ethernet source is not the sender hardware "
			     "address",
			     tap_modes[m].name);

		len = build_echo_request(f, vm, host, 0xbeef, 7, payload);
		write_frame(ep, p, f, len);
		read_until(ep, pool, is_echo_reply, vm, f);
		ip = f + 14;
		icmp = ip + 20;
		cr_expect_eq(memcmp(f + 6, host, 6), 0);
		cr_expect_eq(inet_csum(ip, 20), 0, "bad IPv4 header checksum");
		cr_expect_eq(get16(ip + 2), 20 + 8 + strlen(payload));
		cr_expect_eq(inet_csum(icmp, 8 + strlen(payload)), 0,
			     "bad ICMP checksum");
		cr_expect_eq(get16(icmp + 4), 0xbeef);
		cr_expect_eq(get16(icmp + 6), 7);
		cr_expect_eq(memcmp(icmp + 8, payload, strlen(payload)), 0);

		pool_put_burst(pool, &p, 1);
		close_in_mode(ep, pool);
	}
}

/* Route to the VM through the TAP, so the host stack sends it frames. */
static void route_to_vm(const struct host_info *info)
{
	test_run("ip addr add " HOST_IP "/24 dev tap-test0 && "
		 "ip neigh replace " VM_IP " lladdr %s dev tap-test0",
		 info->mac_address);
}

/* @n UDP datagrams of @payload bytes to the VM, numbered from @first in
 * their first payload bytes: they leave through the TAP. */
static void send_udp_to_vm(int first, int n, size_t payload)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
	static unsigned char buf[2000];
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(s, 0);
	put_ip((unsigned char *)&to.sin_addr, VM_IP);
	for (int i = first; i < first + n; i++) {
		memcpy(buf, &i, sizeof(i));
		cr_assert_eq(sendto(s, buf, payload, 0, (struct sockaddr *)&to,
				    sizeof(to)),
			     (ssize_t)payload, "sendto: %s", strerror(errno));
	}
	close(s);
}

/* The engine reads until the TAP says it is empty, then waits for it to
 * become readable: a read must never wait for a frame itself. */
Test(host_tap, read_of_an_empty_tap_returns_eagain_at_once, .timeout = 30)
{
	struct host_config cfg = config("tap-test0");
	struct host_info info;
	struct endpoint *ep;
	struct pool *pool;
	struct pkt *pkts[TEST_BATCH];

	test_need_private_netns();
	for (size_t m = 0; m < TAP_MODES; m++) {
		ep =
		    open_in_mode(&tap_modes[m], &cfg, &info, TEST_BATCH, &pool);
		cr_assert_eq(pool_get_burst(pool, pkts, TEST_BATCH),
			     TEST_BATCH);
		/* IPv6 may have queued a router solicitation or two; past
		 * those, the TAP is empty, and a read that waited for more
		 * would hang here until the time-out fails the test. Twice:
		 * the second read submits what the first one guessed. */
		for (int empty = 0, i = 0; empty < 2; i++) {
			int r = endpoint_read(ep, pkts, TEST_BATCH);

			cr_assert(r == -EAGAIN || r > 0, "%s: read: %d",
				  tap_modes[m].name, r);
			cr_assert_lt(i, 100, "%s: the TAP never ran empty",
				     tap_modes[m].name);
			empty += r == -EAGAIN;
		}
		pool_put_burst(pool, pkts, TEST_BATCH);
		close_in_mode(ep, pool);
	}
}

/* Batch reads of however many frames are queued (io_uring guesses how many
 * reads to submit and some find the TAP empty) return every frame, once,
 * in order, in every mode. */
Test(host_tap, batch_reads_return_every_frame_in_order)
{
	struct host_config cfg = config("tap-test0");
	const int n = 300;
	struct host_info info;
	struct endpoint *ep;
	struct pool *pool;
	struct pkt *pkts[TEST_BATCH];

	test_need_private_netns();
	for (size_t m = 0; m < TAP_MODES; m++) {
		const char *mode = tap_modes[m].name;
		long long deadline;
		int next = 0;

		ep =
		    open_in_mode(&tap_modes[m], &cfg, &info, TEST_BATCH, &pool);
		/* Frames come in while the reads go on: a few first, so
		 * reads find the TAP empty between them, then a burst. */
		route_to_vm(&info);
		send_udp_to_vm(0, 5, 100);
		cr_assert_eq(pool_get_burst(pool, pkts, TEST_BATCH),
			     TEST_BATCH);
		deadline = now_ms() + 5000;
		while (next < n && now_ms() < deadline) {
			struct pollfd pfd = {.fd = ep->fd, .events = POLLIN};
			int r;

			poll(&pfd, 1, 100);
			r = endpoint_read(ep, pkts, TEST_BATCH);
			if (r == -EAGAIN)
				continue;
			cr_assert_gt(r, 0, "%s: read: %d", mode, r);
			cr_assert_leq(r, TEST_BATCH);
			for (int i = 0; i < r; i++) {
				const unsigned char *f = pkts[i]->data;
				int seq;

				cr_assert_eq(pkts[i]->flags, 0, "%s", mode);
				/* IPv6 chatter: not ours. */
				if (pkts[i]->len < 14 + 28 + 4 ||
				    get16(f + 12) != 0x0800 || f[14 + 9] != 17)
					continue;
				memcpy(&seq, f + 14 + 28, sizeof(seq));
				cr_assert_eq(seq, next,
					     "%s: frame %d came as %d", mode,
					     next, seq);
				cr_assert_eq(pkts[i]->len, 14 + 28 + 100);
				next++;
			}
			if (next == 5)
				send_udp_to_vm(5, n - 5, 100);
		}
		cr_expect_eq(next, n, "%s: %d of %d frames came", mode, next,
			     n);
		pool_put_burst(pool, pkts, TEST_BATCH);
		close_in_mode(ep, pool);
	}
}

/* What a write refused, by the counter the engine's worker would count
 * it in. */
struct refused {
	int too_big;   /* -EMSGSIZE */
	int link_down; /* -ENETDOWN */
	int unsent;    /* flagged PKT_F_UNSENT by a batch write */
};

/* Write @n frames as the engine's worker does: a refused frame is dropped
 * and the rest resubmitted. Returns frames delivered; *why gets the
 * drops by cause. */
static int write_like_worker(struct endpoint *ep, struct pkt **p, unsigned n,
			     struct refused *why)
{
	unsigned off = 0;
	int delivered = 0;

	memset(why, 0, sizeof(*why));
	while (off < n) {
		int r = endpoint_write(ep, p + off, n - off);

		if (r == -EMSGSIZE || r == -ENETDOWN) {
			(*(r == -EMSGSIZE ? &why->too_big : &why->link_down))++;
			off++;
			continue;
		}
		cr_assert_gt(r, 0, "write: %d", r);
		for (int i = 0; i < r; i++) {
			if (p[off + i]->flags & PKT_F_UNSENT) {
				p[off + i]->flags &= ~PKT_F_UNSENT;
				why->unsent++;
			} else {
				delivered++;
			}
		}
		off += (unsigned)r;
	}
	return delivered;
}

/* io_uring flags what it could not send; write() says why. */
static bool batch_mode(size_t m)
{
	return strcmp(tap_modes[m].write, "io_uring") == 0;
}

Test(host_tap, refuses_runt_frame_alone)
{
	struct host_config cfg = config("tap-test0");
	struct host_info info;
	struct endpoint *ep;
	struct pool *pool;
	struct pkt *p[3];
	struct refused why;

	test_need_private_netns();
	for (size_t m = 0; m < TAP_MODES; m++) {
		const char *mode = tap_modes[m].name;

		ep = open_in_mode(&tap_modes[m], &cfg, &info, 3, &pool);
		cr_assert_eq(pool_get_burst(pool, p, 3), 3);
		for (int i = 0; i < 3; i++) {
			p[i]->len = i == 1 ? 10 : 60; /* the middle: a runt */
			p[i]->flags = 0;
			memset(p[i]->data, 0xff, p[i]->len);
		}
		cr_expect_eq(write_like_worker(ep, p, 3, &why), 2, "%s", mode);
		cr_expect_eq(why.unsent, batch_mode(m) ? 1 : 0, "%s", mode);
		cr_expect_eq(why.too_big, batch_mode(m) ? 0 : 1, "%s", mode);
		cr_expect_eq(why.link_down, 0, "%s", mode);
		pool_put_burst(pool, p, 3);
		close_in_mode(ep, pool);
	}
}

Test(host_tap, deleted_tap_reads_as_peer_gone)
{
	struct host_config cfg = config("tap-test0");
	struct pollfd pfd = {.events = POLLIN};
	struct host_info info;
	struct endpoint *ep;
	struct pool *pool;
	struct pkt *p;

	test_need_private_netns();
	for (size_t m = 0; m < TAP_MODES; m++) {
		ep = open_in_mode(&tap_modes[m], &cfg, &info, 1, &pool);
		cr_assert_eq(pool_get_burst(pool, &p, 1), 1);
		test_run("ip link del tap-test0");
		/* The engine learns of it from its poller: an error event. */
		pfd.fd = ep->fd;
		cr_expect_eq(poll(&pfd, 1, 1000), 1);
		cr_expect(pfd.revents & POLLERR, "revents %#x", pfd.revents);
		cr_expect_eq(endpoint_read(ep, &p, 1), -EPIPE, "%s",
			     tap_modes[m].name);
		p->len = 60;
		memset(p->data, 0xff, 60);
		cr_expect_eq(endpoint_write(ep, &p, 1), -EPIPE, "%s",
			     tap_modes[m].name);
		pool_put_burst(pool, &p, 1);
		close_in_mode(ep, pool);
	}
}

Test(host_tap, down_tap_drops_frames_until_up_again)
{
	struct host_config cfg = config("tap-test0");
	struct host_info info;
	struct endpoint *ep;
	struct pool *pool;
	struct pkt *p;
	struct refused why;

	test_need_private_netns();
	for (size_t m = 0; m < TAP_MODES; m++) {
		const char *mode = tap_modes[m].name;

		ep = open_in_mode(&tap_modes[m], &cfg, &info, 1, &pool);
		cr_assert_eq(pool_get_burst(pool, &p, 1), 1);
		p->len = 60;
		p->flags = 0;
		memset(p->data, 0xff, 60);
		test_run("ip link set tap-test0 down");
		cr_expect_eq(write_like_worker(ep, &p, 1, &why), 0, "%s", mode);
		/* Not a frame too big: the link is down. */
		cr_expect_eq(why.link_down, batch_mode(m) ? 0 : 1, "%s", mode);
		cr_expect_eq(why.unsent, batch_mode(m) ? 1 : 0, "%s", mode);
		cr_expect_eq(why.too_big, 0, "%s", mode);
		test_run("ip link set tap-test0 up");
		cr_expect_eq(write_like_worker(ep, &p, 1, &why), 1, "%s", mode);
		cr_expect_eq(why.link_down + why.unsent + why.too_big, 0, "%s",
			     mode);
		pool_put_burst(pool, &p, 1);
		close_in_mode(ep, pool);
	}
}

/* A frame longer than max_frame (here: the MTU raised by hand after start)
 * is cut to max_frame and flagged, never passed on as if whole. */
Test(host_tap, frame_longer_than_max_frame_is_flagged_truncated)
{
	struct host_config cfg = config("tap-test0");
	struct host_info info;
	struct endpoint *ep;
	struct pool *pool;
	struct pkt *pkts[TEST_BATCH];

	test_need_private_netns();
	for (size_t m = 0; m < TAP_MODES; m++) {
		const char *mode = tap_modes[m].name;
		long long deadline;
		bool seen = false;

		ep =
		    open_in_mode(&tap_modes[m], &cfg, &info, TEST_BATCH, &pool);
		cr_assert_eq(ep->max_frame, 1514);
		test_run("ip link set tap-test0 mtu 3000");
		route_to_vm(&info);
		cr_assert_eq(pool_get_burst(pool, pkts, TEST_BATCH),
			     TEST_BATCH);
		/* 2000 bytes of UDP payload: a 2042-byte frame. */
		send_udp_to_vm(0, 1, 2000);

		deadline = now_ms() + 5000;
		while (!seen && now_ms() < deadline) {
			struct pollfd pfd = {.fd = ep->fd, .events = POLLIN};
			int r;

			poll(&pfd, 1, 100);
			r = endpoint_read(ep, pkts, TEST_BATCH);
			if (r == -EAGAIN)
				continue;
			cr_assert_gt(r, 0, "%s: read: %d", mode, r);
			for (int i = 0; i < r; i++) {
				if (get16(pkts[i]->data + 12) != 0x0800)
					continue;
				cr_expect_eq(pkts[i]->flags, PKT_F_TRUNCATED,
					     "%s", mode);
				cr_expect_eq(pkts[i]->len, 1514, "%s", mode);
				seen = true;
			}
		}
		cr_expect(seen, "%s: the 2042-byte frame never came", mode);
		pool_put_burst(pool, pkts, TEST_BATCH);
		close_in_mode(ep, pool);
	}
}
