/* SPDX-License-Identifier: Apache-2.0 */
/* expose_nft.c - build --expose's nf_tables batches (see expose_nft.h).
 *
 * How it works: a batch is NFNL_MSG_BATCH_BEGIN, the nf_tables messages,
 * NFNL_MSG_BATCH_END, one transaction (net/netfilter/nfnetlink.c,
 * nfnetlink_rcv_batch()). Each message is a nlmsghdr, a nfgenmsg and
 * attributes; numbers in attributes are big-endian (NLA_BE32), except
 * data compared with a register, which is in the byte order of what the
 * expression before stored there. The expressions are what `nft` makes of
 * the rule (nft --debug=netlink):
 *   meta load l4proto => reg 1; cmp eq reg 1 PROTO
 *   payload load 2b @ transport header + 2 => reg 1; cmp eq reg 1 PORT
 *   fib daddr type => reg 1; cmp eq reg 1 RTN_LOCAL  (or: payload load
 *     4b @ network header + 16 => reg 1; cmp eq reg 1 HOSTADDR)
 *   immediate reg 1 GUEST; immediate reg 2 GUESTPORT
 *   nat dnat ip addr_min reg 1 proto_min reg 2
 */
#include "expose_nft.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

/* Where a batch is being written; @overflow once something did not fit. */
struct nft_writer {
	uint8_t *buf;
	size_t len, used;
	bool overflow;
	uint32_t seq;
};

static void *put(struct nft_writer *w, size_t n)
{
	size_t padded = NLMSG_ALIGN(n);
	void *p;

	if (w->overflow || w->len - w->used < padded) {
		w->overflow = true;
		return NULL;
	}
	p = w->buf + w->used;
	memset(p, 0, padded);
	w->used += padded;
	return p;
}

/* Start a message; returns its offset, for msg_end(). */
static size_t msg_begin(struct nft_writer *w, uint16_t type, uint16_t flags,
			uint8_t family, uint16_t res_id)
{
	size_t off = w->used;
	struct nlmsghdr *h = put(w, NLMSG_HDRLEN);
	struct nfgenmsg *g = put(w, sizeof(*g));

	if (h) {
		h->nlmsg_type = type;
		h->nlmsg_flags = NLM_F_REQUEST | flags;
		h->nlmsg_seq = w->seq++;
	}
	if (g) {
		g->nfgen_family = family;
		g->version = NFNETLINK_V0;
		g->res_id = htons(res_id);
	}
	return off;
}

static void msg_end(struct nft_writer *w, size_t off)
{
	if (!w->overflow)
		((struct nlmsghdr *)(w->buf + off))->nlmsg_len =
		    (uint32_t)(w->used - off);
}

static void attr(struct nft_writer *w, uint16_t type, const void *data,
		 size_t n)
{
	struct nlattr *a = put(w, NLA_HDRLEN + n);

	if (!a)
		return;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + n);
	memcpy((uint8_t *)a + NLA_HDRLEN, data, n);
}

static void attr_str(struct nft_writer *w, uint16_t type, const char *s)
{
	attr(w, type, s, strlen(s) + 1);
}

static void attr_be32(struct nft_writer *w, uint16_t type, uint32_t v)
{
	uint32_t be = htonl(v);

	attr(w, type, &be, sizeof(be));
}

static size_t nest_begin(struct nft_writer *w, uint16_t type)
{
	size_t off = w->used;
	struct nlattr *a = put(w, NLA_HDRLEN);

	if (a)
		a->nla_type = NLA_F_NESTED | type;
	return off;
}

static void nest_end(struct nft_writer *w, size_t off)
{
	if (!w->overflow)
		((struct nlattr *)(w->buf + off))->nla_len =
		    (uint16_t)(w->used - off);
}

static void batch_mark(struct nft_writer *w, uint16_t type)
{
	msg_end(w, msg_begin(w, type, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES));
}

static uint16_t nft_type(int msg)
{
	return (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | msg);
}

void expose_nft_table_name(long pid, char *buf, size_t len)
{
	snprintf(buf, len, "vmnet-helper-%ld", pid);
}

