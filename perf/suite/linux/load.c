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
 *        |stream-fd|stream:PATH  end the forwarder gets as fd 3; a client
 *                                of the forwarder's bound socket; a VDE
 *                                switch's port; the first two as a stream,
 *                                each frame after its 4-byte length (a
 *                                forwarder given --stream)
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
 *   --id N                       0..65535, in this tool's two MACs
 *                                (02:76:6d:N:01 and :02), so many tools
 *                                share one switch; a frame of ours for
 *                                another MAC counts as misrouted (one
 *                                flooded to this VM, say)
 *   --attach PID                 measure running forwarder PID (one
 *                                switch serving many tools) instead of
 *                                starting one: needs --vm socket:PATH or
 *                                vde:PATH and no command after --
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
#include "load_child.h"
#include "load_perf.h"
#include "load_report.h"
#include "load_util.h"
#include "proc_sample.h"

#define STALL_NS   200000000ull
#define DRAIN_NS   500000000ull
#define PROBE_NS   50000000ull
#define PROBE_FLOW 0x100 /* + direction: probes, not counted */
/* Bytes 3 and 4 are --id's. */
static uint8_t vm_mac[6] = {0x02, 0x76, 0x6d, 0x00, 0x00, 0x01};
static uint8_t host_mac[6] = {0x02, 0x76, 0x6d, 0x00, 0x00, 0x02};

