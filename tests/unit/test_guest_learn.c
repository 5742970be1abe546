/* SPDX-License-Identifier: Apache-2.0 */
/* test_guest_learn.c - the learner fed batches through its two inspectors:
 * which MAC is the guest's, which IPv4 address wins, how IPv6 addresses
 * are kept, and that a reset forgets. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_frame.h"
#include "guest_learn.h"
#include "guest_scenarios.h"
#include "test_frames.h"
#include "testutil.h"

static uint8_t vm[6], other[6], server[6];
static struct guest_learn *l;

static void setup(void)
{
	tf_mac("52:54:00:12:34:56", vm);
	tf_mac("52:54:00:aa:bb:cc", other);
	tf_mac("5a:94:ef:e4:0c:dd", server);
	cr_assert_eq(guest_learn_create(&l), 0);
}

static void teardown(void)
{
	guest_learn_destroy(l);
}

/* A batch of hand-built frames through an inspector, as a worker does. */
struct batch {
	struct pkt *p[8];
	unsigned n;
};

static void add(struct batch *b, const uint8_t *f, size_t len)
{
	/* aligned_alloc() wants a multiple of the alignment (C11; ASan
	 * returns NULL for anything else). */
	size_t size = (sizeof(struct pkt) + TEST_FRAME_MAX + 63) / 64 * 64;
	struct pkt *p = aligned_alloc(64, size);

	cr_assert_not_null(p);
	memcpy(p->data, f, len);
	p->len = (uint32_t)len;
	p->flags = 0;
	b->p[b->n++] = p;
}

static void run(struct frame_inspector *fi, struct batch *b)
{
	fi->inspect(fi, b->p, b->n);
	for (unsigned i = 0; i < b->n; i++)
		free(b->p[i]);
	b->n = 0;
}

static struct guest_addrs snap(void)
{
	struct guest_addrs a;

	cr_assert(guest_learn_snapshot(l, &a), "no writer runs: never busy");
	return a;
}

