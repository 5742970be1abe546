/* SPDX-License-Identifier: Apache-2.0 */
/* test_frames.c - hand-built Ethernet frames (see test_frames.h), with real
 * checksums so a kernel on the far side accepts them too. */
#include "test_frames.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void addr4(const char *s, uint8_t out[4])
{
	if (inet_pton(AF_INET, s, out) != 1) {
		fprintf(stderr, "test_frames: bad IPv4 address '%s'\n", s);
		abort();
	}
}

static void addr6(const char *s, uint8_t out[16])
{
	if (inet_pton(AF_INET6, s, out) != 1) {
		fprintf(stderr, "test_frames: bad IPv6 address '%s'\n", s);
		abort();
	}
}

void tf_mac(const char *s, uint8_t out[6])
{
	unsigned b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6) {
		fprintf(stderr, "test_frames: bad MAC '%s'\n", s);
		abort();
	}
	for (int i = 0; i < 6; i++)
		out[i] = (uint8_t)b[i];
}

/* RFC 1071: the ones' complement sum, folded, of @n bytes after @sum. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t ethernet(uint8_t *b, const uint8_t dst[6], const uint8_t src[6],
		       uint16_t type)
{
	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	put16(b + 12, type);
	return 14;
}

size_t tf_arp(uint8_t *buf, const uint8_t mac[6], const char *ip,
	      const char *target)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t *a = buf + ethernet(buf, bcast, mac, 0x0806);

	memset(a, 0, 28);
	put16(a, 1);	      /* Ethernet */
	put16(a + 2, 0x0800); /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1); /* request */
	memcpy(a + 8, mac, 6);
	addr4(ip, a + 14);
	addr4(target, a + 24);
	return 14 + 28;
}

size_t tf_ipv4_udp(uint8_t *buf, const uint8_t src_mac[6],
		   const uint8_t dst_mac[6], const char *src, const char *dst,
		   uint16_t sport, uint16_t dport, const void *payload,
		   size_t plen)
{
	uint8_t *ip = buf + ethernet(buf, dst_mac, src_mac, 0x0800);
	uint8_t *udp = ip + 20;

	memset(ip, 0, 28);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(28 + plen));
	ip[8] = 64;
	ip[9] = 17;
	addr4(src, ip + 12);
	addr4(dst, ip + 16);
	put16(ip + 10, fold(sum16(0, ip, 20)));
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + plen)); /* checksum 0: none (IPv4) */
	if (payload)
		memcpy(udp + 8, payload, plen);
	else
		memset(udp + 8, 0, plen);
	return 14 + 28 + plen;
}

size_t tf_dhcp_reply(uint8_t *buf, const uint8_t server_mac[6],
		     const uint8_t chaddr[6], const char *server,
		     const char *yiaddr, uint8_t type)
{
	uint8_t b[300];

	memset(b, 0, sizeof(b));
	b[0] = 2; /* BOOTREPLY */
	b[1] = 1;
	b[2] = 6;
	b[4] = 0x12; /* xid */
	addr4(yiaddr, b + 16);
	addr4(server, b + 20);
	memcpy(b + 28, chaddr, 6);
	b[236] = 0x63, b[237] = 0x82, b[238] = 0x53, b[239] = 0x63;
	uint8_t *o = b + 240;
	*o++ = 53, *o++ = 1, *o++ = type;
	*o++ = 54, *o++ = 4;
	addr4(server, o);
	o += 4;
	*o++ = 51, *o++ = 4, *o++ = 0, *o++ = 0, *o++ = 0x0e, *o++ = 0x10;
	*o++ = 255;
	return tf_ipv4_udp(buf, server_mac, chaddr, server, yiaddr, 67, 68, b,
			   (size_t)(o - b));
}

/* An IPv6 header for @plen bytes of @next, then the ICMPv6/UDP checksum
 * over the pseudo-header (RFC 8200 8.1) at @csum_off in the payload. */
static size_t ipv6(uint8_t *buf, const uint8_t src_mac[6],
		   const uint8_t dst_mac[6], const char *src, const char *dst,
		   uint8_t next, uint8_t hops, size_t plen, size_t csum_off)
{
	uint8_t *ip = buf + ethernet(buf, dst_mac, src_mac, 0x86dd);
	uint8_t *pl = ip + 40, pseudo[40];
	uint32_t sum;

	memset(ip, 0, 8);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)plen);
	ip[6] = next;
	ip[7] = hops;
	addr6(src, ip + 8);
	addr6(dst, ip + 24);
	memcpy(pseudo, ip + 8, 32);
	memset(pseudo + 32, 0, 8);
	pseudo[34] = (uint8_t)(plen >> 8);
	pseudo[35] = (uint8_t)plen;
	pseudo[39] = next;
	put16(pl + csum_off, 0);
	sum = sum16(sum16(0, pseudo, 40), pl, plen);
	put16(pl + csum_off, fold(sum));
	return 14 + 40 + plen;
}

size_t tf_ipv6_udp(uint8_t *buf, const uint8_t src_mac[6], const char *src,
		   const char *dst)
{
	static const uint8_t dst_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	uint8_t *udp = buf + 14 + 40;

	memset(udp, 0, 16);
	put16(udp, 5353);
	put16(udp + 2, 5353);
	put16(udp + 4, 16);
	return ipv6(buf, src_mac, dst_mac, src, dst, 17, 64, 16, 6);
}

size_t tf_ndp_na(uint8_t *buf, const uint8_t src_mac[6], const char *src,
		 const char *target)
{
	static const uint8_t dst_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	uint8_t *na = buf + 14 + 40;

	memset(na, 0, 32);
	na[0] = 136;
	na[4] = 0x20; /* override */
	addr6(target, na + 8);
	na[24] = 2; /* target link-layer address option */
	na[25] = 1;
	memcpy(na + 26, src_mac, 6);
	return ipv6(buf, src_mac, dst_mac, src, "ff02::1", 58, 255, 32, 2);
}

size_t tf_vlan_tag(uint8_t *buf, size_t len, uint16_t vid)
{
	memmove(buf + 16, buf + 12, len - 12);
	put16(buf + 12, 0x8100);
	put16(buf + 14, vid & 0x0fff);
	return len + 4;
}
