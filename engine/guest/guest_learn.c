/* SPDX-License-Identifier: Apache-2.0 */
/* guest_learn.c - the guest-address learner: two inspectors that write
 * their own side's state, a sequence lock each, and the reader's merge
 * (the protocol is in guest_learn.h). */
#include "guest_learn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest_frame.h"
#include "ring.h"

/* Sequence reads that may meet a writer before the reader gives up. */
#define SNAPSHOT_TRIES 4

/* Written by the socket worker (frames from the VM). */
struct vm_side {
	struct frame_inspector fi;
	/* Shared: the writer's release stores, the reader's acquire loads. */
	_Atomic uint32_t seq;
	_Atomic uint64_t mac;
	_Atomic uint32_t arp_ipv4;
	_Atomic uint64_t arp_at; /* CLOCK_MONOTONIC ns of its last change */
	_Atomic uint32_t src_ipv4;
	_Atomic uint32_t ipv6_count;
	_Atomic uint64_t ipv6[GUEST_IPV6_MAX][2];
	/* The writer's own copies, read on the packet path without atomics. */
	uint32_t w_seq;
	uint64_t w_mac;
	uint32_t w_arp, w_src;
	uint64_t w_arp_at;
	unsigned w_ipv6_count, w_ipv6_next, w_ipv6_hit;
	uint8_t w_ipv6[GUEST_IPV6_MAX][16];
};

/* Written by the host worker (frames for the VM). */
struct host_side {
	struct frame_inspector fi;
	_Atomic uint32_t seq;
	_Atomic uint32_t dhcp_ipv4;
	_Atomic uint64_t dhcp_at;
	uint32_t w_seq;
	uint32_t w_dhcp;
	uint64_t w_dhcp_at;
};

