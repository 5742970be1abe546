/* SPDX-License-Identifier: Apache-2.0 */
/* engine_bench.c - packets per second, Gbit/s and CPU of the engine
 * forwarding between two unix datagram socketpairs, against a plain
 * single-thread batch forwarder measured in the same run.
 *
 * Usage: engine_bench [-r RUNS] [-t SECONDS] [-b BATCH] [-R RING]
 *                     [-c HOST_CPU,SOCKET_CPU] [-B BASELINE_CPU]
 *                     [-T TRAFFIC_CPU] [-s SIZE[,SIZE...]] [-S SPIN_US]
 *                     [-W WRITE_WAIT_US]
 *
 * Each run wires: traffic thread -> socketpair -> forwarder -> socketpair ->
 * traffic thread, one direction (vm->host, host->vm) or both. The traffic
 * thread is the VM and the host network at once: it sends frames as fast as
 * the sockets take them and receives and checks every frame (sequence,
 * length, and a word derived from the sequence at both ends), so loss,
 * reordering and damage are counted, not assumed. The forwarder is either
 * the engine (two workers, rings) or the baseline: one thread that receives
 * a batch from one side and sends it to the other with the same batch
 * calls (dgram_io: recvmmsg/sendmmsg here), waiting for POLLOUT when the
 * receiver is full. Engine and baseline runs alternate; medians are shown.
 * CPU is each forwarding thread's own CPU time (user + system) over the
 * traffic window, in % of one core. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dgram_io.h"
#include "endpoint_dgram.h"
#include "engine.h"
#include "placement.h"
#include "pool.h"

#define MAX_RUNS   25
#define SEQ_OFF	   14
#define TAIL_MAGIC UINT64_C(0x5eedf00dcafe1234)
#define SOCK_BUF   (1 << 20)

enum mode { VM_TO_HOST, HOST_TO_VM, BOTH };
static const char *const mode_names[] = {"vm->host", "host->vm", "both"};

struct bench_opts {
	int runs;
	double seconds;
	unsigned batch, ring, spin_us, write_wait_us;
	int host_cpu, socket_cpu, baseline_cpu, traffic_cpu;
	unsigned sizes[8];
	int nsizes;
};

struct result {
	double pps, gbps, cpu_pct, host_pct, socket_pct, drops_d;
	double fill;	    /* frames per write call, both directions */
	double wakes_per_k; /* worker wake-ups per 1000 frames */
	uint64_t sent, received, bad, disorder, drops;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "engine_bench: %s: %s\n", what, strerror(err));
	exit(1);
}

/* One frame: header, sequence at SEQ_OFF, filler, sequence ^ magic in the
 * last 8 bytes. Only the varying parts are rewritten per frame. */
static void frame_stamp(struct pkt *p, uint32_t size, uint64_t seq)
{
	uint64_t tail = seq ^ TAIL_MAGIC;

	p->len = size;
	memcpy(p->data + SEQ_OFF, &seq, 8);
	memcpy(p->data + size - 8, &tail, 8);
}

static bool frame_read(const struct pkt *p, uint32_t size, uint64_t *seq)
{
	uint64_t tail;

	if (p->len != size || p->data[12] != 0x88 || p->data[13] != 0xb5)
		return false;
	memcpy(seq, p->data + SEQ_OFF, 8);
	memcpy(&tail, p->data + size - 8, 8);
	return tail == (*seq ^ TAIL_MAGIC);
}

/* One direction as the traffic thread sees it. */
struct flow {
	int src, dst; /* traffic's sending and receiving sockets */
	struct dgram_io *tx, *rx;
	uint64_t next_seq, sent, received, bad, disorder, bytes;
	bool have_last, blocked;
	uint64_t last_seq;
};

static void flow_init(struct flow *f, int src, int dst, unsigned batch)
{
	memset(f, 0, sizeof(*f));
	f->src = src;
	f->dst = dst;
	if (dgram_io_create(src, batch, 0, &f->tx) ||
	    dgram_io_create(dst, batch, 0, &f->rx))
		die("dgram_io_create", ENOMEM);
}

static void flow_free(struct flow *f)
{
	dgram_io_destroy(f->tx);
	dgram_io_destroy(f->rx);
}