static void on_signal(int sig)
{
	(void)sig;
	load_interrupted = 1;
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
	/* One of ours, but for another tool's MAC: on a shared switch,
	 * flooded here. */
	if (memcmp(p, x->side == SIDE_VM ? vm_mac : host_mac, 6) != 0) {
		sc->misrouted++;
		return;
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
		load_fail("receiving on the %s side: %s",
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
		load_fail("out of memory for %u frames of %u bytes", b, size);
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
		load_fail("sending %s: %s", d->name, strerror(-r));
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
	uint64_t last_any = load_now_ns();

	for (int i = 0; i < l->ndirs; i++)
		rx[l->dir[i].to] = true;
	while (!load_interrupted) {
		uint64_t now = load_now_ns();
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
	uint64_t deadline = load_now_ns() + READY_NS, next = 0;

	for (int s = 0; s < 2; s++) {
		l->probe_buf[s] = malloc(l->o.size);
		l->probe_frame[s] = malloc(l->o.size);
		if (!l->probe_buf[s] || !l->probe_frame[s])
			load_fail("out of memory");
		frame_template_init(&l->probe_tmpl[s], l->probe_buf[s],
				    l->o.size, (uint16_t)(PROBE_FLOW + s),
				    s == SIDE_VM ? host_mac : vm_mac,
				    s == SIDE_VM ? vm_mac : host_mac);
		memcpy(l->probe_frame[s], l->probe_buf[s], l->o.size);
	}
	while (!l->probe_seen[SIDE_VM] || !l->probe_seen[SIDE_HOST]) {
		uint64_t now = load_now_ns();

		if (now >= deadline)
			load_fail(
			    "no probe frame %s within 10 s: the forwarder does "
			    "not pass frames; see its log",
			    !l->probe_seen[SIDE_VM]
				? "from the VM side reached "
				  "the TAP"
				: "from the TAP reached the "
				  "VM side");
		if (load_interrupted)
			load_fail("load_interrupted");
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
	uint64_t deadline = load_now_ns() + 60000000000ull;
	int fd;

	snprintf(path, sizeof(path), "%s/ready.%d", dir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		load_fail("creating '%s': %s", path, strerror(errno));
	close(fd);
	snprintf(path, sizeof(path), "%s/go", dir);
	while (access(path, F_OK) != 0) {
		if (load_now_ns() >= deadline || load_interrupted)
			load_fail("no '%s' within 60 s", path);
		poll(NULL, 0, 1);
	}
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
		load_fail("socketpair: %s", strerror(errno));
	if (load_ep_sock(&l->ep[SIDE_HOST], sv[0], l->o.size, l->o.batch) < 0)
		load_fail("setting up the host's socket");
	size_child_end(sv[1]);
	return sv[1];
}

static void setup_vm_side(struct load *l, struct load_child *ch, int *child_end)
{
	int sv[2];

	*child_end = -1;
	if (!l->o.limit && strcmp(l->o.vm, "stream-fd") == 0) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			load_fail("socketpair: %s", strerror(errno));
		if (load_ep_stream(&l->ep[SIDE_VM], sv[0], l->o.size,
				   l->o.batch) < 0)
			load_fail("setting up the VM's stream socket");
		size_child_end(sv[1]);
		*child_end = sv[1];
	} else if (l->o.limit || strcmp(l->o.vm, "fd") == 0) {
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
			load_fail("socketpair: %s", strerror(errno));
		if (load_ep_sock(&l->ep[SIDE_VM], sv[0], l->o.size,
				 l->o.batch) < 0)
			load_fail("setting up the VM's socket");
		if (l->o.limit) {
			if (load_ep_sock(&l->ep[SIDE_HOST], sv[1], l->o.size,
					 l->o.batch) < 0)
				load_fail("setting up the limit's socket");
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
		load_fail("socket: %s", strerror(errno));
	snprintf(me.sun_path, sizeof(me.sun_path), "%s.client", path);
	snprintf(to.sun_path, sizeof(to.sun_path), "%s", path);
	unlink(me.sun_path);
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0)
		load_fail("binding '%s': %s", me.sun_path, strerror(errno));
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		load_fail("connecting to --vm socket '%s': %s", path,
			  strerror(errno));
	if (load_ep_sock(&l->ep[SIDE_VM], fd, l->o.size, l->o.batch) < 0)
		load_fail("setting up the VM's socket");
}

/* --vm stream:PATH: a client connected to the forwarder's listener. */
static void connect_vm_stream(struct load *l, const char *path)
{
	struct sockaddr_un to = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		load_fail("socket: %s", strerror(errno));
	snprintf(to.sun_path, sizeof(to.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		load_fail("connecting to --vm stream '%s': %s", path,
			  strerror(errno));
	if (load_ep_stream(&l->ep[SIDE_VM], fd, l->o.size, l->o.batch) < 0)
		load_fail("setting up the VM's stream socket");
}

int main(int argc, char **argv)
{
	static struct load l;
	struct load_child ch = {
	    .pid = -1, .out = -1, .stdin_w = -1, .pidfd = -1};
	const char *tap = NULL;
	char err[256];
	pid_t perf = -1;
	int child_end;
	uint64_t t0, t1;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	load_opts_parse(argc, argv, &l.o);
	l.mark_fd = -1;
	l.r.o = &l.o;
	l.r.forwarder = l.o.limit    ? "none"
			: l.o.attach ? "attached"
				     : l.o.cmd[0];
	vm_mac[3] = host_mac[3] = (uint8_t)(l.o.id >> 8);
	vm_mac[4] = host_mac[4] = (uint8_t)l.o.id;
	if (!l.o.limit && !l.o.host_fd)
		tap = l.o.host + 4;

	setup_vm_side(&l, &ch, &child_end);
	if (!l.o.limit) {
		int host_end = l.o.host_fd ? setup_host_pair(&l) : -1;

		if (l.o.attach) {
			ch.pid = l.o.attach; /* running, and not ours to stop */
		} else {
			load_child_start(&ch, l.o.cmd, child_end, host_end,
					 l.o.log);
			if (child_end >= 0)
				close(child_end);
			if (host_end >= 0)
				close(host_end);
			if (strcmp(l.o.ready, "json") == 0)
				load_child_wait_line(&ch);
			else
				load_child_wait_tap(&ch, tap);
		}
		l.r.pid = ch.pid;
		if (strncmp(l.o.vm, "socket:", 7) == 0) {
			connect_vm_socket(&l, l.o.vm + 7);
		} else if (strncmp(l.o.vm, "stream:", 7) == 0) {
			connect_vm_stream(&l, l.o.vm + 7);
		} else if (strncmp(l.o.vm, "vde:", 4) == 0) {
			if (load_ep_vde(&l.ep[SIDE_VM], l.o.vm + 4, l.o.size,
					l.o.batch, err, sizeof(err)) < 0)
				load_fail("%s", err);
		} else if (strcmp(l.o.vm, "fd") != 0 &&
			   strcmp(l.o.vm, "stream-fd") != 0) {
			load_fail("invalid --vm '%s': pass fd, socket:PATH, "
				  "vde:PATH, stream-fd or stream:PATH",
				  l.o.vm);
		}
		if (tap &&
		    load_ep_packet(&l.ep[SIDE_HOST], tap, l.o.size, l.o.window,
				   l.o.batch, err, sizeof(err)) < 0)
			load_fail("%s", err);
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
		l.dir[i].last_rx_ns = load_now_ns();

	pump(&l, load_now_ns() + (uint64_t)(l.o.warmup * 1e9), true);
	for (int i = 0; i < l.ndirs; i++) {
		l.dir[i].win_start_unique = l.dir[i].trk.unique;
		l.dir[i].win_start_bytes = l.dir[i].rx_bytes;
	}
	if (!l.o.limit)
		proc_sample_take(ch.pid, &l.r.t0);
	getrusage(RUSAGE_SELF, &l.r.self0);
	l.r.waits = l.r.wait_timeouts = 0;
	if (l.o.count_syscalls && !l.o.limit)
		perf = load_perf_start(&l.o, ch.pid, l.o.count_syscalls,
				       &l.mark_fd);
	l.r.win_misrouted = l.r.side[0].misrouted + l.r.side[1].misrouted;
	t0 = load_now_ns();
	pump(&l, t0 + (uint64_t)(l.o.seconds * 1e9), true);
	t1 = load_now_ns();
	l.r.win_misrouted =
	    l.r.side[0].misrouted + l.r.side[1].misrouted - l.r.win_misrouted;
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
		side_recv(&l, (enum load_side)s, load_now_ns());
	l.r.ring_drops = load_ep_ring_drops(&l.ep[SIDE_HOST]);

	if (perf > 0) {
		int st;

		/* perf ends with its workload, which the window outlasted:
		 * wait for it (bounded by its sleep) and read the counts. */
		while (waitpid(perf, &st, 0) < 0 && errno == EINTR)
			;
		check_marks(&l, load_now_ns());
		if (l.marks == 2) {
			l.r.count_frames = l.mark_frames[1] - l.mark_frames[0];
			l.r.count_s =
			    (double)(l.mark_ns[1] - l.mark_ns[0]) / 1e9;
		}
		load_perf_read(l.o.count_syscalls, &l.r);
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
		l.r.exit_status = l.o.attach ? 0 : load_child_stop(&ch);
	}
	load_report_json(stdout, &l.r);
	fflush(stdout);
	return load_interrupted ? 130 : 0;
}
