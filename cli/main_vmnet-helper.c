/* SPDX-License-Identifier: Apache-2.0 */
/* main_vmnet-helper.c - vmnet-helper: start the host interface, drop
 * privileges, connect the VM's socket, print the JSON line, run the engine
 * until the VM goes away or a signal comes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "endpoint_dgram.h"
#include "engine.h"
#include "host.h"
#include "host_json.h"
#include "log.h"
#include "options.h"
#include "poller.h"
#include "privdrop.h"
#include "vm_socket.h"

#ifndef VMNET_HELPER_VERSION
#define VMNET_HELPER_VERSION "v1.0.0-dev"
#endif
#ifndef VMNET_HELPER_COMMIT
#define VMNET_HELPER_COMMIT "unknown"
#endif

/* TSO frames are 43 times larger: smaller batches and rings keep the
 * helper under 32 MiB (docs/engine.md). */
#define TSO_BATCH 16
#define TSO_RING  64

static void host_config_from(const struct options *o, struct host_config *c,
			     unsigned batch)
{
	memset(c, 0, sizeof(*c));
	c->interface_id_given = o->interface_id_given;
	memcpy(c->interface_id, o->interface_id, sizeof(c->interface_id));
	c->enable_tso = o->enable_tso;
	c->max_batch = batch;
	c->mode = o->operation_mode == OPTIONS_MODE_HOST ? HOST_MODE_HOST
		  : o->operation_mode == OPTIONS_MODE_BRIDGED
		      ? HOST_MODE_BRIDGED
		      : HOST_MODE_SHARED;
	c->shared_interface = o->shared_interface;
	c->addresses_given = o->start_address_given;
	c->start_address = o->start_address;
	c->end_address = o->end_address;
	c->subnet_mask = o->subnet_mask;
	c->enable_checksum_offload = o->enable_checksum_offload;
	c->enable_isolation = o->enable_isolation;
	c->network = o->network;
	c->tap = o->tap;
	c->bridge = o->bridge;
}

static void on_stats(const struct engine_stats *s, void *arg)
{
	char line[2048];

	(void)arg;
	if (engine_format_stats(s, line, sizeof(line)) > 0)
		log_info("[stats] %s", line);
}

/* Wait for the VM's first datagram on a --socket; SIGTERM or SIGINT end
 * the wait. Return: 0 connected, 1 stopped by a signal, <0 error. */
static int wait_for_client(struct vm_socket *s, char *err, size_t errlen)
{
	enum { TAG_WAKE, TAG_SIGNAL, TAG_SOCKET };
	struct poller *p;
	char client[128];
	int r = poller_create(&p, TAG_WAKE);

	if (!r)
		r = poller_add_signal(p, SIGTERM, TAG_SIGNAL);
	if (!r)
		r = poller_add_signal(p, SIGINT, TAG_SIGNAL);
	if (!r)
		r = poller_add_fd(p, s->fd, POLLER_IN, TAG_SOCKET);
	if (r) {
		snprintf(err, errlen, "cannot wait for a client: %s",
			 strerror(-r));
		poller_destroy(p);
		return r;
	}
	log_info("[main] waiting for client on \"%s\"", s->path);
	/* The socket may already hold a datagram: try before waiting. */
	r = vm_socket_try_accept(s, client, sizeof(client), err, errlen);
	while (r == 1) {
		struct poller_event ev[4];
		int n = poller_wait(p, ev, 4, -1);

		if (n < 0) {
			r = n;
			snprintf(err, errlen, "waiting for a client: %s",
				 strerror(-n));
			break;
		}
		for (int i = 0; i < n; i++)
			if (ev[i].tag == TAG_SIGNAL)
				r = 2;
		if (r == 2)
			break;
		r = vm_socket_try_accept(s, client, sizeof(client), err,
					 errlen);
	}
	poller_destroy(p);
	if (r == 0)
		log_info("[main] serving client \"%s\"", client);
	return r == 2 ? 1 : r;
}

static int exit_status(enum engine_exit verdict)
{
	switch (verdict) {
	case ENGINE_EXIT_SIGNAL:
	case ENGINE_EXIT_STOPPED:
	case ENGINE_EXIT_VM_GONE:
		return 0; /* as vmnet-helper: a normal end of the VM's life */
	default:
		return 1;
	}
}

