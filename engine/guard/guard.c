/* SPDX-License-Identifier: Apache-2.0 */
/* guard.c - the guard's per-frame rules (guard.h): every field is read
 * only after the frame is known to hold it. */
#include "guard.h"

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_frame.h"
#include "ring.h"

#define ETH_HLEN	14
#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_ARP	0x0806
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_8021Q 0x8100
#define ETHERTYPE_QINQ	0x88a8
#define ETHERTYPE_QINQ1 0x9100 /* pre-802.1ad stacked tags */

#define ARP_LEN	      28 /* Ethernet + IPv4 (RFC 826) */
#define IPV4_HLEN     20
#define IPV6_HLEN     40
#define UDP_HLEN      8
#define PROTO_UDP     17
#define PROTO_ICMPV6  58
#define ICMPV6_HLEN   4
#define NDP_FIRST     133 /* Router Solicitation .. */
#define NDP_LAST      137 /* .. Redirect (RFC 4861 4) */
#define DHCP_CLIENT   68
#define DHCP_SERVER   67
#define DHCPV6_CLIENT 546
#define DHCPV6_SERVER 547

struct ip6 {
	uint64_t hi, lo;
};

struct guard {
	struct frame_filter filter;
	struct frame_inspector to_vm;
	struct frame_inspector *next_to_vm;

	/* Set at creation (and guard_set_mac()), read-only while running. */
	enum guard_mac_mode mac_mode;
	uint64_t mac; /* GUARD_MAC_FIXED */
	bool enforce_ip;
	bool watch_leases;   /* --enforce-ip without an IPv4 --guest-ip */
	bool rules4, rules6; /* a CIDR rule of that family exists */
	unsigned ipv4_n, ipv6_n;
	bool ipv6_ll_given; /* a --guest-ip is link-local */
	uint32_t ipv4[GUARD_GUEST_IPS_MAX];
	struct ip6 ipv6[GUARD_GUEST_IPS_MAX];
	struct guard_lpm *lpm;

	/* The socket worker's: learned, first wins. 0: not yet. */
	uint64_t learned_mac;
	uint32_t learned_ipv4;
	bool ll_known, gl_known;
	struct ip6 learned_ll, learned_gl;

	/* The host worker's: the last lease it published. */
	alignas(RING_CACHE_LINE) uint32_t lease_seen;
	/* Written by the host worker (release), read by the socket worker
	 * (acquire): the address the last DHCP ACK to the VM gave, host
	 * byte order, 0 none. One value: nothing else is published with
	 * it, and a stale read only delays a lease the VM has not been
	 * sent yet (see guard.h). */
	_Atomic uint32_t lease;
	/* Written by the socket worker (release) once it knows the VM's
	 * MAC, read by the host worker (acquire); 0: not known. */
	alignas(RING_CACHE_LINE) _Atomic uint64_t guest_mac;
};

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline struct ip6 get_ip6(const uint8_t *p)
{
	return (struct ip6){(uint64_t)get32(p) << 32 | get32(p + 4),
			    (uint64_t)get32(p + 8) << 32 | get32(p + 12)};
}

static inline bool ip6_eq(struct ip6 a, struct ip6 b)
{
	return a.hi == b.hi && a.lo == b.lo;
}

/* A MAC a NIC may send from: not a group address, not all zeros. */
static inline bool mac_is_unicast(uint64_t m)
{
	return m != 0 && !(m >> 40 & 1);
}

/* Could the VM own @a? Not 0/8, loopback, multicast, 240/4, broadcast. */
static inline bool ipv4_is_unicast(uint32_t a)
{
	uint8_t top = (uint8_t)(a >> 24);

	return top != 0 && top != 127 && top < 224;
}

static inline bool ip6_is_link_local(struct ip6 a)
{
	return (a.hi >> 54) == (0xfe80u >> 6); /* fe80::/10 */
}

/* Not ::, ::1, or multicast (ff00::/8). */
static inline bool ip6_is_unicast(struct ip6 a)
{
	return (a.hi >> 56) != 0xff && (a.hi != 0 || a.lo > 1);
}

