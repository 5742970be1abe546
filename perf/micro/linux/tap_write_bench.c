/* SPDX-License-Identifier: Apache-2.0 */
/* tap_write_bench.c - how fast one thread writes Ethernet frames into a
 * Linux TAP with write(), writev() and io_uring, and at what CPU cost per
 * frame, so the TAP backend (vmnet/linux/host_tap.c) can use the fastest.
 *
 * Linux only: `make` builds it as build/perf/micro/linux/tap_write_bench,
 * with the library, whose TAP setup (vmnet/linux/tap_device.h) it uses.
 *
 * Usage: tap_write_bench [-k drop|udp|both] [-s SIZE[,SIZE...]]
 *                        [-d SECONDS] [-r RUNS] [-b BATCH]
 *                        [-m METHOD[,METHOD...]] [-c WRITER,READER[,SQPOLL]]
 *                        [-v]
 * It must run as root; otherwise it prints SKIPPED and exits 0.
 *
 * How it works
 *
 * Setup. The process moves into a network namespace of its own
 * (unshare(CLONE_NEWNET)), brings lo up and creates the TAP "vmhbench0" with
 * the helper's own tap_attach() and tap_configure(), then gives it
 * 10.99.0.1/24.
 * Nothing on the host network sees the traffic, and the TAP goes away with
 * the namespace when the process exits.
 *
 * Frames. BATCH IPv4/UDP frames of one size, 10.99.0.2:40000 ->
 * 10.99.0.1:9999, valid IP checksum, UDP checksum 0 ("none", legal in
 * IPv4). Kind "drop" sends them to a foreign MAC: eth_type_trans() marks
 * them PACKET_OTHERHOST and ip_rcv() frees them, so the cost is mostly the
 * write path (copy into an skb, hand it to the stack). Kind "udp" sends
 * them to the TAP's own MAC, to a UDP socket bound in the namespace and
 * drained by a reader thread with recvmmsg(). tun passes a written frame up
 * the stack in the writer's own context (tun_rx_batched() ->
 * netif_receive_skb()), so in kind udp the writer also pays for delivery
 * into the socket and for waking the reader, which on another CPU means
 * an IPI (dear in a VM); the reader pays only for copying out, and its CPU
 * is kept out of the writer's.
 *
 * Methods. A TAP fd is a character device, not a socket: it has no
 * sendmmsg(), and the tun socket's batch interface (TUN_MSG_PTR) is only
 * reachable by vhost-net inside the kernel. So:
 *   write         one write() per frame: what host_tap.c does where
 *                 io_uring is unavailable (or VMNET_TAP_WRITE=write).
 *   writev        one writev() per frame, header and rest in two iovecs.
 *   uring         one IORING_OP_WRITE per frame, BATCH per io_uring_submit().
 *   uring_fixed   the same with the TAP as a registered file and the frames
 *                 in one registered buffer (IORING_OP_WRITE_FIXED), which
 *                 saves the fd lookup and the user-memory import per write.
 *                 host_tap.c registers the file only (tap_uring.c): its
 *                 buffers are the engine's pools, made after the TAP.
 *   uring_sqpoll  uring_fixed with IORING_SETUP_SQPOLL: a kernel thread
 *                 (iou-sqp-PID) polls the submission queue and issues the
 *                 writes, burning a CPU of its own while the ring lives.
 *
 * Measurement. Each measurement writes batches for a fixed time; pps
 * counts frames the TAP accepted, failed writes are counted by errno and
 * the writer goes on. "cpu" is the whole process (getrusage(RUSAGE_SELF):
 * every thread, io_uring's io-wq workers and SQPOLL thread included) minus
 * the UDP reader's own thread time; "thr" is the writer thread alone
 * (CLOCK_THREAD_CPUTIME_ID); "oth" = cpu - thr is what io-wq or SQPOLL
 * spent for us. After each io_uring measurement /proc/self/task is scanned
 * for iou-wrk-* threads: io-wq only starts a worker when a request cannot
 * complete inline in io_uring_enter() and is punted, and an idle worker
 * lingers for seconds, so none seen means every write completed inline.
 * Each run measures every method once, in turn, so drift touches all
 * alike; the table shows medians over the runs and the ratio of each
 * method's median pps to write's.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <liburing.h>
#include <linux/sockios.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "vmnet/linux/tap_device.h"

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
static const char *const kind_names[K_COUNT] = {"drop", "udp"};

enum method {
	M_WRITE,
	M_WRITEV,
	M_URING,
	M_URING_FIXED,
	M_URING_SQPOLL,
	M_COUNT
};
static const char *const method_names[M_COUNT] = {
    "write", "writev", "uring", "uring_fixed", "uring_sqpoll"};

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

static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

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

static void frames_build(struct bench *b, enum kind k, unsigned size)
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
static void uring_probe(struct bench *b)
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

/* ---- the UDP receiver ---- */

