/* SPDX-License-Identifier: Apache-2.0 */
/* test_guard.c - the guard's rules, one scenario per table: the VM's MAC
 * (given, learned), its IPv4 and IPv6 sources (given, learned, leased),
 * what always passes (DHCP, ARP, NDP), VLAN tags, truncated frames and the
 * batch filter's order and counters. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "test_frames.h"

#define ROWS(a) (sizeof(a) / sizeof((a)[0]))
#define VM_MAC	"52:54:00:12:34:56"
#define OTHER	"52:54:00:ab:cd:ef"
#define GROUP	"01:00:5e:00:00:01"
#define SERVER	"5a:94:ef:00:00:01"

enum kind {
	V4,	    /* UDP 5000 -> 5001, src -> dst */
	DHCP4,	    /* UDP 68 -> 67, src -> 255.255.255.255 */
	ARP,	    /* sender src, target dst */
	ARP_SHA,    /* ... whose sender hardware address is OTHER */
	V6,	    /* UDP src -> dst */
	NDP,	    /* ICMPv6 type 135 (NS) from src to dst */
	DHCP6,	    /* UDP 546 -> 547 from src to ff02::1:2 */
	VLAN4,	    /* V4 with an 802.1Q tag */
	OTHER_TYPE, /* ethertype 0x88b5 */
	ACK,	    /* towards the VM: a DHCP ACK giving dst to mac */
};

struct step {
	enum kind kind;
	const char *mac; /* the frame's source MAC (ACK: chaddr) */
	const char *src, *dst;
	enum guard_verdict want;
};

#define STEPS_MAX 12

struct scenario {
	const char *name;
	enum guard_mac_mode mac_mode;
	bool enforce_ip;
	const char *guest_ips[4];
	const char *allow[4], *block[4];
	struct step steps[STEPS_MAX];
};

static struct pkt *pkt_new(void)
{
	/* aligned_alloc() wants a multiple of the alignment (C11). */
	size_t size = (sizeof(struct pkt) + TEST_FRAME_MAX + 63) / 64 * 64;
	struct pkt *p = aligned_alloc(64, size);

	cr_assert_not_null(p);
	memset(p, 0, size);
	return p;
}

static void cidr(struct guard_cidr *c, const char *s, bool block)
{
	char text[64];
	const char *slash = strchr(s, '/');

	snprintf(text, sizeof(text), "%.*s", (int)(slash - s), s);
	memset(c, 0, sizeof(*c));
	c->block = block;
	c->len = (uint8_t)atoi(slash + 1);
	c->family = 4;
	if (inet_pton(AF_INET, text, c->addr) != 1) {
		cr_assert_eq(inet_pton(AF_INET6, text, c->addr), 1, "%s", s);
		c->family = 6;
	}
}

static struct guard *make(const struct scenario *s)
{
	static struct guard_config cfg; /* large: not on the stack */
	struct guard *g;

	memset(&cfg, 0, sizeof(cfg));
	cfg.mac_mode = s->mac_mode;
	tf_mac(VM_MAC, cfg.mac);
	cfg.enforce_ip = s->enforce_ip;
	for (int i = 0; i < 4 && s->guest_ips[i]; i++) {
		if (inet_pton(AF_INET, s->guest_ips[i], cfg.ipv4[cfg.ipv4_n]) ==
		    1)
			cfg.ipv4_n++;
		else
			cr_assert_eq(inet_pton(AF_INET6, s->guest_ips[i],
					       cfg.ipv6[cfg.ipv6_n++]),
				     1);
	}
	for (int i = 0; i < 4 && s->allow[i]; i++)
		cidr(&cfg.cidrs[cfg.cidr_n++], s->allow[i], false);
	for (int i = 0; i < 4 && s->block[i]; i++)
		cidr(&cfg.cidrs[cfg.cidr_n++], s->block[i], true);
	cr_assert_eq(guard_create(&cfg, &g), 0);
	return g;
}

