/* SPDX-License-Identifier: Apache-2.0 */
/* guest_frame.c - read the guest's own addresses out of one Ethernet frame;
 * every field is read only after the frame is known to hold it. */
#include "guest_frame.h"

#include <string.h>

#define ETH_HLEN       14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806
#define ETHERTYPE_IPV6 0x86dd

#define ARP_LEN		28 /* Ethernet + IPv4 (RFC 826) */
#define IPV4_HLEN	20 /* without options */
#define IPV6_HLEN	40
#define UDP_HLEN	8
#define IPPROTO_V4_UDP	17
#define IPPROTO_V6_ICMP 58

#define ICMPV6_NA     136 /* Neighbor Advertisement (RFC 4861 4.4) */
#define NA_LEN	      24  /* type .. target */
#define NDP_HOP_LIMIT 255 /* RFC 4861 7.1.2: anything else is forged */

/* BOOTP (RFC 951, 2131): fixed fields, then the magic cookie, options. */
#define BOOTP_YIADDR	 16
#define BOOTP_CHADDR	 28
#define BOOTP_COOKIE	 236
#define BOOTP_OPTIONS	 240
#define BOOTP_REPLY	 2
#define DHCP_PORT_SERVER 67
#define DHCP_PORT_CLIENT 68
#define DHCP_OPT_PAD	 0
#define DHCP_OPT_TYPE	 53
#define DHCP_OPT_END	 255
#define DHCP_ACK	 5

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Could a host have @a (host byte order) as its own IPv4 address? Not
 * 0.0.0.0/8, loopback, multicast or the reserved 240/4 (broadcast too). */
static bool ipv4_is_unicast(uint32_t a)
{
	uint8_t top = (uint8_t)(a >> 24);

	return top != 0 && top != 127 && top < 224;
}

/* ... and @a as its own IPv6 address? Not ::, ::1 or multicast. */
static bool ipv6_is_unicast(const uint8_t *a)
{
	static const uint8_t zero[15];

	if (a[0] == 0xff)
		return false;
	return memcmp(a, zero, 15) != 0 || (a[15] != 0 && a[15] != 1);
}

/* The IPv4 header at @p (@len bytes to the frame's end): its length, and
 * that of the whole packet; false if they do not fit. */
static bool ipv4_header(const uint8_t *p, uint32_t len, uint32_t *hlen,
			uint32_t *total)
{
	if (len < IPV4_HLEN || (p[0] >> 4) != 4)
		return false;
	*hlen = (uint32_t)(p[0] & 0x0f) * 4;
	*total = get16(p + 2);
	/* Ethernet pads short frames, so the packet may end before the
	 * frame; it may never run past it. */
	return *hlen >= IPV4_HLEN && *total >= *hlen && *total <= len;
}

static void from_arp(const uint8_t *p, uint32_t len, const uint8_t *src_mac,
		     struct guest_from_vm *out)
{
	if (len < ARP_LEN || get16(p) != 1 || get16(p + 2) != ETHERTYPE_IPV4 ||
	    p[4] != 6 || p[5] != 4)
		return;
	/* A proxy answering for others names them, not itself, as sender
	 * protocol address; only an ARP packet whose sender is the frame's
	 * source speaks for the guest. */
	if (memcmp(p + 8, src_mac, 6) != 0)
		return;
	if (!ipv4_is_unicast(get32(p + 14)))
		return; /* 0.0.0.0: an RFC 5227 probe */
	memcpy(&out->ipv4, p + 14, 4);
	out->what |= GUEST_FROM_VM_ARP;
}

static void from_ipv4(const uint8_t *p, uint32_t len, struct guest_from_vm *out)
{
	uint32_t hlen, total;

	if (!ipv4_header(p, len, &hlen, &total) ||
	    !ipv4_is_unicast(get32(p + 12)))
		return;
	memcpy(&out->ipv4, p + 12, 4);
	out->what |= GUEST_FROM_VM_IPV4_SRC;
}

