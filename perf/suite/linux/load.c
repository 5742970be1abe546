/* SPDX-License-Identifier: Apache-2.0 */
/* load.c - vmh-load, the benchmark suite's load tool: it starts a forwarder
 * (vmnet-helper, the baseline, socat, VDE), plays both the VM, on the
 * forwarder's unix datagram socket, and the host network, on its TAP, and
 * prints one JSON object with the rates, every frame's fate, and the
 * forwarder's CPU, context switches and memory over the traffic window.
 *
 * Usage: vmh-load [OPTION]... [-- FORWARDER COMMAND...]
 *   --dir vm2host|host2vm|both   which way frames go (default vm2host)
 *   --size N                     frame length in bytes, 48..65535 (64)
 *   --seconds S, --warmup S      traffic window, and traffic before it
 *   --window N                   frames in flight per direction (auto)
 *   --batch N                    frames per send/receive call (32)
 *   --vm fd|socket:PATH|vde:PATH the VM's side: a socketpair whose other
 *                                end the forwarder gets as fd 3; a client
 *                                of the forwarder's bound socket; a VDE
 *                                switch's port
 *   --host tap:NAME|fd|pair      the host's side: the TAP; a second
 *                                socketpair whose other end the forwarder
 *                                gets as fd 4 (VM to VM); or (the limit)
 *                                the other end of the VM's socketpair,
 *                                with no forwarder at all
 *   --ready json|tap             wait for the forwarder's first stdout
 *                                line, or for the TAP to come up
 *   --log FILE                   the forwarder's stderr (default
 *                                /dev/null)
 *   --count-syscalls FILE        attach perf stat to the forwarder over
 *                                the window (a counting run: its rates are
 *                                not for publishing)
 *   --count-events LIST          syscalls to count by name (default: those
 *                                of a built-in list that tracefs has)
 *   --sync DIR                   after the probes, create DIR/ready.PID and
 *                                wait for DIR/go before any traffic, so
 *                                several tools start their windows
 *                                together
 *   --label TEXT                 copied into the JSON
 *
 * How it works. One thread does everything, in one loop, so the tool's
 * own CPU is one number (getrusage) and no lock is needed: each direction
 * sends while fewer than its window of frames are in flight (sent minus
 * received, the "acknowledgement" being the receiving side's progress),
 * receives everything waiting on both sides, checks each frame
 * (frame_check()) and records its sequence (seq_tracker); when nothing
 * moved it sleeps in poll() until a side is readable or writable. So the
 * senders are closed-loop: no rate here comes from overrunning a queue,
 * and a run whose tool used a whole core is tool-bound, which the JSON
 * says. Before traffic, probe frames are sent each way until one arrives,
 * proving the path and (--socket) making the forwarder learn its client.
 * After the window, sending stops and the tool waits for the frames in
 * flight; what never came is lost. A direction that receives nothing for
 * 200 ms writes its window off as lost, so one lost frame cannot stall
 * a run. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "load_ep.h"
#include "load_report.h"
#include "proc_sample.h"

#define STALL_NS      200000000ull
#define DRAIN_NS      500000000ull
#define PROBE_NS      50000000ull
#define READY_NS      10000000000ull
#define CHILD_FD      3
#define CHILD_HOST_FD 4
#define BATCH_MAX     256
#define PROBE_FLOW    0x100 /* + direction: probes, not counted */

static const uint8_t vm_mac[6] = {0x02, 0x76, 0x6d, 0x00, 0x00, 0x01};
static const uint8_t host_mac[6] = {0x02, 0x76, 0x6d, 0x00, 0x00, 0x02};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static pid_t child_pid = -1;

static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("ERROR vmh-load: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (child_pid > 0)
		kill(child_pid, SIGKILL);
	exit(1);
}

/* ---- options ---------------------------------------------------------- */

static void parse_seconds(const char *s, double *out, const char *opt)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 3600)
		fail("invalid %s '%s': pass seconds, e.g. %s 3", opt, s, opt);
	*out = v;
}

static unsigned parse_count(const char *s, unsigned min, unsigned max,
			    const char *opt)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s < '0' || *s > '9' || *end != '\0' || v < min || v > max)
		fail("invalid %s '%s': pass a number from %u to %u", opt, s,
		     min, max);
	return (unsigned)v;
}

