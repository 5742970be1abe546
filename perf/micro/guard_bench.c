/* SPDX-License-Identifier: Apache-2.0 */
/* guard_bench.c - the guard's cost per frame: its filter run over batches
 * of frames from the VM, one thread, for each rule set (none, the MAC,
 * MAC and source address, and 1, 16 and 1000 destination CIDRs), IPv4 and
 * IPv6 frames.
 *
 * Usage: guard_bench [-r RUNS] [-n FRAMES] [-b BATCH]
 *
 * Each run filters FRAMES frames (default 20 million) in batches of BATCH
 * (64) and reads the thread's CPU time; the table gives the median of RUNS
 * (5) runs and their min-max, in ns per frame and in CPU seconds per
 * million frames (the same number / 1000). Every frame passes, so each
 * lookup searches the CIDR tables to the end (the worst case for a frame
 * that is let through; a block stops at its level). The destinations vary
 * inside 10.0.0.0/8 or fd00::/16 so branches see real variety, and the
 * rules are random prefixes outside them: IPv4 lengths 8-32, IPv6 lengths
 * 16-128 in steps of 8, so 1000 rules fill 25 and 15 levels. "copy only"
 * is the loop without a guard: resetting the batch, which every row pays.
 * Pin it: taskset -c 1 guard_bench. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"
#include "pool.h"

#define MAX_RUNS  25
#define BATCH_MAX 256
#define FRAME_LEN 64

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 1;
}

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

/* An untagged UDP frame from the VM: IPv4 10.0.0.2 or fd00::2 to @i's
 * destination inside 10/8 or fd00::/16. */
static void make_frame(uint8_t *f, bool v6, uint32_t i)
{
	memset(f, 0, FRAME_LEN + 40);
	memset(f, 0x5a, 6);
	memcpy(f + 6, vm_mac, 6);
	if (!v6) {
		uint8_t *ip = f + 14;

		f[12] = 0x08;
		ip[0] = 0x45;
		ip[3] = FRAME_LEN - 14;
		ip[9] = 17;
		ip[12] = 10, ip[15] = 2;
		ip[16] = 10, ip[17] = (uint8_t)(i >> 16),
		ip[18] = (uint8_t)(i >> 8), ip[19] = (uint8_t)i;
	} else {
		uint8_t *ip = f + 14;

		f[12] = 0x86, f[13] = 0xdd;
		ip[0] = 0x60;
		ip[5] = 8;
		ip[6] = 17;
		ip[8] = 0xfd, ip[23] = 2;
		ip[24] = 0xfd, ip[26] = (uint8_t)(i >> 24),
		ip[27] = (uint8_t)(i >> 16), ip[38] = (uint8_t)(i >> 8),
		ip[39] = (uint8_t)i;
	}
}

struct row {
	const char *name;
	enum guard_mac_mode mac;
	bool ip;
	unsigned cidrs;
	bool none; /* no guard: the copy alone */
};

static const struct row rows[] = {
    {"copy only (no guard)", GUARD_MAC_OFF, false, 0, true},
    {"guard, no rule", GUARD_MAC_OFF, false, 0, false},
    {"--enforce-mac", GUARD_MAC_FIXED, false, 0, false},
    {"--enforce-mac --enforce-ip", GUARD_MAC_FIXED, true, 0, false},
    {"  + 1 CIDR", GUARD_MAC_FIXED, true, 1, false},
    {"  + 16 CIDRs", GUARD_MAC_FIXED, true, 16, false},
    {"  + 1000 CIDRs", GUARD_MAC_FIXED, true, 1000, false},
};

static struct guard_config cfg;

static struct guard *make_guard(const struct row *r, bool v6)
{
	struct guard *g;
	uint32_t s = 42;

