/* SPDX-License-Identifier: Apache-2.0 */
/* tap_write_bench.h - what the parts of tap_write_bench share: limits,
 * traffic kinds, write methods and the run's state (tap_write_bench.c
 * says how the benchmark works). */
#ifndef VMH_PERF_TAP_WRITE_BENCH_H
#define VMH_PERF_TAP_WRITE_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>

#define PROG	   "tap_write_bench"
#define TAP_NAME   "vmhbench0"
#define ETH_HDR	   14
#define FRAME_MIN  60	/* Ethernet minimum without FCS */
#define FRAME_MAX  1514 /* MTU 1500 + header */
#define BATCH_MAX  1024
#define RUNS_MAX   25
#define SIZES_MAX  8
#define RX_BATCH   64
#define RX_BUF	   2048
#define RX_SOCKBUF (8 << 20)
#define UDP_PORT   9999
#define ERR_SLOTS  160 /* errnos below this by name; the last slot: the rest */
#define WARMUP_S   0.2
#define SQ_IDLE_MS 10

enum kind { K_DROP, K_UDP, K_COUNT };
/* "drop", "udp": the names -k takes and the table shows. */
extern const char *const kind_names[K_COUNT];

enum method {
	M_WRITE,
	M_WRITEV,
	M_URING,
	M_URING_FIXED,
	M_URING_SQPOLL,
	M_COUNT
};
/* "write", "writev", ...: the names -m takes and the table shows. */
extern const char *const method_names[M_COUNT];

/* The command line (tap_write_bench_opts.c). */
struct opts {
	bool kinds[K_COUNT], methods[M_COUNT], verbose;
	unsigned sizes[SIZES_MAX], batch;
	int nsizes, runs;
	double seconds;
	int writer_cpu, reader_cpu, sqpoll_cpu;
};

/* One measurement; the *_ns fields are CPU per accepted frame. */
struct result {
	double pps, gbps, cpu_ns, thr_ns, oth_ns, deliv;
	double busy; /* writer thread CPU / wall time */
	uint64_t frames, shorts, delivered, rcvbuf_drops, submit_retries;
	uint64_t errs[ERR_SLOTS];
	int iou_wrk, iou_sqp;
};

/* The state of the whole run: the TAP, the frames, the UDP reader. */
struct bench {
	struct opts o;
	int tap_fd, udp_fd;
	unsigned char tap_mac[6];
	unsigned size;	       /* frame size of the current block */
	unsigned char *frames; /* batch frames, one every size bytes */
	struct iovec *split;   /* writev: header and rest of each frame */
	bool uring_ok, sqpoll_ok;
	pthread_t reader;
	bool reader_started;
	clockid_t reader_clock;
	/* Relaxed: a statistic. The writer reads it only once it has stopped
	 * changing (udp_settle()), and no other data is published with it. */
	_Atomic uint64_t received;
	/* Relaxed: a flag carrying no data; pthread_join() orders the rest. */
	_Atomic bool stop;
	/* Set once, before the reader exits: a release store in reader_main()
	 * that pairs with the acquire loads in measure(), so reader_what
	 * (written just before) is visible with it. */
	_Atomic int reader_err;
	const char *reader_what;
};

/* tap_write_bench.c */

/* fatal() - print "tap_write_bench: " and the message on stderr, exit 1. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* tap_write_bench_opts.c */

/* parse_opts() - fill @o from the command line; bad usage exits 2. */
void parse_opts(int argc, char **argv, struct opts *o);

/* tap_write_bench_net.c */

/* net_setup() - a private network namespace with the TAP up in it. */
void net_setup(struct bench *b);
/* udp_start() - bind the UDP socket and start the reader thread. */
void udp_start(struct bench *b);
/* udp_settle() - Return: the reader's count once it stops changing. */
uint64_t udp_settle(struct bench *b);
/* udp_rcvbuf_errors() - Return: Udp RcvbufErrors of the namespace, or -1. */
long long udp_rcvbuf_errors(void);

/* tap_write_bench_writers.c */

/* uring_probe() - set b->uring_ok and b->sqpoll_ok: what this kernel
 * allows. */
void uring_probe(struct bench *b);
/* frames_build() - the batch of @size-byte frames for kind @k. */
void frames_build(struct bench *b, enum kind k, unsigned size);
/* measure() - write batches with @m for @seconds, into @r. */
void measure(struct bench *b, enum kind k, enum method m, double seconds,
	     struct result *r);

/* tap_write_bench_report.c */

/* dmin() - Return: the smaller of @a and @b. */
double dmin(double a, double b);
/* method_on() - Return: whether @m was asked for and can run here. */
bool method_on(const struct bench *b, enum method m);
/* run_block() - measure every method on one kind and size, print the
 * table's rows and notes. */
void run_block(struct bench *b, enum kind k, unsigned size);

#endif
