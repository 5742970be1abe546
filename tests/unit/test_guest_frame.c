/* SPDX-License-Identifier: Apache-2.0 */
/* test_guest_frame.c - what guest_frame.c reads out of hand-built frames,
 * and that no truncation, tag or wrong length makes it read past one. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "guest_frame.h"
#include "test_frames.h"

static uint8_t vm[6], server[6];

static void macs(void)
{
	tf_mac("52:54:00:12:34:56", vm);
	tf_mac("5a:94:ef:e4:0c:dd", server);
}

static uint32_t v4(const char *s)
{
	uint32_t a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void v6(const char *s, uint8_t out[16])
{
	cr_assert_eq(inet_pton(AF_INET6, s, out), 1);
}

/* Give the parser exactly @len bytes on the heap, so ASan sees any read
 * past the end. */
static unsigned from_vm_exact(const uint8_t *f, size_t len,
			      struct guest_from_vm *g)
{
	uint8_t *copy = malloc(len ? len : 1);
	unsigned what;

	memcpy(copy, f, len);
	what = guest_frame_from_vm(copy, (uint32_t)len, g);
	free(copy);
	return what;
}

static bool to_vm_exact(const uint8_t *f, size_t len, struct guest_to_vm *g)
{
	uint8_t *copy = malloc(len ? len : 1);
	bool r;

	memcpy(copy, f, len);
	r = guest_frame_to_vm(copy, (uint32_t)len, g);
	free(copy);
	return r;
}

Test(guest_frame, arp_names_its_sender, .init = macs)
{
	uint8_t f[TEST_FRAME_MAX];
	struct guest_from_vm g;
	size_t n = tf_arp(f, vm, "192.168.64.5", "192.168.64.1");

	cr_assert_eq(from_vm_exact(f, n, &g), GUEST_FROM_VM_ARP);
	cr_assert_eq(g.ipv4, v4("192.168.64.5"));
	cr_assert_eq(g.src_mac, guest_mac_from_bytes(vm));
}

Test(guest_frame, arp_probe_and_proxy_arp_say_nothing, .init = macs)
{
	uint8_t f[TEST_FRAME_MAX];
	struct guest_from_vm g;
	size_t n = tf_arp(f, vm, "0.0.0.0", "192.168.64.5");

	cr_assert_eq(from_vm_exact(f, n, &g), 0, "an RFC 5227 probe");
	n = tf_arp(f, vm, "192.168.64.5", "192.168.64.1");
	f[14 + 8] ^= 1; /* sender hardware address is not the source */
	cr_assert_eq(from_vm_exact(f, n, &g), 0, "someone else's ARP");
}

Test(guest_frame, ipv4_source_is_learned_unless_not_a_host_address,
     .init = macs)
{
	static const char *const not_own[] = {"0.0.0.0", "127.0.0.1",
					      "224.0.0.251", "255.255.255.255"};
	uint8_t f[TEST_FRAME_MAX];
	struct guest_from_vm g;
	size_t n = tf_ipv4_udp(f, vm, server, "10.0.0.7", "10.0.0.1", 1000,
			       2000, NULL, 10);

	cr_assert_eq(from_vm_exact(f, n, &g), GUEST_FROM_VM_IPV4_SRC);
	cr_assert_eq(g.ipv4, v4("10.0.0.7"));
	for (size_t i = 0; i < sizeof(not_own) / sizeof(not_own[0]); i++) {
		n = tf_ipv4_udp(f, vm, server, not_own[i], "10.0.0.1", 68, 67,
				NULL, 10);
		cr_assert_eq(from_vm_exact(f, n, &g), 0, "%s", not_own[i]);
	}
}

Test(guest_frame, ipv4_with_options_and_ethernet_padding, .init = macs)
{
	uint8_t f[TEST_FRAME_MAX];
	struct guest_from_vm g;
	size_t n =
	    tf_ipv4_udp(f, vm, server, "10.0.0.7", "10.0.0.1", 1, 2, NULL, 4);

	/* IHL 6 (one word of options) and padding to the 60-byte minimum:
	 * the source is still the same field. */
	f[14] = 0x46;
	memset(f + n, 0, 60 - n);
	cr_assert_eq(from_vm_exact(f, 60, &g), GUEST_FROM_VM_IPV4_SRC);
	cr_assert_eq(g.ipv4, v4("10.0.0.7"));
}

