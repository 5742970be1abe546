/* SPDX-License-Identifier: Apache-2.0 */
/* test_guard_lpm.c - the guard's longest prefix match, table-driven:
 * overlapping prefixes, ties (block wins), no match, /0 and full-length
 * rules, IPv4 and IPv6, and a large table against a linear scan. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard_lpm.h"

#define ROWS(a)	  (sizeof(a) / sizeof((a)[0]))
#define RULES_MAX 8
#define N	  GUARD_LPM_NONE
#define A	  GUARD_LPM_ALLOW
#define B	  GUARD_LPM_BLOCK

/* "+10.0.0.0/8" allows, "-10.0.0.0/8" blocks. */
struct row {
	const char *rules[RULES_MAX];
	const char *addr;
	enum guard_lpm_result want;
};

static void parse_rule(const char *s, struct guard_cidr *c)
{
	char text[64];
	const char *slash = strchr(s, '/');

	memset(c, 0, sizeof(*c));
	c->block = s[0] == '-';
	snprintf(text, sizeof(text), "%.*s", (int)(slash - s - 1), s + 1);
	c->len = (uint8_t)atoi(slash + 1);
	c->family = 4;
	if (inet_pton(AF_INET, text, c->addr) != 1) {
		cr_assert_eq(inet_pton(AF_INET6, text, c->addr), 1, "%s", s);
		c->family = 6;
	}
}

static enum guard_lpm_result lookup(const struct guard_lpm *t, const char *a)
{
	uint8_t b[16];

	if (inet_pton(AF_INET, a, b) == 1)
		return guard_lpm_lookup4(t, (uint32_t)b[0] << 24 |
						(uint32_t)b[1] << 16 |
						(uint32_t)b[2] << 8 | b[3]);
	cr_assert_eq(inet_pton(AF_INET6, a, b), 1, "%s", a);
	uint64_t hi = 0, lo = 0;
	for (int i = 0; i < 8; i++) {
		hi = hi << 8 | b[i];
		lo = lo << 8 | b[8 + i];
	}
	return guard_lpm_lookup6(t, hi, lo);
}

static const struct row rows[] = {
    /* No rules of the family: no match. */
    {{"+10.0.0.0/8"}, "fd00::1", N},
    {{"+fd00::/8"}, "10.0.0.1", N},
    {{"+10.0.0.0/8"}, "11.0.0.1", N},
    /* Overlapping: the longest holding the address decides. */
    {{"-0.0.0.0/0", "+10.0.0.0/8", "-10.1.0.0/16", "+10.1.2.0/24"},
     "10.1.2.3",
     A},
    {{"-0.0.0.0/0", "+10.0.0.0/8", "-10.1.0.0/16", "+10.1.2.0/24"},
     "10.1.3.3",
     B},
    {{"-0.0.0.0/0", "+10.0.0.0/8", "-10.1.0.0/16", "+10.1.2.0/24"},
     "10.2.0.1",
     A},
    {{"-0.0.0.0/0", "+10.0.0.0/8", "-10.1.0.0/16", "+10.1.2.0/24"},
     "192.168.1.1",
     B},
    /* Order given does not matter. */
    {{"+10.1.2.0/24", "-10.1.0.0/16", "+10.0.0.0/8", "-0.0.0.0/0"},
     "10.1.2.3",
     A},
    /* A tie: block wins, in either order. */
    {{"+10.0.0.0/8", "-10.0.0.0/8"}, "10.5.5.5", B},
    {{"-10.0.0.0/8", "+10.0.0.0/8"}, "10.5.5.5", B},
    {{"+10.0.0.0/8", "+10.0.0.0/8"}, "10.5.5.5", A},
    /* Full length and edges. */
    {{"-1.2.3.4/32"}, "1.2.3.4", B},
    {{"-1.2.3.4/32"}, "1.2.3.5", N},
    {{"+0.0.0.0/0"}, "255.255.255.255", A},
    {{"-128.0.0.0/1"}, "127.255.255.255", N},
    {{"-128.0.0.0/1"}, "128.0.0.0", B},
    /* Host bits in a rule are ignored by the tables. */
    {{"-10.1.2.3/8"}, "10.200.0.1", B},
    /* IPv6: across the 64-bit halves. */
    {{"-::/0", "+fd00::/8", "-fd00:1::/32", "+fd00:1:0:0:8000::/65"},
     "fd00:1::8000:0:0:1",
     A},
    {{"-::/0", "+fd00::/8", "-fd00:1::/32", "+fd00:1:0:0:8000::/65"},
     "fd00:1::1",
     B},
    {{"-::/0", "+fd00::/8", "-fd00:1::/32", "+fd00:1:0:0:8000::/65"},
     "fd12::1",
     A},
    {{"-::/0", "+fd00::/8", "-fd00:1::/32", "+fd00:1:0:0:8000::/65"},
     "2001:db8::1",
     B},
    {{"+2001:db8::1/128", "-2001:db8::/64"}, "2001:db8::1", A},
    {{"+2001:db8::1/128", "-2001:db8::/64"}, "2001:db8::2", B},
    {{"+2001:db8::/64", "-2001:db8::/64"}, "2001:db8::2", B},
    {{"-2001:db8::/63"}, "2001:db8:0:1::1", B},
    {{"-2001:db8::/64"}, "2001:db8:0:1::1", N},
    /* Both families in one table. */
    {{"-10.0.0.0/8", "+fd00::/8"}, "fd00::1", A},
    {{"-10.0.0.0/8", "+fd00::/8"}, "10.0.0.1", B},
};