static void parse_options(int argc, char **argv, struct load_opts *o)
{
	enum {
		O_DIR = 256,
		O_SIZE,
		O_SECONDS,
		O_WARMUP,
		O_WINDOW,
		O_BATCH,
		O_VM,
		O_HOST,
		O_READY,
		O_LOG,
		O_COUNT,
		O_EVENTS,
		O_SYNC_DIR,
		O_LABEL
	};
	static const struct option longs[] = {
	    {"dir", required_argument, 0, O_DIR},
	    {"size", required_argument, 0, O_SIZE},
	    {"seconds", required_argument, 0, O_SECONDS},
	    {"warmup", required_argument, 0, O_WARMUP},
	    {"window", required_argument, 0, O_WINDOW},
	    {"batch", required_argument, 0, O_BATCH},
	    {"vm", required_argument, 0, O_VM},
	    {"host", required_argument, 0, O_HOST},
	    {"ready", required_argument, 0, O_READY},
	    {"log", required_argument, 0, O_LOG},
	    {"count-syscalls", required_argument, 0, O_COUNT},
	    {"count-events", required_argument, 0, O_EVENTS},
	    {"sync", required_argument, 0, O_SYNC_DIR},
	    {"label", required_argument, 0, O_LABEL},
	    {0, 0, 0, 0}};
	int c;

	memset(o, 0, sizeof(*o));
	o->dir = "vm2host";
	o->size = 64;
	o->seconds = 3;
	o->warmup = 0.5;
	o->batch = 32;
	o->vm = "fd";
	o->host = NULL;
	o->ready = "json";
	o->log = "/dev/null";
	o->label = "";
	while ((c = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
		switch (c) {
		case O_DIR:
			if (strcmp(optarg, "vm2host") &&
			    strcmp(optarg, "host2vm") && strcmp(optarg, "both"))
				fail(
				    "invalid --dir '%s': pass vm2host, host2vm "
				    "or both",
				    optarg);
			o->dir = optarg;
			break;
		case O_SIZE:
			o->size = parse_count(optarg, FRAME_MIN_LEN,
					      FRAME_MAX_LEN, "--size");
			break;
		case O_SECONDS:
			parse_seconds(optarg, &o->seconds, "--seconds");
			break;
		case O_WARMUP:
			parse_seconds(optarg, &o->warmup, "--warmup");
			break;
		case O_WINDOW:
			o->window =
			    parse_count(optarg, 1, 1u << 20, "--window");
			break;
		case O_BATCH:
			o->batch = parse_count(optarg, 1, BATCH_MAX, "--batch");
			break;
		case O_VM:
			o->vm = optarg;
			break;
		case O_HOST:
			o->host = optarg;
			break;
		case O_READY:
			o->ready = optarg;
			break;
		case O_LOG:
			o->log = optarg;
			break;
		case O_COUNT:
			o->count_syscalls = optarg;
			break;
		case O_EVENTS:
			o->count_events = optarg;
			break;
		case O_SYNC_DIR:
			o->sync = optarg;
			break;
		case O_LABEL:
			o->label = optarg;
			break;
		default:
			fail("unknown option: see the usage at the top of "
			     "perf/suite/linux/load.c");
		}
	}
	o->cmd = argv + optind;
	o->limit = o->host && strcmp(o->host, "pair") == 0;
	o->host_fd = o->host && strcmp(o->host, "fd") == 0;
	if (!o->host ||
	    (!o->limit && !o->host_fd && strncmp(o->host, "tap:", 4) != 0))
		fail("missing --host: pass --host tap:NAME (the forwarder's "
		     "TAP), --host fd (its host socket, VM to VM) or --host "
		     "pair (the limit)");
	if (!o->limit && !o->cmd[0])
		fail("no forwarder: pass its command after --, e.g. -- "
		     "build/vmnet-helper --fd 3 --tap vmhp0");
	if (o->window == 0) {
		/* A few MiB in flight at most, however big the frames. */
		unsigned w = (4u << 20) / o->size;
		o->window = w > 256 ? 256 : w < 8 ? 8 : w;
	}
	if (o->batch > o->window)
		o->batch = o->window;
}

/* ---- the forwarder ---------------------------------------------------- */

struct child {
	pid_t pid;
	int out;     /* its stdout, for the readiness line */
	int stdin_w; /* kept open: vde_switch exits at end of its stdin */
	int pidfd;
	char line[1024];
};

/* In the child: put @fd at @target, inherited (not close-on-exec). The
 * caller has moved both fds above the targets, so none is overwritten. */
static void child_place_fd(int fd, int target)
{
	if (fd >= 0)
		dup2(fd, target);
}

static void child_start(struct child *ch, char **cmd, int vm_fd, int host_fd,
			const char *log)
{
	int out[2], in[2], logfd;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(in, O_CLOEXEC) < 0)
		fail("pipe: %s", strerror(errno));
	logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (logfd < 0)
		fail("opening --log '%s': %s", log, strerror(errno));
	ch->pid = fork();
	if (ch->pid < 0)
		fail("fork: %s", strerror(errno));
	if (ch->pid == 0) {
		/* The forwarder must not outlive the tool, whatever ends it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(logfd, 2);
		/* Above 10 first, so placing one cannot clobber the other
		 * (dup2 leaves the copies inheritable). */
		if (vm_fd >= 0)
			vm_fd = fcntl(vm_fd, F_DUPFD_CLOEXEC, 10);
		if (host_fd >= 0)
			host_fd = fcntl(host_fd, F_DUPFD_CLOEXEC, 10);
		child_place_fd(vm_fd, CHILD_FD);
		child_place_fd(host_fd, CHILD_HOST_FD);
		execvp(cmd[0], cmd);
		fprintf(stderr, "ERROR vmh-load: exec '%s': %s\n", cmd[0],
			strerror(errno));
		_exit(127);
	}
	child_pid = ch->pid;
	close(out[1]);
	close(in[0]);
	close(logfd);
	ch->out = out[0];
	ch->stdin_w = in[1];
	ch->pidfd = (int)syscall(SYS_pidfd_open, ch->pid, 0);
}