static uint32_t v4(const char *s)
{
	uint32_t a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void assert_v6(const struct guest_addrs *a, unsigned i, const char *s)
{
	uint8_t x[16];

	cr_assert_eq(inet_pton(AF_INET6, s, x), 1);
	cr_assert(i < a->ipv6_count, "only %u IPv6 addresses", a->ipv6_count);
	cr_assert_arr_eq(a->ipv6[i], x, 16, "ipv6[%u] is not %s", i, s);
}

TestSuite(guest_learn, .init = setup, .fini = teardown);

Test(guest_learn, knows_nothing_at_first)
{
	struct guest_addrs a = snap();

	cr_assert_eq(a.mac, 0);
	cr_assert_eq(a.ipv4, 0);
	cr_assert_eq(a.ipv4_source, GUEST_IPV4_NONE);
	cr_assert_eq(a.ipv6_count, 0);
}

Test(guest_learn, first_unicast_source_is_the_guest_and_others_are_ignored)
{
	struct batch b = {0};
	uint8_t f[TEST_FRAME_MAX];
	uint8_t mcast[6] = {0x33, 0x33, 0, 0, 0, 1};

	/* A frame "from" a multicast MAC teaches nothing; then the guest's
	 * DHCPDISCOVER (source 0.0.0.0: only its MAC); then another MAC
	 * behind the guest, whose ARP is not the guest's. */
	add(&b, f, tf_arp(f, mcast, "10.9.9.9", "10.9.9.1"));
	add(&b, f,
	    tf_ipv4_udp(f, vm, mcast, "0.0.0.0", "255.255.255.255", 68, 67,
			NULL, 300));
	add(&b, f, tf_arp(f, other, "10.0.0.99", "10.0.0.1"));
	run(guest_learn_from_vm(l), &b);
	struct guest_addrs a = snap();
	cr_assert_eq(a.mac, guest_mac_from_bytes(vm));
	cr_assert_eq(a.ipv4, 0);
}

Test(guest_learn, dhcp_ack_to_the_guests_mac_only)
{
	struct batch b = {0};
	uint8_t f[TEST_FRAME_MAX];

	/* Before the guest has sent anything, an ACK cannot be its own. */
	add(&b, f,
	    tf_dhcp_reply(f, server, vm, "192.168.64.1", "192.168.64.5", 5));
	run(guest_learn_to_vm(l), &b);
	cr_assert_eq(snap().ipv4, 0);

	add(&b, f, tf_ipv6_udp(f, vm, "fe80::1", "ff02::fb"));
	run(guest_learn_from_vm(l), &b);
	/* An ACK to another client on the same broadcast domain. */
	add(&b, f,
	    tf_dhcp_reply(f, server, other, "192.168.64.1", "192.168.64.9", 5));
	run(guest_learn_to_vm(l), &b);
	cr_assert_eq(snap().ipv4, 0);

	add(&b, f,
	    tf_dhcp_reply(f, server, vm, "192.168.64.1", "192.168.64.5", 5));
	run(guest_learn_to_vm(l), &b);
	struct guest_addrs a = snap();
	cr_assert_eq(a.ipv4, v4("192.168.64.5"));
	cr_assert_eq(a.ipv4_source, GUEST_IPV4_DHCP);
}

Test(guest_learn, the_later_of_lease_and_arp_wins)
{
	struct batch b = {0};
	uint8_t f[TEST_FRAME_MAX];

	add(&b, f, tf_arp(f, vm, "192.168.64.5", "192.168.64.1"));
	run(guest_learn_from_vm(l), &b);
	struct guest_addrs a = snap();
	cr_assert_eq(a.ipv4, v4("192.168.64.5"));
	cr_assert_eq(a.ipv4_source, GUEST_IPV4_ARP);

	/* A new lease replaces what the guest said before... */
	add(&b, f,
	    tf_dhcp_reply(f, server, vm, "192.168.64.1", "192.168.64.7", 5));
	run(guest_learn_to_vm(l), &b);
	a = snap();
	cr_assert_eq(a.ipv4, v4("192.168.64.7"));
	cr_assert_eq(a.ipv4_source, GUEST_IPV4_DHCP);

	/* ... and an address the guest then takes itself replaces it. */
	add(&b, f, tf_arp(f, vm, "192.168.64.200", "192.168.64.1"));
	run(guest_learn_from_vm(l), &b);
	a = snap();
	cr_assert_eq(a.ipv4, v4("192.168.64.200"));
	cr_assert_eq(a.ipv4_source, GUEST_IPV4_ARP);
}

/* The later wins also when an address is announced again: the same
 * lease renewed after the guest spoke of another address (the system
 * test's first lease can be the one the server later reserves). */
Test(guest_learn, the_same_lease_again_after_an_arp_address_wins_again)
{
	struct batch b = {0};
	uint8_t f[TEST_FRAME_MAX];
	struct guest_addrs a;

	add(&b, f, tf_ipv6_udp(f, vm, "fe80::1", "ff02::fb"));
	run(guest_learn_from_vm(l), &b);
	add(&b, f,
	    tf_dhcp_reply(f, server, vm, "192.168.64.1", "192.168.64.58", 5));
	run(guest_learn_to_vm(l), &b);
	add(&b, f, tf_arp(f, vm, "192.168.64.200", "192.168.64.1"));
	run(guest_learn_from_vm(l), &b);
	a = snap();
	cr_assert_eq(a.ipv4, v4("192.168.64.200"));
	cr_assert_eq(a.ipv4_source, GUEST_IPV4_ARP);

	add(&b, f,
	    tf_dhcp_reply(f, server, vm, "192.168.64.1", "192.168.64.58", 5));
	run(guest_learn_to_vm(l), &b);
	a = snap();
	cr_assert_eq(a.ipv4, v4("192.168.64.58"), "the renewed lease lost");
	cr_assert_eq(a.ipv4_source, GUEST_IPV4_DHCP);
	/* And once more, with nothing new in between: still the lease. */
	add(&b, f,
	    tf_dhcp_reply(f, server, vm, "192.168.64.1", "192.168.64.58", 5));
	run(guest_learn_to_vm(l), &b);
	cr_assert_eq(snap().ipv4, v4("192.168.64.58"));
}

Test(guest_learn, the_same_arp_address_again_after_a_lease_wins_again)
{
	struct batch b = {0};
	uint8_t f[TEST_FRAME_MAX];
	struct guest_addrs a;

	add(&b, f, tf_arp(f, vm, "192.168.64.200", "192.168.64.1"));
	run(guest_learn_from_vm(l), &b);
	add(&b, f,
	    tf_dhcp_reply(f, server, vm, "192.168.64.1", "192.168.64.7", 5));
	run(guest_learn_to_vm(l), &b);
	cr_assert_eq(snap().ipv4, v4("192.168.64.7"));

	add(&b, f, tf_arp(f, vm, "192.168.64.200", "192.168.64.1"));
	run(guest_learn_from_vm(l), &b);
	a = snap();
	cr_assert_eq(a.ipv4, v4("192.168.64.200"), "the guest's word lost");
	cr_assert_eq(a.ipv4_source, GUEST_IPV4_ARP);
	add(&b, f, tf_arp(f, vm, "192.168.64.200", "192.168.64.1"));
	run(guest_learn_from_vm(l), &b);
	cr_assert_eq(snap().ipv4, v4("192.168.64.200"));
}

Test(guest_learn, lease_and_arp_that_agree_say_dhcp)
{
	struct batch b = {0};
	uint8_t f[TEST_FRAME_MAX];

	add(&b, f, tf_arp(f, vm, "0.0.0.0", "192.168.64.5"));
	run(guest_learn_from_vm(l), &b);
	add(&b, f,
	    tf_dhcp_reply(f, server, vm, "192.168.64.1", "192.168.64.5", 5));
	run(guest_learn_to_vm(l), &b);
	add(&b, f, tf_arp(f, vm, "192.168.64.5", "192.168.64.1"));
	run(guest_learn_from_vm(l), &b);
	struct guest_addrs a = snap();
	cr_assert_eq(a.ipv4, v4("192.168.64.5"));
	cr_assert_eq(a.ipv4_source, GUEST_IPV4_DHCP);
}

Test(guest_learn, ipv4_source_only_while_nothing_better_is_known)
{
	struct batch b = {0};
	uint8_t f[TEST_FRAME_MAX];

	add(&b, f,
	    tf_ipv4_udp(f, vm, server, "10.0.0.7", "10.0.0.1", 1, 2, NULL, 8));
	add(&b, f,
	    tf_ipv4_udp(f, vm, server, "10.0.0.8", "10.0.0.1", 1, 2, NULL, 8));
	run(guest_learn_from_vm(l), &b);
	struct guest_addrs a = snap();
	cr_assert_eq(a.ipv4, v4("10.0.0.7"), "the first source, kept");
	cr_assert_eq(a.ipv4_source, GUEST_IPV4_SRC);

	add(&b, f, tf_arp(f, vm, "10.0.0.9", "10.0.0.1"));
	run(guest_learn_from_vm(l), &b);
	a = snap();
	cr_assert_eq(a.ipv4, v4("10.0.0.9"));
	cr_assert_eq(a.ipv4_source, GUEST_IPV4_ARP);
}

Test(guest_learn, ipv6_addresses_once_each_in_order)
{
	struct batch b = {0};
	uint8_t f[TEST_FRAME_MAX];

	add(&b, f, tf_ipv6_udp(f, vm, "fe80::5054:ff:fe12:3456", "ff02::fb"));
	add(&b, f, tf_ipv6_udp(f, vm, "fe80::5054:ff:fe12:3456", "ff02::fb"));
	add(&b, f, tf_ndp_na(f, vm, "fe80::5054:ff:fe12:3456", "fd00:1::5"));
	add(&b, f, tf_ipv6_udp(f, other, "fd00:1::99", "ff02::fb"));
	run(guest_learn_from_vm(l), &b);
	struct guest_addrs a = snap();
	cr_assert_eq(a.ipv6_count, 2);
	assert_v6(&a, 0, "fe80::5054:ff:fe12:3456");
	assert_v6(&a, 1, "fd00:1::5");
}

Test(guest_learn, ipv6_table_full_replaces_the_oldest)
{
	struct batch b = {0};
	uint8_t f[TEST_FRAME_MAX];
	char s[64];

	for (int i = 0; i < GUEST_IPV6_MAX + 1; i++) {
		snprintf(s, sizeof(s), "fd00::%x", i + 1);
		add(&b, f, tf_ipv6_udp(f, vm, s, "ff02::fb"));
		run(guest_learn_from_vm(l), &b);
	}
	struct guest_addrs a = snap();
	cr_assert_eq(a.ipv6_count, GUEST_IPV6_MAX);
	assert_v6(&a, 0, "fd00::9"); /* took the oldest one's place */
	assert_v6(&a, 1, "fd00::2");
}

Test(guest_learn, reset_forgets_everything)
{
	struct batch b = {0};
	uint8_t f[TEST_FRAME_MAX];

	add(&b, f, tf_arp(f, vm, "192.168.64.5", "192.168.64.1"));
	add(&b, f, tf_ipv6_udp(f, vm, "fe80::1", "ff02::fb"));
	run(guest_learn_from_vm(l), &b);
	guest_learn_reset(l);
	struct guest_addrs a = snap(), none = {0};
	cr_assert(guest_addrs_equal(&a, &none));

	/* And the next guest is learned from scratch, another MAC too. */
	add(&b, f, tf_arp(f, other, "192.168.64.6", "192.168.64.1"));
	run(guest_learn_from_vm(l), &b);
	a = snap();
	cr_assert_eq(a.mac, guest_mac_from_bytes(other));
	cr_assert_eq(a.ipv4, v4("192.168.64.6"));
}

Test(guest_learn, describe_names_everything)
{
	struct batch b = {0};
	uint8_t f[TEST_FRAME_MAX];
	char line[256];

	add(&b, f, tf_arp(f, vm, "192.168.64.5", "192.168.64.1"));
	add(&b, f, tf_ipv6_udp(f, vm, "fe80::1", "ff02::fb"));
	run(guest_learn_from_vm(l), &b);
	struct guest_addrs a = snap();
	guest_addrs_describe(&a, line, sizeof(line));
	cr_assert_str_eq(line,
			 "mac 52:54:00:12:34:56 ipv4 192.168.64.5 (arp) ipv6 "
			 "fe80::1");
	guest_addrs_describe(&a, line, 10);
	cr_assert_str_eq(line, "mac 52:54");
}

/* The learner inside a running engine: read while both workers write
 * (tests/scenarios/guest_scenarios.c; the TSan runner runs it too). */
Test(guest_learn_flow, read_while_both_workers_write, .timeout = 120)
{
	STRESS_ASSERT(scenario_guest_learning(3000));
}

Test(guest_learn, json_has_every_key_null_while_unknown)
{
	struct batch b = {0};
	uint8_t f[TEST_FRAME_MAX];
	char buf[512];
	struct guest_addrs a = snap();

	cr_assert_gt(guest_addrs_json(&a, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "{\"mac\":null,\"ipv4\":null,\"ipv4_source\":"
			      "null,\"ipv6\":[]}");
	add(&b, f, tf_arp(f, vm, "192.168.64.5", "192.168.64.1"));
	add(&b, f, tf_ipv6_udp(f, vm, "fe80::1", "ff02::fb"));
	add(&b, f, tf_ipv6_udp(f, vm, "fd00::5", "ff02::fb"));
	run(guest_learn_from_vm(l), &b);
	a = snap();
	int n = guest_addrs_json(&a, buf, sizeof(buf));
	cr_assert_str_eq(buf, "{\"mac\":\"52:54:00:12:34:56\",\"ipv4\":"
			      "\"192.168.64.5\",\"ipv4_source\":\"arp\","
			      "\"ipv6\":[\"fe80::1\",\"fd00::5\"]}");
	cr_assert_eq(n, (int)strlen(buf));
	cr_assert_eq(guest_addrs_json(&a, buf, (size_t)n), -1, "one short");
}