struct guest_learn {
	/* Each side on its own cache lines: two writers, no false sharing. */
	alignas(RING_CACHE_LINE) struct vm_side vm;
	alignas(RING_CACHE_LINE) struct host_side host;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Open a write section once per batch: the odd sequence goes first. */
static void begin_write(_Atomic uint32_t *seq, uint32_t *w_seq, bool *open)
{
	if (*open)
		return;
	*open = true;
	/* Relaxed: what orders it before the field stores is their own
	 * release (see guest_learn.h). */
	atomic_store_explicit(seq, ++*w_seq, memory_order_relaxed);
}

static void end_write(_Atomic uint32_t *seq, uint32_t *w_seq, bool open)
{
	if (!open)
		return;
	/* Release: pairs with the reader's first, acquire, sequence load;
	 * publishes every field stored since begin_write(). */
	atomic_store_explicit(seq, ++*w_seq, memory_order_release);
}

static void pub32(_Atomic uint32_t *f, uint32_t v)
{
	/* Release: pairs with the reader's acquire field loads. */
	atomic_store_explicit(f, v, memory_order_release);
}

static void pub64(_Atomic uint64_t *f, uint64_t v)
{
	atomic_store_explicit(f, v, memory_order_release); /* as pub32() */
}

/*
 * Whether an address announced again, the one this side published last,
 * is news: the other side has published a later one since (its time,
 * @other_at, is after ours, @mine_at), so that "the later wins" holds for
 * a lease renewed after the guest spoke of another address, or the
 * guest's own address named again after a lease. Relaxed: one word that
 * the other worker stores whole and nothing else is read through; a stale
 * value only waits for the next announcement. Reached for ARP packets
 * and DHCP ACKs only, never for the common frame.
 */
static bool announced_again_is_news(_Atomic uint64_t *other_at,
				    uint64_t mine_at)
{
	return atomic_load_explicit(other_at, memory_order_relaxed) > mine_at;
}

static uint64_t half(const uint8_t *a)
{
	uint64_t v;

	memcpy(&v, a, 8);
	return v;
}

/* Learn one IPv6 address of the guest's; the packet path's common case,
 * the address seen last time, costs one comparison. */
static void learn_ipv6(struct vm_side *v, const uint8_t *a, bool *open)
{
	unsigned i = v->w_ipv6_hit;

	if (i < v->w_ipv6_count && memcmp(v->w_ipv6[i], a, 16) == 0)
		return;
	for (i = 0; i < v->w_ipv6_count; i++) {
		if (memcmp(v->w_ipv6[i], a, 16) == 0) {
			v->w_ipv6_hit = i;
			return;
		}
	}
	/* New: the next free slot, or the oldest one when all are used. */
	i = v->w_ipv6_next;
	v->w_ipv6_next = (i + 1) % GUEST_IPV6_MAX;
	memcpy(v->w_ipv6[i], a, 16);
	v->w_ipv6_hit = i;
	begin_write(&v->seq, &v->w_seq, open);
	pub64(&v->ipv6[i][0], half(a));
	pub64(&v->ipv6[i][1], half(a + 8));
	if (v->w_ipv6_count < GUEST_IPV6_MAX)
		pub32(&v->ipv6_count, ++v->w_ipv6_count);
}

static void inspect_from_vm(struct frame_inspector *fi, struct pkt *const *pkts,
			    unsigned n)
{
	struct vm_side *v = (struct vm_side *)fi; /* fi is its first member */
	struct guest_learn *l =
	    (struct guest_learn *)((char *)v -
				   offsetof(struct guest_learn, vm));
	bool open = false;

	for (unsigned k = 0; k < n; k++) {
		struct guest_from_vm g;
		unsigned what =
		    guest_frame_from_vm(pkts[k]->data, pkts[k]->len, &g);

		if (v->w_mac != g.src_mac) {
			/* The first unicast source is the guest; a frame
			 * from any other MAC is someone else's. */
			if (v->w_mac || g.src_mac == 0 || (g.src_mac >> 40) & 1)
				continue;
			v->w_mac = g.src_mac;
			begin_write(&v->seq, &v->w_seq, &open);
			pub64(&v->mac, g.src_mac);
		}
		if (!what)
			continue;
		if ((what & GUEST_FROM_VM_ARP) &&
		    (g.ipv4 != v->w_arp ||
		     announced_again_is_news(&l->host.dhcp_at, v->w_arp_at))) {
			v->w_arp = g.ipv4;
			v->w_arp_at = now_ns();
			begin_write(&v->seq, &v->w_seq, &open);
			pub32(&v->arp_ipv4, g.ipv4);
			pub64(&v->arp_at, v->w_arp_at);
		}
		if ((what & GUEST_FROM_VM_IPV4_SRC) && !v->w_src) {
			v->w_src = g.ipv4;
			begin_write(&v->seq, &v->w_seq, &open);
			pub32(&v->src_ipv4, g.ipv4);
		}
		if (what & GUEST_FROM_VM_IPV6_SRC)
			learn_ipv6(v, g.ipv6_src, &open);
		if (what & GUEST_FROM_VM_NDP_TARGET)
			learn_ipv6(v, g.ndp_target, &open);
	}
	end_write(&v->seq, &v->w_seq, open);
}

static void inspect_to_vm(struct frame_inspector *fi, struct pkt *const *pkts,
			  unsigned n)
{
	struct host_side *h = (struct host_side *)fi;
	struct guest_learn *l =
	    (struct guest_learn *)((char *)h -
				   offsetof(struct guest_learn, host));
	bool open = false;

	for (unsigned k = 0; k < n; k++) {
		struct guest_to_vm g;

		if (!guest_frame_to_vm(pkts[k]->data, pkts[k]->len, &g))
			continue;
		/* Relaxed: one word, which the other worker stores whole;
		 * nothing else is read through it. An ACK that races with
		 * the MAC's first store is only for a guest that has not
		 * sent yet, so it cannot be its own. */
		uint64_t mac =
		    atomic_load_explicit(&l->vm.mac, memory_order_relaxed);
		if (!mac || g.chaddr != mac ||
		    (g.yiaddr == h->w_dhcp &&
		     !announced_again_is_news(&l->vm.arp_at, h->w_dhcp_at)))
			continue;
		h->w_dhcp = g.yiaddr;
		h->w_dhcp_at = now_ns();
		begin_write(&h->seq, &h->w_seq, &open);
		pub32(&h->dhcp_ipv4, g.yiaddr);
		pub64(&h->dhcp_at, h->w_dhcp_at);
	}
	end_write(&h->seq, &h->w_seq, open);
}

int guest_learn_create(struct guest_learn **lp)
{
	struct guest_learn *l = aligned_alloc(
	    RING_CACHE_LINE, (sizeof(*l) + RING_CACHE_LINE - 1) /
				 RING_CACHE_LINE * RING_CACHE_LINE);

	*lp = NULL;
	if (!l)
		return -ENOMEM;
	memset(l, 0, sizeof(*l));
	l->vm.fi.inspect = inspect_from_vm;
	l->host.fi.inspect = inspect_to_vm;
	*lp = l;
	return 0;
}

void guest_learn_destroy(struct guest_learn *l)
{
	free(l);
}

struct frame_inspector *guest_learn_from_vm(struct guest_learn *l)
{
	return &l->vm.fi;
}

struct frame_inspector *guest_learn_to_vm(struct guest_learn *l)
{
	return &l->host.fi;
}

static uint32_t get32(_Atomic uint32_t *f)
{
	/* Acquire: pairs with pub32(); see guest_learn.h. */
	return atomic_load_explicit(f, memory_order_acquire);
}

static uint64_t get64(_Atomic uint64_t *f)
{
	return atomic_load_explicit(f, memory_order_acquire);
}

/* One consistent read of the VM side, or false after SNAPSHOT_TRIES. */
static bool read_vm(struct vm_side *v, struct guest_addrs *out, uint32_t *arp,
		    uint64_t *arp_at, uint32_t *src)
{
	for (int t = 0; t < SNAPSHOT_TRIES; t++) {
		/* Acquire: pairs with end_write()'s release. */
		uint32_t s1 =
		    atomic_load_explicit(&v->seq, memory_order_acquire);

		if (s1 & 1)
			continue;
		out->mac = get64(&v->mac);
		*arp = get32(&v->arp_ipv4);
		*arp_at = get64(&v->arp_at);
		*src = get32(&v->src_ipv4);
		out->ipv6_count = get32(&v->ipv6_count);
		if (out->ipv6_count > GUEST_IPV6_MAX)
			out->ipv6_count = GUEST_IPV6_MAX;
		for (unsigned i = 0; i < out->ipv6_count; i++) {
			uint64_t a = get64(&v->ipv6[i][0]);
			uint64_t b = get64(&v->ipv6[i][1]);

			memcpy(out->ipv6[i], &a, 8);
			memcpy(out->ipv6[i] + 8, &b, 8);
		}
		/* Relaxed: ordered after the acquire loads above. */
		if (atomic_load_explicit(&v->seq, memory_order_relaxed) == s1)
			return true;
	}
	return false;
}

static bool read_host(struct host_side *h, uint32_t *dhcp, uint64_t *dhcp_at)
{
	for (int t = 0; t < SNAPSHOT_TRIES; t++) {
		uint32_t s1 =
		    atomic_load_explicit(&h->seq, memory_order_acquire);

		if (s1 & 1)
			continue;
		*dhcp = get32(&h->dhcp_ipv4);
		*dhcp_at = get64(&h->dhcp_at);
		if (atomic_load_explicit(&h->seq, memory_order_relaxed) == s1)
			return true;
	}
	return false;
}

bool guest_learn_snapshot(struct guest_learn *l, struct guest_addrs *out)
{
	uint32_t arp = 0, src = 0, dhcp = 0;
	uint64_t arp_at = 0, dhcp_at = 0;

	memset(out, 0, sizeof(*out));
	if (!read_vm(&l->vm, out, &arp, &arp_at, &src) ||
	    !read_host(&l->host, &dhcp, &dhcp_at))
		return false;
	/* The later of the lease and what the guest says; the first source
	 * address only while neither is known. */
	if (dhcp && (!arp || dhcp == arp || dhcp_at >= arp_at)) {
		out->ipv4 = dhcp;
		out->ipv4_source = GUEST_IPV4_DHCP;
	} else if (arp) {
		out->ipv4 = arp;
		out->ipv4_source = GUEST_IPV4_ARP;
	} else if (src) {
		out->ipv4 = src;
		out->ipv4_source = GUEST_IPV4_SRC;
	}
	return true;
}

void guest_learn_reset(struct guest_learn *l)
{
	struct vm_side *v = &l->vm;
	struct host_side *h = &l->host;
	uint32_t vseq = v->w_seq + 2, hseq = h->w_seq + 2;

	/* No worker runs: the next engine's thread creation orders this
	 * before its first inspection. The sequences keep counting up. */
	memset((char *)v + sizeof(v->fi), 0, sizeof(*v) - sizeof(v->fi));
	memset((char *)h + sizeof(h->fi), 0, sizeof(*h) - sizeof(h->fi));
	v->w_seq = vseq;
	h->w_seq = hseq;
	atomic_store_explicit(&v->seq, vseq, memory_order_relaxed);
	atomic_store_explicit(&h->seq, hseq, memory_order_relaxed);
}

bool guest_addrs_equal(const struct guest_addrs *a, const struct guest_addrs *b)
{
	if (a->mac != b->mac || a->ipv4 != b->ipv4 ||
	    a->ipv4_source != b->ipv4_source || a->ipv6_count != b->ipv6_count)
		return false;
	for (unsigned i = 0; i < a->ipv6_count; i++)
		if (memcmp(a->ipv6[i], b->ipv6[i], 16) != 0)
			return false;
	return true;
}

const char *guest_ipv4_source_name(enum guest_ipv4_source s)
{
	switch (s) {
	case GUEST_IPV4_DHCP:
		return "dhcp";
	case GUEST_IPV4_ARP:
		return "arp";
	case GUEST_IPV4_SRC:
		return "ip";
	default:
		return "none";
	}
}

void guest_mac_format(uint64_t mac, char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 (unsigned)(mac >> 40) & 0xff, (unsigned)(mac >> 32) & 0xff,
		 (unsigned)(mac >> 24) & 0xff, (unsigned)(mac >> 16) & 0xff,
		 (unsigned)(mac >> 8) & 0xff, (unsigned)mac & 0xff);
}