/* Wait for the forwarder's first line on stdout. */
static void child_wait_line(struct child *ch)
{
	uint64_t deadline = now_ns() + READY_NS;
	size_t len = 0;

	while (len < sizeof(ch->line) - 1) {
		struct pollfd p = {ch->out, POLLIN, 0};
		uint64_t t = now_ns();
		ssize_t r;

		if (t >= deadline)
			fail("the forwarder printed no line within 10 s; see "
			     "its log");
		if (poll(&p, 1, (int)((deadline - t) / 1000000 + 1)) <= 0)
			continue;
		r = read(ch->out, ch->line + len, 1);
		if (r <= 0)
			fail("the forwarder exited before it was ready; see "
			     "its log");
		if (ch->line[len] == '\n')
			break;
		len++;
	}
	ch->line[len] = '\0';
}

static bool tap_is_up(const char *name)
{
	struct ifreq ifr;
	int ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool up;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	up = ctl >= 0 && ioctl(ctl, SIOCGIFFLAGS, &ifr) == 0 &&
	     (ifr.ifr_flags & IFF_UP);
	if (ctl >= 0)
		close(ctl);
	return up;
}

/* Bring @name up if it is down (vde_switch leaves its TAP down). */
static void tap_set_up(const char *name)
{
	struct ifreq ifr;
	int ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ctl < 0 || ioctl(ctl, SIOCGIFFLAGS, &ifr) < 0)
		fail("reading TAP '%s': %s", name, strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(ctl, SIOCSIFFLAGS, &ifr) < 0)
		fail("bringing TAP '%s' up: %s", name, strerror(errno));
	close(ctl);
}

/* For forwarders that print nothing (socat, vde_switch): poll for the TAP
 * every 10 ms, bounded (there is no event to wait on), and bring it up. */
static void child_wait_tap(struct child *ch, const char *tap)
{
	uint64_t deadline = now_ns() + READY_NS;

	while (if_nametoindex(tap) == 0) {
		int st;

		if (waitpid(ch->pid, &st, WNOHANG) == ch->pid)
			fail(
			    "the forwarder exited before its TAP '%s' came up; "
			    "see its log",
			    tap);
		if (now_ns() >= deadline)
			fail("TAP '%s' did not come up within 10 s", tap);
		poll(NULL, 0, 10);
	}
	if (!tap_is_up(tap))
		tap_set_up(tap);
}

/* Stop the forwarder: SIGTERM, then SIGKILL after 5 s. Return: its wait
 * status. */
static int child_stop(struct child *ch)
{
	int st = 0;

	kill(ch->pid, SIGTERM);
	if (ch->pidfd >= 0) {
		struct pollfd p = {ch->pidfd, POLLIN, 0};

		if (poll(&p, 1, 5000) == 0)
			kill(ch->pid, SIGKILL);
	}
	while (waitpid(ch->pid, &st, 0) < 0 && errno == EINTR)
		;
	child_pid = -1;
	return st;
}

/* ---- traffic ---------------------------------------------------------- */

struct load {
	struct load_opts o;
	struct load_ep ep[2]; /* SIDE_VM, SIDE_HOST */
	struct load_dir dir[2];
	int ndirs;
	struct load_dir *by_flow[2]; /* flow 1, 2 */
	struct load_result r;
	/* probes */
	struct frame_tmpl probe_tmpl[2];
	uint8_t *probe_buf[2], *probe_frame[2];
	bool probe_seen[2];
	uint64_t probe_seq;
	/* the counting run's marks, from perf's workload */
	int mark_fd;
	int marks;
	uint64_t mark_frames[2], mark_ns[2];
};