static void from_ipv6(const uint8_t *p, uint32_t len, struct guest_from_vm *out)
{
	uint32_t payload;

	if (len < IPV6_HLEN || (p[0] >> 4) != 6)
		return;
	payload = get16(p + 4);
	if (payload > len - IPV6_HLEN)
		return;
	if (ipv6_is_unicast(p + 8)) {
		memcpy(out->ipv6_src, p + 8, 16);
		out->what |= GUEST_FROM_VM_IPV6_SRC;
	}
	/* Neighbor Advertisements follow the IPv6 header directly (RFC 4861
	 * sends them without extension headers). */
	if (p[6] != IPPROTO_V6_ICMP || p[7] != NDP_HOP_LIMIT ||
	    payload < NA_LEN || p[IPV6_HLEN] != ICMPV6_NA ||
	    p[IPV6_HLEN + 1] != 0)
		return;
	if (!ipv6_is_unicast(p + IPV6_HLEN + 8))
		return;
	memcpy(out->ndp_target, p + IPV6_HLEN + 8, 16);
	out->what |= GUEST_FROM_VM_NDP_TARGET;
}

unsigned guest_frame_from_vm(const uint8_t *f, uint32_t len,
			     struct guest_from_vm *out)
{
	out->what = 0;
	out->src_mac = 0;
	if (len < ETH_HLEN)
		return 0;
	out->src_mac = guest_mac_from_bytes(f + 6);
	switch (get16(f + 12)) {
	case ETHERTYPE_ARP:
		from_arp(f + ETH_HLEN, len - ETH_HLEN, f + 6, out);
		break;
	case ETHERTYPE_IPV4:
		from_ipv4(f + ETH_HLEN, len - ETH_HLEN, out);
		break;
	case ETHERTYPE_IPV6:
		from_ipv6(f + ETH_HLEN, len - ETH_HLEN, out);
		break;
	default: /* VLAN tags included: see the header */
		break;
	}
	return out->what;
}

/* The DHCP message type in the options at @p, @len bytes, or 0. */
static unsigned dhcp_message_type(const uint8_t *p, uint32_t len)
{
	uint32_t i = 0;

	while (i < len) {
		uint8_t code = p[i];

		if (code == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (code == DHCP_OPT_END || i + 1 >= len)
			return 0;
		uint32_t olen = p[i + 1];
		if (olen > len - i - 2)
			return 0; /* runs past the packet */
		if (code == DHCP_OPT_TYPE)
			return olen == 1 ? p[i + 2] : 0;
		i += 2 + olen;
	}
	return 0;
}

bool guest_frame_to_vm(const uint8_t *f, uint32_t len, struct guest_to_vm *out)
{
	const uint8_t *ip = f + ETH_HLEN, *udp, *bootp;
	uint32_t hlen, total, ulen;

	if (len < ETH_HLEN || get16(f + 12) != ETHERTYPE_IPV4 ||
	    !ipv4_header(ip, len - ETH_HLEN, &hlen, &total))
		return false;
	/* Fragments: the first has no more than part of the options, the
	 * others no UDP header. */
	if (ip[9] != IPPROTO_V4_UDP || (get16(ip + 6) & 0x3fff) != 0 ||
	    total - hlen < UDP_HLEN)
		return false;
	udp = ip + hlen;
	ulen = get16(udp + 4);
	if (get16(udp) != DHCP_PORT_SERVER ||
	    get16(udp + 2) != DHCP_PORT_CLIENT || ulen < UDP_HLEN ||
	    ulen > total - hlen || ulen - UDP_HLEN < BOOTP_OPTIONS)
		return false;
	bootp = udp + UDP_HLEN;
	/* Ethernet hardware type, 6-byte addresses, the DHCP magic cookie. */
	if (bootp[0] != BOOTP_REPLY || bootp[1] != 1 || bootp[2] != 6 ||
	    get32(bootp + BOOTP_COOKIE) != 0x63825363u)
		return false;
	if (dhcp_message_type(bootp + BOOTP_OPTIONS,
			      ulen - UDP_HLEN - BOOTP_OPTIONS) != DHCP_ACK)
		return false;
	if (!ipv4_is_unicast(get32(bootp + BOOTP_YIADDR)))
		return false; /* DHCPINFORM's ACK, or nonsense */
	out->chaddr = guest_mac_from_bytes(bootp + BOOTP_CHADDR);
	memcpy(&out->yiaddr, bootp + BOOTP_YIADDR, 4);
	return true;
}