/* Send one batch; true if anything went. */
static bool flow_send(struct flow *f, struct pkt **bufs, unsigned batch,
		      uint32_t size)
{
	for (unsigned i = 0; i < batch; i++)
		frame_stamp(bufs[i], size, f->next_seq + i);
	int r = dgram_io_send(f->tx, bufs, batch);
	if (r == -EAGAIN || r == -ENOBUFS) {
		f->blocked = true;
		return false;
	}
	if (r < 0)
		die("traffic send", -r);
	f->blocked = false;
	f->next_seq += (uint64_t)r;
	f->sent += (uint64_t)r;
	return true;
}

/* Receive and check one batch; true if anything came. */
static bool flow_receive(struct flow *f, struct pkt **bufs, unsigned batch,
			 uint32_t size, double *t_last)
{
	int r = dgram_io_recv(f->rx, bufs, batch, size + 64);
	if (r == -EAGAIN)
		return false;
	if (r < 0)
		die("traffic receive", -r);
	for (int i = 0; i < r; i++) {
		uint64_t seq;

		if (!frame_read(bufs[i], size, &seq)) {
			f->bad++;
			continue;
		}
		if (f->have_last && seq <= f->last_seq)
			f->disorder++;
		f->have_last = true;
		f->last_seq = seq;
		f->received++;
		f->bytes += size;
	}
	*t_last = now_s();
	return true;
}

/* Run the traffic for @seconds, then drain until 100 ms pass with nothing
 * arriving. Returns the traffic window: first send to last arrival. */
static double traffic_run(struct flow *flows, int nflows, unsigned batch,
			  uint32_t size, double seconds, int cpu)
{
	struct pool *pool;
	struct pkt *tx[DGRAM_IO_BATCH_MAX], *rx[DGRAM_IO_BATCH_MAX];

	if (cpu >= 0)
		placement_pin_self(cpu);
	if (pool_create(2 * batch, size + 64, &pool))
		die("pool_create", ENOMEM);
	/* The pool holds exactly these: a short burst would leave buffers
	 * unset (the static analyzer's point). */
	if (pool_get_burst(pool, tx, batch) != batch ||
	    pool_get_burst(pool, rx, batch) != batch)
		die("pool_get_burst", ENOMEM);
	for (unsigned i = 0; i < batch; i++) {
		memset(tx[i]->data, 0xa5, size);
		memset(tx[i]->data, 0x02, 12);
		tx[i]->data[12] = 0x88;
		tx[i]->data[13] = 0xb5;
	}

	double t0 = now_s(), t_last = t0, end = t0 + seconds;
	double quiet_since = 0;
	bool sending = true;
	for (;;) {
		bool progress = false;
		double t = now_s();

		if (sending && t >= end)
			sending = false;
		for (int i = 0; i < nflows; i++) {
			if (sending)
				progress |=
				    flow_send(&flows[i], tx, batch, size);
			progress |=
			    flow_receive(&flows[i], rx, batch, size, &t_last);
		}
		if (progress) {
			quiet_since = 0;
			continue;
		}
		if (!sending) {
			if (quiet_since == 0)
				quiet_since = t;
			else if (t - quiet_since > 0.1)
				break;
		}
		struct pollfd pfd[4];
		int n = 0;
		for (int i = 0; i < nflows; i++) {
			pfd[n++] = (struct pollfd){flows[i].dst, POLLIN, 0};
			if (sending && flows[i].blocked)
				pfd[n++] =
				    (struct pollfd){flows[i].src, POLLOUT, 0};
		}
		poll(pfd, (nfds_t)n, 10);
	}
	pool_destroy(pool);
	return t_last - t0;
}

/* The baseline: one thread, batch in, batch out, both directions. */
struct baseline {
	int fd[2]; /* forwarder's ends: [0] vm side, [1] host side */
	unsigned batch;
	uint32_t max_frame;
	int cpu;
	_Atomic int stop;
	int stop_pipe[2];
	uint64_t cpu_ns, drops;
};