struct rx_ctx {
	struct load *l;
	enum load_side side;
	uint64_t now;
};

static uint64_t total_unique(const struct load *l)
{
	uint64_t n = 0;

	for (int i = 0; i < l->ndirs; i++)
		n += l->dir[i].trk.unique;
	return n;
}

static void on_frame(void *arg, const uint8_t *p, size_t len, bool cut)
{
	struct rx_ctx *x = arg;
	struct load_side_counts *sc = &x->l->r.side[x->side];
	struct load_dir *d;
	uint16_t flow;
	uint64_t seq;

	if (cut) {
		sc->truncated++;
		return;
	}
	switch (frame_check(p, len, &flow, &seq)) {
	case FRAME_FOREIGN:
		sc->foreign++;
		return;
	case FRAME_DAMAGED:
		sc->damaged++;
		return;
	case FRAME_OK:
		break;
	}
	if (flow == PROBE_FLOW + SIDE_VM || flow == PROBE_FLOW + SIDE_HOST) {
		/* A probe sent from one side arrives at the other. */
		if ((enum load_side)(flow - PROBE_FLOW) != x->side)
			x->l->probe_seen[flow - PROBE_FLOW] = true;
		else
			sc->misrouted++;
		return;
	}
	d = flow >= 1 && flow <= 2 ? x->l->by_flow[flow - 1] : NULL;
	if (!d || d->to != x->side) {
		sc->misrouted++;
		return;
	}
	seq_tracker_see(&d->trk, seq);
	d->rx_bytes += len;
	d->last_rx_ns = x->now;
}

static int side_recv(struct load *l, enum load_side s, uint64_t now)
{
	struct rx_ctx x = {l, s, now};
	int n = load_ep_recv(&l->ep[s], on_frame, &x);

	if (n < 0)
		fail("receiving on the %s side: %s",
		     s == SIDE_VM ? "VM" : "host", strerror(-n));
	return n;
}

static void dir_init(struct load *l, struct load_dir *d, const char *name,
		     uint16_t flow, enum load_side from)
{
	unsigned b = l->o.batch, size = l->o.size;

	memset(d, 0, sizeof(*d));
	d->name = name;
	d->flow = flow;
	d->from = from;
	d->to = from == SIDE_VM ? SIDE_HOST : SIDE_VM;
	d->tmpl_buf = malloc(size);
	d->tx_bufs = malloc((size_t)size * b);
	d->tx_msgs = calloc(b, sizeof(*d->tx_msgs));
	d->tx_iov = calloc(b, sizeof(*d->tx_iov));
	if (!d->tmpl_buf || !d->tx_bufs || !d->tx_msgs || !d->tx_iov)
		fail("out of memory for %u frames of %u bytes", b, size);
	frame_template_init(&d->tmpl, d->tmpl_buf, size, flow,
			    from == SIDE_VM ? host_mac : vm_mac,
			    from == SIDE_VM ? vm_mac : host_mac);
	for (unsigned i = 0; i < b; i++) {
		memcpy(d->tx_bufs + (size_t)i * size, d->tmpl_buf, size);
		d->tx_iov[i].iov_base = d->tx_bufs + (size_t)i * size;
		d->tx_iov[i].iov_len = size;
		d->tx_msgs[i].msg_hdr.msg_iov = &d->tx_iov[i];
		d->tx_msgs[i].msg_hdr.msg_iovlen = 1;
	}
	load_ep_prepare(&l->ep[from], d->tx_msgs, b);
	seq_tracker_init(&d->trk);
	l->by_flow[flow - 1] = d;
}

/* Send what the window allows. Return: frames sent; *blocked when the
 * kernel had no room. */
static int dir_send(struct load *l, struct load_dir *d, bool *blocked)
{
	uint64_t acked = d->trk.unique + d->written_off;
	uint64_t inflight = d->sent > acked ? d->sent - acked : 0;
	unsigned room, n;
	int r;

	if (inflight >= l->o.window)
		return 0;
	room = (unsigned)(l->o.window - inflight);
	/* Wait for half a batch of room, so calls stay batched. */
	if (room < (l->o.batch + 1) / 2)
		return 0;
	n = room < l->o.batch ? room : l->o.batch;
	for (unsigned i = 0; i < n; i++)
		frame_stamp(&d->tmpl, d->tx_bufs + (size_t)i * l->o.size,
			    d->sent + i);
	r = load_ep_send(&l->ep[d->from], d->tx_msgs, n);
	if (r < 0)
		fail("sending %s: %s", d->name, strerror(-r));
	if (r == 0)
		*blocked = true;
	d->sent += (uint64_t)r;
	return r;
}

