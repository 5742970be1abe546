/* SPDX-License-Identifier: Apache-2.0 */
/* main.c - vmnet-helper: start the host interface (or take --host-fd's
 * socket as the host side), drop privileges, connect the VM's socket,
 * print the JSON line, run the engine until the VM goes away or a signal
 * comes. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "endpoint_dgram.h"
#include "endpoint_stream.h"
#include "engine.h"
#include "expose.h"
#include "host.h"
#include "guard.h"
#include "guest_report.h"
#include "host_fd.h"
#include "host_json.h"
#include "log.h"
#include "options.h"
#include "options_guard.h"
#include "peer_watch.h"
#include "pidfile.h"
#include "poller.h"
#include "privdrop.h"
#include "proc_watch.h"
#include "signals.h"
#include "stats.h"
#include "version.h"
#include "vm_socket.h"

#include "cli/vmnet-helper/sandbox.h"

/* How often the supervisor asks whether the VM's end of the socket (and
 * the other end of --host-fd's) still exists: a closed datagram peer
 * raises no event on Linux (peer_watch.h). One sock_diag query costs a few
 * microseconds. */
#define VM_CHECK_MS 250

/* How long a batch towards a --socket client waits while the client takes
 * nothing. Such a client may never connect back to the helper (QEMU's
 * -netdev dgram with unix paths does not), and then Linux queues only
 * net.unix.max_dgram_qlen + 1 datagrams towards it (11 by default): the
 * client's queue cannot absorb a pause of its reader, so the helper's ring
 * must, for longer than the engine's default 500 us. Measured with the
 * QEMU guest over --socket fetching 1 MiB with two busy loops beside it:
 * 25 and 60 of ~760 frames dropped with 500 us, none with 5 ms or 50 ms
 * (docs/vmnet-helper.md). */
#define SOCKET_WRITE_WAIT_US 10000

/* @line and a newline on standard output, with write() and not stdio:
 * glibc's stdout asks whether a character device (a terminal, /dev/null)
 * is a terminal with ioctl(TCGETS) at its first write, which the sandbox,
 * entered before this line, forbids (SIGSYS). Return: 0 or -1 (errno). */