Test(guest_frame, ipv4_header_that_lies_about_its_length, .init = macs)
{
	uint8_t f[TEST_FRAME_MAX];
	struct guest_from_vm g;
	size_t n =
	    tf_ipv4_udp(f, vm, server, "10.0.0.7", "10.0.0.1", 1, 2, NULL, 4);

	f[14] = 0x44; /* IHL 4: shorter than a header */
	cr_assert_eq(from_vm_exact(f, n, &g), 0);
	f[14] = 0x4f; /* IHL 15: 60 bytes, past the packet */
	cr_assert_eq(from_vm_exact(f, n, &g), 0);
	f[14] = 0x45;
	f[16] = 0x05, f[17] = 0xdc; /* total length 1500 > frame */
	cr_assert_eq(from_vm_exact(f, n, &g), 0);
	f[16] = 0, f[17] = 0x20;
	f[14] = 0x65; /* version 6 in an IPv4 ethertype */
	cr_assert_eq(from_vm_exact(f, n, &g), 0);
}

Test(guest_frame, ipv6_source_and_neighbor_advertisement_target, .init = macs)
{
	uint8_t f[TEST_FRAME_MAX], a[16], t[16];
	struct guest_from_vm g;
	size_t n = tf_ipv6_udp(f, vm, "fe80::5054:ff:fe12:3456", "ff02::fb");

	v6("fe80::5054:ff:fe12:3456", a);
	cr_assert_eq(from_vm_exact(f, n, &g), GUEST_FROM_VM_IPV6_SRC);
	cr_assert_arr_eq(g.ipv6_src, a, 16);

	n = tf_ndp_na(f, vm, "fe80::5054:ff:fe12:3456", "fd00:1::5");
	v6("fd00:1::5", t);
	cr_assert_eq(from_vm_exact(f, n, &g),
		     GUEST_FROM_VM_IPV6_SRC | GUEST_FROM_VM_NDP_TARGET);
	cr_assert_arr_eq(g.ipv6_src, a, 16);
	cr_assert_arr_eq(g.ndp_target, t, 16);
}

Test(guest_frame, neighbor_advertisement_with_wrong_hop_limit_is_not_ndp,
     .init = macs)
{
	uint8_t f[TEST_FRAME_MAX];
	struct guest_from_vm g;
	size_t n = tf_ndp_na(f, vm, "fe80::1", "fd00:1::5");

	f[14 + 7] = 64; /* RFC 4861: routed from afar, so forged */
	cr_assert_eq(from_vm_exact(f, n, &g), GUEST_FROM_VM_IPV6_SRC);
}

Test(guest_frame, unspecified_and_multicast_ipv6_sources_say_nothing,
     .init = macs)
{
	uint8_t f[TEST_FRAME_MAX];
	struct guest_from_vm g;
	size_t n = tf_ipv6_udp(f, vm, "::", "ff02::16");

	cr_assert_eq(from_vm_exact(f, n, &g), 0, "DAD's ::");
	n = tf_ipv6_udp(f, vm, "::1", "ff02::16");
	cr_assert_eq(from_vm_exact(f, n, &g), 0, "loopback");
	n = tf_ipv6_udp(f, vm, "ff02::1", "ff02::16");
	cr_assert_eq(from_vm_exact(f, n, &g), 0, "multicast");
}

Test(guest_frame, vlan_tagged_frames_are_not_the_guests_own, .init = macs)
{
	uint8_t f[TEST_FRAME_MAX];
	struct guest_from_vm g;
	struct guest_to_vm d;
	size_t n = tf_arp(f, vm, "192.168.64.5", "192.168.64.1");

	n = tf_vlan_tag(f, n, 42);
	cr_assert_eq(from_vm_exact(f, n, &g), 0);
	n = tf_dhcp_reply(f, server, vm, "192.168.64.1", "192.168.64.5", 5);
	n = tf_vlan_tag(f, n, 42);
	cr_assert_not(to_vm_exact(f, n, &d));
}

Test(guest_frame, dhcp_ack_gives_client_and_address, .init = macs)
{
	uint8_t f[TEST_FRAME_MAX];
	struct guest_to_vm d;
	size_t n =
	    tf_dhcp_reply(f, server, vm, "192.168.64.1", "192.168.64.5", 5);

	cr_assert(to_vm_exact(f, n, &d));
	cr_assert_eq(d.chaddr, guest_mac_from_bytes(vm));
	cr_assert_eq(d.yiaddr, v4("192.168.64.5"));
}

Test(guest_frame, dhcp_offer_and_nak_are_not_acks, .init = macs)
{
	uint8_t f[TEST_FRAME_MAX];
	struct guest_to_vm d;
	size_t n =
	    tf_dhcp_reply(f, server, vm, "192.168.64.1", "192.168.64.5", 2);

	cr_assert_not(to_vm_exact(f, n, &d), "offer");
	n = tf_dhcp_reply(f, server, vm, "192.168.64.1", "192.168.64.5", 6);
	cr_assert_not(to_vm_exact(f, n, &d), "nak");
}