bool guard_config_active(const struct guard_config *cfg)
{
	return cfg->mac_mode != GUARD_MAC_OFF || cfg->enforce_ip ||
	       cfg->cidr_n > 0;
}

static unsigned filter_batch(struct frame_filter *ff, struct pkt **pkts,
			     unsigned n, struct pkt **rejected,
			     struct counters_in *c);
static void inspect_to_vm(struct frame_inspector *fi, struct pkt *const *pkts,
			  unsigned n);

int guard_create(const struct guard_config *cfg, struct guard **gp)
{
	struct guard *g;
	int r;

	*gp = NULL;
	if (cfg->ipv4_n > GUARD_GUEST_IPS_MAX ||
	    cfg->ipv6_n > GUARD_GUEST_IPS_MAX || cfg->cidr_n > GUARD_CIDRS_MAX)
		return -EINVAL;
	g = aligned_alloc(RING_CACHE_LINE, (sizeof(*g) + RING_CACHE_LINE - 1) /
					       RING_CACHE_LINE *
					       RING_CACHE_LINE);
	if (!g)
		return -ENOMEM;
	memset(g, 0, sizeof(*g));
	r = guard_lpm_build(cfg->cidrs, cfg->cidr_n, &g->lpm);
	if (r) {
		free(g);
		return r;
	}
	g->filter.filter = filter_batch;
	g->to_vm.inspect = inspect_to_vm;
	g->mac_mode = cfg->mac_mode;
	g->mac = guest_mac_from_bytes(cfg->mac);
	g->enforce_ip = cfg->enforce_ip;
	g->ipv4_n = cfg->ipv4_n;
	for (unsigned i = 0; i < cfg->ipv4_n; i++)
		g->ipv4[i] = get32(cfg->ipv4[i]);
	g->ipv6_n = cfg->ipv6_n;
	for (unsigned i = 0; i < cfg->ipv6_n; i++) {
		g->ipv6[i] = get_ip6(cfg->ipv6[i]);
		g->ipv6_ll_given |= ip6_is_link_local(g->ipv6[i]);
	}
	g->rules4 = guard_lpm_count(g->lpm, 4) > 0;
	g->rules6 = guard_lpm_count(g->lpm, 6) > 0;
	g->watch_leases = cfg->enforce_ip && cfg->ipv4_n == 0;
	guard_forget(g);
	*gp = g;
	return 0;
}

void guard_destroy(struct guard *g)
{
	if (!g)
		return;
	guard_lpm_free(g->lpm);
	free(g);
}

void guard_set_mac(struct guard *g, const uint8_t mac[6])
{
	g->mac_mode = GUARD_MAC_FIXED;
	g->mac = guest_mac_from_bytes(mac);
	guard_forget(g);
}

void guard_forget(struct guard *g)
{
	g->learned_mac = 0;
	g->learned_ipv4 = 0;
	g->ll_known = g->gl_known = false;
	g->lease_seen = 0;
	/* Relaxed: no worker runs now; starting one orders these before
	 * its first access. */
	atomic_store_explicit(&g->lease, 0, memory_order_relaxed);
	atomic_store_explicit(&g->guest_mac,
			      g->mac_mode == GUARD_MAC_FIXED ? g->mac : 0,
			      memory_order_relaxed);
}

struct frame_filter *guard_filter(struct guard *g)
{
	return &g->filter;
}

struct frame_inspector *guard_to_vm(struct guard *g,
				    struct frame_inspector *next)
{
	g->next_to_vm = next;
	return g->watch_leases ? &g->to_vm : next;
}

/* The VM's MAC, learned once and told to the host worker. */
static void learn_mac(struct guard *g, uint64_t src)
{
	g->learned_mac = src;
	/* Release: pairs with the acquire in inspect_to_vm(). */
	atomic_store_explicit(&g->guest_mac, src, memory_order_release);
}

static bool mac_ok(struct guard *g, uint64_t src)
{
	switch (g->mac_mode) {
	case GUARD_MAC_FIXED:
		return src == g->mac;
	case GUARD_MAC_LEARN:
		if (g->learned_mac)
			return src == g->learned_mac;
		if (!mac_is_unicast(src))
			return false;
		learn_mac(g, src);
		return true;
	case GUARD_MAC_OFF:
		/* Not enforced; the first unicast source is still the VM's
		 * for the lease watch. */
		if (g->watch_leases && !g->learned_mac && mac_is_unicast(src))
			learn_mac(g, src);
		return true;
	}
	return false;
}

