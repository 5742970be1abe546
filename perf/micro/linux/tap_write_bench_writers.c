/* SPDX-License-Identifier: Apache-2.0 */
/* tap_write_bench_writers.c - the frames, the five ways of writing a batch
 * into the TAP (write, writev, io_uring) and one timed measurement. */
#include "tap_write_bench.h"

#include <dirent.h>
#include <errno.h>
#include <liburing.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts) < 0)
		fatal("clock_gettime(%d): %s", (int)clk, strerror(errno));
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* User + system time of every thread of the process, live or gone. */
static uint64_t process_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		fatal("getrusage(RUSAGE_SELF): %s", strerror(errno));
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
		   1000000000u +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) *
		   1000u;
}

/* ---- frames ---- */

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static unsigned ip_checksum(const unsigned char *p, unsigned len)
{
	uint32_t sum = 0;

	for (unsigned i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* Frame @i of the batch: IPv4/UDP 10.99.0.2:40000 -> 10.99.0.1:9999, to
 * @dst. The IP id is the frame's index, so the frames differ a little, as
 * real traffic does. */
static void frame_build(unsigned char *f, unsigned size, unsigned i,
			const unsigned char dst[6])
{
	static const unsigned char src_mac[6] = {0x02, 0x76, 0x6d,
						 0x68, 0x00, 0x02};
	static const unsigned char src_ip[4] = {10, 99, 0, 2};
	static const unsigned char dst_ip[4] = {10, 99, 0, 1};
	unsigned char *ip = f + ETH_HDR, *udp = ip + 20;
	unsigned ip_len = size - ETH_HDR;

	memset(f, 0, size);
	memcpy(f, dst, 6);
	memcpy(f + 6, src_mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, ip_len);
	put16(ip + 4, i & 0xffff);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, src_ip, 4);
	memcpy(ip + 16, dst_ip, 4);
	put16(ip + 10, ip_checksum(ip, 20));
	put16(udp, 40000);
	put16(udp + 2, UDP_PORT);
	put16(udp + 4, ip_len - 20);
	for (unsigned j = ETH_HDR + 28; j < size; j++)
		f[j] = (unsigned char)j;
}

void frames_build(struct bench *b, enum kind k, unsigned size)
{
	unsigned char dst[6] = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x99};

	if (k == K_UDP)
		memcpy(dst, b->tap_mac, 6);
	else if (!memcmp(dst, b->tap_mac, 6))
		dst[5] ^= 1; /* foreign must mean foreign */
	b->size = size;
	for (unsigned i = 0; i < b->o.batch; i++) {
		unsigned char *f = b->frames + (size_t)i * size;

		frame_build(f, size, i, dst);
		b->split[2 * i] = (struct iovec){f, ETH_HDR};
		b->split[2 * i + 1] =
		    (struct iovec){f + ETH_HDR, size - ETH_HDR};
	}
}

/* ---- the writers: one batch each ---- */

/* One write's outcome: @res is bytes written or -errno. */
static inline void tally(struct result *r, int res, unsigned size)
{
	if (res == (int)size)
		r->frames++;
	else if (res >= 0)
		r->shorts++;
	else
		r->errs[-res < ERR_SLOTS - 1 ? -res : ERR_SLOTS - 1]++;
}

static void batch_write(struct bench *b, struct result *r)
{
	for (unsigned i = 0; i < b->o.batch; i++) {
		ssize_t n =
		    write(b->tap_fd, b->frames + (size_t)i * b->size, b->size);

		tally(r, n < 0 ? -errno : (int)n, b->size);
	}
}

/* writev() on a TAP makes ONE packet of all its iovecs (tun_get_user()
 * copies the whole iov_iter into one skb), so it cannot carry several
 * frames per call; it is measured to show what a split header costs. */
static void batch_writev(struct bench *b, struct result *r)
{
	for (unsigned i = 0; i < b->o.batch; i++) {
		ssize_t n = writev(b->tap_fd, &b->split[2 * i], 2);

		tally(r, n < 0 ? -errno : (int)n, b->size);
	}
}

/*
 * One SQE per frame, one io_uring_submit() for the batch, then reap every
 * completion. When tun completes the writes inline (it is FMODE_NOWAIT and
 * the fd is O_NONBLOCK), the CQEs are there when submit returns and
 * io_uring_wait_cqe_nr() does not enter the kernel again: one syscall per
 * batch. With SQPOLL, submit only wakes the poller if it sleeps, and the
 * wait sleeps until the poller has issued them.
 */
static void batch_uring(struct bench *b, struct io_uring *ring, bool fixed,
			struct result *r)
{
	unsigned pending = b->o.batch, inflight = 0;

