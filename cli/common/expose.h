/* SPDX-License-Identifier: Apache-2.0 */
/* expose.h - --expose for the helper: the host's port forwarding
 * (host_expose_*() in host.h) pointed at the guest's address whenever
 * whoever knows it says so, and each change logged. Runs on the thread
 * that starts the helper, then on the supervisor's. */
#ifndef VMNET_HELPER_EXPOSE_H
#define VMNET_HELPER_EXPOSE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "host.h"

struct expose {
	const struct host_config *cfg; /* cfg->expose: the rules */
	struct host_expose *x;	       /* NULL: no --expose */
	struct endpoint *host;	       /* the host interface, once open */
	in_addr_t guest; /* what the rules point at; 0: nothing yet */
	in_addr_t tried; /* the last address asked for, even if it failed */
	bool fixed; /* --guest-ip named the address: learning moves nothing */
};

/**
 * expose_open() - make ready to forward, before the host interface starts
 * @e:		filled; zeroed (e->x NULL) without --expose
 * @cfg:	the host configuration with the rules
 * @uid:	whom the helper runs as once privileges drop
 * @gid:	and their group
 * @drop:	whether it drops to them
 * @err:	one line naming the port and the reason (in use, not
 *		permitted)
 * @errlen:	room in @err
 *
 * Before any thread exists and before the privilege drop (host.h).
 *
 * Return: 0 or a negative errno.
 */
int expose_open(struct expose *e, const struct host_config *cfg, uid_t uid,
		gid_t gid, bool drop, char *err, size_t errlen);

/**
 * expose_attach() - the host interface is up: point the rules at @fixed,
 * or log that they wait for the guest's address
 * @e:		from expose_open()
 * @host:	the host endpoint
 * @fixed:	--guest-ip's IPv4 address (network order), or 0
 *
 * Return: 0, or -1 when the rules for @fixed were refused (logged).
 */
int expose_attach(struct expose *e, struct endpoint *host, in_addr_t fixed);

/**
 * expose_set_guest_ipv4() - point every rule at this guest address
 * @e:		from expose_open(); nothing happens without --expose
 * @ipv4:	the guest's IPv4 address, network order; 0: the guest left
 *		or is not known, the rules are removed until the next one
 *
 * Called by whoever knows the address (the learner's report each tick, a
 * configured address at start); the same address again does nothing.
 * Logs "[main] expose 8080/tcp -> 10.0.0.2:80" for each rule, or the
 * error naming the port.
 *
 * Return: 0, or -1 (logged) if the rules could not be set.
 */
int expose_set_guest_ipv4(struct expose *e, in_addr_t ipv4);

/**
 * expose_follow_learned() - what the learner says the guest's address is
 * now (0: none, e.g. the --socket client left); the rules follow it,
 * unless expose_attach() was given a fixed address
 * @e:		from expose_open()
 * @ipv4:	network order, or 0
 */
void expose_follow_learned(struct expose *e, in_addr_t ipv4);

/**
 * expose_close() - remove the rules; before the host interface closes
 * @e:	from expose_open(), or zeroed
 */
void expose_close(struct expose *e);

#endif
