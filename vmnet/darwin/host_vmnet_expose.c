/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet_expose.c - --expose on macOS: vmnet's port-forwarding rules
 * on the shared-mode interface, added once the guest's address is known
 * and removed before the interface stops.
 *
 * vmnet_interface_add_ip_port_forwarding_rule() and _remove_() (vmnet.h,
 * API_AVAILABLE(macos(11.0))) forward an external port of the host to an
 * internal address and port behind vmnet's NAT; they take no external
 * address, hence the parser's refusal of HOSTADDR on macOS. Both answer
 * through a completion handler: the caller, the supervisor's thread or
 * main's, waits for it with a timeout (host_vmnet_waiter.h), never on the
 * interface's queue, which runs the handler. */
#include <errno.h>
#include <stdlib.h>

#include "errmsg.h"
#include "expose_plan.h"
#include "host.h"
#include "host_vmnet.h"
#include "host_vmnet_status.h"
#include "host_vmnet_waiter.h"
#include "log.h"

/* Seconds to wait for vmnet to confirm one rule. */
#define RULE_TIMEOUT_S 5

struct host_expose {
	const struct host_config *cfg;
	struct host_vmnet *h; /* the interface with our rules, or NULL */
};

int host_expose_open(const struct host_config *cfg, uid_t uid, gid_t gid,
		     bool drop, struct host_expose **xp, char *err,
		     size_t errlen)
{
	struct host_expose *x = calloc(1, sizeof(*x));

	(void)uid;
	(void)gid;
	(void)drop;
	*xp = x;
	if (!x)
		return errmsg_fail(err, errlen, -ENOMEM,
				   "--expose: out of memory");
	x->cfg = cfg;
	return 0;
}

/* Wait for one call's answer. Return: its status, VMNET_FAILURE when it
 * did not come in time. */
static vmnet_return_t answer(struct host_vmnet_waiter *w, vmnet_return_t st)
{
	if (st != VMNET_SUCCESS) {
		/* Not scheduled: the block will never let go. */
		host_vmnet_waiter_cancel(w);
		return st;
	}
	if (!host_vmnet_waiter_wait(w, RULE_TIMEOUT_S)) {
		host_vmnet_waiter_put(w);
		return VMNET_FAILURE;
	}
	st = w->status;
	host_vmnet_waiter_put(w);
	return st;
}

static vmnet_return_t add_rule(struct host_vmnet *h,
			       const struct expose_forward *f)
{
	struct host_vmnet_waiter *w = host_vmnet_waiter_new();

	if (!w)
		return VMNET_MEM_FAILURE;
	return answer(w, vmnet_interface_add_ip_port_forwarding_rule(
			     h->iface, f->protocol, f->external_port, AF_INET,
			     &f->internal_address, f->internal_port,
			     ^(vmnet_return_t s) {
			       host_vmnet_waiter_done(w, s, NULL);
			     }));
}

static vmnet_return_t remove_rule(struct host_vmnet *h,
				  const struct expose_forward *f)
{
	struct host_vmnet_waiter *w = host_vmnet_waiter_new();

	if (!w)
		return VMNET_MEM_FAILURE;
	return answer(w, vmnet_interface_remove_ip_port_forwarding_rule(
			     h->iface, f->protocol, f->external_port, AF_INET,
			     ^(vmnet_return_t s) {
			       host_vmnet_waiter_done(w, s, NULL);
			     }));
}

void host_vmnet_expose_remove(struct host_vmnet *h)
{
	for (unsigned i = 0; i < h->forward_count; i++) {
		vmnet_return_t st = remove_rule(h, &h->forwards[i]);

		if (st != VMNET_SUCCESS)
			log_warn("[main] cannot remove vmnet's forwarding "
				 "rule for port %u: %s",
				 h->forwards[i].external_port,
				 host_vmnet_status_text(st));
	}
	h->forward_count = 0;
}

int host_expose_set_guest(struct host_expose *x, struct endpoint *host,
			  struct in_addr guest, char *err, size_t errlen)
{
	struct host_vmnet *h = (struct host_vmnet *)host;
	struct expose_forward f[HOST_EXPOSE_MAX];
	unsigned n;

	if (!h)
		return errmsg_fail(err, errlen, -ENODEV,
				   "--expose: no vmnet interface to forward "
				   "from yet");
	x->h = h;
	/* vmnet keys a rule by protocol and external port: the old
	 * address's go before the new ones can be added. */
	host_vmnet_expose_remove(h);
	if (guest.s_addr == INADDR_ANY)
		return 0;
	n = expose_plan_forwards(x->cfg, guest, f);
	for (unsigned i = 0; i < n; i++) {
		vmnet_return_t st = add_rule(h, &f[i]);
		char name[32];

		if (st == VMNET_SUCCESS) {
			h->forwards[h->forward_count++] = f[i];
			continue;
		}
		return errmsg_fail(
		    err, errlen, -EIO,
		    "--expose: vmnet refused to forward host "
		    "port %s (in use, or not permitted): %s",
		    expose_rule_name(&x->cfg->expose[i], name, sizeof(name)),
		    host_vmnet_status_text(st));
	}
	return 0;
}

void host_expose_close(struct host_expose *x)
{
	if (!x)
		return;
	if (x->h)
		host_vmnet_expose_remove(x->h);
	free(x);
}