static size_t build(uint8_t *f, const struct step *st)
{
	uint8_t mac[6], other[6], dst_mac[6], server[6];
	size_t n;

	tf_mac(st->mac ? st->mac : VM_MAC, mac);
	tf_mac(OTHER, other);
	tf_mac(SERVER, server);
	memset(dst_mac, 0xff, 6);
	switch (st->kind) {
	case V4:
	case VLAN4:
		n = tf_ipv4_udp(f, mac, server, st->src, st->dst, 5000, 5001,
				NULL, 8);
		return st->kind == VLAN4 ? tf_vlan_tag(f, n, 7) : n;
	case DHCP4:
		return tf_ipv4_udp(f, mac, dst_mac, st->src, "255.255.255.255",
				   68, 67, NULL, 300);
	case ARP:
	case ARP_SHA:
		n = tf_arp(f, mac, st->src, st->dst);
		if (st->kind == ARP_SHA)
			memcpy(f + 14 + 8, other, 6);
		return n;
	case V6:
	case NDP:
	case DHCP6:
		n = st->kind == NDP
			? tf_ndp_na(f, mac, st->src, "fe80::99")
			: tf_ipv6_udp(f, mac, st->src,
				      st->dst ? st->dst : "ff02::1:2");
		if (st->kind == NDP) {
			f[14 + 40] = 135;
			inet_pton(AF_INET6, st->dst, f + 14 + 24);
		}
		if (st->kind == DHCP6) {
			f[14 + 40] = 546 >> 8, f[14 + 41] = 546 & 0xff;
			f[14 + 42] = 547 >> 8, f[14 + 43] = 547 & 0xff;
		}
		return n;
	case OTHER_TYPE:
		memset(f, 0, 60);
		memcpy(f, dst_mac, 6);
		memcpy(f + 6, mac, 6);
		f[12] = 0x88, f[13] = 0xb5;
		return 60;
	case ACK:
		return tf_dhcp_reply(f, server, mac, "192.168.64.1", st->dst,
				     5);
	}
	return 0;
}

static void run(const struct scenario *s)
{
	struct guard *g = make(s);
	struct frame_inspector *to_vm = guard_to_vm(g, NULL);
	struct pkt *p = pkt_new();

	for (int i = 0; i < STEPS_MAX && (s->steps[i].src || s->steps[i].dst ||
					  s->steps[i].kind == OTHER_TYPE);
	     i++) {
		const struct step *st = &s->steps[i];

		p->len = (uint32_t)build(p->data, st);
		if (st->kind == ACK) {
			cr_assert_not_null(to_vm, "%s: no inspector", s->name);
			struct pkt *batch[1] = {p};
			to_vm->inspect(to_vm, batch, 1);
			continue;
		}
		cr_expect_eq(guard_check(g, p->data, p->len), st->want,
			     "%s, step %d: verdict %d, want %d", s->name, i,
			     guard_check(g, p->data, p->len), st->want);
	}
	free(p);
	guard_destroy(g);
}