	for (unsigned i = 0; i < b->o.batch; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
		unsigned char *f = b->frames + (size_t)i * b->size;

		/* The ring has batch entries and the last batch was reaped,
		 * but the SQPOLL thread may post the CQEs before it moves
		 * the SQ head past their SQEs (seen on 6.18): wait for it. */
		while (!sqe && (ring->flags & IORING_SETUP_SQPOLL)) {
			int ret = io_uring_sqring_wait(ring);

			if (ret < 0 && ret != -EINTR)
				fatal("io_uring_sqring_wait: %s",
				      strerror(-ret));
			sqe = io_uring_get_sqe(ring);
		}
		if (!sqe)
			fatal("io_uring_get_sqe: submission queue full");
		if (fixed) {
			io_uring_prep_write_fixed(sqe, 0, f, b->size, 0, 0);
			sqe->flags |= IOSQE_FIXED_FILE;
		} else {
			io_uring_prep_write(sqe, b->tap_fd, f, b->size, 0);
		}
	}
	while (pending > 0 || inflight > 0) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		int ret;

		if (pending > 0) {
			ret = io_uring_submit(ring);
			if (ret == 0)
				fatal("io_uring_submit: took none of %u SQEs",
				      pending);
			if (ret > 0) {
				pending -= (unsigned)ret;
				inflight += (unsigned)ret;
			} else if (ret != -EINTR && ret != -EAGAIN &&
				   ret != -EBUSY) {
				fatal("io_uring_submit: %s", strerror(-ret));
			} else {
				r->submit_retries++;
			}
			if (inflight == 0)
				continue;
		}
		ret = io_uring_wait_cqe_nr(ring, &cqe, inflight);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN)
			fatal("io_uring_wait_cqe_nr(%u): %s", inflight,
			      strerror(-ret));
		io_uring_for_each_cqe(ring, head, cqe)
		{
			tally(r, cqe->res, b->size);
			seen++;
		}
		io_uring_cq_advance(ring, seen);
		inflight -= seen;
	}
}

/* ---- io_uring setup ---- */

/* io_uring's own threads now alive in this process: io-wq workers
 * (iou-wrk-PID) and SQPOLL pollers (iou-sqp-PID). */
static void uring_threads(int *wrk, int *sqp)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	*wrk = *sqp = 0;
	if (!d)
		fatal("opendir /proc/self/task: %s", strerror(errno));
	while ((e = readdir(d))) {
		char path[64], comm[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.20s/comm",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue; /* the thread exited meanwhile */
		if (fgets(comm, sizeof(comm), f)) {
			*wrk += !strncmp(comm, "iou-wrk-", 8);
			*sqp += !strncmp(comm, "iou-sqp-", 8);
		}
		fclose(f);
	}
	closedir(d);
}

/* The ring is freed by a kernel worker after io_uring_queue_exit()
 * returns, and the SQPOLL thread, part of this process, lives until then:
 * wait (up to 2 s) so its CPU is not billed to the next measurement. */
static void sqpoll_wait_gone(void)
{
	const struct timespec tick = {0, 1000 * 1000};
	int wrk, sqp;

	for (int i = 0; i < 2000; i++) {
		uring_threads(&wrk, &sqp);
		if (!sqp)
			return;
		nanosleep(&tick, NULL);
	}
	fprintf(stderr,
		PROG ": warning: the SQPOLL thread outlived its ring "
		     "by 2 s; the next measurement's cpu may include it\n");
}

/* A ring of batch entries for @m, with the TAP and frames registered for
 * the fixed variants. Returns 0, or -errno with @why naming the step. */
static int uring_open(struct bench *b, enum method m, struct io_uring *ring,
		      char *why, size_t whylen)
{
	struct io_uring_params p;
	struct iovec all = {b->frames, (size_t)b->o.batch * FRAME_MAX};
	int r;

	memset(&p, 0, sizeof(p));
	if (m == M_URING_SQPOLL) {
		p.flags = IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF;
		p.sq_thread_cpu = (unsigned)b->o.sqpoll_cpu;
		/* Short: once we stop submitting it should stop spinning. */
		p.sq_thread_idle = SQ_IDLE_MS;
	}
	r = io_uring_queue_init_params(b->o.batch, ring, &p);
	if (r < 0) {
		snprintf(why, whylen, "io_uring_queue_init(%u%s): %s",
			 b->o.batch, m == M_URING_SQPOLL ? ", SQPOLL" : "",
			 strerror(-r));
		return r;
	}
	if (m == M_URING)
		return 0;
	r = io_uring_register_files(ring, &b->tap_fd, 1);
	if (r < 0) {
		snprintf(why, whylen, "io_uring_register_files(TAP): %s",
			 strerror(-r));
		io_uring_queue_exit(ring);
		return r;
	}
	r = io_uring_register_buffers(ring, &all, 1);
	if (r < 0) {
		snprintf(why, whylen,
			 "io_uring_register_buffers(%zu bytes): %s",
			 all.iov_len, strerror(-r));
		io_uring_queue_exit(ring);
		return r;
	}
	return 0;
}

/* Can we use io_uring, and SQPOLL? Unavailable means skipped, not fatal:
 * kernel.io_uring_disabled, seccomp or an old kernel may forbid it. */
