/* SPDX-License-Identifier: Apache-2.0 */
/* test_expose_nft.c - --expose's nf_tables batches (vmnet/linux/
 * expose_nft.c), parsed back attribute by attribute: no root, no kernel.
 * What the kernel makes of them is test_expose.c's part. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "vmnet/linux/expose_nft.h"

static uint8_t buf[EXPOSE_NFT_BATCH_MAX];

/* The messages of a batch, in order. */
struct msgs {
	const struct nlmsghdr *m[4 * HOST_EXPOSE_MAX + 8];
	unsigned n;
};

static void split(int len, struct msgs *out)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
	int left = len;

	cr_assert_gt(len, 0, "the batch did not fit");
	out->n = 0;
	for (; NLMSG_OK(h, (unsigned)left); h = NLMSG_NEXT(h, left))
		out->m[out->n++] = h;
	cr_assert_eq(left, 0, "bytes after the last message");
}

static uint16_t subtype(const struct nlmsghdr *h)
{
	cr_assert_eq(h->nlmsg_type >> 8, NFNL_SUBSYS_NFTABLES);
	return h->nlmsg_type & 0xff;
}

/* The attribute @type among @len bytes at @p, or NULL. */
static const struct nlattr *find(const void *p, size_t len, uint16_t type)
{
	const uint8_t *q = p, *end = q + len;

	while (q + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)q;

		cr_assert_geq(a->nla_len, NLA_HDRLEN);
		cr_assert_leq(q + a->nla_len, end, "attribute past its end");
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		q += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static const void *payload(const struct nlattr *a)
{
	return (const uint8_t *)a + NLA_HDRLEN;
}

static size_t payload_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* A message's top-level attribute. */
static const struct nlattr *msg_attr(const struct nlmsghdr *h, uint16_t type)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));

	return find((const uint8_t *)h + off, h->nlmsg_len - off, type);
}

static const struct nlattr *nested(const struct nlattr *a, uint16_t type)
{
	cr_assert(a->nla_type & NLA_F_NESTED, "not marked nested");
	return find(payload(a), payload_len(a), type);
}

static uint32_t be32(const struct nlattr *a)
{
	uint32_t v;

	cr_assert_not_null(a);
	cr_assert_eq(payload_len(a), 4);
	memcpy(&v, payload(a), 4);
	return ntohl(v);
}

static void expect_str(const struct nlattr *a, const char *want)
{
	cr_assert_not_null(a, "no attribute for '%s'", want);
	cr_assert_eq(payload_len(a), strlen(want) + 1);
	cr_assert_str_eq(payload(a), want);
}

static const struct nfgenmsg *gen(const struct nlmsghdr *h)
{
	return (const struct nfgenmsg *)((const uint8_t *)h + NLMSG_HDRLEN);
}