int main(int argc, char **argv)
{
	char err[OPTIONS_ERR_MAX];
	struct options o;
	struct utsname un;
	sigset_t sigs;

	if (options_parse(&o, argc, argv, options_build_platform(), err,
			  sizeof(err))) {
		log_error("%s", err);
		return 1;
	}
	switch (o.action) {
	case OPTIONS_HELP:
		options_usage(stderr, "vmnet-helper", options_build_platform());
		return 0;
	case OPTIONS_VERSION:
		printf("version: %s\ncommit: %s\n", VMNET_HELPER_VERSION,
		       VMNET_HELPER_COMMIT);
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
	log_set_debug(o.verbose);
	if (o.warn_interface_id_ignored)
		log_warn("[main] --interface-id is ignored with --network: "
			 "vmnet assigns the MAC");
	if (o.pid) {
		log_error("--pid %d: not implemented yet; supervise the helper "
			  "with vmnet-run or send it SIGTERM",
			  (int)o.pid);
		return 1;
	}

	/* Blocked before any thread exists (vmnet's dispatch queues, the
	 * engine's workers), so only our pollers ever see them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	uname(&un);
	log_info("[main] running vmnet-helper %s on %s %s",
		 VMNET_HELPER_VERSION, un.sysname, un.release);
	log_info("[main] running as uid: %d gid: %d", (int)getuid(),
		 (int)getgid());

	/* Everything that can be checked is checked before the host
	 * interface starts, so a bad input never leaves one half-started. */
	if (o.fd >= 0 && vm_socket_check_fd(o.fd, err, sizeof(err))) {
		log_error("%s", err);
		return 1;
	}
	struct privdrop_target target;
	if (privdrop_resolve(o.user, o.group, getenv("SUDO_UID"),
			     getenv("SUDO_GID"), getuid(), getgid(), &target,
			     err, sizeof(err))) {
		log_error("%s", err);
		return 1;
	}

	struct engine_config cfg;
	engine_config_defaults(&cfg);
	if (o.enable_tso) {
		cfg.batch = TSO_BATCH;
		cfg.ring_size = TSO_RING;
	}
	if (o.batch_size)
		cfg.batch = o.batch_size;
	if (o.ring_size)
		cfg.ring_size = o.ring_size;
	cfg.host_cpu = o.host_cpu;
	cfg.socket_cpu = o.socket_cpu;
	cfg.handle_signals = true;
	cfg.stats_interval_s = (unsigned)o.stats_interval;
	cfg.on_stats = on_stats;

	struct host_config hc;
	struct host_info info;
	struct endpoint *host = NULL, *vm = NULL;
	struct engine *engine = NULL;
	struct vm_socket sock = {
	    .path = o.socket_path, .fd = -1, .lock_fd = -1};
	int status = 1;

	host_config_from(&o, &hc, cfg.batch);
	if (host_open(&hc, &host, &info, err, sizeof(err))) {
		log_error("%s", err);
		return 1;
	}
	log_info("[main] host interface %s started: mtu %u, max frame %u",
		 host->name, info.mtu, info.max_packet_size);

	if (geteuid() != 0) {
		log_debug("[main] not running as root: nothing to drop");
	} else if (!target.drop) {
		log_warn("[main] running as root: no SUDO_UID and no --user "
			 "to drop privileges to");
	} else if (privdrop_apply(&target, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	} else {
		log_info("[main] dropped privileges to uid: %d gid: %d",
			 (int)target.uid, (int)target.gid);
	}

	int vm_fd = o.fd;
	if (o.socket_path) {
		if (vm_socket_bind(&sock, o.enable_tso, err, sizeof(err))) {
			log_error("%s", err);
			goto out;
		}
	} else {
		log_info("[main] using fd %d", o.fd);
	}

	/* Printed only now: the VM can send the moment a tool reads it. */
	char line[1024];
	if (host_json_line(&info, line, sizeof(line)) < 0) {
		log_error("the interface parameters do not fit the JSON line");
		goto out;
	}
	printf("%s\n", line);
	fflush(stdout);

	if (o.socket_path) {
		int r = wait_for_client(&sock, err, sizeof(err));
		if (r == 1) {
			log_info("[main] stopped by a signal while waiting "
				 "for a client");
			status = 0;
			goto out;
		}
		if (r < 0) {
			log_error("%s", err);
			goto out;
		}
		vm_fd = sock.fd;
	}
	int r = endpoint_dgram_open(vm_fd, "vm socket", info.max_packet_size,
				    cfg.batch, &vm);
	if (r) {
		log_error("VM socket: %s", strerror(-r));
		goto out;
	}
	sock.fd = -1; /* the endpoint owns it now */

	if (engine_create(&cfg, host, vm, &engine, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	enum engine_exit verdict = engine_run(engine);
	struct engine_stats s;
	char counters[2048];
	engine_get_stats(engine, &s);
	if (engine_format_stats(&s, counters, sizeof(counters)) > 0)
		log_info("[main] final counters %s", counters);
	if (exit_status(verdict) == 0)
		log_info("[main] %s", engine_exit_message(engine));
	else
		log_error("[main] %s", engine_exit_message(engine));
	status = exit_status(verdict);
out:
	/* Endpoints first: closing vmnet ends its callbacks, which could
	 * otherwise wake a worker that engine_destroy() has freed. */
	endpoint_close(vm);
	endpoint_close(host);
	engine_destroy(engine);
	vm_socket_close(&sock);
	log_info("[main] exiting with status %d", status);
	return status;
}
