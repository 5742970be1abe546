/* SPDX-License-Identifier: Apache-2.0 */
/* tap_write_bench_opts.c - tap_write_bench's command line: usage, the
 * options and their checks. */
#include "tap_write_bench.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- options ---- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " [-k drop|udp|both] [-s SIZE[,SIZE...]] "
		"[-d SECONDS] [-r RUNS]\n"
		"       [-b BATCH] [-m METHOD[,METHOD...]] "
		"[-c WRITER,READER[,SQPOLL]] [-v] [-h]\n"
		"Writes Ethernet frames into a TAP in a private network "
		"namespace (run as root)\n"
		"and compares write, writev and io_uring.\n"
		"  -k  traffic: drop (foreign MAC, dropped early), udp (to a "
		"UDP socket\n"
		"      drained by a reader thread) or both (default)\n"
		"  -s  frame sizes in bytes, %d..%d (default 60,1514)\n"
		"  -d  seconds per measurement (default 1.0)\n"
		"  -r  runs, methods interleaved in each (default 5, at most "
		"%d)\n"
		"  -b  frames per batch (default 64, at most %d)\n"
		"  -m  methods (default all): write, writev, uring, "
		"uring_fixed, uring_sqpoll\n"
		"  -c  CPUs of the writer, the UDP reader and the SQPOLL "
		"thread (default 0,1,1)\n"
		"  -v  print every measurement\n",
		FRAME_MIN, FRAME_MAX, RUNS_MAX, BATCH_MAX);
}

static void bad_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (-h for usage)\n", stderr);
	exit(2);
}

static void cpu_check(const char *role, int cpu)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		fatal("sched_getaffinity: %s", strerror(errno));
	if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &set))
		bad_usage("-c: the %s CPU %d is not one this process may use",
			  role, cpu);
}

void parse_opts(int argc, char **argv, struct opts *o)
{
	char *list, *tok, *save, *endp;
	int opt;

	memset(o, 0, sizeof(*o));
	o->kinds[K_DROP] = o->kinds[K_UDP] = true;
	o->sizes[0] = 60;
	o->sizes[1] = 1514;
	o->nsizes = 2;
	o->seconds = 1.0;
	o->runs = 5;
	o->batch = 64;
	for (int m = 0; m < M_COUNT; m++)
		o->methods[m] = true;
	o->writer_cpu = 0;
	o->reader_cpu = o->sqpoll_cpu = 1;

	while ((opt = getopt(argc, argv, "k:s:d:r:b:m:c:vh")) != -1) {
		switch (opt) {
		case 'k':
			o->kinds[K_DROP] =
			    !strcmp(optarg, "drop") || !strcmp(optarg, "both");
			o->kinds[K_UDP] =
			    !strcmp(optarg, "udp") || !strcmp(optarg, "both");
			if (!o->kinds[K_DROP] && !o->kinds[K_UDP])
				bad_usage("-k %s: expected drop, udp or both",
					  optarg);
			break;
		case 's':
			o->nsizes = 0;
			list = optarg;
			while ((tok = strtok_r(list, ",", &save))) {
				long v = strtol(tok, &endp, 10);

				list = NULL;
				if (*endp || v < FRAME_MIN || v > FRAME_MAX)
					bad_usage("-s %s: sizes are %d..%d "
						  "bytes",
						  tok, FRAME_MIN, FRAME_MAX);
				if (o->nsizes == SIZES_MAX)
					bad_usage("-s: at most %d sizes",
						  SIZES_MAX);
				o->sizes[o->nsizes++] = (unsigned)v;
			}
			if (!o->nsizes)
				bad_usage("-s: no size given");
			break;
		case 'd':
			o->seconds = strtod(optarg, &endp);
			if (*endp || !(o->seconds >= 0.01 && o->seconds <= 60))
				bad_usage("-d %s: seconds from 0.01 to 60",
					  optarg);
			break;
		case 'r':
			o->runs = (int)strtol(optarg, &endp, 10);
			if (*endp || o->runs < 1 || o->runs > RUNS_MAX)
				bad_usage("-r %s: runs from 1 to %d", optarg,
					  RUNS_MAX);
			break;
		case 'b':
			o->batch = (unsigned)strtoul(optarg, &endp, 10);
			if (*endp || o->batch < 1 || o->batch > BATCH_MAX)
				bad_usage("-b %s: batch from 1 to %d", optarg,
					  BATCH_MAX);
			break;
		case 'm':
			memset(o->methods, 0, sizeof(o->methods));
			list = optarg;
			while ((tok = strtok_r(list, ",", &save))) {
				int m = 0;

				list = NULL;
				while (m < M_COUNT &&
				       strcmp(tok, method_names[m]))
					m++;
				if (m == M_COUNT)
					bad_usage("-m %s: unknown method", tok);
				o->methods[m] = true;
			}
			break;
		case 'c': {
			int n = sscanf(optarg, "%d,%d,%d", &o->writer_cpu,
				       &o->reader_cpu, &o->sqpoll_cpu);

			if (n < 2)
				bad_usage("-c %s: expected WRITER,READER or "
					  "WRITER,READER,SQPOLL",
					  optarg);
			if (n == 2)
				o->sqpoll_cpu = o->reader_cpu;
			break;
		}
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument '%s'", argv[optind]);
	cpu_check("writer", o->writer_cpu);
	cpu_check("reader", o->reader_cpu);
	if (o->methods[M_URING_SQPOLL])
		cpu_check("SQPOLL", o->sqpoll_cpu);
}