Test(guest_frame, dhcp_fragment_wrong_ports_or_cookie_are_not_acks,
     .init = macs)
{
	uint8_t f[TEST_FRAME_MAX], g[TEST_FRAME_MAX];
	struct guest_to_vm d;
	size_t n =
	    tf_dhcp_reply(f, server, vm, "192.168.64.1", "192.168.64.5", 5);

	memcpy(g, f, n);
	g[14 + 6] = 0x20; /* more fragments */
	cr_assert_not(to_vm_exact(g, n, &d), "fragment");
	memcpy(g, f, n);
	g[14 + 20 + 1] = 68; /* from port 68 */
	cr_assert_not(to_vm_exact(g, n, &d), "ports");
	memcpy(g, f, n);
	g[14 + 28 + 236] = 0; /* BOOTP, not DHCP */
	cr_assert_not(to_vm_exact(g, n, &d), "cookie");
	memcpy(g, f, n);
	g[14 + 28] = 1; /* a request */
	cr_assert_not(to_vm_exact(g, n, &d), "BOOTREQUEST");
}

Test(guest_frame, dhcp_option_that_runs_past_the_packet, .init = macs)
{
	uint8_t f[TEST_FRAME_MAX];
	struct guest_to_vm d;
	size_t n =
	    tf_dhcp_reply(f, server, vm, "192.168.64.1", "192.168.64.5", 5);
	uint8_t *opt = f + 14 + 28 + 240;

	/* A pad, then an option whose length runs 200 bytes past the end,
	 * and the message type only after it: never reached. */
	memmove(opt + 3, opt, 24);
	opt[0] = 0;
	opt[1] = 12;
	opt[2] = 200;
	cr_assert_not(to_vm_exact(f, n, &d));
}

Test(guest_frame, udp_length_past_the_packet_is_refused, .init = macs)
{
	uint8_t f[TEST_FRAME_MAX];
	struct guest_to_vm d;
	size_t n =
	    tf_dhcp_reply(f, server, vm, "192.168.64.1", "192.168.64.5", 5);

	f[14 + 20 + 4] = 0x05; /* UDP length 1280+ */
	cr_assert_not(to_vm_exact(f, n, &d));
}

/* Every prefix of every frame, parsed from a buffer of exactly its length:
 * ASan fails the test on any read past the end; a prefix shorter than the
 * field the frame's answer comes from cannot give that answer. */
Test(guest_frame, every_truncation_of_every_frame_is_safe, .init = macs)
{
	uint8_t f[6][TEST_FRAME_MAX];
	size_t n[6];

	n[0] = tf_arp(f[0], vm, "192.168.64.5", "192.168.64.1");
	n[1] = tf_ipv4_udp(f[1], vm, server, "10.0.0.7", "10.0.0.1", 1, 2, NULL,
			   8);
	n[2] =
	    tf_dhcp_reply(f[2], server, vm, "192.168.64.1", "192.168.64.5", 5);
	n[3] = tf_ipv6_udp(f[3], vm, "fe80::1", "ff02::fb");
	n[4] = tf_ndp_na(f[4], vm, "fe80::1", "fd00::5");
	n[5] = tf_vlan_tag(f[5], tf_arp(f[5], vm, "10.1.1.1", "10.1.1.2"), 7);
	for (int k = 0; k < 6; k++) {
		struct guest_from_vm g;
		struct guest_to_vm d;
		unsigned full = from_vm_exact(f[k], n[k], &g);

		for (size_t len = 0; len < n[k]; len++) {
			unsigned what = from_vm_exact(f[k], len, &g);

			/* A cut frame says at most what the whole one
			 * says, never something else. */
			cr_assert_eq(what & ~full, 0, "frame %d cut to %zu", k,
				     len);
			cr_assert_not(k == 2 && to_vm_exact(f[k], len, &d),
				      "DHCP ACK cut to %zu still parsed", len);
		}
	}
}

/* Random bytes with the ethertypes the parser knows, at random lengths:
 * never a crash or a read past the end. */
Test(guest_frame, random_bytes_never_crash)
{
	static const uint16_t types[] = {0x0800, 0x0806, 0x86dd, 0x8100};
	unsigned seed = 12345;

	for (int i = 0; i < 20000; i++) {
		uint8_t f[300];
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof(f));
		struct guest_from_vm g;
		struct guest_to_vm d;

		for (size_t k = 0; k < sizeof(f); k++)
			f[k] = (uint8_t)rand_r(&seed);
		uint16_t t = types[rand_r(&seed) % 4];
		f[12] = (uint8_t)(t >> 8);
		f[13] = (uint8_t)t;
		f[14] = (uint8_t)(t == 0x86dd ? 0x60 : 0x45);
		unsigned what = from_vm_exact(f, len, &g);
		cr_assert_eq(what & ~0x0fu, 0);
		(void)to_vm_exact(f, len, &d);
	}
}
