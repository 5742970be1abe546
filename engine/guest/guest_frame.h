/* SPDX-License-Identifier: Apache-2.0 */
/* guest_frame.h - what one Ethernet frame says about the guest's own
 * addresses: its MAC, IPv4 (ARP, IPv4 source, a DHCP ACK sent to it) and
 * IPv6 (source, Neighbor Advertisement target). Pure and bounds-checked:
 * any bytes of any length are safe to give it. */
#ifndef VMNET_HELPER_GUEST_FRAME_H
#define VMNET_HELPER_GUEST_FRAME_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Only untagged Ethernet II frames are read. A VLAN-tagged frame (802.1Q,
 * 802.1ad) belongs to a VLAN interface inside the guest, whose addresses
 * are not the guest's own on this cable, so it says nothing here. IPv4
 * and IPv6 headers are checked against the frame (version, header length,
 * total length); checksums are not, as with checksum offload they may be
 * left for vmnet to fill in.
 */

/* guest_from_vm.what: the facts found, as bits. */
#define GUEST_FROM_VM_IPV4_SRC	 0x01u /* ipv4: an IPv4 packet's source */
#define GUEST_FROM_VM_ARP	 0x02u /* ipv4: the sender of an ARP packet */
#define GUEST_FROM_VM_IPV6_SRC	 0x04u /* ipv6_src: an IPv6 packet's source */
#define GUEST_FROM_VM_NDP_TARGET 0x08u /* ndp_target: a Neighbor Adv. */

/* A frame the guest sent: every address in it that is the guest's. */
struct guest_from_vm {
	uint64_t src_mac; /* guest_mac_from_bytes() of the source MAC */
	unsigned what;	  /* GUEST_FROM_VM_* bits; 0: nothing to learn */
	uint32_t ipv4;	  /* network byte order */
	uint8_t ipv6_src[16];
	uint8_t ndp_target[16];
};

/* A frame towards the guest: a DHCP server's ACK, to whom and what. */
struct guest_to_vm {
	uint64_t chaddr; /* the client's MAC (BOOTP chaddr) */
	uint32_t yiaddr; /* the address acknowledged, network byte order */
};

/**
 * guest_mac_from_bytes() - a MAC address as one comparable number
 * @b:	6 bytes
 *
 * Return: the bytes, first in the most significant of 48 bits.
 */
static inline uint64_t guest_mac_from_bytes(const uint8_t *b)
{
	return (uint64_t)b[0] << 40 | (uint64_t)b[1] << 32 |
	       (uint64_t)b[2] << 24 | (uint64_t)b[3] << 16 |
	       (uint64_t)b[4] << 8 | (uint64_t)b[5];
}

/**
 * guest_frame_from_vm() - read a frame the guest sent
 * @f:		the frame, from its destination MAC
 * @len:	its length in bytes
 * @out:	filled; out->what is 0 when the frame says nothing
 *
 * An address is reported only if it can be a host's own: not
 * unspecified, multicast, broadcast or loopback. An ARP packet counts only
 * when its sender hardware address is the frame's source (a proxy's ARP
 * does not name the guest) and its sender address is set (a probe's is
 * 0.0.0.0). A Neighbor Advertisement's target is the sender's own address
 * (RFC 4861 7.2.4); a Neighbor Solicitation's tentative target is not, so
 * only its source is read.
 *
 * Return: out->what.
 */
unsigned guest_frame_from_vm(const uint8_t *f, uint32_t len,
			     struct guest_from_vm *out);

/**
 * guest_frame_to_vm() - read a frame towards the guest for a DHCP ACK
 * @f:		the frame
 * @len:	its length in bytes
 * @out:	filled when it is one
 *
 * A DHCP ACK (RFC 2131: BOOTREPLY from port 67 to 68, message type 5 in
 * the options) for an Ethernet client, in an unfragmented IPv4 packet,
 * with a non-zero yiaddr (an ACK to DHCPINFORM has none). Options in the
 * file and sname fields (option 52, overload) are not read.
 *
 * Return: true when @f is such an ACK.
 */
bool guest_frame_to_vm(const uint8_t *f, uint32_t len, struct guest_to_vm *out);

#endif
