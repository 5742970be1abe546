/* SPDX-License-Identifier: Apache-2.0 */
/* serve.c - vmnet-helper once started: run the engine for the VM's --fd,
 * or for each --socket client in turn, with its stats lines and the
 * guest-address reports, until the VM goes away or a signal comes. */
#include "cli/vmnet-helper/helper.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "endpoint_dgram.h"
#include "endpoint_stream.h"
#include "log.h"
#include "poller.h"
#include "proc_watch.h"
#include "signals.h"
#include "stats.h"

/* How often the supervisor asks whether the VM's end of the socket (and
 * the other end of --host-fd's) still exists: a closed datagram peer
 * raises no event on Linux (peer_watch.h). One sock_diag query costs a few
 * microseconds. */
#define VM_CHECK_MS 250

/* What log_msg() puts before a stats line, and its NUL: a longer line it
 * would cut into broken JSON. */
#define STATS_LOG_PREFIX sizeof("INFO  [stats] ")

/* What helper_on_stats() is given. */
struct stats_ctx {
	/* The sample of the serving engine's line before (or of its start),
	 * for the line's rates, replaced by this one's; NULL while no engine
	 * runs: the counters alone. */
	struct stats_sample *last;
	struct guest_report *guest; /* with the learner on, else NULL */
};

/* A stats line; with the learner on, its "guest" object too. @arg: a
 * struct stats_ctx. */
void helper_on_stats(const struct engine_stats *s, void *arg)
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

/* The guest report for the stats line, or NULL with the learner off. */
static struct guest_report *helper_guest(struct helper *h)
{
	return h->o.learn_addresses ? &h->guest : NULL;
}

/* Each GUEST_REPORT_MS on the supervisor: report what the learner knows,
 * and point --expose's rules at the guest's address when it changes. */
void helper_on_tick(void *arg)
{
	struct helper *h = arg;

	guest_report_tick(&h->guest);
	expose_follow_learned(&h->expose, h->guest.last.ipv4);
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
void helper_totals(const struct helper *h, struct engine_stats *s)
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
				helper_on_stats(&total, &ctx);
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
	struct stats_sample
	    last; /* helper_on_stats()'s, from this engine's start */
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
		expose_follow_learned(&h->expose, 0);
		if (h->guard)
			guard_forget(h->guard);
		if (vm_socket_rebind(&h->sock, err, sizeof(err))) {
			snprintf(h->why, sizeof(h->why), "%s", err);
			return 1;
		}
	}
}

int helper_serve(struct helper *h)
{
	if (h->o.socket_path)
		return serve_clients(h);
	enum engine_exit verdict = serve(h, h->o.fd, NULL, 0, h->fd_watch);
	return exit_status(h, verdict);
}