/* Whether the VM may send from @a (host byte order), learning the first. */
static bool ipv4_src_ok(struct guard *g, uint32_t a, uint32_t lease)
{
	if (g->ipv4_n) {
		for (unsigned i = 0; i < g->ipv4_n; i++)
			if (g->ipv4[i] == a)
				return true;
		return false;
	}
	if (lease)
		return a == lease;
	if (g->learned_ipv4)
		return a == g->learned_ipv4;
	if (!ipv4_is_unicast(a))
		return false;
	g->learned_ipv4 = a;
	return true;
}

static bool ipv6_src_ok(struct guard *g, struct ip6 a)
{
	bool ll = ip6_is_link_local(a);

	if (!ip6_is_unicast(a))
		return false;
	for (unsigned i = 0; i < g->ipv6_n; i++)
		if (ip6_eq(g->ipv6[i], a))
			return true;
	/* A given list covers its kinds; the kind it leaves out (always
	 * link-local, unless one is given) is learned. */
	if (ll && !g->ipv6_ll_given) {
		if (g->ll_known)
			return ip6_eq(a, g->learned_ll);
		g->learned_ll = a;
		g->ll_known = true;
		return true;
	}
	if (ll || g->ipv6_n)
		return false;
	if (g->gl_known)
		return ip6_eq(a, g->learned_gl);
	g->learned_gl = a;
	g->gl_known = true;
	return true;
}

static enum guard_verdict check_arp(struct guard *g, const uint8_t *f,
				    const uint8_t *p, uint32_t n,
				    uint32_t lease)
{
	if (n < ARP_LEN || get16(p) != 1 || get16(p + 2) != ETHERTYPE_IPV4 ||
	    p[4] != 6 || p[5] != 4) {
		/* Not Ethernet/IPv4 ARP: nothing in it can be checked. */
		if (g->mac_mode != GUARD_MAC_OFF)
			return GUARD_DROP_MAC;
		return g->enforce_ip ? GUARD_DROP_IP : GUARD_PASS;
	}
	if (g->mac_mode != GUARD_MAC_OFF && memcmp(p + 8, f + 6, 6) != 0)
		return GUARD_DROP_MAC;
	if (!g->enforce_ip)
		return GUARD_PASS;
	uint32_t spa = get32(p + 14);
	if (spa == 0)
		return GUARD_PASS; /* an RFC 5227 probe */
	return ipv4_src_ok(g, spa, lease) ? GUARD_PASS : GUARD_DROP_IP;
}

static enum guard_verdict check_ipv4(struct guard *g, const uint8_t *p,
				     uint32_t n, uint32_t lease)
{
	enum guard_verdict bad = g->enforce_ip ? GUARD_DROP_IP : GUARD_DROP_DST;
	uint32_t hlen, total, src;
	bool dhcp;

	if (!g->enforce_ip && !g->rules4)
		return GUARD_PASS;
	if (n < IPV4_HLEN || (p[0] >> 4) != 4)
		return bad;
	hlen = (uint32_t)(p[0] & 0x0f) * 4;
	total = get16(p + 2);
	/* Ethernet pads short frames, so the packet may end before the
	 * frame; it may never run past it. */
	if (hlen < IPV4_HLEN || total < hlen || total > n)
		return bad;
	src = get32(p + 12);
	/* DHCP client traffic: the first fragment holds the ports. */
	dhcp = p[9] == PROTO_UDP && (get16(p + 6) & 0x1fff) == 0 &&
	       total - hlen >= UDP_HLEN && get16(p + hlen) == DHCP_CLIENT &&
	       get16(p + hlen + 2) == DHCP_SERVER;
	if (g->enforce_ip && !(dhcp && src == 0) && !ipv4_src_ok(g, src, lease))
		return GUARD_DROP_IP;
	if (g->rules4 && !dhcp &&
	    guard_lpm_lookup4(g->lpm, get32(p + 16)) == GUARD_LPM_BLOCK)
		return GUARD_DROP_DST;
	return GUARD_PASS;
}

