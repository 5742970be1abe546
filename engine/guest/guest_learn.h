/* SPDX-License-Identifier: Apache-2.0 */
/* guest_learn.h - learn the guest's own addresses from the frames that
 * cross the cable: its MAC, its IPv4 address (DHCP ACK, ARP, IPv4 source)
 * and its IPv6 addresses (source, Neighbor Advertisement), for the
 * supervisor to report. */
#ifndef VMNET_HELPER_GUEST_LEARN_H
#define VMNET_HELPER_GUEST_LEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame_inspector.h"

/*
 * How it works
 *
 * Two inspectors (frame_inspector.h) feed one learner: the VM side sees
 * the frames the socket worker reads from the VM, the host side those the
 * host worker reads for it. Each side's state is written by its worker
 * alone; the supervisor reads both.
 *
 * The VM side takes the first unicast source MAC it sees as the guest's
 * and from then on reads only frames from that MAC (frames from others,
 * such as containers bridged inside the guest, are not the guest's). Its
 * IPv4 address comes from ARP (the guest naming itself as sender, so an
 * address change is seen at once) or, while nothing else is known, from
 * the first IPv4 source address; its IPv6 addresses from their sources
 * and from Neighbor Advertisements, up to GUEST_IPV6_MAX, the oldest
 * replaced when full. The host side looks only for DHCP ACKs whose client
 * hardware address is that MAC. Of the ACK and ARP addresses the later
 * wins, so an address the guest takes by itself after DHCP replaces the
 * leased one, and a new lease a static one; also when the address is one
 * that side named before (a lease renewed after the guest spoke of
 * another address, or the reverse): a side that sees its own last address
 * again republishes it only when the other side's is newer, so repeats
 * cost no write. Nothing is ever forgotten
 * except by guest_learn_reset(): the frames say when an address appears,
 * never when it goes.
 *
 * The packet path compares each frame with the worker's private copy of
 * what it knows (plain loads, no atomics) and writes the shared state only
 * when something changed, which is rare: once per address, not per frame.
 *
 * Publishing: a sequence lock per side, every field an atomic. The writer
 * stores an odd sequence (relaxed), the changed fields (release), then the
 * next even sequence (release). The reader loads the sequence (acquire),
 * every field (acquire), and the sequence again (relaxed): if a field load
 * saw a value of a newer update, that update's release synchronizes with
 * the acquire load, so the odd store before it happens before the second
 * sequence load, which therefore differs from the first; if the two are
 * equal and even, every field is from one update. No fences are used, so
 * ThreadSanitizer checks it (tests/scenarios). A reader that keeps meeting
 * a writer mid-update gives up for now (guest_learn_snapshot() returns
 * false) rather than spin on the supervisor's thread.
 */

/* IPv6 addresses kept: link-local, a global or ULA one, privacy ones. */
#define GUEST_IPV6_MAX 8

enum guest_ipv4_source {
	GUEST_IPV4_NONE,
	GUEST_IPV4_DHCP, /* a DHCP ACK to the guest's MAC */
	GUEST_IPV4_ARP,	 /* the guest's ARP packets */
	GUEST_IPV4_SRC,	 /* the source of the first IPv4 packet */
};

/* What is known, as guest_learn_snapshot() returns it. */
struct guest_addrs {
	uint64_t mac;  /* 48 bits as guest_mac_from_bytes(); 0: not known */
	uint32_t ipv4; /* network byte order; 0: not known */
	enum guest_ipv4_source ipv4_source;
	unsigned ipv6_count;
	uint8_t ipv6[GUEST_IPV6_MAX][16];
};

struct guest_learn;

/**
 * guest_learn_create() - a learner that knows nothing yet
 * @lp:	on success, the learner
 *
 * Return: 0 or -ENOMEM.
 */
int guest_learn_create(struct guest_learn **lp);

/**
 * guest_learn_destroy() - free the learner
 * @l:	learner no engine uses any more, or NULL
 */
void guest_learn_destroy(struct guest_learn *l);

/**
 * guest_learn_from_vm() - the inspector for frames read from the VM
 * @l:	learner
 *
 * Return: an inspector for engine_config.inspect_from_vm; it lives as long
 * as @l.
 */
struct frame_inspector *guest_learn_from_vm(struct guest_learn *l);

/**
 * guest_learn_to_vm() - the inspector for frames read for the VM
 * @l:	learner
 *
 * Return: an inspector for engine_config.inspect_to_vm.
 */
struct frame_inspector *guest_learn_to_vm(struct guest_learn *l);

/**
 * guest_learn_snapshot() - what is known now; one reader thread at a time
 * @l:		learner
 * @out:	filled on success
 *
 * Safe while both workers run.
 *
 * Return: true, or false if a worker was updating the state each time it
 * was read (try again at the next occasion).
 */
bool guest_learn_snapshot(struct guest_learn *l, struct guest_addrs *out);

/**
 * guest_learn_reset() - forget everything, e.g. for the next --socket
 * client, which may be another VM
 * @l:	learner no worker is running with
 */
void guest_learn_reset(struct guest_learn *l);

/**
 * guest_addrs_equal() - whether two snapshots say the same
 * @a:	one
 * @b:	the other
 *
 * Return: true when MAC, IPv4 address and source, and the IPv6 addresses
 * in order, are the same.
 */
bool guest_addrs_equal(const struct guest_addrs *a,
		       const struct guest_addrs *b);

/**
 * guest_ipv4_source_name() - @s in one word
 * @s:	source
 *
 * Return: "dhcp", "arp", "ip" or "none".
 */
const char *guest_ipv4_source_name(enum guest_ipv4_source s);

/**
 * guest_mac_format() - a MAC as "52:54:00:12:34:56"
 * @mac:	48 bits as guest_mac_from_bytes()
 * @buf:	at least 18 bytes
 */
void guest_mac_format(uint64_t mac, char buf[18]);

/**
 * guest_addrs_describe() - one line for the log, e.g. "mac 52:54:00:12:34:56
 * ipv4 192.168.64.2 (dhcp) ipv6 fe80::5054:ff:fe12:3456"
 * @a:		snapshot
 * @buf:	output
 * @len:	room in @buf; the line is cut to fit
 */
void guest_addrs_describe(const struct guest_addrs *a, char *buf, size_t len);

/**
 * guest_addrs_json() - the snapshot as one JSON object, e.g.
 * {"mac":"52:54:00:12:34:56","ipv4":"192.168.64.2","ipv4_source":"dhcp",
 * "ipv6":["fe80::5054:ff:fe12:3456"]}
 * @a:		snapshot
 * @buf:	output; every key is always there, null (or []) while unknown
 * @len:	room in @buf; 512 bytes always suffice
 *
 * Every value is hex digits, dots and colons (inet_ntop()), so nothing
 * needs escaping.
 *
 * Return: the length written, or -1 if @buf was too small.
 */
int guest_addrs_json(const struct guest_addrs *a, char *buf, size_t len);

#endif
