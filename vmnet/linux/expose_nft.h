/* SPDX-License-Identifier: Apache-2.0 */
/* expose_nft.h - the nf_tables netlink batches of --expose on Linux: an
 * owned table with two nat chains, and the DNAT rules towards the guest.
 * Built into a caller's buffer, no I/O, so tests parse them back without
 * root; host_expose_linux.c sends them. */
#ifndef VMNET_HELPER_EXPOSE_NFT_H
#define VMNET_HELPER_EXPOSE_NFT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "host.h"

/* Chains of the table, in the order the batches add rules to them:
 * prerouting for what comes from other hosts, output for connections the
 * host makes to itself (locally made packets skip prerouting). */
#define EXPOSE_NFT_CHAIN_PREROUTING "prerouting"
#define EXPOSE_NFT_CHAIN_OUTPUT	    "output"
#define EXPOSE_NFT_CHAINS	    2

/* Room for any batch: a rule takes under 400 bytes. */
#define EXPOSE_NFT_BATCH_MAX (4096 + HOST_EXPOSE_MAX * EXPOSE_NFT_CHAINS * 512)

/* Longest table name, "vmnet-helper-" and a pid, with its NUL. */
#define EXPOSE_NFT_TABLE_MAX 32

/**
 * expose_nft_table_name() - the table of the helper with pid @pid
 * @pid:	the helper's pid, which makes the name its own
 * @buf:	"vmnet-helper-PID"
 * @len:	room, EXPOSE_NFT_TABLE_MAX
 */
void expose_nft_table_name(long pid, char *buf, size_t len);

/**
 * expose_nft_table_batch() - the batch that creates the table and chains
 * @table:	its name
 * @seq:	sequence number of the first message; each message takes the
 *		next one (begin, table, two chains, end: 5)
 * @buf:	output
 * @len:	room in @buf, EXPOSE_NFT_BATCH_MAX
 *
 * The table (family ip) is created with NFT_TABLE_F_OWNER: the kernel
 * deletes it when the netlink socket that sent this closes, so the rules
 * go with the process on any exit, SIGKILL included
 * (net/netfilter/nf_tables_api.c, nft_rcv_nl_event() on
 * NETLINK_URELEASE; Linux 5.12). Both chains are type nat at priority
 * dstnat (-100), hooks prerouting and output, policy accept. Every
 * message but begin and end asks for an acknowledgement (NLM_F_ACK).
 *
 * Return: the batch's length, or -1 if @len is too small.
 */
int expose_nft_table_batch(const char *table, uint32_t seq, uint8_t *buf,
			   size_t len);

/**
 * expose_nft_rules_batch() - the batch that replaces every rule
 * @table:	the table
 * @rules:	the --expose rules
 * @n:		how many
 * @guest:	the guest's address; INADDR_ANY only flushes the chains
 * @seq:	sequence number of the first message: begin @seq, the two
 *		flushes @seq + 1 and + 2, rule i in chain c (0 prerouting, 1
 *		output) @seq + 3 + 2 * i + c, then end
 * @buf:	output
 * @len:	room in @buf, EXPOSE_NFT_BATCH_MAX
 *
 * Each rule is `meta l4proto tcp|udp th dport HOSTPORT fib daddr type
 * local` (or `ip daddr HOSTADDR`) `dnat to GUEST:GUESTPORT`. One batch is
 * one transaction: the old rules stay if the new ones fail.
 *
 * Return: the batch's length, or -1 if @len is too small.
 */
int expose_nft_rules_batch(const char *table,
			   const struct host_expose_rule *rules, unsigned n,
			   struct in_addr guest, uint32_t seq, uint8_t *buf,
			   size_t len);

/**
 * expose_nft_rule_of_seq() - which rule a message of a rules batch adds
 * @seq:	the sequence number an error names
 * @first:	the batch's first
 * @n:		its number of rules
 *
 * Return: the rule's index, or -1 for a message that adds none.
 */
int expose_nft_rule_of_seq(uint32_t seq, uint32_t first, unsigned n);

#endif