static enum guard_verdict check_ipv6(struct guard *g, const uint8_t *p,
				     uint32_t n)
{
	enum guard_verdict bad = g->enforce_ip ? GUARD_DROP_IP : GUARD_DROP_DST;
	uint32_t payload;
	struct ip6 src, dst;
	bool ndp, dhcp;

	if (!g->enforce_ip && !g->rules6)
		return GUARD_PASS;
	if (n < IPV6_HLEN || (p[0] >> 4) != 6)
		return bad;
	payload = get16(p + 4);
	if (payload > n - IPV6_HLEN)
		return bad;
	src = get_ip6(p + 8);
	dst = get_ip6(p + 24);
	/* NDP and DHCPv6 follow the IPv6 header directly in practice (RFC
	 * 4861 and 8415 send them without extension headers). */
	ndp = p[6] == PROTO_ICMPV6 && payload >= ICMPV6_HLEN &&
	      p[IPV6_HLEN] >= NDP_FIRST && p[IPV6_HLEN] <= NDP_LAST;
	dhcp = p[6] == PROTO_UDP && payload >= UDP_HLEN &&
	       get16(p + IPV6_HLEN) == DHCPV6_CLIENT &&
	       get16(p + IPV6_HLEN + 2) == DHCPV6_SERVER;
	if (g->enforce_ip && !(ndp && src.hi == 0 && src.lo == 0) &&
	    !ipv6_src_ok(g, src))
		return GUARD_DROP_IP;
	if (g->rules6 && !ndp && !dhcp &&
	    guard_lpm_lookup6(g->lpm, dst.hi, dst.lo) == GUARD_LPM_BLOCK)
		return GUARD_DROP_DST;
	return GUARD_PASS;
}

static enum guard_verdict check(struct guard *g, const uint8_t *f, uint32_t len,
				uint32_t lease)
{
	const uint8_t *p = f + ETH_HLEN;

	if (len < ETH_HLEN) /* the engine drops these before (port.c) */
		return g->mac_mode != GUARD_MAC_OFF ? GUARD_DROP_MAC
		       : g->enforce_ip		    ? GUARD_DROP_IP
						    : GUARD_DROP_DST;
	if (!mac_ok(g, guest_mac_from_bytes(f + 6)))
		return GUARD_DROP_MAC;
	switch (get16(f + 12)) {
	case ETHERTYPE_ARP:
		return check_arp(g, f, p, len - ETH_HLEN, lease);
	case ETHERTYPE_IPV4:
		return check_ipv4(g, p, len - ETH_HLEN, lease);
	case ETHERTYPE_IPV6:
		return check_ipv6(g, p, len - ETH_HLEN);
	case ETHERTYPE_8021Q:
	case ETHERTYPE_QINQ:
	case ETHERTYPE_QINQ1:
		return g->enforce_ip || g->rules4 || g->rules6 ? GUARD_DROP_VLAN
							       : GUARD_PASS;
	default:
		return GUARD_PASS;
	}
}

/* Acquire: pairs with the release in inspect_to_vm(). */
static uint32_t load_lease(struct guard *g)
{
	return g->watch_leases
		   ? atomic_load_explicit(&g->lease, memory_order_acquire)
		   : 0;
}

enum guard_verdict guard_check(struct guard *g, const uint8_t *f, uint32_t len)
{
	return check(g, f, len, load_lease(g));
}

static unsigned filter_batch(struct frame_filter *ff, struct pkt **pkts,
			     unsigned n, struct pkt **rejected,
			     struct counters_in *c)
{
	struct guard *g =
	    (struct guard *)((char *)ff - offsetof(struct guard, filter));
	uint32_t lease = load_lease(g); /* once a batch */
	unsigned kept = 0, nrej = 0;
	unsigned drops[GUARD_DROP_VLAN + 1] = {0};

