/* SPDX-License-Identifier: Apache-2.0 */
/* tap_write_bench_report.c - one block of runs (a kind and a size) and its
 * rows of the table: medians, spread, ratios and the notes below them. */
#include "tap_write_bench.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not fmin()/fmax(): the build line has no -lm. */
double dmin(double a, double b)
{
	return a < b ? a : b;
}

static double dmax(double a, double b)
{
	return a > b ? a : b;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of @n values at @stride bytes apart from @first. */
static double median(const void *first, size_t stride, int n)
{
	double v[RUNS_MAX];

	for (int i = 0; i < n; i++)
		memcpy(&v[i], (const char *)first + (size_t)i * stride,
		       sizeof(double));
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool method_on(const struct bench *b, enum method m)
{
	if (!b->o.methods[m])
		return false;
	if (m == M_URING_SQPOLL)
		return b->sqpoll_ok;
	return m < M_URING || b->uring_ok;
}

#define MED(res, m, field)                                                     \
	median(&(res)[m][0].field, sizeof(struct result), b->o.runs)

static void print_block(const struct bench *b, enum kind k, unsigned size,
			struct result (*res)[RUNS_MAX])
{
	/* No write, no baseline: the ratios show "-". */
	double base = method_on(b, M_WRITE) ? MED(res, M_WRITE, pps) : 0;
	int runs = b->o.runs;

	for (int m = 0; m < M_COUNT; m++) {
		double pps, lo = INFINITY, hi = 0;
		char deliv[16] = "-", ratio[16] = "-";

		if (!method_on(b, (enum method)m))
			continue;
		pps = MED(res, m, pps);
		for (int i = 0; i < runs; i++) {
			lo = dmin(lo, res[m][i].pps);
			hi = dmax(hi, res[m][i].pps);
		}
		if (k == K_UDP)
			snprintf(deliv, sizeof(deliv), "%.1f",
				 100 * MED(res, m, deliv));
		if (base > 0)
			snprintf(ratio, sizeof(ratio), "%.2f", pps / base);
		printf("%-4s %5u %-12s %11.0f %7.3f %9.1f %9.1f %9.1f %5.0f%% "
		       "%6.1f%% %7s %8s\n",
		       kind_names[k], size, method_names[m], pps,
		       MED(res, m, gbps), MED(res, m, cpu_ns),
		       MED(res, m, thr_ns), MED(res, m, oth_ns),
		       100 * MED(res, m, busy),
		       pps > 0 ? 100 * (hi - lo) / pps : 0, deliv, ratio);
	}
	/* Notes after the rows: errors, UDP socket drops, io_uring threads. */
	for (int m = 0; m < M_COUNT; m++) {
		uint64_t errs[ERR_SLOTS] = {0}, shorts = 0, drops = 0, any = 0,
			 retries = 0;
		int wrk = 0, wrk_runs = 0, sqp = 0;

		if (!method_on(b, (enum method)m))
			continue;
		for (int i = 0; i < runs; i++) {
			const struct result *r = &res[m][i];

			for (int e = 0; e < ERR_SLOTS; e++) {
				errs[e] += r->errs[e];
				any += r->errs[e];
			}
			shorts += r->shorts;
			drops += r->rcvbuf_drops;
			retries += r->submit_retries;
			wrk = r->iou_wrk > wrk ? r->iou_wrk : wrk;
			wrk_runs += r->iou_wrk > 0;
			sqp = r->iou_sqp > sqp ? r->iou_sqp : sqp;
		}
		if (any || shorts) {
			printf("  %s %u %s: failed writes:", kind_names[k],
			       size, method_names[m]);
			for (int e = 1; e < ERR_SLOTS; e++) {
				const char *name = strerrorname_np(e);

				if (!errs[e])
					continue;
				if (e == ERR_SLOTS - 1)
					printf(" errno>=%d %" PRIu64, e,
					       errs[e]);
				else if (name)
					printf(" %s %" PRIu64, name, errs[e]);
				else
					printf(" errno%d %" PRIu64, e, errs[e]);
			}
			printf(" short %" PRIu64 " (over %d runs)\n", shorts,
			       runs);
		}
		if (drops)
			printf("  %s %u %s: %" PRIu64 " datagrams dropped at "
			       "the UDP socket (RcvbufErrors): the reader "
			       "fell behind\n",
			       kind_names[k], size, method_names[m], drops);
		if (retries)
			printf("  %s %u %s: io_uring_submit() failed "
			       "transiently (EAGAIN/EBUSY/EINTR) %" PRIu64
			       " times and was retried\n",
			       kind_names[k], size, method_names[m], retries);
		if (m < M_URING)
			continue;
		printf("  %s %u %s: iou-wrk threads %d (seen after %d of %d "
		       "runs), iou-sqp %d, oth %.1f ns/frame: %s\n",
		       kind_names[k], size, method_names[m], wrk, wrk_runs,
		       runs, sqp, MED(res, m, oth_ns),
		       m == M_URING_SQPOLL
			   ? "writes issued by the SQPOLL thread"
		       : wrk == 0 ? "writes completed inline"
				  : "writes were punted to io-wq");
	}
}

void run_block(struct bench *b, enum kind k, unsigned size)
{
	struct result(*res)[RUNS_MAX] = calloc(M_COUNT, sizeof(*res));
	struct result warm;

	if (!res)
		fatal("out of memory for %d results", M_COUNT * RUNS_MAX);
	frames_build(b, k, size);
	/* Unrecorded: fault in buffers, warm caches, let io-wq settle. */
	for (int m = 0; m < M_COUNT; m++)
		if (method_on(b, (enum method)m))
			measure(b, k, (enum method)m,
				dmin(WARMUP_S, b->o.seconds), &warm);
	for (int i = 0; i < b->o.runs; i++) {
		for (int m = 0; m < M_COUNT; m++) {
			struct result *r = &res[m][i];

			if (!method_on(b, (enum method)m))
				continue;
			measure(b, k, (enum method)m, b->o.seconds, r);
			if (b->o.verbose)
				printf("  run %d/%d %s %u %s: %.0f pps, cpu "
				       "%.1f thr %.1f ns/frame, deliv %.1f%%, "
				       "iou-wrk %d\n",
				       i + 1, b->o.runs, kind_names[k], size,
				       method_names[m], r->pps, r->cpu_ns,
				       r->thr_ns, 100 * r->deliv, r->iou_wrk);
		}
	}
	print_block(b, k, size, res);
	fflush(stdout);
	free(res);
}
