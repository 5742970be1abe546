/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet_network.c - vmnet's macOS 26 API, declared here and found at
 * run time: joining --network through vmnet-broker, and the max packets
 * keys. */
#include "host_vmnet_network.h"

#include <CoreFoundation/CoreFoundation.h>
#include <dlfcn.h>
#include <errno.h>

#include "errmsg.h"
#include "host_vmnet_broker.h"
#include "host_vmnet_status.h"
#include "vmnet_macos26.h"

/*
 * How it works
 *
 * The macOS 26 SDK declares vmnet_network_create_with_serialization(),
 * vmnet_interface_start_with_network() and the max packets keys; the 12.0
 * SDK the check is built with declares none, and a binary that linked them
 * directly would not start on macOS 15 or earlier. So they are declared
 * here under our own names, with the types of Apple's documentation, and
 * looked up with dlsym() once (vmnet.framework is linked, so its symbols
 * are loaded; the 26.0 SDK's vmnet.tbd exports all four): the same binary,
 * built with any SDK, joins --network on 26 and refuses it before
 * (vmnet_macos26_check_network()). Every line compiles and links against
 * the 12.0 SDK, so check-macos checks it.
 *
 * A vmnet_network_ref is an opaque CoreFoundation object (Apple: release it
 * with CFRelease), hence -framework CoreFoundation, which vmnet does not
 * re-export.
 */

/* vmnet_network_ref */
typedef void *network_ref;
typedef network_ref (*network_create_with_serialization_fn)(
    xpc_object_t serialization, vmnet_return_t *status);
typedef interface_ref (*interface_start_with_network_fn)(
    network_ref network, xpc_object_t interface_desc, dispatch_queue_t queue,
    vmnet_start_interface_completion_handler_t handler);

static void *lookup(void *arg, const char *name)
{
	(void)arg;
	return dlsym(RTLD_DEFAULT, name);
}

/* Looked up once; every caller then reads the same table. */
static const struct vmnet_macos26 *api(void)
{
	static struct vmnet_macos26 a;
	static dispatch_once_t once;

	dispatch_once(&once, ^{
	  vmnet_macos26_resolve(&a, lookup, NULL);
	});
	return &a;
}

int host_vmnet_start_on_network(struct host_vmnet *h, const char *name,
				xpc_object_t desc,
				vmnet_start_interface_completion_handler_t done,
				char *err, size_t errlen)
{
	const struct vmnet_macos26 *a = api();
	network_create_with_serialization_fn create;
	interface_start_with_network_fn start;
	xpc_object_t serial = NULL;
	vmnet_return_t st = VMNET_FAILURE;
	network_ref net;
	int r = vmnet_macos26_check_network(a, name, err, errlen);

	if (r)
		return r;
	create = (network_create_with_serialization_fn)
		     a->sym[VMNET_MACOS26_NETWORK_CREATE_WITH_SERIALIZATION];
	start = (interface_start_with_network_fn)
		    a->sym[VMNET_MACOS26_INTERFACE_START_WITH_NETWORK];
	r = host_vmnet_broker_acquire(h, name, &serial, err, errlen);
	if (r)
		return r;
	net = create(serial, &st);
	xpc_release(serial);
	if (!net)
		return errmsg_fail(
		    err, errlen,
		    st != VMNET_SUCCESS ? host_vmnet_status_errno(st) : -EIO,
		    "cannot join network '%s': %s", name,
		    host_vmnet_status_text(st));
	h->network = net;
	/* NULL is a refusal; the caller says so (host_vmnet_start.c). */
	h->iface = start(net, desc, h->queue, done);
	return 0;
}

void host_vmnet_network_release(void *network)
{
	if (network)
		CFRelease((CFTypeRef)network);
}

void host_vmnet_max_packets_keys(const char **rd, const char **wr)
{
	const struct vmnet_macos26 *a = api();
	/* dlsym() of a variable gives its address: the key's pointer. */
	const char *const *r = a->sym[VMNET_MACOS26_READ_MAX_PACKETS_KEY];
	const char *const *w = a->sym[VMNET_MACOS26_WRITE_MAX_PACKETS_KEY];

	*rd = r && *r ? *r : "vmnet_read_max_packets";
	*wr = w && *w ? *w : "vmnet_write_max_packets";
}