/* Write off a direction's window when nothing came back for STALL_NS: the
 * missing frames are lost (the tracker says so at the end), and traffic
 * goes on. */
static void dir_check_stall(struct load_dir *d, uint64_t now)
{
	if (d->sent > d->trk.unique + d->written_off &&
	    now - d->last_rx_ns > STALL_NS) {
		d->written_off = d->sent - d->trk.unique;
		d->stalls++;
		d->last_rx_ns = now;
	}
}

static void wait_events(struct load *l, bool blocked[2], bool rx[2])
{
	struct pollfd p[5];
	int n = 0;

	for (int s = 0; s < 2; s++) {
		if (rx[s])
			p[n++] = (struct pollfd){l->ep[s].rx_fd, POLLIN, 0};
		if (blocked[s])
			p[n++] = (struct pollfd){l->ep[s].tx_fd, POLLOUT, 0};
	}
	if (l->mark_fd >= 0)
		p[n++] = (struct pollfd){l->mark_fd, POLLIN, 0};
	l->r.waits++;
	if (poll(p, (nfds_t)n, 2) == 0)
		l->r.wait_timeouts++;
}

/* perf's workload writes a line when counting starts and one when it ends;
 * record the frames received by then. */
static void check_marks(struct load *l, uint64_t now)
{
	char c[8];

	if (l->mark_fd < 0)
		return;
	while (read(l->mark_fd, c, 1) == 1) {
		if (c[0] != '\n' || l->marks >= 2)
			continue;
		l->mark_frames[l->marks] = total_unique(l);
		l->mark_ns[l->marks] = now;
		l->marks++;
	}
}

/* Move traffic until @until (monotonic ns); with @send false, only receive
 * until every direction has its frames back or DRAIN_NS passed without
 * one. */
static void pump(struct load *l, uint64_t until, bool send)
{
	bool rx[2] = {false, false};
	uint64_t last_any = now_ns();

	for (int i = 0; i < l->ndirs; i++)
		rx[l->dir[i].to] = true;
	while (!interrupted) {
		uint64_t now = now_ns();
		bool blocked[2] = {false, false}, moved = false;

		/* A counting run goes on until perf has stopped counting,
		 * so every syscall it counted moved traffic. */
		if (send && now >= until &&
		    (l->mark_fd < 0 || l->marks >= 2 ||
		     now >= until + READY_NS))
			break;
		if (send) {
			for (int i = 0; i < l->ndirs; i++) {
				moved |= dir_send(l, &l->dir[i],
						  &blocked[l->dir[i].from]) > 0;
				dir_check_stall(&l->dir[i], now);
			}
		}
		for (int s = 0; s < 2; s++) {
			if (rx[s] && side_recv(l, (enum load_side)s, now) > 0) {
				moved = true;
				last_any = now;
			}
		}
		check_marks(l, now);
		if (!send) {
			bool all = true;

			for (int i = 0; i < l->ndirs; i++)
				all &= l->dir[i].trk.unique >= l->dir[i].sent;
			if (all || now - last_any > DRAIN_NS)
				break;
		}
		if (!moved)
			wait_events(l, blocked, rx);
	}
}

/* Send probes both ways (from the VM first: a --socket forwarder learns its
 * client from it) until each has arrived, at most 10 s. */