/* Udp RcvbufErrors of our namespace: datagrams dropped because the
 * reader's socket buffer was full. -1 if unreadable. */
static long long udp_rcvbuf_errors(void)
{
	char names[1024], vals[1024];
	long long ret = -1;
	FILE *f = fopen("/proc/self/net/snmp", "r");

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f)) {
		char *sn, *sv, *n, *v;

		if (strncmp(names, "Udp: ", 5) || !fgets(vals, sizeof(vals), f))
			continue;
		n = strtok_r(names, " \n", &sn);
		v = strtok_r(vals, " \n", &sv);
		while (n && v) {
			if (!strcmp(n, "RcvbufErrors"))
				ret = strtoll(v, NULL, 10);
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
		}
		break;
	}
	fclose(f);
	return ret;
}

static void *reader_main(void *arg)
{
	struct bench *b = arg;
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	unsigned char *bufs = malloc((size_t)RX_BATCH * RX_BUF);

	if (!bufs) {
		b->reader_what = "allocating its buffers";
		atomic_store_explicit(&b->reader_err, ENOMEM,
				      memory_order_release);
		return NULL;
	}
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < RX_BATCH; i++) {
		iov[i] = (struct iovec){bufs + (size_t)i * RX_BUF, RX_BUF};
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	/* The socket's SO_RCVTIMEO wakes us to look at stop. */
	while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
		int n =
		    recvmmsg(b->udp_fd, msgs, RX_BATCH, MSG_WAITFORONE, NULL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			b->reader_what = "recvmmsg";
			atomic_store_explicit(&b->reader_err, errno,
					      memory_order_release);
			break;
		}
		atomic_fetch_add_explicit(&b->received, (uint64_t)n,
					  memory_order_relaxed);
	}
	free(bufs);
	return NULL;
}

/* The reader's count once it stops changing: everything the TAP delivered
 * is then read (tun delivers inside write(), so nothing is on the way).
 * Gives up after 2 s and returns what it has. */
static uint64_t udp_settle(struct bench *b)
{
	const struct timespec tick = {0, 5 * 1000 * 1000};
	uint64_t last =
	    atomic_load_explicit(&b->received, memory_order_relaxed);

	for (int i = 0, quiet = 0; i < 400 && quiet < 3; i++) {
		uint64_t now;

		nanosleep(&tick, NULL);
		now = atomic_load_explicit(&b->received, memory_order_relaxed);
		quiet = now == last ? quiet + 1 : 0;
		last = now;
	}
	return last;
}