static void add_chain(struct nft_writer *w, const char *table, const char *name,
		      uint32_t hook)
{
	size_t m = msg_begin(w, nft_type(NFT_MSG_NEWCHAIN),
			     NLM_F_CREATE | NLM_F_ACK, NFPROTO_IPV4, 0);
	size_t h;

	attr_str(w, NFTA_CHAIN_TABLE, table);
	attr_str(w, NFTA_CHAIN_NAME, name);
	h = nest_begin(w, NFTA_CHAIN_HOOK);
	attr_be32(w, NFTA_HOOK_HOOKNUM, hook);
	/* dstnat: NF_IP_PRI_NAT_DST, a negative number in a be32. */
	attr_be32(w, NFTA_HOOK_PRIORITY, (uint32_t)-100);
	nest_end(w, h);
	attr_be32(w, NFTA_CHAIN_POLICY, NF_ACCEPT);
	attr_str(w, NFTA_CHAIN_TYPE, "nat");
	msg_end(w, m);
}

int expose_nft_table_batch(const char *table, uint32_t seq, uint8_t *buf,
			   size_t len)
{
	struct nft_writer w = {.buf = buf, .len = len, .seq = seq};
	size_t m;

	batch_mark(&w, NFNL_MSG_BATCH_BEGIN);
	/* NLM_F_EXCL: a table of this name is another helper's (or a
	 * helper's of a recycled pid still running): never take it. */
	m = msg_begin(&w, nft_type(NFT_MSG_NEWTABLE),
		      NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, NFPROTO_IPV4, 0);
	attr_str(&w, NFTA_TABLE_NAME, table);
	attr_be32(&w, NFTA_TABLE_FLAGS, NFT_TABLE_F_OWNER);
	msg_end(&w, m);
	add_chain(&w, table, EXPOSE_NFT_CHAIN_PREROUTING, NF_INET_PRE_ROUTING);
	add_chain(&w, table, EXPOSE_NFT_CHAIN_OUTPUT, NF_INET_LOCAL_OUT);
	batch_mark(&w, NFNL_MSG_BATCH_END);
	return w.overflow ? -1 : (int)w.used;
}

/* One list element: an expression @name whose attributes the caller
 * adds; returns the offsets for expr_end(). */
struct expr_marks {
	size_t elem, data;
};

static struct expr_marks expr_begin(struct nft_writer *w, const char *name)
{
	struct expr_marks m;

	m.elem = nest_begin(w, NFTA_LIST_ELEM);
	attr_str(w, NFTA_EXPR_NAME, name);
	m.data = nest_begin(w, NFTA_EXPR_DATA);
	return m;
}

static void expr_end(struct nft_writer *w, struct expr_marks m)
{
	nest_end(w, m.data);
	nest_end(w, m.elem);
}

/* A nested NFTA_DATA_VALUE holding @n bytes. */
static void attr_data(struct nft_writer *w, uint16_t type, const void *v,
		      size_t n)
{
	size_t d = nest_begin(w, type);

	attr(w, NFTA_DATA_VALUE, v, n);
	nest_end(w, d);
}

static void expr_cmp_eq(struct nft_writer *w, const void *v, size_t n)
{
	struct expr_marks m = expr_begin(w, "cmp");

	attr_be32(w, NFTA_CMP_SREG, NFT_REG_1);
	attr_be32(w, NFTA_CMP_OP, NFT_CMP_EQ);
	attr_data(w, NFTA_CMP_DATA, v, n);
	expr_end(w, m);
}

static void expr_payload(struct nft_writer *w, uint32_t base, uint32_t offset,
			 uint32_t n)
{
	struct expr_marks m = expr_begin(w, "payload");

	attr_be32(w, NFTA_PAYLOAD_DREG, NFT_REG_1);
	attr_be32(w, NFTA_PAYLOAD_BASE, base);
	attr_be32(w, NFTA_PAYLOAD_OFFSET, offset);
	attr_be32(w, NFTA_PAYLOAD_LEN, n);
	expr_end(w, m);
}

static void expr_immediate(struct nft_writer *w, uint32_t reg, const void *v,
			   size_t n)
{
	struct expr_marks m = expr_begin(w, "immediate");

	attr_be32(w, NFTA_IMMEDIATE_DREG, reg);
	attr_data(w, NFTA_IMMEDIATE_DATA, v, n);
	expr_end(w, m);
}