static void probe(struct load *l)
{
	uint64_t deadline = now_ns() + READY_NS, next = 0;

	for (int s = 0; s < 2; s++) {
		l->probe_buf[s] = malloc(l->o.size);
		l->probe_frame[s] = malloc(l->o.size);
		if (!l->probe_buf[s] || !l->probe_frame[s])
			fail("out of memory");
		frame_template_init(&l->probe_tmpl[s], l->probe_buf[s],
				    l->o.size, (uint16_t)(PROBE_FLOW + s),
				    s == SIDE_VM ? host_mac : vm_mac,
				    s == SIDE_VM ? vm_mac : host_mac);
		memcpy(l->probe_frame[s], l->probe_buf[s], l->o.size);
	}
	while (!l->probe_seen[SIDE_VM] || !l->probe_seen[SIDE_HOST]) {
		uint64_t now = now_ns();

		if (now >= deadline)
			fail(
			    "no probe frame %s within 10 s: the forwarder does "
			    "not pass frames; see its log",
			    !l->probe_seen[SIDE_VM]
				? "from the VM side reached "
				  "the TAP"
				: "from the TAP reached the "
				  "VM side");
		if (interrupted)
			fail("interrupted");
		if (now >= next) {
			for (int s = 0; s < 2; s++) {
				struct iovec v = {l->probe_frame[s], l->o.size};
				struct mmsghdr m = {0};

				if (l->probe_seen[s])
					continue;
				m.msg_hdr.msg_iov = &v;
				m.msg_hdr.msg_iovlen = 1;
				load_ep_prepare(&l->ep[s], &m, 1);
				frame_stamp(&l->probe_tmpl[s],
					    l->probe_frame[s], l->probe_seq++);
				load_ep_send(&l->ep[s], &m, 1);
				/* VM first: give a --socket forwarder its
				 * client before the TAP's probe. */
				if (s == SIDE_VM && !l->probe_seen[SIDE_VM])
					break;
			}
			next = now + PROBE_NS;
		}
		for (int s = 0; s < 2; s++)
			side_recv(l, (enum load_side)s, now);
		{
			bool none[2] = {false, false}, all[2] = {true, true};

			wait_events(l, none, all);
		}
	}
}

/* --sync: say we are ready, then wait for the runner's go (polled every
 * millisecond, at most 60 s: a file has no event to wait on that works
 * for all the tools at once). */
static void sync_start(const char *dir)
{
	char path[512];
	uint64_t deadline = now_ns() + 60000000000ull;
	int fd;

	snprintf(path, sizeof(path), "%s/ready.%d", dir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		fail("creating '%s': %s", path, strerror(errno));
	close(fd);
	snprintf(path, sizeof(path), "%s/go", dir);
	while (access(path, F_OK) != 0) {
		if (now_ns() >= deadline || interrupted)
			fail("no '%s' within 60 s", path);
		poll(NULL, 0, 1);
	}
}

/* ---- syscall counting ------------------------------------------------- */

static const char *const syscall_names[] = {
    "read",
    "write",
    "readv",
    "writev",
    "recvmmsg",
    "sendmmsg",
    "recvmsg",
    "sendmsg",
    "recvfrom",
    "sendto",
    "poll",
    "ppoll",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "io_uring_enter",
    "futex",
    "nanosleep",
    "clock_nanosleep",
    "sched_yield",
    "select",
    "pselect6",
    "getsockopt",
    "ioctl",
};

static bool tracepoint_exists(const char *name)
{
	static const char *const roots[] = {"/sys/kernel/tracing/events",
					    "/sys/kernel/debug/tracing/events"};
	char path[160];

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/syscalls/sys_enter_%s",
			 roots[i], name);
		if (access(path, F_OK) == 0)
			return true;
	}
	return false;
}

/* Start `perf stat --per-thread` on @pid for @seconds; its workload marks
 * the start and the end of counting on a pipe (l->mark_fd). */
static pid_t perf_start(struct load *l, pid_t pid, const char *out)
{
	char events[2048] = "raw_syscalls:sys_enter", pidarg[16], script[96];
	int marks[2];
	pid_t p;

	if (l->o.count_events) {
		/* Chosen outside: `ip netns exec` mounts a /sys without
		 * tracefs, so tracepoint_exists() cannot look here. */
		char list[1024], *tok, *save = NULL;

		snprintf(list, sizeof(list), "%s", l->o.count_events);
		for (tok = strtok_r(list, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (strlen(events) + strlen(tok) + 24 >= sizeof(events))
				break;
			strcat(events, ",syscalls:sys_enter_");
			strcat(events, tok);
		}
	} else {
		for (size_t i = 0;
		     i < sizeof(syscall_names) / sizeof(*syscall_names); i++) {
			if (!tracepoint_exists(syscall_names[i]))
				continue;
			strcat(events, ",syscalls:sys_enter_");
			strcat(events, syscall_names[i]);
		}
	}
	snprintf(pidarg, sizeof(pidarg), "%d", pid);
	snprintf(script, sizeof(script), "echo >&9; sleep %.3f; echo >&9",
		 l->o.seconds);
	if (pipe2(marks, O_CLOEXEC | O_NONBLOCK) < 0)
		fail("pipe: %s", strerror(errno));
	p = fork();
	if (p < 0)
		fail("fork: %s", strerror(errno));
	if (p == 0) {
		int devnull = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(marks[1], 9);
		dup2(devnull, 0);
		dup2(devnull, 1);
		execlp("perf", "perf", "stat", "--per-thread", "-x", ",", "-o",
		       out, "-e", events, "-p", pidarg, "--", "sh", "-c",
		       script, (char *)NULL);
		_exit(127);
	}
	close(marks[1]);
	l->mark_fd = marks[0];
	return p;
}

/* perf stat -x, --per-thread lines: THREAD-TID,COUNT,UNIT,EVENT,... */
static void perf_read(struct load *l, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[512];
	int cap = 0;

	if (!f)
		fail("reading perf's output '%s': %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *thread = strtok(line, ","), *count = strtok(NULL, ","),
		     *event;
		struct syscall_count *c;

		if (!thread || thread[0] == '#' || !count)
			continue;
		event = strtok(NULL, ",");
		/* An empty unit field makes strtok skip to the event. */
		if (!event || (count[0] < '0' || count[0] > '9'))
			continue;
		if (l->r.ncounts == cap) {
			cap = cap ? 2 * cap : 64;
			l->r.counts = realloc(
			    l->r.counts, (size_t)cap * sizeof(*l->r.counts));
			if (!l->r.counts)
				fail("out of memory");
		}
		c = &l->r.counts[l->r.ncounts++];
		snprintf(c->thread, sizeof(c->thread), "%s", thread);
		snprintf(c->event, sizeof(c->event), "%s", event);
		c->count = strtoull(count, NULL, 10);
	}
	fclose(f);
}

/* ---- main ------------------------------------------------------------- */

static uint64_t read_u64_file(const char *path)
{
	FILE *f = fopen(path, "re");
	unsigned long long v = 0;

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* The forwarder's end of a socketpair, sized like ours before it gets it:
 * every forwarder meets the same queues. */
static void size_child_end(int fd)
{
	int v = 4 << 20;

	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v));
}