static void udp_start(struct bench *b)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(UDP_PORT)};
	struct timeval tv = {0, 50 * 1000};
	int sz = RX_SOCKBUF, r;
	pthread_attr_t attr;
	cpu_set_t set;

	b->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (b->udp_fd < 0)
		fatal("UDP socket for the reader: %s", strerror(errno));
	/* FORCE: we are root, and the namespace's rmem_max is small. */
	if (setsockopt(b->udp_fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) <
	    0)
		fatal("SO_RCVBUFFORCE %d on the UDP socket: %s", sz,
		      strerror(errno));
	if (setsockopt(b->udp_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		fatal("SO_RCVTIMEO on the UDP socket: %s", strerror(errno));
	inet_pton(AF_INET, "10.99.0.1", &sa.sin_addr);
	if (bind(b->udp_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fatal("bind UDP 10.99.0.1:%d: %s", UDP_PORT, strerror(errno));

	CPU_ZERO(&set);
	CPU_SET(b->o.reader_cpu, &set);
	if ((r = pthread_attr_init(&attr)) ||
	    (r = pthread_attr_setaffinity_np(&attr, sizeof(set), &set)) ||
	    (r = pthread_create(&b->reader, &attr, reader_main, b)))
		fatal("starting the UDP reader on CPU %d: %s", b->o.reader_cpu,
		      strerror(r));
	pthread_attr_destroy(&attr);
	b->reader_started = true;
	if ((r = pthread_getcpuclockid(b->reader, &b->reader_clock)))
		fatal("pthread_getcpuclockid(reader): %s", strerror(r));
}

/* ---- network namespace and TAP ---- */

static void ifreq_for(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

static void if_up(int ctl, const char *name)
{
	struct ifreq ifr;

	ifreq_for(&ifr, name);
	if (ioctl(ctl, SIOCGIFFLAGS, &ifr) < 0)
		fatal("SIOCGIFFLAGS %s: %s", name, strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(ctl, SIOCSIFFLAGS, &ifr) < 0)
		fatal("bringing %s up (SIOCSIFFLAGS): %s", name,
		      strerror(errno));
}

static void if_set_ipv4(int ctl, const char *name, unsigned long req,
			const char *reqname, const char *addr)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct ifreq ifr;

	ifreq_for(&ifr, name);
	inet_pton(AF_INET, addr, &sa.sin_addr);
	memcpy(&ifr.ifr_addr, &sa, sizeof(sa));
	if (ioctl(ctl, req, &ifr) < 0)
		fatal("%s %s on %s: %s", reqname, addr, name, strerror(errno));
}

static void net_setup(struct bench *b)
{
	struct host_config cfg = {0}; /* no TSO, no bridge: just up */
	struct host_info info;
	char real[IFNAMSIZ], err[256];
	struct ifreq ifr;
	int ctl;

	if (unshare(CLONE_NEWNET) < 0)
		fatal("unshare(CLONE_NEWNET) for a private network namespace: "
		      "%s (in a container, it needs CAP_SYS_ADMIN)",
		      strerror(errno));
	ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ctl < 0)
		fatal("control socket in the new namespace: %s",
		      strerror(errno));
	if_up(ctl, "lo");

	/* As the helper opens it: nonblocking, IFF_TAP | IFF_NO_PI. */
	b->tap_fd = tap_attach(TAP_NAME, real, err, sizeof(err));
	if (b->tap_fd < 0)
		fatal("%s", err);
	if (tap_configure(&cfg, TAP_NAME, 0, &info, err, sizeof(err)))
		fatal("%s", err);
	if_set_ipv4(ctl, TAP_NAME, SIOCSIFADDR, "SIOCSIFADDR", "10.99.0.1");
	if_set_ipv4(ctl, TAP_NAME, SIOCSIFNETMASK, "SIOCSIFNETMASK",
		    "255.255.255.0");
	ifreq_for(&ifr, TAP_NAME);
	if (ioctl(ctl, SIOCGIFHWADDR, &ifr) < 0)
		fatal("SIOCGIFHWADDR %s: %s", TAP_NAME, strerror(errno));
	memcpy(b->tap_mac, ifr.ifr_hwaddr.sa_data, 6);
	close(ctl);
}

/* ---- measuring ---- */

static void measure(struct bench *b, enum kind k, enum method m, double seconds,
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

/* Not fmin()/fmax(): the build line has no -lm. */
static double dmin(double a, double b)
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

static bool method_on(const struct bench *b, enum method m)
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

static void run_block(struct bench *b, enum kind k, unsigned size)
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

static void parse_opts(int argc, char **argv, struct opts *o)
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

int main(int argc, char **argv)
{
	struct bench b = {.tap_fd = -1, .udp_fd = -1};
	size_t frames_len;
	struct utsname un;
	struct stat st;
	cpu_set_t set;
	int r, nmeth = 0, ncpu;

	parse_opts(argc, argv, &b.o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf(PROG ": SKIPPED: not root; it needs CAP_NET_ADMIN for "
			    "a private network namespace and a TAP (run with "
			    "sudo)\n");
		return 0;
	}
	if (stat("/dev/net/tun", &st) < 0) {
		printf(PROG ": SKIPPED: /dev/net/tun: %s (load the tun module: "
			    "modprobe tun)\n",
		       strerror(errno));
		return 0;
	}

	/* Space for the largest frame, so the registered buffer need not
	 * change with the size. */
	frames_len = (size_t)b.o.batch * FRAME_MAX;
	b.frames = aligned_alloc(4096, (frames_len + 4095) & ~(size_t)4095);
	b.split = calloc(2 * (size_t)b.o.batch, sizeof(*b.split));
	if (!b.frames || !b.split)
		fatal("out of memory for %u frames", b.o.batch);
	memset(b.frames, 0, frames_len);

	net_setup(&b);
	if (b.o.kinds[K_UDP])
		udp_start(&b);
	CPU_ZERO(&set);
	CPU_SET(b.o.writer_cpu, &set);
	if ((r = pthread_setaffinity_np(pthread_self(), sizeof(set), &set)))
		fatal("pinning the writer to CPU %d: %s", b.o.writer_cpu,
		      strerror(r));

	if (uname(&un) < 0)
		fatal("uname: %s", strerror(errno));
	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	printf(PROG ": Linux %s, %d CPUs online; TAP %s (IFF_TAP|IFF_NO_PI, "
		    "O_NONBLOCK) 10.99.0.1/24 "
		    "%02x:%02x:%02x:%02x:%02x:%02x in a private netns\n",
	       un.release, ncpu, TAP_NAME, b.tap_mac[0], b.tap_mac[1],
	       b.tap_mac[2], b.tap_mac[3], b.tap_mac[4], b.tap_mac[5]);
	if (b.o.methods[M_URING] || b.o.methods[M_URING_FIXED] ||
	    b.o.methods[M_URING_SQPOLL])
		uring_probe(&b);
	printf("pinning: writer on CPU %d, UDP reader on CPU %d%s",
	       b.o.writer_cpu, b.o.reader_cpu,
	       b.o.kinds[K_UDP] ? "" : " (unused)");
	if (method_on(&b, M_URING_SQPOLL))
		printf(", SQPOLL thread on CPU %d", b.o.sqpoll_cpu);
	printf("; io-wq workers, if any, float\n");
	if (method_on(&b, M_URING_SQPOLL) && b.o.kinds[K_UDP] &&
	    b.o.sqpoll_cpu == b.o.reader_cpu)
		printf(
		    "note: in kind udp the SQPOLL thread wakes the reader on "
		    "its own CPU, a cheaper local wake-up than the other "
		    "methods' cross-CPU one; -c %d,%d,%d compares like with "
		    "like\n",
		    b.o.writer_cpu, b.o.reader_cpu, b.o.writer_cpu);
	if (method_on(&b, M_URING_SQPOLL) && ncpu <= 2)
		printf("note: %d CPUs: uring_sqpoll's poller spins on CPU %d, "
		       "%s; in real use it would cost a whole CPU, not just "
		       "its ns/frame\n",
		       ncpu, b.o.sqpoll_cpu,
		       b.o.sqpoll_cpu == b.o.writer_cpu
			   ? "shared with the writer"
		       : b.o.sqpoll_cpu == b.o.reader_cpu && b.o.kinds[K_UDP]
			   ? "shared with the UDP reader in kind udp"
			   : "the only other CPU");
	for (int m = 0; m < M_COUNT; m++)
		nmeth += method_on(&b, (enum method)m);
	printf("batch %u frames, %.2f s per measurement, %d runs with methods "
	       "interleaved, medians shown; about %.0f s in all\n",
	       b.o.batch, b.o.seconds, b.o.runs,
	       (b.o.kinds[K_DROP] + b.o.kinds[K_UDP]) * b.o.nsizes * nmeth *
		   (b.o.runs * b.o.seconds + dmin(WARMUP_S, b.o.seconds)));
	printf("cpu = process CPU minus the UDP reader's (includes io-wq and "
	       "SQPOLL threads); thr = writer thread alone; oth = cpu - thr;\n"
	       "wr%% = writer thread CPU / wall time (well under 100 without "
	       "SQPOLL: the writer was\n"
	       "preempted, e.g. by other load on its CPU; pps suffers, "
	       "ns/frame much less);\n"
	       "spread = (max - min) / median pps; deliv = UDP datagrams "
	       "read / frames written;\n"
	       "uring_fixed = uring with registered file and buffer; "
	       "uring_sqpoll = uring_fixed + IORING_SETUP_SQPOLL\n\n");
	printf("%-4s %5s %-12s %11s %7s %9s %9s %9s %6s %7s %7s %s\n", "kind",
	       "size", "method", "pps(median)", "Gbit/s", "cpu ns/fr",
	       "thr ns/fr", "oth ns/fr", "wr%", "spread", "deliv%",
	       "ratio-vs-write");

	for (int k = 0; k < K_COUNT; k++) {
		if (!b.o.kinds[k])
			continue;
		for (int s = 0; s < b.o.nsizes; s++)
			run_block(&b, (enum kind)k, b.o.sizes[s]);
	}

	if (b.reader_started) {
		atomic_store_explicit(&b.stop, true, memory_order_relaxed);
		if ((r = pthread_join(b.reader, NULL)))
			fatal("joining the UDP reader: %s", strerror(r));
	}
	if (b.udp_fd >= 0)
		close(b.udp_fd);
	/* The TAP was created by this fd and dies with it (and with the
	 * namespace at exit). */
	close(b.tap_fd);
	free(b.split);
	free(b.frames);
	return 0;
}