Test(expose_nft, table_batch_makes_an_owned_table_and_two_nat_chains)
{
	struct msgs b;
	static const struct {
		const char *name;
		uint32_t hook;
	} chains[] = {{"prerouting", NF_INET_PRE_ROUTING},
		      {"output", NF_INET_LOCAL_OUT}};

	split(expose_nft_table_batch("vmnet-helper-42", 7, buf, sizeof(buf)),
	      &b);
	cr_assert_eq(b.n, 5);
	cr_assert_eq(b.m[0]->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	cr_assert_eq(ntohs(gen(b.m[0])->res_id), NFNL_SUBSYS_NFTABLES);
	cr_assert_eq(b.m[4]->nlmsg_type, NFNL_MSG_BATCH_END);
	for (unsigned i = 0; i < b.n; i++) {
		cr_assert_eq(b.m[i]->nlmsg_seq, 7 + i);
		/* Begin and end ask for no answer; the others each get
		 * one, which is how the keeper counts. */
		cr_assert_eq(!!(b.m[i]->nlmsg_flags & NLM_F_ACK),
			     i > 0 && i < 4, "message %u", i);
	}

	cr_assert_eq(subtype(b.m[1]), NFT_MSG_NEWTABLE);
	cr_assert_eq(gen(b.m[1])->nfgen_family, NFPROTO_IPV4);
	cr_assert(b.m[1]->nlmsg_flags & NLM_F_EXCL, "must not take a table");
	expect_str(msg_attr(b.m[1], NFTA_TABLE_NAME), "vmnet-helper-42");
	cr_assert_eq(be32(msg_attr(b.m[1], NFTA_TABLE_FLAGS)),
		     NFT_TABLE_F_OWNER);

	for (unsigned c = 0; c < 2; c++) {
		const struct nlmsghdr *h = b.m[2 + c];
		const struct nlattr *hook = msg_attr(h, NFTA_CHAIN_HOOK);

		cr_assert_eq(subtype(h), NFT_MSG_NEWCHAIN);
		expect_str(msg_attr(h, NFTA_CHAIN_TABLE), "vmnet-helper-42");
		expect_str(msg_attr(h, NFTA_CHAIN_NAME), chains[c].name);
		expect_str(msg_attr(h, NFTA_CHAIN_TYPE), "nat");
		cr_assert_eq(be32(msg_attr(h, NFTA_CHAIN_POLICY)), NF_ACCEPT);
		cr_assert_not_null(hook);
		cr_assert_eq(be32(nested(hook, NFTA_HOOK_HOOKNUM)),
			     chains[c].hook);
		cr_assert_eq((int32_t)be32(nested(hook, NFTA_HOOK_PRIORITY)),
			     -100);
	}
}

/* The expressions of a NEWRULE, by name, and their data. */
static unsigned exprs(const struct nlmsghdr *h, const struct nlattr **out,
		      unsigned max)
{
	const struct nlattr *list = msg_attr(h, NFTA_RULE_EXPRESSIONS);
	const uint8_t *q, *end;
	unsigned n = 0;

	cr_assert_not_null(list);
	q = payload(list);
	end = q + payload_len(list);
	while (q < end && n < max) {
		const struct nlattr *e = (const struct nlattr *)q;

		cr_assert_eq(e->nla_type & NLA_TYPE_MASK, NFTA_LIST_ELEM);
		out[n++] = e;
		q += NLA_ALIGN(e->nla_len);
	}
	return n;
}

static const struct nlattr *expr_data(const struct nlattr *e, const char *name)
{
	expect_str(nested(e, NFTA_EXPR_NAME), name);
	return nested(e, NFTA_EXPR_DATA);
}

/* The bytes a cmp or immediate holds (NFTA_DATA_VALUE inside @type). */
static void expect_value(const struct nlattr *data, uint16_t type,
			 const void *want, size_t n)
{
	const struct nlattr *d = nested(data, type);
	const struct nlattr *v;

	cr_assert_not_null(d);
	v = nested(d, NFTA_DATA_VALUE);
	cr_assert_not_null(v);
	cr_assert_eq(payload_len(v), n);
	cr_assert_eq(memcmp(payload(v), want, n), 0);
}

static void expect_rule(const struct nlmsghdr *h, const char *chain,
			const struct host_expose_rule *r, struct in_addr guest)
{
	const struct nlattr *e[16], *d;
	uint8_t proto = r->proto == HOST_EXPOSE_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	uint16_t dport = htons(r->host_port), gport = htons(r->guest_port);
	uint32_t local = RTN_LOCAL;
	unsigned n = exprs(h, e, 16);

	cr_assert_eq(subtype(h), NFT_MSG_NEWRULE);
	cr_assert(h->nlmsg_flags & NLM_F_APPEND);
	expect_str(msg_attr(h, NFTA_RULE_TABLE), "t");
	expect_str(msg_attr(h, NFTA_RULE_CHAIN), chain);
	cr_assert_eq(n, 9);
	d = expr_data(e[0], "meta");
	cr_assert_eq(be32(nested(d, NFTA_META_KEY)), NFT_META_L4PROTO);
	expect_value(expr_data(e[1], "cmp"), NFTA_CMP_DATA, &proto, 1);
	d = expr_data(e[2], "payload");
	cr_assert_eq(be32(nested(d, NFTA_PAYLOAD_BASE)),
		     NFT_PAYLOAD_TRANSPORT_HEADER);
	cr_assert_eq(be32(nested(d, NFTA_PAYLOAD_OFFSET)), 2);
	cr_assert_eq(be32(nested(d, NFTA_PAYLOAD_LEN)), 2);
	expect_value(expr_data(e[3], "cmp"), NFTA_CMP_DATA, &dport, 2);
	if (r->host_address.s_addr == INADDR_ANY) {
		d = expr_data(e[4], "fib");
		cr_assert_eq(be32(nested(d, NFTA_FIB_RESULT)),
			     NFT_FIB_RESULT_ADDRTYPE);
		cr_assert_eq(be32(nested(d, NFTA_FIB_FLAGS)), NFTA_FIB_F_DADDR);
		expect_value(expr_data(e[5], "cmp"), NFTA_CMP_DATA, &local, 4);
	} else {
		d = expr_data(e[4], "payload");
		cr_assert_eq(be32(nested(d, NFTA_PAYLOAD_BASE)),
			     NFT_PAYLOAD_NETWORK_HEADER);
		cr_assert_eq(be32(nested(d, NFTA_PAYLOAD_OFFSET)), 16);
		expect_value(expr_data(e[5], "cmp"), NFTA_CMP_DATA,
			     &r->host_address.s_addr, 4);
	}
	d = expr_data(e[6], "immediate");
	cr_assert_eq(be32(nested(d, NFTA_IMMEDIATE_DREG)), NFT_REG_1);
	expect_value(d, NFTA_IMMEDIATE_DATA, &guest.s_addr, 4);
	d = expr_data(e[7], "immediate");
	cr_assert_eq(be32(nested(d, NFTA_IMMEDIATE_DREG)), NFT_REG_2);
	expect_value(d, NFTA_IMMEDIATE_DATA, &gport, 2);
	d = expr_data(e[8], "nat");
	cr_assert_eq(be32(nested(d, NFTA_NAT_TYPE)), NFT_NAT_DNAT);
	cr_assert_eq(be32(nested(d, NFTA_NAT_FAMILY)), NFPROTO_IPV4);
	cr_assert_eq(be32(nested(d, NFTA_NAT_REG_ADDR_MIN)), NFT_REG_1);
	cr_assert_eq(be32(nested(d, NFTA_NAT_REG_PROTO_MIN)), NFT_REG_2);
}

static const struct host_expose_rule rules[] = {
    {HOST_EXPOSE_TCP, {INADDR_ANY}, 8080, 80},
    {HOST_EXPOSE_UDP, {0}, 5353, 53},
};

Test(expose_nft, rules_batch_flushes_both_chains_then_adds_each_rule_twice)
{
	struct in_addr guest = {inet_addr("10.0.0.2")};
	struct host_expose_rule r[2];
	struct msgs b;

	memcpy(r, rules, sizeof(r));
	r[1].host_address.s_addr = inet_addr("192.168.1.5");
	split(expose_nft_rules_batch("t", r, 2, guest, 100, buf, sizeof(buf)),
	      &b);
	cr_assert_eq(b.n, 1 + 2 + 4 + 1);
	cr_assert_eq(b.m[0]->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	for (unsigned c = 0; c < 2; c++) {
		cr_assert_eq(subtype(b.m[1 + c]), NFT_MSG_DELRULE);
		cr_assert_null(msg_attr(b.m[1 + c], NFTA_RULE_HANDLE),
			       "a flush names no rule");
	}
	expect_str(msg_attr(b.m[1], NFTA_RULE_CHAIN), "prerouting");
	expect_str(msg_attr(b.m[2], NFTA_RULE_CHAIN), "output");
	expect_rule(b.m[3], "prerouting", &r[0], guest);
	expect_rule(b.m[4], "output", &r[0], guest);
	expect_rule(b.m[5], "prerouting", &r[1], guest);
	expect_rule(b.m[6], "output", &r[1], guest);
	cr_assert_eq(b.m[7]->nlmsg_type, NFNL_MSG_BATCH_END);
	/* An error's sequence number names its rule. */
	for (unsigned i = 0; i < b.n; i++) {
		int want = i >= 3 && i < 7 ? (int)(i - 3) / 2 : -1;

		cr_assert_eq(expose_nft_rule_of_seq(b.m[i]->nlmsg_seq, 100, 2),
			     want, "message %u", i);
	}
}

Test(expose_nft, no_guest_only_flushes)
{
	struct msgs b;

	split(expose_nft_rules_batch("t", rules, 2, (struct in_addr){0}, 1, buf,
				     sizeof(buf)),
	      &b);
	cr_assert_eq(b.n, 4);
	cr_assert_eq(subtype(b.m[1]), NFT_MSG_DELRULE);
	cr_assert_eq(subtype(b.m[2]), NFT_MSG_DELRULE);
}

Test(expose_nft, the_largest_batch_fits_and_a_short_buffer_is_refused)
{
	static struct host_expose_rule many[HOST_EXPOSE_MAX];
	struct in_addr guest = {inet_addr("10.0.0.2")};
	struct msgs b;

	for (unsigned i = 0; i < HOST_EXPOSE_MAX; i++)
		many[i] = (struct host_expose_rule){HOST_EXPOSE_TCP,
						    {inet_addr("127.0.0.1")},
						    (uint16_t)(1000 + i),
						    80};
	split(expose_nft_rules_batch("vmnet-helper-4194304", many,
				     HOST_EXPOSE_MAX, guest, 1, buf,
				     sizeof(buf)),
	      &b);
	cr_assert_eq(b.n, 4 + 2 * HOST_EXPOSE_MAX);
	cr_assert_eq(expose_nft_rules_batch("t", many, HOST_EXPOSE_MAX, guest,
					    1, buf, 200),
		     -1);
	cr_assert_eq(expose_nft_table_batch("t", 1, buf, 40), -1);
}