	for (unsigned i = 0; i < n; i++) {
		enum guard_verdict v =
		    check(g, pkts[i]->data, pkts[i]->len, lease);

		if (v == GUARD_PASS) {
			pkts[kept++] = pkts[i];
		} else {
			rejected[nrej++] = pkts[i];
			drops[v]++;
		}
	}
	if (nrej) {
		if (drops[GUARD_DROP_MAC])
			counter_add(&c->drop_guard_mac, drops[GUARD_DROP_MAC]);
		if (drops[GUARD_DROP_IP])
			counter_add(&c->drop_guard_ip, drops[GUARD_DROP_IP]);
		if (drops[GUARD_DROP_DST])
			counter_add(&c->drop_guard_dst, drops[GUARD_DROP_DST]);
		if (drops[GUARD_DROP_VLAN])
			counter_add(&c->drop_guard_vlan,
				    drops[GUARD_DROP_VLAN]);
	}
	return kept;
}

static void inspect_to_vm(struct frame_inspector *fi, struct pkt *const *pkts,
			  unsigned n)
{
	struct guard *g =
	    (struct guard *)((char *)fi - offsetof(struct guard, to_vm));
	/* Acquire: pairs with the release in learn_mac(). Once a batch. */
	uint64_t mac =
	    atomic_load_explicit(&g->guest_mac, memory_order_acquire);

	for (unsigned i = 0; mac && i < n; i++) {
		struct guest_to_vm ack;

		if (!guest_frame_to_vm(pkts[i]->data, pkts[i]->len, &ack) ||
		    ack.chaddr != mac)
			continue;
		uint32_t a = get32((const uint8_t *)&ack.yiaddr);
		if (a == g->lease_seen)
			continue; /* a renewal: nothing new to publish */
		g->lease_seen = a;
		/* Release: pairs with the acquire in load_lease(). Stored
		 * before this batch goes on the ring towards the VM, so the
		 * socket worker, which dequeues the ACK to send it, sees it
		 * before the VM can use the address. */
		atomic_store_explicit(&g->lease, a, memory_order_release);
	}
	if (g->next_to_vm)
		g->next_to_vm->inspect(g->next_to_vm, pkts, n);
}

/* Append to @buf like snprintf at its end. */
#define APPEND(buf, len, ...)                                                  \
	do {                                                                   \
		size_t used_ = strlen(buf);                                    \
		if (used_ < (len))                                             \
			snprintf((buf) + used_, (len)-used_, __VA_ARGS__);     \
	} while (0)

void guard_describe(const struct guard *g, char *buf, size_t len)
{
	uint64_t m = g->mac;

	if (!len)
		return;
	buf[0] = '\0';
	if (g->mac_mode == GUARD_MAC_FIXED)
		APPEND(buf, len,
		       "source MAC %02x:%02x:%02x:%02x:%02x:%02x only",
		       (unsigned)(m >> 40 & 0xff), (unsigned)(m >> 32 & 0xff),
		       (unsigned)(m >> 24 & 0xff), (unsigned)(m >> 16 & 0xff),
		       (unsigned)(m >> 8 & 0xff), (unsigned)(m & 0xff));
	else if (g->mac_mode == GUARD_MAC_LEARN)
		APPEND(buf, len, "source MAC: the first one the VM uses");
	else
		APPEND(buf, len, "any source MAC");
	if (g->enforce_ip) {
		if (g->ipv4_n)
			APPEND(buf, len, "; IPv4 source: %u --guest-ip",
			       g->ipv4_n);
		else
			APPEND(buf, len,
			       "; IPv4 source: its DHCP lease, else "
			       "the first it uses");
		if (g->ipv6_n)
			APPEND(buf, len, "; IPv6 source: %u --guest-ip%s",
			       g->ipv6_n,
			       g->ipv6_ll_given ? ""
						: " and the first "
						  "link-local");
		else
			APPEND(buf, len,
			       "; IPv6 source: the first link-local "
			       "and the first other it uses");
	} else {
		APPEND(buf, len, "; any source address");
	}
	if (g->rules4 || g->rules6)
		APPEND(buf, len,
		       "; destinations: %u IPv4 and %u IPv6 rules, longest "
		       "prefix wins, no match passes",
		       guard_lpm_count(g->lpm, 4), guard_lpm_count(g->lpm, 6));
	else
		APPEND(buf, len, "; any destination");
}
