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
#include "privdrop.h"
#include "proc_watch.h"
#include "signals.h"
#include "version.h"
#include "vm_socket.h"

#include "cli/vmnet-helper/helper.h"
#include "cli/vmnet-helper/sandbox.h"

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
		h->cfg.on_tick = helper_on_tick;
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
	cfg->on_stats = helper_on_stats;
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

	return helper_serve(h);
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
