/* SPDX-License-Identifier: Apache-2.0 */
/* helper.h - what vmnet-helper's start (main.c) hands to its serving
 * (serve.c): the state set up once that every client session uses. */
#ifndef VMNET_HELPER_CLI_HELPER_H
#define VMNET_HELPER_CLI_HELPER_H

#include <stdbool.h>

#include "engine.h"
#include "expose.h"
#include "guard.h"
#include "guest_report.h"
#include "host.h"
#include "options.h"
#include "peer_watch.h"
#include "pidfile.h"
#include "vm_socket.h"

/* How often the supervisor looks at what the guest-address learner knows:
 * a change reaches the log and --address-file within this. */
#define GUEST_REPORT_MS 250

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

/**
 * helper_on_stats() - engine_config.on_stats: log a stats line, with the
 * learner's "guest" object when it is on
 * @s:		the counters
 * @arg:	a struct stats_ctx of serve.c's, or NULL for the counters alone
 */
void helper_on_stats(const struct engine_stats *s, void *arg);

/**
 * helper_on_tick() - engine_config.on_tick with the learner on: report
 * what it knows, and point --expose at the guest's address
 * @arg:	the struct helper
 */
void helper_on_tick(void *arg);

/**
 * helper_totals() - the counters of the whole run so far
 * @h:	helper
 * @s:	filled: every client served, and what the --socket accept path
 *	dropped itself
 */
void helper_totals(const struct helper *h, struct engine_stats *s);

/**
 * helper_serve() - serve the VM: the --fd socket until it goes, or each
 * --socket client in turn until a stop
 * @h:	helper, started: host interface up, privileges dropped, the JSON
 *	line printed
 *
 * Return: the exit status; h->why says why it ended.
 */
int helper_serve(struct helper *h);

#endif
