/* SPDX-License-Identifier: Apache-2.0 */
/* guard_lpm.c - longest prefix match over the guard's CIDR rules: one
 * sorted array per prefix length present, searched from the longest. */
#include "guard_lpm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * How it works
 *
 * At build time every rule's prefix is masked to its length, the rules are
 * sorted by length (longest first), then prefix, and duplicates merged (a
 * block wins a tie). Each length present becomes a level: a mask and a
 * run of sorted prefixes. A lookup masks the address with each level's
 * mask in turn and binary-searches that run; the first hit is the longest
 * match. The cost is at most one search per distinct length (33 for IPv4,
 * 129 for IPv6, in practice a handful), each log2 of that level's size,
 * and nothing is allocated after the build. A trie would bound it by the
 * address length instead; with the few lengths real rule sets use, the
 * arrays are smaller and stay in cache.
 */

struct entry4 {
	uint32_t key;
	uint8_t block;
};

struct entry6 {
	uint64_t hi, lo;
	uint8_t block;
};

struct level4 {
	uint32_t mask;
	unsigned start, n;
};

struct level6 {
	uint64_t mhi, mlo;
	unsigned start, n;
};

struct guard_lpm {
	unsigned nlev4, nlev6, n4, n6;
	struct level4 lev4[33];
	struct level6 lev6[129];
	struct entry4 *e4;
	struct entry6 *e6;
};

static uint32_t mask4(unsigned len)
{
	return len ? ~(uint32_t)0 << (32 - len) : 0;
}

static void mask6(unsigned len, uint64_t *hi, uint64_t *lo)
{
	*hi = len >= 64 ? ~(uint64_t)0 : len ? ~(uint64_t)0 << (64 - len) : 0;
	*lo = len >= 128 ? ~(uint64_t)0
	      : len > 64 ? ~(uint64_t)0 << (128 - len)
			 : 0;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Sort keys: the length (longest first), the prefix, then block first so
 * that the merge keeps the block of a tie. */
struct sort4 {
	uint32_t key;
	uint8_t len, block;
};

struct sort6 {
	uint64_t hi, lo;
	uint8_t len, block;
};

static int cmp4(const void *a, const void *b)
{
	const struct sort4 *x = a, *y = b;

	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (int)y->block - (int)x->block;
}

static int cmp6(const void *a, const void *b)
{
	const struct sort6 *x = a, *y = b;

	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (int)y->block - (int)x->block;
}

static int build4(struct guard_lpm *t, struct sort4 *s, unsigned n)
{
	qsort(s, n, sizeof(*s), cmp4);
	t->e4 = calloc(n ? n : 1, sizeof(*t->e4));
	if (!t->e4)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		/* Sorted block first: a duplicate adds nothing. */
		if (t->n4 && s[i].len == s[i - 1].len &&
		    s[i].key == s[i - 1].key)
			continue;
		if (!t->nlev4 || t->lev4[t->nlev4 - 1].mask != mask4(s[i].len))
			t->lev4[t->nlev4++] = (struct level4){
			    .mask = mask4(s[i].len), .start = t->n4};
		t->lev4[t->nlev4 - 1].n++;
		t->e4[t->n4++] = (struct entry4){s[i].key, s[i].block};
	}
	return 0;
}

static int build6(struct guard_lpm *t, struct sort6 *s, unsigned n)
{
	qsort(s, n, sizeof(*s), cmp6);
	t->e6 = calloc(n ? n : 1, sizeof(*t->e6));
	if (!t->e6)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		uint64_t mhi, mlo;

		if (t->n6 && s[i].len == s[i - 1].len &&
		    s[i].hi == s[i - 1].hi && s[i].lo == s[i - 1].lo)
			continue;
		mask6(s[i].len, &mhi, &mlo);
		if (!t->nlev6 || t->lev6[t->nlev6 - 1].mhi != mhi ||
		    t->lev6[t->nlev6 - 1].mlo != mlo)
			t->lev6[t->nlev6++] = (struct level6){
			    .mhi = mhi, .mlo = mlo, .start = t->n6};
		t->lev6[t->nlev6 - 1].n++;
		t->e6[t->n6++] = (struct entry6){s[i].hi, s[i].lo, s[i].block};
	}
	return 0;
}

int guard_lpm_build(const struct guard_cidr *rules, unsigned n,
		    struct guard_lpm **out)
{
	struct guard_lpm *t;
	struct sort4 *s4;
	struct sort6 *s6;
	unsigned n4 = 0, n6 = 0;
	int r;

	*out = NULL;
	if (n > GUARD_CIDRS_MAX)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	s4 = calloc(n ? n : 1, sizeof(*s4));
	s6 = calloc(n ? n : 1, sizeof(*s6));
	if (!t || !s4 || !s6) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct guard_cidr *c = &rules[i];

		if (c->family == 4 && c->len <= 32) {
			uint32_t a = (uint32_t)c->addr[0] << 24 |
				     (uint32_t)c->addr[1] << 16 |
				     (uint32_t)c->addr[2] << 8 | c->addr[3];
			s4[n4++] =
			    (struct sort4){a & mask4(c->len), c->len, c->block};
		} else if (c->family == 6 && c->len <= 128) {
			uint64_t mhi, mlo;

			mask6(c->len, &mhi, &mlo);
			s6[n6++] = (struct sort6){get64(c->addr) & mhi,
						  get64(c->addr + 8) & mlo,
						  c->len, c->block};
		} else {
			r = -EINVAL;
			goto out;
		}
	}
	r = build4(t, s4, n4);
	if (!r)
		r = build6(t, s6, n6);
out:
	free(s4);
	free(s6);
	if (r)
		guard_lpm_free(t);
	else
		*out = t;
	return r;
}

void guard_lpm_free(struct guard_lpm *t)
{
	if (!t)
		return;
	free(t->e4);
	free(t->e6);
	free(t);
}

unsigned guard_lpm_count(const struct guard_lpm *t, int family)
{
	return family == 4 ? t->n4 : t->n6;
}

enum guard_lpm_result guard_lpm_lookup4(const struct guard_lpm *t, uint32_t a)
{
	for (unsigned l = 0; l < t->nlev4; l++) {
		const struct level4 *lv = &t->lev4[l];
		const struct entry4 *e = t->e4 + lv->start;
		uint32_t key = a & lv->mask;
		unsigned lo = 0, hi = lv->n;

		while (lo < hi) {
			unsigned mid = lo + (hi - lo) / 2;

			if (e[mid].key < key)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < lv->n && e[lo].key == key)
			return e[lo].block ? GUARD_LPM_BLOCK : GUARD_LPM_ALLOW;
	}
	return GUARD_LPM_NONE;
}

enum guard_lpm_result guard_lpm_lookup6(const struct guard_lpm *t, uint64_t hi,
					uint64_t lo)
{
	for (unsigned l = 0; l < t->nlev6; l++) {
		const struct level6 *lv = &t->lev6[l];
		const struct entry6 *e = t->e6 + lv->start;
		uint64_t khi = hi & lv->mhi, klo = lo & lv->mlo;
		unsigned a = 0, b = lv->n;

		while (a < b) {
			unsigned mid = a + (b - a) / 2;

			if (e[mid].hi < khi ||
			    (e[mid].hi == khi && e[mid].lo < klo))
				a = mid + 1;
			else
				b = mid;
		}
		if (a < lv->n && e[a].hi == khi && e[a].lo == klo)
			return e[a].block ? GUARD_LPM_BLOCK : GUARD_LPM_ALLOW;
	}
	return GUARD_LPM_NONE;
}