static void *baseline_main(void *arg)
{
	struct baseline *b = arg;
	struct dgram_io *io[2];
	struct pool *pool;
	struct pkt *bufs[DGRAM_IO_BATCH_MAX];

	placement_name_self("baseline-fwd");
	if (b->cpu >= 0)
		placement_pin_self(b->cpu);
	if (pool_create(b->batch, b->max_frame, &pool))
		die("pool_create", ENOMEM);
	pool_get_burst(pool, bufs, b->batch);
	for (int i = 0; i < 2; i++)
		if (dgram_io_create(b->fd[i], b->batch, 0, &io[i]))
			die("dgram_io_create", ENOMEM);

	for (;;) {
		bool progress = false;

		for (int from = 0; from < 2; from++) {
			int to = 1 - from;
			int n = dgram_io_recv(io[from], bufs, b->batch,
					      b->max_frame);
			if (n == -EAGAIN)
				continue;
			if (n < 0)
				die("baseline receive", -n);
			progress = true;
			for (int off = 0; off < n;) {
				int r = dgram_io_send(io[to], bufs + off,
						      (unsigned)(n - off));
				if (r > 0) {
					off += r;
				} else if (r == -EAGAIN || r == -ENOBUFS) {
					struct pollfd p = {b->fd[to], POLLOUT,
							   0};
					poll(&p, 1, 10);
					if (b->stop)
						break;
				} else {
					die("baseline send", -r);
				}
			}
		}
		if (progress)
			continue;
		struct pollfd p[3] = {{b->fd[0], POLLIN, 0},
				      {b->fd[1], POLLIN, 0},
				      {b->stop_pipe[0], POLLIN, 0}};
		poll(p, 3, -1);
		if (p[2].revents)
			break;
	}
	b->cpu_ns = thread_cpu_ns();
	for (int i = 0; i < 2; i++)
		dgram_io_destroy(io[i]);
	pool_destroy(pool);
	return NULL;
}

struct engine_run {
	struct engine *e;
};

static void *engine_main(void *arg)
{
	struct engine_run *r = arg;

	engine_run(r->e);
	return NULL;
}