static const struct scenario scenarios[] = {
    {"mac given: the VM's passes, others and groups drop",
     GUARD_MAC_FIXED,
     false,
     {0},
     {0},
     {0},
     {{V4, VM_MAC, "10.0.0.2", "10.0.0.1", GUARD_PASS},
      {V4, OTHER, "10.0.0.2", "10.0.0.1", GUARD_DROP_MAC},
      {V4, GROUP, "10.0.0.2", "10.0.0.1", GUARD_DROP_MAC},
      {ARP, VM_MAC, "10.0.0.9", "10.0.0.1", GUARD_PASS},
      {ARP_SHA, VM_MAC, "10.0.0.2", "10.0.0.1", GUARD_DROP_MAC},
      {VLAN4, VM_MAC, "10.0.0.2", "10.0.0.1", GUARD_PASS},
      {VLAN4, OTHER, "10.0.0.2", "10.0.0.1", GUARD_DROP_MAC}}},
    {"mac learn: the first unicast source wins",
     GUARD_MAC_LEARN,
     false,
     {0},
     {0},
     {0},
     {{V4, GROUP, "10.0.0.2", "10.0.0.1", GUARD_DROP_MAC},
      {V4, OTHER, "10.0.0.2", "10.0.0.1", GUARD_PASS},
      {V4, VM_MAC, "10.0.0.2", "10.0.0.1", GUARD_DROP_MAC},
      {V4, OTHER, "10.0.0.3", "10.0.0.1", GUARD_PASS}}},
    {"ip learn: the first IPv4 source wins; DHCP and probes pass",
     GUARD_MAC_OFF,
     true,
     {0},
     {0},
     {0},
     {{DHCP4, NULL, "0.0.0.0", NULL, GUARD_PASS},
      {V4, NULL, "0.0.0.0", "10.0.0.1", GUARD_DROP_IP},
      {ARP, NULL, "0.0.0.0", "10.0.0.2", GUARD_PASS},
      {V4, NULL, "224.0.0.5", "10.0.0.1", GUARD_DROP_IP},
      {ARP, NULL, "10.0.0.2", "10.0.0.1", GUARD_PASS},
      {V4, NULL, "10.0.0.2", "10.0.0.1", GUARD_PASS},
      {V4, NULL, "10.0.0.3", "10.0.0.1", GUARD_DROP_IP},
      {ARP, NULL, "10.0.0.3", "10.0.0.1", GUARD_DROP_IP},
      {DHCP4, NULL, "10.0.0.3", NULL, GUARD_DROP_IP},
      {DHCP4, NULL, "10.0.0.2", NULL, GUARD_PASS},
      {OTHER_TYPE, NULL, NULL, NULL, GUARD_PASS}}},
    {"ip lease: an ACK to the VM's MAC replaces the learned address",
     GUARD_MAC_OFF,
     true,
     {0},
     {0},
     {0},
     {{DHCP4, NULL, "0.0.0.0", NULL, GUARD_PASS},
      {V4, NULL, "10.0.0.7", "10.0.0.1", GUARD_PASS},
      {ACK, OTHER, NULL, "192.168.64.9", GUARD_PASS},
      {V4, NULL, "10.0.0.7", "10.0.0.1", GUARD_PASS},
      {ACK, VM_MAC, NULL, "192.168.64.5", GUARD_PASS},
      {V4, NULL, "10.0.0.7", "10.0.0.1", GUARD_DROP_IP},
      {V4, NULL, "192.168.64.5", "10.0.0.1", GUARD_PASS},
      {ARP, NULL, "192.168.64.5", "192.168.64.1", GUARD_PASS},
      {ACK, VM_MAC, NULL, "192.168.64.6", GUARD_PASS},
      {V4, NULL, "192.168.64.5", "10.0.0.1", GUARD_DROP_IP},
      {V4, NULL, "192.168.64.6", "10.0.0.1", GUARD_PASS}}},
    {"ip given: only the --guest-ip addresses; link-local is learned",
     GUARD_MAC_FIXED,
     true,
     {"192.168.64.2", "fd00::2"},
     {0},
     {0},
     {{V4, NULL, "192.168.64.2", "10.0.0.1", GUARD_PASS},
      {V4, NULL, "192.168.64.3", "10.0.0.1", GUARD_DROP_IP},
      {DHCP4, NULL, "0.0.0.0", NULL, GUARD_PASS},
      {V6, NULL, "fd00::2", "fd00::1", GUARD_PASS},
      {V6, NULL, "fd00::3", "fd00::1", GUARD_DROP_IP},
      {V6, NULL, "fe80::2", "ff02::1", GUARD_PASS},
      {V6, NULL, "fe80::3", "ff02::1", GUARD_DROP_IP},
      {V4, OTHER, "192.168.64.2", "10.0.0.1", GUARD_DROP_MAC}}},
    {"ipv6 learn: first link-local and first other; :: only in NDP",
     GUARD_MAC_OFF,
     true,
     {0},
     {0},
     {0},
     {{NDP, NULL, "::", "ff02::1:ff00:2", GUARD_PASS},
      {V6, NULL, "::", "ff02::1", GUARD_DROP_IP},
      {V6, NULL, "ff02::5", "ff02::1", GUARD_DROP_IP},
      {NDP, NULL, "fe80::2", "ff02::2", GUARD_PASS},
      {V6, NULL, "fe80::2", "ff02::1", GUARD_PASS},
      {NDP, NULL, "fe80::3", "ff02::2", GUARD_DROP_IP},
      {V6, NULL, "2001:db8::2", "2001:db8::1", GUARD_PASS},
      {V6, NULL, "2001:db8::3", "2001:db8::1", GUARD_DROP_IP},
      {DHCP6, NULL, "fe80::2", NULL, GUARD_PASS}}},
    {"vlan: tagged frames drop once a source or destination is checked",
     GUARD_MAC_FIXED,
     true,
     {0},
     {0},
     {0},
     {{VLAN4, NULL, "10.0.0.2", "10.0.0.1", GUARD_DROP_VLAN},
      {VLAN4, OTHER, "10.0.0.2", "10.0.0.1", GUARD_DROP_MAC}}},
    {"dst: block everything but 10/8; ARP, NDP, DHCP still pass",
     GUARD_MAC_OFF,
     false,
     {0},
     {"10.0.0.0/8", "fd00::/8"},
     {"0.0.0.0/0", "::/0", "10.9.0.0/16"},
     {{V4, NULL, "10.0.0.2", "10.1.2.3", GUARD_PASS},
      {V4, NULL, "10.0.0.2", "10.9.2.3", GUARD_DROP_DST},
      {V4, NULL, "10.0.0.2", "8.8.8.8", GUARD_DROP_DST},
      {DHCP4, NULL, "0.0.0.0", NULL, GUARD_PASS},
      {ARP, NULL, "10.0.0.2", "8.8.8.8", GUARD_PASS},
      {V6, NULL, "fd00::2", "fd12::1", GUARD_PASS},
      {V6, NULL, "fd00::2", "2001:db8::1", GUARD_DROP_DST},
      {NDP, NULL, "fe80::2", "ff02::2", GUARD_PASS},
      {DHCP6, NULL, "fe80::2", NULL, GUARD_PASS},
      {VLAN4, NULL, "10.0.0.2", "10.1.2.3", GUARD_DROP_VLAN},
      {OTHER_TYPE, NULL, NULL, NULL, GUARD_PASS}}},
};