static void add_rule(struct nft_writer *w, const char *table, const char *chain,
		     const struct host_expose_rule *r, struct in_addr guest)
{
	size_t msg =
	    msg_begin(w, nft_type(NFT_MSG_NEWRULE),
		      NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, NFPROTO_IPV4, 0);
	uint8_t proto = r->proto == HOST_EXPOSE_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	uint16_t dport = htons(r->host_port), gport = htons(r->guest_port);
	/* fib's address type is stored as a host-order u32
	 * (net/ipv4/netfilter/nft_fib_ipv4.c, nft_fib4_eval_type()). */
	uint32_t local = RTN_LOCAL;
	struct expr_marks m;
	size_t list;

	attr_str(w, NFTA_RULE_TABLE, table);
	attr_str(w, NFTA_RULE_CHAIN, chain);
	list = nest_begin(w, NFTA_RULE_EXPRESSIONS);

	m = expr_begin(w, "meta");
	attr_be32(w, NFTA_META_KEY, NFT_META_L4PROTO);
	attr_be32(w, NFTA_META_DREG, NFT_REG_1);
	expr_end(w, m);
	expr_cmp_eq(w, &proto, sizeof(proto));

	/* The destination port: bytes 2-3 of a TCP and of a UDP header. */
	expr_payload(w, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	expr_cmp_eq(w, &dport, sizeof(dport));

	if (r->host_address.s_addr == INADDR_ANY) {
		m = expr_begin(w, "fib");
		attr_be32(w, NFTA_FIB_DREG, NFT_REG_1);
		attr_be32(w, NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		attr_be32(w, NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR);
		expr_end(w, m);
		expr_cmp_eq(w, &local, sizeof(local));
	} else {
		/* The IPv4 destination address: bytes 16-19. */
		expr_payload(w, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
		expr_cmp_eq(w, &r->host_address.s_addr, 4);
	}

	expr_immediate(w, NFT_REG_1, &guest.s_addr, 4);
	expr_immediate(w, NFT_REG_2, &gport, sizeof(gport));
	m = expr_begin(w, "nat");
	attr_be32(w, NFTA_NAT_TYPE, NFT_NAT_DNAT);
	attr_be32(w, NFTA_NAT_FAMILY, NFPROTO_IPV4);
	attr_be32(w, NFTA_NAT_REG_ADDR_MIN, NFT_REG_1);
	attr_be32(w, NFTA_NAT_REG_PROTO_MIN, NFT_REG_2);
	expr_end(w, m);

	nest_end(w, list);
	msg_end(w, msg);
}

/* A DELRULE naming only the chain deletes every rule in it
 * (nf_tables_delrule(), no handle or id given). */
static void flush_chain(struct nft_writer *w, const char *table,
			const char *chain)
{
	size_t m =
	    msg_begin(w, nft_type(NFT_MSG_DELRULE), NLM_F_ACK, NFPROTO_IPV4, 0);

	attr_str(w, NFTA_RULE_TABLE, table);
	attr_str(w, NFTA_RULE_CHAIN, chain);
	msg_end(w, m);
}

int expose_nft_rules_batch(const char *table,
			   const struct host_expose_rule *rules, unsigned n,
			   struct in_addr guest, uint32_t seq, uint8_t *buf,
			   size_t len)
{
	static const char *const chains[EXPOSE_NFT_CHAINS] = {
	    EXPOSE_NFT_CHAIN_PREROUTING, EXPOSE_NFT_CHAIN_OUTPUT};
	struct nft_writer w = {.buf = buf, .len = len, .seq = seq};

	batch_mark(&w, NFNL_MSG_BATCH_BEGIN);
	for (unsigned c = 0; c < EXPOSE_NFT_CHAINS; c++)
		flush_chain(&w, table, chains[c]);
	for (unsigned i = 0; guest.s_addr != INADDR_ANY && i < n; i++)
		for (unsigned c = 0; c < EXPOSE_NFT_CHAINS; c++)
			add_rule(&w, table, chains[c], &rules[i], guest);
	batch_mark(&w, NFNL_MSG_BATCH_END);
	return w.overflow ? -1 : (int)w.used;
}

int expose_nft_rule_of_seq(uint32_t seq, uint32_t first, unsigned n)
{
	uint32_t k = seq - first;

	if (k < 1 + EXPOSE_NFT_CHAINS || k >= 1 + EXPOSE_NFT_CHAINS + 2 * n)
		return -1;
	return (int)((k - 1 - EXPOSE_NFT_CHAINS) / EXPOSE_NFT_CHAINS);
}
