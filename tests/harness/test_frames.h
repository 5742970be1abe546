/* SPDX-License-Identifier: Apache-2.0 */
/* test_frames.h - hand-built Ethernet frames for the tests: ARP, IPv4
 * UDP, a DHCP ACK, IPv6 and a Neighbor Advertisement, with the lengths and
 * fields real stacks write, so the tests can also break them on purpose. */
#ifndef VMNET_HELPER_TEST_FRAMES_H
#define VMNET_HELPER_TEST_FRAMES_H

#include <stddef.h>
#include <stdint.h>

/* Big enough for any frame built here. */
#define TEST_FRAME_MAX 600

/**
 * tf_mac() - parse "52:54:00:12:34:56" into 6 bytes (aborts if malformed)
 * @s:		text
 * @out:	6 bytes
 */
void tf_mac(const char *s, uint8_t out[6]);

/**
 * tf_arp() - an ARP request from @mac, sender @ip, asking for @target
 * @buf:	TEST_FRAME_MAX bytes
 * @mac:	source MAC, also the sender hardware address
 * @ip:		sender IPv4 address, e.g. "192.168.64.2", or "0.0.0.0"
 * @target:	target IPv4 address
 *
 * Return: the frame's length (42 bytes, unpadded).
 */
size_t tf_arp(uint8_t *buf, const uint8_t mac[6], const char *ip,
	      const char *target);

/**
 * tf_ipv4_udp() - a UDP datagram in an IPv4 packet
 * @buf:	TEST_FRAME_MAX bytes
 * @src_mac:	source MAC
 * @dst_mac:	destination MAC
 * @src:	source address
 * @dst:	destination address
 * @sport:	source port
 * @dport:	destination port
 * @payload:	UDP payload, or NULL for zeros
 * @plen:	its length, at most TEST_FRAME_MAX - 42
 *
 * Return: the frame's length.
 */
size_t tf_ipv4_udp(uint8_t *buf, const uint8_t src_mac[6],
		   const uint8_t dst_mac[6], const char *src, const char *dst,
		   uint16_t sport, uint16_t dport, const void *payload,
		   size_t plen);

/**
 * tf_dhcp_reply() - a DHCP reply from a server to @chaddr
 * @buf:	TEST_FRAME_MAX bytes
 * @server_mac:	the server's MAC, the frame's source
 * @chaddr:	the client's MAC, in the BOOTP header and as destination
 * @server:	the server's address
 * @yiaddr:	the address given
 * @type:	DHCP message type: 2 offer, 5 ACK, 6 NAK
 *
 * Return: the frame's length.
 */
size_t tf_dhcp_reply(uint8_t *buf, const uint8_t server_mac[6],
		     const uint8_t chaddr[6], const char *server,
		     const char *yiaddr, uint8_t type);

/**
 * tf_ipv6_udp() - a UDP datagram in an IPv6 packet, hop limit 64
 * @buf:	TEST_FRAME_MAX bytes
 * @src_mac:	source MAC
 * @src:	source address, e.g. "fe80::1"
 * @dst:	destination address
 *
 * Return: the frame's length.
 */
size_t tf_ipv6_udp(uint8_t *buf, const uint8_t src_mac[6], const char *src,
		   const char *dst);

/**
 * tf_ndp_na() - a Neighbor Advertisement from @src for @target, hop limit
 * 255, to all nodes
 * @buf:	TEST_FRAME_MAX bytes
 * @src_mac:	source MAC
 * @src:	IPv6 source address
 * @target:	the target address it advertises
 *
 * Return: the frame's length.
 */
size_t tf_ndp_na(uint8_t *buf, const uint8_t src_mac[6], const char *src,
		 const char *target);

/**
 * tf_vlan_tag() - insert an 802.1Q tag after the MACs
 * @buf:	a frame with 4 bytes of room after it
 * @len:	its length
 * @vid:	VLAN id
 *
 * Return: the new length.
 */
size_t tf_vlan_tag(uint8_t *buf, size_t len, uint16_t vid);

#endif