Test(guard, scenarios_table)
{
	for (size_t i = 0; i < ROWS(scenarios); i++)
		run(&scenarios[i]);
}

Test(guard, inactive_config_enforces_nothing)
{
	static struct guard_config cfg;

	cr_assert_not(guard_config_active(&cfg));
	cfg.cidr_n = 1;
	cr_assert(guard_config_active(&cfg));
}

Test(guard, lease_inspector_only_when_it_is_needed)
{
	static const struct scenario given = {
	    "", GUARD_MAC_OFF, true, {"10.0.0.2"}, {0}, {0}, {{0}}};
	static const struct scenario learned = {"",  GUARD_MAC_OFF, true, {0},
						{0}, {0},	    {{0}}};
	struct frame_inspector next = {0};
	struct guard *g = make(&given);

	cr_assert_eq(guard_to_vm(g, &next), &next);
	guard_destroy(g);
	g = make(&learned);
	cr_assert_neq(guard_to_vm(g, &next), &next);
	guard_destroy(g);
}

/* The lease inspector passes every batch on to the next one, unchanged. */
static unsigned next_seen;
static void count_next(struct frame_inspector *fi, struct pkt *const *pkts,
		       unsigned n)
{
	(void)fi;
	(void)pkts;
	next_seen += n;
}

Test(guard, lease_inspector_calls_the_next_one)
{
	static const struct scenario learned = {"",  GUARD_MAC_OFF, true, {0},
						{0}, {0},	    {{0}}};
	struct frame_inspector next = {.inspect = count_next};
	struct guard *g = make(&learned);
	struct frame_inspector *fi = guard_to_vm(g, &next);
	struct pkt *p[2] = {pkt_new(), pkt_new()};

	p[0]->len = p[1]->len = 60;
	fi->inspect(fi, p, 2);
	cr_assert_eq(next_seen, 2);
	free(p[0]);
	free(p[1]);
	guard_destroy(g);
}

/* Every prefix of every kind of frame: safe (ASan checks the reads), and
 * one cut inside the headers it checks never passes. */
Test(guard, truncated_frames_are_safe_and_never_pass_unchecked)
{
	static const struct scenario all = {
	    "",	 GUARD_MAC_FIXED,	   true, {0},
	    {0}, {"192.0.2.0/24", "::/0"}, {{0}}};
	static const struct step kinds[] = {
	    {V4, NULL, "10.0.0.2", "10.0.0.1", 0},
	    {ARP, NULL, "10.0.0.2", "10.0.0.1", 0},
	    {V6, NULL, "fe80::2", "ff02::1", 0},
	    {NDP, NULL, "::", "ff02::1:ff00:2", 0},
	    {DHCP4, NULL, "0.0.0.0", NULL, 0},
	};
	/* The length each kind must reach to be checked whole. */
	static const uint32_t whole[] = {14 + 20, 14 + 28, 14 + 40, 14 + 44,
					 14 + 28};

	for (size_t k = 0; k < ROWS(kinds); k++) {
		struct guard *g = make(&all);
		uint8_t full[TEST_FRAME_MAX];
		size_t n = build(full, &kinds[k]);

		for (uint32_t len = 0; len < n; len++) {
			/* A copy of exactly len bytes, so a read past it
			 * is a heap overflow. */
			uint8_t *f = malloc(len ? len : 1);
			memcpy(f, full, len);
			enum guard_verdict v = guard_check(g, f, len);
			if (len < whole[k])
				cr_expect_neq(v, GUARD_PASS,
					      "kind %zu cut at %u passed", k,
					      len);
			free(f);
		}
		guard_destroy(g);
	}
}