/* --host fd: the host side is a socketpair too; the forwarder's end goes
 * to it as fd 4. */
static int setup_host_pair(struct load *l)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		fail("socketpair: %s", strerror(errno));
	if (load_ep_sock(&l->ep[SIDE_HOST], sv[0], l->o.size, l->o.batch) < 0)
		fail("setting up the host's socket");
	size_child_end(sv[1]);
	return sv[1];
}

static void setup_vm_side(struct load *l, struct child *ch, int *child_end)
{
	int sv[2];

	*child_end = -1;
	if (l->o.limit || strcmp(l->o.vm, "fd") == 0) {
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
			fail("socketpair: %s", strerror(errno));
		if (load_ep_sock(&l->ep[SIDE_VM], sv[0], l->o.size,
				 l->o.batch) < 0)
			fail("setting up the VM's socket");
		if (l->o.limit) {
			if (load_ep_sock(&l->ep[SIDE_HOST], sv[1], l->o.size,
					 l->o.batch) < 0)
				fail("setting up the limit's socket");
		} else {
			size_child_end(sv[1]);
			*child_end = sv[1];
		}
	}
	(void)ch;
}

/* --vm socket:PATH: a client bound beside PATH, connected to it. */
static void connect_vm_socket(struct load *l, const char *path)
{
	struct sockaddr_un me = {.sun_family = AF_UNIX},
			   to = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fail("socket: %s", strerror(errno));
	snprintf(me.sun_path, sizeof(me.sun_path), "%s.client", path);
	snprintf(to.sun_path, sizeof(to.sun_path), "%s", path);
	unlink(me.sun_path);
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0)
		fail("binding '%s': %s", me.sun_path, strerror(errno));
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		fail("connecting to --vm socket '%s': %s", path,
		     strerror(errno));
	if (load_ep_sock(&l->ep[SIDE_VM], fd, l->o.size, l->o.batch) < 0)
		fail("setting up the VM's socket");
}