void guest_addrs_describe(const struct guest_addrs *a, char *buf, size_t len)
{
	char mac[18], v4[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];
	size_t used = 0;
	int n;

	if (!len)
		return;
	buf[0] = '\0';
	if (a->mac)
		guest_mac_format(a->mac, mac);
	n = snprintf(buf, len, "mac %s", a->mac ? mac : "unknown");
	used = n > 0 ? (size_t)n : 0;
	if (a->ipv4 && used < len) {
		inet_ntop(AF_INET, &a->ipv4, v4, sizeof(v4));
		n = snprintf(buf + used, len - used, " ipv4 %s (%s)", v4,
			     guest_ipv4_source_name(a->ipv4_source));
		used += n > 0 ? (size_t)n : 0;
	}
	for (unsigned i = 0; i < a->ipv6_count && used < len; i++) {
		inet_ntop(AF_INET6, a->ipv6[i], v6, sizeof(v6));
		n = snprintf(buf + used, len - used, "%s%s", i ? " " : " ipv6 ",
			     v6);
		used += n > 0 ? (size_t)n : 0;
	}
}

int guest_addrs_json(const struct guest_addrs *a, char *buf, size_t len)
{
	char mac[18], v4[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];
	size_t used;
	int n;

	if (a->mac)
		guest_mac_format(a->mac, mac);
	if (a->ipv4)
		inet_ntop(AF_INET, &a->ipv4, v4, sizeof(v4));
	n = snprintf(buf, len,
		     "{\"mac\":%s%s%s,\"ipv4\":%s%s%s,\"ipv4_source\":%s%s%s,"
		     "\"ipv6\":[",
		     a->mac ? "\"" : "", a->mac ? mac : "null",
		     a->mac ? "\"" : "", a->ipv4 ? "\"" : "",
		     a->ipv4 ? v4 : "null", a->ipv4 ? "\"" : "",
		     a->ipv4 ? "\"" : "",
		     a->ipv4 ? guest_ipv4_source_name(a->ipv4_source) : "null",
		     a->ipv4 ? "\"" : "");
	if (n < 0 || (size_t)n >= len)
		return -1;
	used = (size_t)n;
	for (unsigned i = 0; i < a->ipv6_count; i++) {
		inet_ntop(AF_INET6, a->ipv6[i], v6, sizeof(v6));
		n = snprintf(buf + used, len - used, "%s\"%s\"", i ? "," : "",
			     v6);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	n = snprintf(buf + used, len - used, "]}");
	if (n < 0 || (size_t)n >= len - used)
		return -1;
	return (int)(used + (size_t)n);
}