Test(guard, filter_keeps_order_and_counts_each_reason)
{
	static const struct scenario s = {
	    "",	 GUARD_MAC_FIXED, true, {"10.0.0.2"},
	    {0}, {"8.8.8.8/32"},  {{0}}};
	static const struct step steps[] = {
	    {V4, NULL, "10.0.0.2", "10.0.0.1", GUARD_PASS},
	    {V4, OTHER, "10.0.0.2", "10.0.0.1", GUARD_DROP_MAC},
	    {V4, NULL, "10.0.0.2", "10.0.0.3", GUARD_PASS},
	    {V4, NULL, "10.0.0.9", "10.0.0.1", GUARD_DROP_IP},
	    {V4, NULL, "10.0.0.2", "8.8.8.8", GUARD_DROP_DST},
	    {VLAN4, NULL, "10.0.0.2", "10.0.0.1", GUARD_DROP_VLAN},
	    {V4, NULL, "10.0.0.2", "10.0.0.4", GUARD_PASS},
	};
	struct guard *g = make(&s);
	struct frame_filter *ff = guard_filter(g);
	struct pkt *pkts[ROWS(steps)], *orig[ROWS(steps)], *rej[ROWS(steps)];
	struct counters_in c = {0};

	for (size_t i = 0; i < ROWS(steps); i++) {
		orig[i] = pkts[i] = pkt_new();
		pkts[i]->len = (uint32_t)build(pkts[i]->data, &steps[i]);
	}
	unsigned kept = ff->filter(ff, pkts, ROWS(steps), rej, &c);
	cr_assert_eq(kept, 3);
	cr_assert_eq(pkts[0], orig[0]);
	cr_assert_eq(pkts[1], orig[2]);
	cr_assert_eq(pkts[2], orig[6]);
	cr_assert_eq(rej[0], orig[1]);
	cr_assert_eq(rej[3], orig[5]);
	cr_assert_eq(counter_get(&c.drop_guard_mac), 1);
	cr_assert_eq(counter_get(&c.drop_guard_ip), 1);
	cr_assert_eq(counter_get(&c.drop_guard_dst), 1);
	cr_assert_eq(counter_get(&c.drop_guard_vlan), 1);
	for (size_t i = 0; i < ROWS(steps); i++)
		free(orig[i]);
	guard_destroy(g);
}

Test(guard, forget_learns_again_for_the_next_client)
{
	static const struct scenario s = {
	    "", GUARD_MAC_LEARN, true, {0}, {0}, {0}, {{0}}};
	struct guard *g = make(&s);
	struct pkt *p = pkt_new();
	struct step a = {V4, VM_MAC, "10.0.0.2", "10.0.0.1", 0};
	struct step b = {V4, OTHER, "10.0.0.3", "10.0.0.1", 0};

	p->len = (uint32_t)build(p->data, &a);
	cr_assert_eq(guard_check(g, p->data, p->len), GUARD_PASS);
	p->len = (uint32_t)build(p->data, &b);
	cr_assert_eq(guard_check(g, p->data, p->len), GUARD_DROP_MAC);
	guard_forget(g);
	cr_assert_eq(guard_check(g, p->data, p->len), GUARD_PASS);
	free(p);
	guard_destroy(g);
}

Test(guard, describe_names_what_is_enforced)
{
	static const struct scenario s = {"",		GUARD_MAC_FIXED, true,
					  {"10.0.0.2"}, {"10.0.0.0/8"},	 {0},
					  {{0}}};
	struct guard *g = make(&s);
	char buf[512];

	guard_describe(g, buf, sizeof(buf));
	cr_assert(strstr(buf, "source MAC 52:54:00:12:34:56 only"), "%s", buf);
	cr_assert(strstr(buf, "IPv4 source: 1 --guest-ip"), "%s", buf);
	cr_assert(strstr(buf, "1 IPv4 and 0 IPv6 rules"), "%s", buf);
	guard_destroy(g);
}
