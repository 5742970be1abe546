/* SPDX-License-Identifier: Apache-2.0 */
/* tap_write_bench.c - how fast one thread writes Ethernet frames into a
 * Linux TAP with write(), writev() and io_uring, and at what CPU cost per
 * frame, so the TAP backend (vmnet/linux/host_tap.c) can use the fastest.
 *
 * Linux only: `make` builds it as build/perf/micro/linux/tap_write_bench,
 * from this file (main) and its parts tap_write_bench_*.c, with the
 * library, whose TAP setup (vmnet/linux/tap_device.h) it uses.
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
#include "tap_write_bench.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

const char *const kind_names[K_COUNT] = {"drop", "udp"};
const char *const method_names[M_COUNT] = {"write", "writev", "uring",
					   "uring_fixed", "uring_sqpoll"};

void fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
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