	memset(&cfg, 0, sizeof(cfg));
	cfg.mac_mode = r->mac;
	memcpy(cfg.mac, vm_mac, 6);
	cfg.enforce_ip = r->ip;
	for (unsigned i = 0; i < r->cidrs; i++) {
		struct guard_cidr *c = &cfg.cidrs[cfg.cidr_n++];
		uint32_t a = rnd(&s);

		c->block = true;
		if (!v6) {
			c->family = 4;
			c->len = (uint8_t)(8 + rnd(&s) % 25);
			/* Outside 10/8: first byte 11-200. */
			c->addr[0] = (uint8_t)(11 + a % 190);
			c->addr[1] = (uint8_t)(a >> 8);
			c->addr[2] = (uint8_t)(a >> 16);
			c->addr[3] = (uint8_t)(a >> 24);
		} else {
			c->family = 6;
			c->len = (uint8_t)(16 + rnd(&s) % 15 * 8);
			c->addr[0] = 0x20;
			for (int k = 1; k < 16; k++)
				c->addr[k] = (uint8_t)rnd(&s);
		}
		/* Clear the bits past the length, as the parser demands. */
		for (unsigned bit = c->len; bit < (v6 ? 128u : 32u); bit++)
			c->addr[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
	}
	if (r->none)
		return NULL;
	if (guard_create(&cfg, &g)) {
		fprintf(stderr, "guard_create failed\n");
		exit(1);
	}
	return g;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int runs = 5, opt;
	unsigned long long frames = 20000000ull;
	unsigned batch = 64;
	static struct pkt *pool[BATCH_MAX], *pkts[BATCH_MAX], *rej[BATCH_MAX];

	while ((opt = getopt(argc, argv, "r:n:b:")) != -1) {
		if (opt == 'r')
			runs = atoi(optarg);
		else if (opt == 'n')
			frames = strtoull(optarg, NULL, 10);
		else if (opt == 'b')
			batch = (unsigned)atoi(optarg);
		else
			return 2;
	}
	if (runs < 1 || runs > MAX_RUNS || batch < 1 || batch > BATCH_MAX) {
		fprintf(stderr,
			"usage: guard_bench [-r 1-%d] [-n FRAMES] "
			"[-b 1-%d]\n",
			MAX_RUNS, BATCH_MAX);
		return 2;
	}
	for (unsigned i = 0; i < batch; i++) {
		pool[i] = aligned_alloc(
		    64, (sizeof(struct pkt) + FRAME_LEN + 40 + 63) / 64 * 64);
		if (!pool[i])
			return 1;
		pool[i]->len = FRAME_LEN;
	}
	printf("guard_bench: %llu frames of %d bytes per run, batch %u, "
	       "median of %d runs (min-max)\n",
	       frames, FRAME_LEN, batch, runs);
	printf("%-28s %-5s %22s %12s\n", "rules", "frame", "ns/frame",
	       "CPU s/Mframe");
	for (int v6 = 0; v6 < 2; v6++) {
		for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
			double ns[MAX_RUNS];
			uint64_t kept_total = 0;

			for (int run = 0; run < runs; run++) {
				struct guard *g = make_guard(&rows[r], v6);
				struct frame_filter *ff =
				    g ? guard_filter(g) : NULL;
				struct counters_in c = {0};
				uint32_t seq = 1;
				unsigned long long done = 0;

				for (unsigned i = 0; i < batch; i++)
					make_frame(pool[i]->data, v6,
						   seq++ * 2654435761u);
				uint64_t t0 = thread_cpu_ns();
				while (done < frames) {
					memcpy(pkts, pool,
					       batch * sizeof(*pkts));
					kept_total +=
					    ff ? ff->filter(ff, pkts, batch,
							    rej, &c)
					       : batch;
					done += batch;
				}
				ns[run] = (double)(thread_cpu_ns() - t0) /
					  (double)done;
				guard_destroy(g);
			}
			/* Every frame must pass, or the rows measure the
			 * wrong path. */
			if (kept_total != (uint64_t)runs *
					      ((frames + batch - 1) / batch) *
					      batch) {
				fprintf(stderr, "%s: frames dropped\n",
					rows[r].name);
				return 1;
			}
			qsort(ns, (size_t)runs, sizeof(ns[0]), cmp_double);
			double med = ns[runs / 2];
			char range[64];
			snprintf(range, sizeof(range), "%.1f (%.1f-%.1f)", med,
				 ns[0], ns[runs - 1]);
			printf("%-28s %-5s %22s %12.4f\n", rows[r].name,
			       v6 ? "IPv6" : "IPv4", range, med / 1000.0);
		}
	}
	for (unsigned i = 0; i < batch; i++)
		free(pool[i]);
	return 0;
}