static int print_line(const char *line)
{
	char buf[1100];
	int n = snprintf(buf, sizeof(buf), "%s\n", line);
	size_t off = 0;

	if (n < 0 || (size_t)n >= sizeof(buf)) {
		errno = EMSGSIZE;
		return -1;
	}
	while (off < (size_t)n) {
		ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* How often the supervisor looks at what the guest-address learner knows:
 * a change reaches the log and --address-file within this. */
#define GUEST_REPORT_MS 250

/* What log_msg() puts before a stats line, and its NUL: a longer line it
 * would cut into broken JSON. */
#define STATS_LOG_PREFIX sizeof("INFO  [stats] ")

/* What on_stats() is given. */
struct stats_ctx {
	/* The sample of the serving engine's line before (or of its start),
	 * for the line's rates, replaced by this one's; NULL while no engine
	 * runs: the counters alone. */
	struct stats_sample *last;
	struct guest_report *guest; /* with the learner on, else NULL */
};

/* A stats line; with the learner on, its "guest" object too. @arg: a
 * struct stats_ctx. */
static void on_stats(const struct engine_stats *s, void *arg)
{
	static struct stats_ctx none; /* the counters alone */
	struct stats_ctx *ctx = arg ? arg : &none;
	struct stats_sample now;
	char line[LOG_LINE_MAX];
	int n;

	if (ctx->last) {
		stats_sample_take(&now, s);
		n = stats_format_since(&now, ctx->last, line, sizeof(line));
		*ctx->last = now;
	} else {
		n = engine_format_stats(s, line, sizeof(line));
	}
	if (n <= 0)
		return;
	/* Only where log_msg() keeps it whole after "INFO  [stats] ". */
	if (ctx->guest)
		guest_report_add_to_object(ctx->guest, line,
					   sizeof(line) - STATS_LOG_PREFIX,
					   (size_t)n);
	log_info("[stats] %s", line);
}

/* Everything main() sets up once and every client session uses. */
struct helper {
	struct options o;
	struct engine_config cfg;
	struct host_info info;
	struct endpoint *host;
	bool stream; /* --stream: frames after a 4-byte length */
	struct vm_socket sock;
	struct peer_watch *fd_watch; /* --fd: the VM's end, or NULL */
	/* --host-fd: the other end of the host side, or NULL */
	struct peer_watch *host_watch;
	int pid_fd; /* --pid: readable once it exits, or -1 */
	char pid_why[64];
	struct pidfile pidfile;	   /* --pidfile, or file.fd -1 */
	struct guest_report guest; /* with the learner on */
	struct expose expose;	   /* --expose, or e.x NULL */
	struct guard *guard;	   /* with a guard rule set, else NULL */
	struct engine_stats total; /* over every client served */
	bool workers_said;	   /* the first engine logged its workers */
	char why[OPTIONS_ERR_MAX + 64]; /* why it stopped, for the last line */
};

/* The guest report for the stats line, or NULL with the learner off. */
static struct guest_report *helper_guest(struct helper *h)
{
	return h->o.learn_addresses ? &h->guest : NULL;
}

/* --expose towards the address the learner found, unless --guest-ip
 * named it (run() set it then, once and for good). */
static void expose_follow_guest(struct helper *h, in_addr_t ipv4)
{
	if (!h->o.guard.ipv4_n)
		expose_set_guest_ipv4(&h->expose, ipv4);
}

/* Each GUEST_REPORT_MS on the supervisor: report what the learner knows,
 * and point --expose's rules at the guest's address when it changes. */
static void on_tick(void *arg)
{
	struct helper *h = arg;

	guest_report_tick(&h->guest);
	expose_follow_guest(h, h->guest.last.ipv4);
}

/* Once, for the first client: what --workers came to (engine.h). */
static void log_workers(const struct helper *h, unsigned n)
{
	if (n == 2)
		log_info("[main] two worker threads: one on the host "
			 "interface, one on the VM's socket");
	else if (h->o.workers == 1)
		log_info("[main] one worker thread serves the host interface "
			 "and the VM's socket (--workers 1)");
	else
		log_info("[main] one worker thread serves the host interface "
			 "and the VM's socket: the helper may run on one CPU "
			 "only, or the machine has two or fewer (--workers 2 "
			 "runs two)");
}

static int peer_alive(void *arg)
{
	return peer_watch_check(arg);
}

/* The counters of the whole run so far: every client served, and the
 * datagrams the --socket accept path took itself, which belong to the
 * VM-to-host direction like those the engine read. */
static void helper_totals(const struct helper *h, struct engine_stats *s)
{
	const struct vm_socket *sock = &h->sock;

	*s = h->total;
	s->vm_to_host.read_packets +=
	    sock->accept_drops.vfkt + sock->accept_drops.unanswerable;
	s->vm_to_host.drop_vfkt += sock->accept_drops.vfkt;
	s->vm_to_host.drop_unanswerable += sock->accept_drops.unanswerable;
}

/* Wait for the VM's first datagram on a --socket; a stop signal and the
 * --pid process exiting end the wait, SIGUSR1 prints the counters.
 * Return: 0 a client sent, 1 stopped (h->why says why), <0 error (@err
 * says it). */
static int wait_for_client(struct helper *h, char *err, size_t errlen)
{
	enum {
		TAG_WAKE,
		TAG_PID,
		TAG_SOCKET,
		TAG_HOST_CHECK,
		TAG_SIGNAL_BASE = 64
	};
	struct vm_socket *s = &h->sock;
	struct stats_ctx ctx = {.guest = helper_guest(h)};
	struct poller *p;
	int r = poller_create(&p, TAG_WAKE);

	if (!r)
		r = signals_watch(p, TAG_SIGNAL_BASE);
	if (!r && h->pid_fd >= 0)
		r = poller_add_fd(p, h->pid_fd, POLLER_IN, TAG_PID);
	if (!r)
		r = poller_add_fd(p, s->fd, POLLER_IN, TAG_SOCKET);
	/* The other end of --host-fd may go while no client is there. */
	if (!r && h->host_watch)
		r = poller_add_timer(p, TAG_HOST_CHECK, VM_CHECK_MS);
	if (r) {
		snprintf(err, errlen, "cannot wait for a client: %s",
			 strerror(-r));
		poller_destroy(p);
		return r;
	}
	log_info("[main] waiting for client on \"%s\"", s->path);
	/* The socket may already hold a datagram: try before waiting. */
	r = vm_socket_try_accept(s, err, errlen);
	while (r == 1) {
		struct poller_event ev[4];
		int n = poller_wait(p, ev, 4, -1);

		if (n < 0) {
			r = n;
			snprintf(err, errlen, "waiting for a client: %s",
				 strerror(-n));
			break;
		}
		for (int i = 0; i < n && r == 1; i++) {
			int signo = 0;
			enum signal_action act = signals_classify(
			    ev[i].tag, TAG_SIGNAL_BASE, &signo);

			if (act == SIGNAL_STATS) {
				struct engine_stats total;

				helper_totals(h, &total);
				on_stats(&total, &ctx);
				continue;
			}
			if (act == SIGNAL_STOP)
				snprintf(h->why, sizeof(h->why),
					 "stopped by %s while waiting for a "
					 "client",
					 signal_name(signo));
			else if (ev[i].tag == TAG_PID)
				snprintf(h->why, sizeof(h->why),
					 "%s while waiting for a client",
					 h->pid_why);
			else if (ev[i].tag == TAG_HOST_CHECK &&
				 peer_watch_check(h->host_watch) == 0)
				snprintf(h->why, sizeof(h->why),
					 "the other end of the host socket "
					 "closed while waiting for a client");
			else
				continue;
			r = 2;
		}
		if (r == 1)
			r = vm_socket_try_accept(s, err, errlen);
	}
	poller_destroy(p);
	if (r == 0 && s->stream)
		log_info("[main] serving a stream client; others are refused "
			 "until it leaves");
	else if (r == 0)
		log_info("[main] serving client \"%.*s\"",
			 (int)(s->client_len -
			       offsetof(struct sockaddr_un, sun_path)),
			 s->client.sun_path);
	return r == 2 ? 1 : r;
}

static int exit_status(const struct helper *h, enum engine_exit verdict)
{
	switch (verdict) {
	case ENGINE_EXIT_SIGNAL:
	case ENGINE_EXIT_STOPPED:
	case ENGINE_EXIT_VM_GONE:
	case ENGINE_EXIT_WATCHED:
		return 0; /* as vmnet-helper: a normal end of the VM's life */
	case ENGINE_EXIT_HOST_GONE:
		/* --host-fd: the other VM (or its helper) went away, the
		 * same normal end seen from this side of the cable; a TAP
		 * deleted under the helper is an error. */
		return h->o.host_fd >= 0 ? 0 : 1;
	default:
		return 1;
	}
}

/* Serve one VM socket until something ends it. @vm_fd is owned from here.
 * @client: for a --socket datagram socket, whom to accept frames from,
 * else NULL. @watch: the VM's end to poll, or NULL. h->why says why it
 * ended. */
static enum engine_exit serve(struct helper *h, int vm_fd,
			      const struct sockaddr_un *client,
			      socklen_t client_len, struct peer_watch *watch)
{
	struct endpoint *vm = NULL;
	struct engine *engine = NULL;
	struct engine_config cfg = h->cfg;
	struct engine_stats s;
	struct stats_sample last; /* on_stats()'s, from this engine's start */
	struct stats_ctx ctx = {.guest = helper_guest(h)};
	char err[OPTIONS_ERR_MAX];
	int r;

	if (h->stream)
		r = endpoint_stream_open(vm_fd, "vm socket",
					 h->info.max_packet_size, cfg.batch,
					 &vm);
	else if (client)
		r = endpoint_dgram_open_client(
		    vm_fd, "vm socket", h->info.max_packet_size, cfg.batch,
		    client, client_len, &vm);
	else
		r = endpoint_dgram_open(vm_fd, "vm socket",
					h->info.max_packet_size, cfg.batch,
					&vm);
	if (r) {
		close(vm_fd);
		snprintf(h->why, sizeof(h->why), "VM socket: %s", strerror(-r));
		return ENGINE_EXIT_FAILED;
	}
	if (watch) {
		cfg.vm_alive = peer_alive;
		cfg.vm_alive_arg = watch;
		cfg.vm_check_ms = VM_CHECK_MS;
	}
	if (h->host_watch) {
		cfg.host_alive = peer_alive;
		cfg.host_alive_arg = h->host_watch;
		cfg.vm_check_ms = VM_CHECK_MS;
	}
	stats_sample_take(&last, NULL);
	ctx.last = &last;
	cfg.stats_arg = &ctx;
	if (engine_create(&cfg, h->host, vm, &engine, err, sizeof(err))) {
		endpoint_close(vm);
		snprintf(h->why, sizeof(h->why), "%s", err);
		return ENGINE_EXIT_FAILED;
	}
	if (!h->workers_said) {
		log_workers(h, engine_workers(engine));
		h->workers_said = true;
	}
	enum engine_exit verdict = engine_run(engine);
	snprintf(h->why, sizeof(h->why), "%s", engine_exit_message(engine));
	/* What the last moments taught, before it is forgotten. */
	if (cfg.on_tick)
		cfg.on_tick(cfg.tick_arg);
	engine_get_stats(engine, &s);
	engine_stats_add(&h->total, &s);
	/* The VM endpoint first: the host's stays open for the next
	 * client. */
	endpoint_close(vm);
	engine_destroy(engine);
	return verdict;
}

/* --socket: serve one client after another until a signal, --pid or an
 * error ends it. Return: the exit status. */
static int serve_clients(struct helper *h)
{
	char err[OPTIONS_ERR_MAX];

	for (;;) {
		int r = wait_for_client(h, err, sizeof(err));
		if (r == 1)
			return 0;
		if (r < 0) {
			snprintf(h->why, sizeof(h->why), "%s", err);
			return 1;
		}

		enum engine_exit verdict;
		if (h->stream) {
			/* A stream ends with an end of file: no watch. */
			int fd = h->sock.conn_fd;

			h->sock.conn_fd = -1;
			verdict = serve(h, fd, NULL, 0, NULL);
		} else {
			struct peer_watch *watch = NULL;
			r = peer_watch_open(h->sock.fd, &watch);
			if (r)
				log_warn("[main] cannot watch the client's "
					 "socket (%s): a client that leaves is "
					 "noticed only when frames are sent to "
					 "it",
					 strerror(-r));
			int fd = dup(h->sock.fd); /* the endpoint's to close */
			verdict = fd < 0 ? ENGINE_EXIT_FAILED
					 : serve(h, fd, &h->sock.client,
						 h->sock.client_len, watch);
			if (fd < 0)
				snprintf(h->why, sizeof(h->why), "dup: %s",
					 strerror(errno));
			peer_watch_close(watch);
		}
		if (verdict != ENGINE_EXIT_VM_GONE)
			return exit_status(h, verdict);

		log_info("[main] client left: %s; waiting for the next one",
			 h->why);
		/* The next client may be another VM. */
		if (h->o.learn_addresses)
			guest_report_forget(&h->guest);
		/* Its address is no longer the guest's. */
		expose_follow_guest(h, 0);
		if (h->guard)
			guard_forget(h->guard);
		if (vm_socket_rebind(&h->sock, err, sizeof(err))) {
			snprintf(h->why, sizeof(h->why), "%s", err);
			return 1;
		}
	}
}

/* --host-fd: the same sizes and watch as a datagram --fd gets, before
 * anything starts (prepare() has checked the fd). Return: 0 or -1
 * (logged). */
static int prepare_host_fd(struct helper *h)
{
	const struct options *o = &h->o;
	int r;

	r = vm_socket_set_buffers(o->host_fd, o->host.enable_tso);
	if (r)
		log_warn("[main] cannot size the buffers of --host-fd %d: %s",
			 o->host_fd, strerror(-r));
	r = peer_watch_open(o->host_fd, &h->host_watch);
	if (r)
		log_warn("[main] cannot watch the other end of --host-fd %d "
			 "(%s): its closing is noticed only when frames are "
			 "sent to it",
			 o->host_fd, strerror(-r));
	else if (peer_watch_check(h->host_watch) == 0) {
		log_error("--host-fd %d: the other end of this socket is "
			  "already closed (or was never connected); pass one "
			  "end of a socketpair and keep the other open in the "
			  "other VM or helper",
			  o->host_fd);
		return -1;
	}
	return 0;
}

/* Checks, watches and locks that need the original privileges, or that
 * must fail before the host interface starts. Return: 0 or -1 (logged). */
static int prepare(struct helper *h, const struct privdrop_target *target)
{
	char err[OPTIONS_ERR_MAX];
	struct options *o = &h->o;
	int r;

	bool chown = geteuid() == 0 && target->drop;
	uid_t uid = chown ? target->uid : (uid_t)-1;
	gid_t gid = chown ? target->gid : (gid_t)-1;

	/* First, while the process has opened nothing of its own: a
	 * --host-fd that was not inherited open would otherwise be found
	 * as the pidfile, the lock file or a peer watch's socket made
	 * below. */
	if (o->host_fd >= 0 && vm_socket_check_fd("host-fd", o->host_fd, false,
						  err, sizeof(err))) {
		log_error("%s", err);
		return -1;
	}

	if (o->pidfile &&
	    pidfile_lock(&h->pidfile, o->pidfile, uid, gid, err, sizeof(err))) {
		log_error("%s", err);
		return -1;
	}
	/* Written after the drop, by the user the helper runs as then. */
	if (o->address_file && chown &&
	    !owned_file_dir_writable_by(o->address_file, uid, gid)) {
		log_error("--address-file '%s': uid %u, whom the helper runs "
			  "as once root is dropped, cannot create files in "
			  "its directory; choose one they can write",
			  o->address_file, (unsigned)uid);
		return -1;
	}
	if (o->learn_addresses) {
		if (guest_report_open(&h->guest, o->address_file, err,
				      sizeof(err))) {
			log_error("%s", err);
			return -1;
		}
		h->cfg.inspect_from_vm = guest_learn_from_vm(h->guest.learn);
		h->cfg.inspect_to_vm = guest_learn_to_vm(h->guest.learn);
		h->cfg.on_tick = on_tick;
		h->cfg.tick_arg = h;
		h->cfg.tick_ms = GUEST_REPORT_MS;
	}

	/* After the learner: the guard's inspector calls the learner's. */
	if (guard_config_active(&o->guard)) {
		r = guard_create(&o->guard, &h->guard);
		if (r) {
			log_error("[main] cannot build the guard's tables: %s",
				  strerror(-r));
			return -1;
		}
		h->cfg.filter_from_vm = guard_filter(h->guard);
		h->cfg.inspect_to_vm =
		    guard_to_vm(h->guard, h->cfg.inspect_to_vm);
	}

	if (o->socket_path) {
		if (vm_socket_lock(&h->sock, uid, gid, err, sizeof(err))) {
			log_error("%s", err);
			return -1;
		}
	}

	if (o->fd >= 0) {
		if (vm_socket_check_fd("fd", o->fd, h->stream, err,
				       sizeof(err))) {
			log_error("%s", err);
			return -1;
		}
		/* Our end only, and before the drop: with CAP_NET_ADMIN the
		 * sizes may pass the sysctl caps. vmnet-helper leaves an
		 * inherited fd as it is, which on Linux caps the frames in
		 * flight towards the VM at ~40 (dgram_io_size_buffers()). */
		r = vm_socket_set_buffers(o->fd, o->host.enable_tso);
		if (r)
			log_warn("[main] cannot size the buffers of --fd %d: "
				 "%s",
				 o->fd, strerror(-r));
		/* A stream reads an end of file when its peer closes;
		 * only a datagram socket needs the kernel asked. */
		r = h->stream ? 0 : peer_watch_open(o->fd, &h->fd_watch);
		if (r)
			log_warn("[main] cannot watch the VM's end of --fd "
				 "%d (%s): a VM that closes it is noticed "
				 "only when frames are sent to it; --pid "
				 "helps",
				 o->fd, strerror(-r));
		else if (h->fd_watch && peer_watch_check(h->fd_watch) == 0) {
			log_error("--fd %d: the other end of this socket is "
				  "already closed (or was never connected); "
				  "pass one end of a socketpair and keep the "
				  "other open in the VM",
				  o->fd);
			return -1;
		}
	}
	if (o->host_fd >= 0 && prepare_host_fd(h))
		return -1;
	if (o->pid) {
		r = proc_watch_open(o->pid, &h->pid_fd);
		if (r) {
			log_error("--pid %d: %s", (int)o->pid,
				  r == -ESRCH ? "no such process"
					      : strerror(-r));
			return -1;
		}
		snprintf(h->pid_why, sizeof(h->pid_why), "process %d exited",
			 (int)o->pid);
		h->cfg.exit_fd = h->pid_fd;
		h->cfg.exit_why = h->pid_why;
	}
	return 0;
}

static void configure_engine(struct helper *h)
{
	struct engine_config *cfg = &h->cfg;
	const struct options *o = &h->o;

	engine_config_defaults(cfg);
	/* As the parser settled and checked them (options_sizing.h). */
	cfg->batch = o->batch_size;
	cfg->ring_size = o->ring_size;
	cfg->host_cpu = o->host_cpu;
	cfg->socket_cpu = o->socket_cpu;
	cfg->workers = o->workers ? o->workers : ENGINE_WORKERS_AUTO;
	if (o->socket_path)
		cfg->socket_write_wait_us = SOCKET_WRITE_WAIT_US;
	cfg->handle_signals = true;
	cfg->stats_interval_s = (unsigned)o->stats_interval;
	cfg->on_stats = on_stats;
}

/* Plain --enforce-mac: the MAC the host side just reported (the JSON
 * line's); then say what the guard enforces. Return: 0 or -1 (h->why). */
static int guard_start(struct helper *h)
{
	uint8_t mac[6];
	char what[512];

	if (h->o.guard_mac_from_host) {
		if (!options_parse_mac(h->info.mac_address, mac)) {
			snprintf(h->why, sizeof(h->why),
				 "--enforce-mac: the host side reported no MAC "
				 "address for the VM ('%s'); pass "
				 "--enforce-mac=MAC or --enforce-mac=learn",
				 h->info.mac_address);
			return -1;
		}
		guard_set_mac(h->guard, mac);
	}
	guard_describe(h->guard, what, sizeof(what));
	log_info("[main] guard: %s", what);
	return 0;
}

/* The privilege drop, right after the host interface is up. Return: 0 or
 * -1 (logged). */
static int drop_privileges(const struct privdrop_target *target)
{
	char err[OPTIONS_ERR_MAX];

	if (geteuid() != 0) {
		log_debug("[main] not running as root: nothing to drop");
	} else if (!target->drop) {
		log_warn("[main] running as root: %s",
			 privdrop_keep_reason(target));
	} else if (privdrop_apply(target, err, sizeof(err))) {
		log_error("%s", err);
		return -1;
	} else {
		log_info("[main] dropped privileges to uid: %u gid: %u",
			 (unsigned)target->uid, (unsigned)target->gid);
	}
	return 0;
}

/* Host interface up, privileges dropped, socket bound, JSON printed, then
 * serve. Return: the exit status; h->why says why it ended. */
static int run(struct helper *h, const struct privdrop_target *target)
{
	char err[OPTIONS_ERR_MAX];
	char what[SANDBOX_MSG_MAX];
	char line[1024];
	int r;

	struct endpoint *host = NULL;

	/* --expose forks its keeper here: before any thread exists (the
	 * host interface's) and while the helper may still grant it
	 * CAP_NET_ADMIN (host.h). */
	if (expose_open(&h->expose, &h->o.host, target->uid, target->gid,
			geteuid() == 0 && target->drop, err, sizeof(err))) {
		snprintf(h->why, sizeof(h->why), "%s", err);
		return 1;
	}
	if (h->o.host_fd >= 0)
		r = host_fd_open(&h->o.host, h->o.host_fd, &host, &h->info, err,
				 sizeof(err));
	else
		r = host_open(&h->o.host, &host, &h->info, err, sizeof(err));
	if (r) {
		snprintf(h->why, sizeof(h->why), "%s", err);
		/* A stop signal during a start that waits (macOS) is a stop
		 * like any other: status 0, as the man page says. */
		return r == -EINTR && signals_stop_pending() ? 0 : 1;
	}
	h->host = host;
	if (h->o.host_fd >= 0)
		log_info("[main] host side: --host-fd %d, a unix datagram "
			 "socket: mtu %u, max frame %u",
			 h->o.host_fd, h->info.mtu, h->info.max_packet_size);
	else
		log_info("[main] host interface %s started: mtu %u, max frame "
			 "%u",
			 host->name, h->info.mtu, h->info.max_packet_size);
	/* With --guest-ip the rules go in now, before the JSON line, and
	 * a refusal ends the start. */
	in_addr_t guest_ip = 0;
	if (h->o.guard.ipv4_n)
		memcpy(&guest_ip, h->o.guard.ipv4[0], sizeof(guest_ip));
	if (expose_attach(&h->expose, host, guest_ip) < 0) {
		snprintf(h->why, sizeof(h->why),
			 "--expose: cannot forward to --guest-ip");
		return 1;
	}
	if (h->guard && guard_start(h) < 0)
		return 1;
	/* Here, between the start and the drop: emptying the bounding set
	 * takes CAP_SETPCAP, which the drop's setresuid() away from uid 0
	 * clears, and it leaves the effective set alone, so the drop keeps
	 * CAP_SETUID and CAP_SETGID (sandbox.h). */
	r = sandbox_before_privdrop(err, sizeof(err));
	if (r < 0) {
		snprintf(h->why, sizeof(h->why), "%s", err);
		return 1;
	}
	if (drop_privileges(target)) {
		snprintf(h->why, sizeof(h->why), "cannot drop privileges");
		return 1;
	}
	/* From here on the helper only serves: confine it before the first
	 * frame from the VM is read. */
	if (sandbox_enter(!h->o.no_sandbox,
			  (h->stream ? SANDBOX_STREAM : 0) |
			      (h->o.address_file ? SANDBOX_NEW_FILES : 0),
			  what, sizeof(what), err, sizeof(err))) {
		snprintf(h->why, sizeof(h->why), "%s", err);
		return 1;
	}
	log_info("[main] sandbox: %s%s", what,
		 r == 0 ? "; capability bounding set empty" : "");
	if (h->o.socket_path) {
		if (vm_socket_bind(&h->sock, h->o.host.enable_tso, err,
				   sizeof(err))) {
			snprintf(h->why, sizeof(h->why), "%s", err);
			return 1;
		}
	} else {
		log_info("[main] using fd %d", h->o.fd);
	}

	/* Printed only now: the VM can send the moment a tool reads it. */
	if (host_json_line(&h->info, line, sizeof(line)) < 0) {
		snprintf(h->why, sizeof(h->why),
			 "the interface parameters do not fit the JSON line");
		return 1;
	}
	if (print_line(line) < 0) {
		snprintf(h->why, sizeof(h->why),
			 "cannot write the JSON line to standard output: %s",
			 strerror(errno));
		return 1;
	}
	/* Ready: the pid goes in now, so a tool that waits for it knows. */
	if (h->o.pidfile &&
	    pidfile_write(&h->pidfile, getpid(), err, sizeof(err))) {
		snprintf(h->why, sizeof(h->why), "%s", err);
		return 1;
	}

	if (h->o.socket_path)
		return serve_clients(h);
	enum engine_exit verdict = serve(h, h->o.fd, NULL, 0, h->fd_watch);
	return exit_status(h, verdict);
}

int main(int argc, char **argv)
{
	static struct helper h = {.pid_fd = -1,
				  .pidfile = {.file = {.fd = -1}},
				  .guest = {.file = {.fd = -1}}};
	char err[OPTIONS_ERR_MAX];
	struct utsname un;

	if (options_parse(&h.o, argc, argv, options_build_platform(), err,
			  sizeof(err))) {
		log_error("%s", err);
		return 1;
	}
	switch (h.o.action) {
	case OPTIONS_HELP:
		options_usage(stdout, "vmnet-helper", options_build_platform());
		return 0;
	case OPTIONS_VERSION:
		version_print();
		return 0;
	case OPTIONS_LIST_SHARED_INTERFACES:
		if (host_list_shared_interfaces(stdout, err, sizeof(err))) {
			log_error("%s", err);
			return 1;
		}
		return 0;
	case OPTIONS_RUN:
		break;
	}
	log_set_debug(h.o.verbose);
	if (h.o.warn_interface_id_ignored)
		log_warn("[main] --interface-id is ignored on a network "
			 "(--network, or one of the helper's own): vmnet "
			 "assigns the MAC");

	/* Before any thread exists (vmnet's dispatch queues, the engine's
	 * workers), so only our pollers ever see them (signals.h). */
	int r = signals_take();
	if (r) {
		log_error("[main] cannot take the signals: %s", strerror(-r));
		return 1;
	}

	uname(&un);
	log_info("[main] running vmnet-helper %s on %s %s",
		 VMNET_HELPER_VERSION, un.sysname, un.release);
	log_info("[main] running as uid: %u gid: %u", (unsigned)getuid(),
		 (unsigned)getgid());

	/* Everything that can be checked is checked before the host
	 * interface starts, so a bad input never leaves one half-started. */
	struct privdrop_target target;
	configure_engine(&h);
	h.stream = h.o.socket_stream;
	h.sock = (struct vm_socket){.path = h.o.socket_path,
				    .stream = h.stream,
				    .fd = -1,
				    .lock = {.fd = -1},
				    .conn_fd = -1};
	if (privdrop_resolve(h.o.user, h.o.group, getenv("SUDO_UID"),
			     getenv("SUDO_GID"), getuid(), getgid(), &target,
			     err, sizeof(err))) {
		log_error("%s", err);
		return 1;
	}
	if (prepare(&h, &target)) {
		vm_socket_close(&h.sock);
		guest_report_close(&h.guest);
		guard_destroy(h.guard);
		pidfile_remove(&h.pidfile);
		return 1;
	}

	int status = run(&h, &target);
	struct engine_stats total;
	helper_totals(&h, &total);
	char counters[LOG_LINE_MAX];
	if (engine_format_stats(&total, counters, sizeof(counters)) > 0)
		log_info("[main] final counters %s", counters);
	/* The rules first: on macOS they live on the interface. */
	expose_close(&h.expose);
	/* Closing vmnet ends its callbacks; every engine that could be
	 * woken by them is gone already. */
	endpoint_close(h.host);
	vm_socket_close(&h.sock);
	guest_report_close(&h.guest);
	guard_destroy(h.guard);
	pidfile_remove(&h.pidfile);
	peer_watch_close(h.fd_watch);
	peer_watch_close(h.host_watch);
	if (h.pid_fd >= 0)
		close(h.pid_fd);
	if (status == 0)
		log_info("[main] exiting with status 0: %s", h.why);
	else
		log_error("[main] exiting with status %d: %s", status, h.why);
	return status;
}