int main(int argc, char **argv)
{
	static struct load l;
	struct child ch = {.pid = -1, .out = -1, .stdin_w = -1, .pidfd = -1};
	const char *tap = NULL;
	char err[256];
	pid_t perf = -1;
	int child_end;
	uint64_t t0, t1;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	parse_options(argc, argv, &l.o);
	l.mark_fd = -1;
	l.r.o = &l.o;
	l.r.forwarder = l.o.limit ? "none" : l.o.cmd[0];
	if (!l.o.limit && !l.o.host_fd)
		tap = l.o.host + 4;

	setup_vm_side(&l, &ch, &child_end);
	if (!l.o.limit) {
		int host_end = l.o.host_fd ? setup_host_pair(&l) : -1;

		child_start(&ch, l.o.cmd, child_end, host_end, l.o.log);
		if (child_end >= 0)
			close(child_end);
		if (host_end >= 0)
			close(host_end);
		if (strcmp(l.o.ready, "json") == 0)
			child_wait_line(&ch);
		else
			child_wait_tap(&ch, tap);
		l.r.pid = ch.pid;
		if (strncmp(l.o.vm, "socket:", 7) == 0) {
			connect_vm_socket(&l, l.o.vm + 7);
		} else if (strncmp(l.o.vm, "vde:", 4) == 0) {
			if (load_ep_vde(&l.ep[SIDE_VM], l.o.vm + 4, l.o.size,
					l.o.batch, err, sizeof(err)) < 0)
				fail("%s", err);
		} else if (strcmp(l.o.vm, "fd") != 0) {
			fail("invalid --vm '%s': pass fd, socket:PATH or "
			     "vde:PATH",
			     l.o.vm);
		}
		if (tap &&
		    load_ep_packet(&l.ep[SIDE_HOST], tap, l.o.size, l.o.window,
				   l.o.batch, err, sizeof(err)) < 0)
			fail("%s", err);
	}

	if (strcmp(l.o.dir, "host2vm") != 0)
		dir_init(&l, &l.dir[l.ndirs++], "vm2host", 1, SIDE_VM);
	if (strcmp(l.o.dir, "vm2host") != 0)
		dir_init(&l, &l.dir[l.ndirs++], "host2vm", 2, SIDE_HOST);
	for (int i = 0; i < l.ndirs; i++)
		l.r.dirs[l.r.ndirs++] = &l.dir[i];

	probe(&l);
	if (!l.o.limit)
		proc_sample_take(ch.pid, &l.r.idle);
	if (l.o.sync)
		sync_start(l.o.sync);
	load_ep_ring_drops(&l.ep[SIDE_HOST]); /* reset: probes are done */
	for (int i = 0; i < l.ndirs; i++)
		l.dir[i].last_rx_ns = now_ns();

	pump(&l, now_ns() + (uint64_t)(l.o.warmup * 1e9), true);
	for (int i = 0; i < l.ndirs; i++) {
		l.dir[i].win_start_unique = l.dir[i].trk.unique;
		l.dir[i].win_start_bytes = l.dir[i].rx_bytes;
	}
	if (!l.o.limit)
		proc_sample_take(ch.pid, &l.r.t0);
	getrusage(RUSAGE_SELF, &l.r.self0);
	l.r.waits = l.r.wait_timeouts = 0;
	if (l.o.count_syscalls && !l.o.limit)
		perf = perf_start(&l, ch.pid, l.o.count_syscalls);
	t0 = now_ns();
	pump(&l, t0 + (uint64_t)(l.o.seconds * 1e9), true);
	t1 = now_ns();
	getrusage(RUSAGE_SELF, &l.r.self1);
	l.r.win_waits = l.r.waits;
	l.r.win_wait_timeouts = l.r.wait_timeouts;
	if (!l.o.limit)
		proc_sample_take(ch.pid, &l.r.t1);
	for (int i = 0; i < l.ndirs; i++) {
		l.dir[i].win_frames =
		    l.dir[i].trk.unique - l.dir[i].win_start_unique;
		l.dir[i].win_bytes =
		    l.dir[i].rx_bytes - l.dir[i].win_start_bytes;
	}
	l.r.window_s = (double)(t1 - t0) / 1e9;

	pump(&l, 0, false); /* drain what is in flight */
	/* Anything on a side no direction expected (misrouted frames). */
	for (int s = 0; s < 2; s++)
		side_recv(&l, (enum load_side)s, now_ns());
	l.r.ring_drops = load_ep_ring_drops(&l.ep[SIDE_HOST]);

	if (perf > 0) {
		int st;

		/* perf ends with its workload, which the window outlasted:
		 * wait for it (bounded by its sleep) and read the counts. */
		while (waitpid(perf, &st, 0) < 0 && errno == EINTR)
			;
		check_marks(&l, now_ns());
		if (l.marks == 2) {
			l.r.count_frames = l.mark_frames[1] - l.mark_frames[0];
			l.r.count_s =
			    (double)(l.mark_ns[1] - l.mark_ns[0]) / 1e9;
		}
		perf_read(&l, l.o.count_syscalls);
	}
	if (!l.o.limit) {
		char path[96];

		if (tap) {
			snprintf(path, sizeof(path),
				 "/sys/class/net/%s/statistics/tx_dropped",
				 tap);
			l.r.tap_tx_dropped = read_u64_file(path);
		}
		proc_sample_take(ch.pid, &l.r.end);
		l.r.exit_status = child_stop(&ch);
	}
	load_report_json(stdout, &l.r);
	fflush(stdout);
	return interrupted ? 130 : 0;
}