static void make_pair(int sv[2])
{
	int sz = SOCK_BUF;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		die("socketpair", errno);
	for (int i = 0; i < 2; i++) {
		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
}

/* One run with the engine (use_engine) or the baseline as forwarder. */
static struct result run_once(const struct bench_opts *o, bool use_engine,
			      enum mode mode, uint32_t size)
{
	int vm[2], host[2]; /* [0] traffic's end, [1] forwarder's end */
	struct flow flows[2];
	int nflows = 0;
	struct result res = {0};

	make_pair(vm);
	make_pair(host);
	if (mode != HOST_TO_VM)
		flow_init(&flows[nflows++], vm[0], host[0], o->batch);
	if (mode != VM_TO_HOST)
		flow_init(&flows[nflows++], host[0], vm[0], o->batch);

	pthread_t th;
	struct engine_run er = {0};
	struct endpoint *ep_vm = NULL, *ep_host = NULL;
	struct baseline bl = {
	    {vm[1], host[1]}, o->batch, size, o->baseline_cpu, 0,
	    {-1, -1},	      0,	0};
	if (use_engine) {
		struct engine_config cfg;
		char err[160];

		engine_config_defaults(&cfg);
		cfg.batch = o->batch;
		cfg.ring_size = o->ring;
		cfg.host_cpu = o->host_cpu;
		cfg.socket_cpu = o->socket_cpu;
		cfg.spin_us = o->spin_us;
		if (o->write_wait_us)
			cfg.write_wait_us = o->write_wait_us;
		if (endpoint_dgram_open(vm[1], "vm", size, o->batch, &ep_vm) ||
		    endpoint_dgram_open(host[1], "host", size, o->batch,
					&ep_host))
			die("endpoint_dgram_open", EINVAL);
		if (engine_create(&cfg, ep_host, ep_vm, &er.e, err,
				  sizeof(err))) {
			fprintf(stderr, "engine_bench: %s\n", err);
			exit(1);
		}
		if (pthread_create(&th, NULL, engine_main, &er))
			die("pthread_create", EAGAIN);
	} else {
		if (pipe(bl.stop_pipe))
			die("pipe", errno);
		if (pthread_create(&th, NULL, baseline_main, &bl))
			die("pthread_create", EAGAIN);
	}

	double window = traffic_run(flows, nflows, o->batch, size, o->seconds,
				    o->traffic_cpu);

	uint64_t cpu_ns;
	if (use_engine) {
		struct engine_stats s;

		engine_stop(er.e);
		pthread_join(th, NULL);
		engine_get_stats(er.e, &s);
		res.host_pct = 100.0 * (double)s.host_cpu_ns / 1e9 / window;
		res.socket_pct = 100.0 * (double)s.socket_cpu_ns / 1e9 / window;
		cpu_ns = s.host_cpu_ns + s.socket_cpu_ns;
		res.drops =
		    s.host_to_vm.drop_stalled + s.vm_to_host.drop_stalled +
		    s.host_to_vm.drop_too_big + s.vm_to_host.drop_too_big;
		res.drops_d = (double)res.drops;
		uint64_t batches = s.host_to_vm.batches + s.vm_to_host.batches;
		uint64_t frames = s.host_to_vm.packets + s.vm_to_host.packets;
		res.fill = batches ? (double)frames / (double)batches : 0;
		res.wakes_per_k =
		    frames
			? 1000.0 * (double)(s.host_wakeups + s.socket_wakeups) /
			      (double)frames
			: 0;
		engine_destroy(er.e);
		endpoint_close(ep_vm);
		endpoint_close(ep_host);
	} else {
		bl.stop = 1;
		if (write(bl.stop_pipe[1], "x", 1) != 1)
			die("write", errno);
		pthread_join(th, NULL);
		cpu_ns = bl.cpu_ns;
		close(bl.stop_pipe[0]);
		close(bl.stop_pipe[1]);
		close(vm[1]);
		close(host[1]);
	}
	uint64_t bytes = 0;
	for (int i = 0; i < nflows; i++) {
		res.sent += flows[i].sent;
		res.received += flows[i].received;
		res.bad += flows[i].bad;
		res.disorder += flows[i].disorder;
		bytes += flows[i].bytes;
		flow_free(&flows[i]);
	}
	close(vm[0]);
	close(host[0]);
	res.pps = (double)res.received / window;
	res.gbps = (double)bytes * 8 / window / 1e9;
	res.cpu_pct = 100.0 * (double)cpu_ns / 1e9 / window;
	return res;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_of(struct result *r, int n, size_t field)
{
	double v[MAX_RUNS];

	for (int i = 0; i < n; i++)
		v[i] = *(double *)((char *)&r[i] + field);
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MEDIAN(r, n, f) median_of(r, n, offsetof(struct result, f))

static void usage_exit(const char *msg)
{
	fprintf(stderr,
		"engine_bench: %s\nusage: engine_bench [-r RUNS] [-t SECONDS] "
		"[-b BATCH] [-R RING] [-c HOST_CPU,SOCKET_CPU] "
		"[-B BASELINE_CPU] [-T TRAFFIC_CPU] [-s SIZE[,SIZE...]] "
		"[-S SPIN_US] [-W WRITE_WAIT_US]\n"
		"CPU -1 means unpinned.\n",
		msg);
	exit(2);
}

static long num(const char *s, long lo, long hi, const char *what)
{
	char *end;

	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%s '%s' must be %ld to %ld", what,
			 s, lo, hi);
		usage_exit(msg);
	}
	return v;
}

static void parse(struct bench_opts *o, int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "r:t:b:R:c:B:T:s:S:W:")) != -1) {
		char *comma;
		switch (opt) {
		case 'r':
			o->runs = (int)num(optarg, 1, MAX_RUNS, "-r");
			break;
		case 't':
			o->seconds = (double)num(optarg, 1, 600, "-t");
			break;
		case 'b':
			o->batch =
			    (unsigned)num(optarg, 1, ENGINE_BATCH_MAX, "-b");
			break;
		case 'R':
			o->ring = (unsigned)num(optarg, 1, 1 << 16, "-R");
			break;
		case 'c':
			comma = strchr(optarg, ',');
			if (!comma)
				usage_exit("-c needs HOST_CPU,SOCKET_CPU");
			*comma = '\0';
			o->host_cpu = (int)num(optarg, -1, 4095, "-c host");
			o->socket_cpu =
			    (int)num(comma + 1, -1, 4095, "-c socket");
			break;
		case 'B':
			o->baseline_cpu = (int)num(optarg, -1, 4095, "-B");
			break;
		case 'S':
			o->spin_us = (unsigned)num(optarg, 0, 100000, "-S");
			break;
		case 'W':
			o->write_wait_us =
			    (unsigned)num(optarg, 1, 100000000, "-W");
			break;
		case 'T':
			o->traffic_cpu = (int)num(optarg, -1, 4095, "-T");
			break;
		case 's':
			o->nsizes = 0;
			for (char *t = strtok(optarg, ","); t && o->nsizes < 8;
			     t = strtok(NULL, ","))
				o->sizes[o->nsizes++] =
				    (unsigned)num(t, 64, 65535, "-s");
			break;
		default:
			usage_exit("unknown option");
		}
	}
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
	    .runs = 5,
	    .seconds = 3,
	    .batch = ENGINE_BATCH_DEFAULT,
	    .ring = ENGINE_RING_DEFAULT,
	    .host_cpu = 0,
	    .socket_cpu = 1,
	    .baseline_cpu = 1,
	    .traffic_cpu = -1,
	    .sizes = {64, 1514},
	    .nsizes = 2,
	};

	parse(&o, argc, argv);
	printf("engine_bench: %d runs x %.0f s per point, medians; batch %u, "
	       "ring %u, spin %u us, write wait %s us; %d CPUs\n",
	       o.runs, o.seconds, o.batch, o.ring, o.spin_us,
	       o.write_wait_us ? "set" : "default", placement_cpu_count());
	printf("pinning: engine host worker CPU %d, socket worker CPU %d; "
	       "baseline CPU %d; traffic thread CPU %d (-1 = unpinned)\n",
	       o.host_cpu, o.socket_cpu, o.baseline_cpu, o.traffic_cpu);
	printf("%-6s %-9s | %10s %7s %7s %6s %6s %6s %5s %6s | %10s %7s %6s | "
	       "%6s | %s\n",
	       "size", "mode", "eng pps", "Gbit/s", "cpu%", "host%", "sock%",
	       "drops", "fill", "wk/1k", "base pps", "Gbit/s", "cpu%", "ratio",
	       "checks");
	for (int si = 0; si < o.nsizes; si++) {
		for (int m = 0; m < 3; m++) {
			struct result er[MAX_RUNS], br[MAX_RUNS];
			uint64_t bad = 0, lost = 0, unaccounted = 0;

			for (int i = 0; i < o.runs; i++) {
				er[i] = run_once(&o, true, m, o.sizes[si]);
				br[i] = run_once(&o, false, m, o.sizes[si]);
				bad += er[i].bad + er[i].disorder + br[i].bad +
				       br[i].disorder;
				lost += br[i].sent - br[i].received;
				/* Every engine loss must be a counted drop. */
				unaccounted +=
				    er[i].sent - er[i].received - er[i].drops;
			}
			double ep = MEDIAN(er, o.runs, pps);
			double bp = MEDIAN(br, o.runs, pps);
			printf("%-6u %-9s | %10.0f %7.2f %7.1f %6.1f %6.1f "
			       "%6.0f %5.1f %6.1f | %10.0f %7.2f %6.1f | "
			       "%5.2fx | %s\n",
			       o.sizes[si], mode_names[m], ep,
			       MEDIAN(er, o.runs, gbps),
			       MEDIAN(er, o.runs, cpu_pct),
			       MEDIAN(er, o.runs, host_pct),
			       MEDIAN(er, o.runs, socket_pct),
			       MEDIAN(er, o.runs, drops_d),
			       MEDIAN(er, o.runs, fill),
			       MEDIAN(er, o.runs, wakes_per_k), bp,
			       MEDIAN(br, o.runs, gbps),
			       MEDIAN(br, o.runs, cpu_pct), ep / bp,
			       bad || lost || unaccounted
				   ? "FAILED: damaged, reordered or "
				     "unaccounted frames"
				   : "ok");
			fflush(stdout);
		}
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("max RSS of the whole bench process: %ld (KiB on Linux)\n",
	       ru.ru_maxrss);
	return 0;
}