Test(guard_lpm, rows)
{
	for (size_t i = 0; i < ROWS(rows); i++) {
		struct guard_cidr rules[RULES_MAX];
		struct guard_lpm *t;
		unsigned n = 0;

		while (n < RULES_MAX && rows[i].rules[n]) {
			parse_rule(rows[i].rules[n], &rules[n]);
			n++;
		}
		cr_assert_eq(guard_lpm_build(rules, n, &t), 0);
		cr_expect_eq(lookup(t, rows[i].addr), rows[i].want,
			     "row %zu: %s gave %d, want %d", i, rows[i].addr,
			     lookup(t, rows[i].addr), rows[i].want);
		guard_lpm_free(t);
	}
}

Test(guard_lpm, refuses_more_than_the_limit_and_bad_rules)
{
	static struct guard_cidr rules[GUARD_CIDRS_MAX + 1];
	struct guard_lpm *t = (struct guard_lpm *)1;

	cr_assert_eq(guard_lpm_build(rules, GUARD_CIDRS_MAX + 1, &t), -EINVAL);
	cr_assert_null(t);
	rules[0] = (struct guard_cidr){.family = 4, .len = 33};
	cr_assert_eq(guard_lpm_build(rules, 1, &t), -EINVAL);
	rules[0] = (struct guard_cidr){.family = 5};
	cr_assert_eq(guard_lpm_build(rules, 1, &t), -EINVAL);
}

/* The reference: every rule, the longest match by a linear scan. */
static enum guard_lpm_result scan4(const struct guard_cidr *r, unsigned n,
				   uint32_t a)
{
	int best = -1;
	bool block = false;

	for (unsigned i = 0; i < n; i++) {
		uint32_t p = (uint32_t)r[i].addr[0] << 24 |
			     (uint32_t)r[i].addr[1] << 16 |
			     (uint32_t)r[i].addr[2] << 8 | r[i].addr[3];
		uint32_t m = r[i].len ? ~0u << (32 - r[i].len) : 0;

		if ((a & m) != (p & m) || r[i].len < best)
			continue;
		block = (r[i].len == best && block) || r[i].block;
		best = r[i].len;
	}
	return best < 0 ? N : block ? B : A;
}

Test(guard_lpm, matches_a_linear_scan_over_random_rules)
{
	static struct guard_cidr rules[GUARD_CIDRS_MAX];
	struct guard_lpm *t;
	uint32_t seed = 12345;

	/* Few distinct lengths and a small space, so rules overlap. */
	for (unsigned i = 0; i < GUARD_CIDRS_MAX; i++) {
		seed = seed * 1103515245u + 12345u;
		rules[i] = (struct guard_cidr){
		    .family = 4,
		    .len = (uint8_t)(8 + (seed >> 8) % 5 * 4),
		    .block = (seed >> 20) & 1};
		rules[i].addr[0] = 10;
		rules[i].addr[1] = (uint8_t)(seed >> 24 & 0x0f);
		rules[i].addr[2] = (uint8_t)(seed >> 12);
	}
	cr_assert_eq(guard_lpm_build(rules, GUARD_CIDRS_MAX, &t), 0);
	for (unsigned i = 0; i < 20000; i++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t a = 10u << 24 | (seed & 0x0fffff00u) | (i & 0xff);

		cr_assert_eq(guard_lpm_lookup4(t, a),
			     scan4(rules, GUARD_CIDRS_MAX, a), "address %08x",
			     a);
	}
	guard_lpm_free(t);
}
