/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet_broker.c - the vmnet-broker client: "acquire" a network by
 * name over XPC, with a bounded wait. */
#include "host_vmnet_broker.h"

#include <errno.h>
#include <stdint.h>

#include "errmsg.h"
#include "host_vmnet_waiter.h"
#include "signals.h"

/* Seconds to wait for vmnet-broker's reply to "acquire". */
#define BROKER_TIMEOUT_S 10
#define BROKER_SERVICE	 "com.github.nirs.vmnet-broker"

static const char *broker_error_text(int64_t code)
{
	switch (code) {
	case 3:
		return "you are not allowed to use it";
	case 4:
		return "the broker refused the request as invalid";
	case 5:
		return "no such network; see /etc/vmnet-broker.d/";
	case 6:
		return "the broker could not create it";
	default:
		return "the broker failed (internal error)";
	}
}

int host_vmnet_broker_acquire(struct host_vmnet *h, const char *name,
			      xpc_object_t *serialp, char *err, size_t errlen)
{
	struct host_vmnet_waiter *w;
	xpc_object_t req, reply, net;
	int r = 0;

	h->broker = xpc_connection_create_mach_service(BROKER_SERVICE, NULL, 0);
	if (!h->broker)
		return errmsg_fail(err, errlen, -ENOMEM, "out of memory");
	/* Required before resume; failures also arrive as the reply. */
	xpc_connection_set_event_handler(h->broker, ^(xpc_object_t ev) {
	  (void)ev;
	});
	xpc_connection_resume(h->broker);
	w = host_vmnet_waiter_new();
	req = xpc_dictionary_create(NULL, NULL, 0);
	if (!w || !req) {
		if (w)
			host_vmnet_waiter_cancel(w);
		if (req)
			xpc_release(req);
		return errmsg_fail(err, errlen, -ENOMEM, "out of memory");
	}
	xpc_dictionary_set_string(req, "command", "acquire");
	xpc_dictionary_set_string(req, "network_name", name);
	/* XPC calls the reply handler exactly once, reply or error. */
	xpc_connection_send_message_with_reply(
	    h->broker, req, h->queue, ^(xpc_object_t rep) {
	      host_vmnet_waiter_done(w, VMNET_SUCCESS, rep);
	    });
	xpc_release(req);
	int waited = host_vmnet_waiter_wait_or_stop(w, BROKER_TIMEOUT_S);
	if (waited < 0) {
		const char *sig = signal_name(-waited);

		r = errmsg_fail(err, errlen, -EINTR,
				"stopped by %s while waiting for "
				"vmnet-broker",
				sig ? sig : "a stop signal");
		goto out;
	}
	if (waited == 0) {
		r = errmsg_fail(
		    err, errlen, -ETIMEDOUT,
		    "vmnet-broker did not answer within %d s; check that "
		    "it is running (launchctl print system/%s)",
		    BROKER_TIMEOUT_S, BROKER_SERVICE);
		goto out;
	}
	reply = w->obj;
	if (!reply || xpc_get_type(reply) != XPC_TYPE_DICTIONARY) {
		r = errmsg_fail(
		    err, errlen, -ECONNREFUSED,
		    "cannot reach vmnet-broker (%s): is it installed and "
		    "running?",
		    BROKER_SERVICE);
		goto out;
	}
	net = xpc_dictionary_get_value(reply, "network");
	if (!net) {
		int64_t code = xpc_dictionary_get_int64(reply, "error");

		r = errmsg_fail(err, errlen,
				code == 3   ? -EACCES
				: code == 5 ? -ENOENT
					    : -EIO,
				"vmnet-broker cannot give network '%s': %s",
				name, broker_error_text(code));
		goto out;
	}
	*serialp = xpc_retain(net);
out:
	host_vmnet_waiter_put(w);
	return r;
}
