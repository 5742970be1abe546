/* SPDX-License-Identifier: Apache-2.0 */
/* guard_lpm.h - the guard's destination rules: --allow and --block CIDRs,
 * IPv4 and IPv6, looked up by longest prefix match. */
#ifndef VMNET_HELPER_GUARD_LPM_H
#define VMNET_HELPER_GUARD_LPM_H

#include <stdbool.h>
#include <stdint.h>

/* Most rules one helper takes, both families together. */
#define GUARD_CIDRS_MAX 4096

/* One rule as given: a prefix, allowed or blocked. */
struct guard_cidr {
	uint8_t family;	  /* 4 or 6 */
	uint8_t len;	  /* prefix length: 0-32 or 0-128 */
	bool block;	  /* --block; false: --allow */
	uint8_t addr[16]; /* network byte order; IPv4 in the first 4 */
};

/* What a lookup found. */
enum guard_lpm_result {
	GUARD_LPM_NONE,	 /* no rule matches */
	GUARD_LPM_ALLOW, /* the longest match is an --allow */
	GUARD_LPM_BLOCK, /* ... a --block, or both at that length */
};

struct guard_lpm;

/**
 * guard_lpm_build() - sort the rules into lookup tables
 * @rules:	the rules; host bits past the length are ignored
 * @n:		how many, at most GUARD_CIDRS_MAX
 * @out:	on success, the tables; free with guard_lpm_free()
 *
 * The same prefix given as both --allow and --block is a block.
 *
 * Return: 0, -EINVAL (too many, a bad family or length) or -ENOMEM.
 */
int guard_lpm_build(const struct guard_cidr *rules, unsigned n,
		    struct guard_lpm **out);

/**
 * guard_lpm_free() - free the tables
 * @t:	tables, or NULL
 */
void guard_lpm_free(struct guard_lpm *t);

/**
 * guard_lpm_count() - how many distinct prefixes of a family the tables
 * hold
 * @t:		tables
 * @family:	4 or 6
 *
 * Return: the count; 0 means that family is never looked up.
 */
unsigned guard_lpm_count(const struct guard_lpm *t, int family);

/**
 * guard_lpm_lookup4() - the verdict of the longest prefix holding @a
 * @t:	tables
 * @a:	IPv4 address, host byte order
 *
 * Return: enum guard_lpm_result.
 */
enum guard_lpm_result guard_lpm_lookup4(const struct guard_lpm *t, uint32_t a);

/**
 * guard_lpm_lookup6() - the same for IPv6
 * @t:	tables
 * @hi:	the address's first 64 bits, as a big-endian number
 * @lo:	its last 64 bits
 *
 * Return: enum guard_lpm_result.
 */
enum guard_lpm_result guard_lpm_lookup6(const struct guard_lpm *t, uint64_t hi,
					uint64_t lo);

#endif