void uring_probe(struct bench *b)
{
	struct io_uring ring;
	struct io_uring_probe *probe;
	char why[256], dis[16] = "";
	FILE *f;

	f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
	if (f) {
		if (!fgets(dis, sizeof(dis), f))
			dis[0] = '\0';
		dis[strcspn(dis, "\n")] = '\0';
		fclose(f);
	}
	if (uring_open(b, M_URING_FIXED, &ring, why, sizeof(why)) < 0) {
		printf("io_uring: unavailable (%s; kernel.io_uring_disabled="
		       "%s): skipping the uring methods\n",
		       why, dis[0] ? dis : "n/a");
		return;
	}
	probe = io_uring_get_probe_ring(&ring);
	if (!probe || !io_uring_opcode_supported(probe, IORING_OP_WRITE) ||
	    !io_uring_opcode_supported(probe, IORING_OP_WRITE_FIXED)) {
		printf("io_uring: this kernel lacks IORING_OP_WRITE or "
		       "IORING_OP_WRITE_FIXED: skipping the uring methods\n");
		if (probe)
			io_uring_free_probe(probe);
		io_uring_queue_exit(&ring);
		return;
	}
	io_uring_free_probe(probe);
	io_uring_queue_exit(&ring);
	b->uring_ok = true;

	if (!b->o.methods[M_URING_SQPOLL])
		return;
	if (uring_open(b, M_URING_SQPOLL, &ring, why, sizeof(why)) < 0) {
		printf("io_uring SQPOLL: unavailable (%s): skipping "
		       "uring_sqpoll\n",
		       why);
		return;
	}
	io_uring_queue_exit(&ring);
	sqpoll_wait_gone();
	b->sqpoll_ok = true;
}

/* ---- measuring ---- */

void measure(struct bench *b, enum kind k, enum method m, double seconds,
	     struct result *r)
{
	struct io_uring ring;
	uint64_t t0, t, end, thr0, cpu0, rd0 = 0, rx0 = 0, rd, cpu;
	long long drop0 = 0, drop1;
	char why[256];
	int err;

	memset(r, 0, sizeof(*r));
	err = atomic_load_explicit(&b->reader_err, memory_order_acquire);
	if (err)
		fatal("UDP reader: %s: %s", b->reader_what, strerror(err));
	if (m >= M_URING && uring_open(b, m, &ring, why, sizeof(why)) < 0)
		fatal("%s (it worked at start)", why);
	/* The reader is subtracted in kind drop too, where it only wakes
	 * for its receive timeout. */
	if (b->reader_started)
		rd0 = clock_ns(b->reader_clock);
	if (k == K_UDP) {
		rx0 = atomic_load_explicit(&b->received, memory_order_relaxed);
		drop0 = udp_rcvbuf_errors();
	}
	cpu0 = process_ns();
	thr0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	t0 = clock_ns(CLOCK_MONOTONIC);
	end = t0 + (uint64_t)(seconds * 1e9);
	do {
		switch (m) {
		case M_WRITE:
			batch_write(b, r);
			break;
		case M_WRITEV:
			batch_writev(b, r);
			break;
		case M_URING:
			batch_uring(b, &ring, false, r);
			break;
		case M_URING_FIXED:
		case M_URING_SQPOLL:
			batch_uring(b, &ring, true, r);
			break;
		case M_COUNT:
			break;
		}
		t = clock_ns(CLOCK_MONOTONIC);
	} while (t < end);
	r->thr_ns = (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - thr0);
	cpu = process_ns() - cpu0;
	rd = b->reader_started ? clock_ns(b->reader_clock) - rd0 : 0;
	if (m >= M_URING) {
		/* Before exit: SQPOLL's thread goes with the ring. */
		uring_threads(&r->iou_wrk, &r->iou_sqp);
		io_uring_queue_exit(&ring);
	}
	if (m == M_URING_SQPOLL)
		sqpoll_wait_gone();
	if (k == K_UDP) {
		r->delivered = udp_settle(b) - rx0;
		drop1 = udp_rcvbuf_errors();
		r->rcvbuf_drops = drop0 >= 0 && drop1 >= drop0
				      ? (uint64_t)(drop1 - drop0)
				      : 0;
		err =
		    atomic_load_explicit(&b->reader_err, memory_order_acquire);
		if (err)
			fatal("UDP reader: %s: %s", b->reader_what,
			      strerror(err));
	}

	double secs = (double)(t - t0) / 1e9, n = (double)r->frames;

	r->busy = r->thr_ns / 1e9 / secs;
	r->pps = n / secs;
	r->gbps = n * b->size * 8 / secs / 1e9;
	r->cpu_ns = n ? ((double)cpu - (double)rd) / n : NAN;
	r->thr_ns = n ? r->thr_ns / n : NAN;
	r->oth_ns = r->cpu_ns - r->thr_ns;
	r->deliv = n ? (double)r->delivered / n : NAN;
}
