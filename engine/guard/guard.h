/* SPDX-License-Identifier: Apache-2.0 */
/* guard.h - anti-spoofing and destination rules for the frames a VM sends
 * (--enforce-mac, --enforce-ip, --allow, --block): a frame filter
 * (frame_filter.h) and, to learn the VM's DHCP lease, an inspector of the
 * frames towards it (frame_inspector.h). docs/guard.md says what each rule
 * does for a user. */
#ifndef VMNET_HELPER_GUARD_H
#define VMNET_HELPER_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame_filter.h"
#include "frame_inspector.h"
#include "guard_lpm.h"

/*
 * How it works
 *
 * Every frame from the VM goes through guard_check()'s rules in turn; the
 * first that fails drops it and names the counter:
 *
 *   MAC   (--enforce-mac): the source MAC is the VM's: the given one, or
 *         the first unicast source seen (learn). With it, an ARP packet's
 *         sender hardware address must be that source too.
 *   VLAN  (--enforce-ip or any CIDR rule): a tagged frame's addresses are
 *         the VLAN interface's inside the guest, beyond these checks.
 *   IP    (--enforce-ip): the IPv4 source (or ARP sender) is the VM's: a
 *         --guest-ip, else the address the last DHCP ACK to the VM's MAC
 *         gave, else the first one it used; 0.0.0.0 only in DHCP client
 *         traffic (UDP 68 to 67) and ARP probes. The IPv6 source is a
 *         --guest-ip, else the first non-link-local source it used; a
 *         link-local source is the first it used unless --guest-ip names
 *         one; :: only in NDP (ICMPv6 133-137).
 *   DST   (--allow, --block): the longest prefix among the rules holding
 *         the destination decides, a block winning a tie; no match
 *         passes. ARP, NDP, DHCP and DHCPv6 client traffic are not
 *         looked up: they are how the VM gets an address.
 *
 * Other Ethernet types (no IP source to check) pass once the MAC did.
 *
 * Threads: guard_check() and the filter run on the worker that reads the
 * VM's socket, and keep what they learn there in plain fields. Two facts
 * cross between the workers, each one atomic value: the VM's MAC (socket
 * worker to host worker, so the inspector knows whose ACK to take) and the
 * leased address (host worker to socket worker). Both are release stores
 * paired with acquire loads; the lease is moreover stored before the ACK
 * goes on the ring the socket worker dequeues it from, so by the time the
 * VM can use the address the socket worker sees it.
 */

/* --guest-ip addresses kept per family. */
#define GUARD_GUEST_IPS_MAX 16

enum guard_mac_mode {
	GUARD_MAC_OFF,
	GUARD_MAC_FIXED, /* guard_config.mac, or guard_set_mac() */
	GUARD_MAC_LEARN, /* the first unicast source MAC seen */
};

/* Why a frame was dropped: guard_check()'s result. */
enum guard_verdict {
	GUARD_PASS,
	GUARD_DROP_MAC,
	GUARD_DROP_IP,
	GUARD_DROP_DST,
	GUARD_DROP_VLAN,
};

struct guard_config {
	enum guard_mac_mode mac_mode;
	uint8_t mac[6]; /* GUARD_MAC_FIXED */
	bool enforce_ip;
	unsigned ipv4_n, ipv6_n; /* --guest-ip, at most GUARD_GUEST_IPS_MAX */
	uint8_t ipv4[GUARD_GUEST_IPS_MAX][4];
	uint8_t ipv6[GUARD_GUEST_IPS_MAX][16];
	unsigned cidr_n; /* --allow and --block, at most GUARD_CIDRS_MAX */
	struct guard_cidr cidrs[GUARD_CIDRS_MAX];
};

struct guard;

/**
 * guard_config_active() - whether @cfg enforces anything
 * @cfg:	the configuration
 *
 * Return: false when no rule is set: then no guard is made and the
 * packet path is unchanged.
 */
bool guard_config_active(const struct guard_config *cfg);

/**
 * guard_create() - build the guard's tables
 * @cfg:	rules; copied
 * @gp:		on success, the guard
 *
 * Return: 0, -EINVAL (a bad rule) or -ENOMEM.
 */
int guard_create(const struct guard_config *cfg, struct guard **gp);

/**
 * guard_destroy() - free the guard
 * @g:	guard whose engine is not running, or NULL
 */
void guard_destroy(struct guard *g);

/**
 * guard_set_mac() - the MAC to enforce, once known (vmnet assigns it when
 * the interface starts); makes the mode GUARD_MAC_FIXED
 * @g:		guard whose engine is not running
 * @mac:	6 bytes
 */
void guard_set_mac(struct guard *g, const uint8_t mac[6]);

/**
 * guard_filter() - the filter for engine_config.filter_from_vm
 * @g:	guard
 *
 * Return: the filter, which lives as long as @g.
 */
struct frame_filter *guard_filter(struct guard *g);

/**
 * guard_to_vm() - the inspector for engine_config.inspect_to_vm
 * @g:		guard
 * @next:	another inspector of those frames to call after it (the
 *		guest-address learner's), or NULL
 *
 * Return: the guard's inspector, which calls @next, when the guard needs
 * to see DHCP ACKs (--enforce-ip without an IPv4 --guest-ip); else @next.
 */
struct frame_inspector *guard_to_vm(struct guard *g,
				    struct frame_inspector *next);

/**
 * guard_check() - the verdict on one frame from the VM, learning as it
 * goes; on the socket worker only
 * @g:		guard
 * @f:		the frame, from its destination MAC
 * @len:	its length; any bytes of any length are safe
 *
 * Return: enum guard_verdict.
 */
enum guard_verdict guard_check(struct guard *g, const uint8_t *f, uint32_t len);

/**
 * guard_forget() - forget what was learned (the next --socket client may
 * be another VM)
 * @g:	guard whose engine is not running
 */
void guard_forget(struct guard *g);

/**
 * guard_describe() - what the guard enforces, in words, for the log
 * @g:		guard
 * @buf:	output, cut if too small
 * @len:	room in @buf
 */
void guard_describe(const struct guard *g, char *buf, size_t len);

#endif
