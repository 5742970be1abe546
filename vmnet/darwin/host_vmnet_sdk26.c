/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet_sdk26.c - the parts of the macOS host side that need the
 * macOS 26 SDK (vmnet_network_*), each with its answer for an older SDK. */
#include "host_vmnet_sdk26.h"

#include <errno.h>

#include "errmsg.h"
#include "host_vmnet_broker.h"
#include "host_vmnet_status.h"

/*
 * Join --network through vmnet-broker (macOS 26). Return: 0 with the start
 * block handed to vmnet (h->iface may still be NULL: vmnet then reports
 * why through the block), or a negative errno before anything was handed.
 */
int host_vmnet_start_on_network(struct host_vmnet *h, const char *name,
				xpc_object_t desc,
				vmnet_start_interface_completion_handler_t done,
				char *err, size_t errlen)
{
#if HOST_VMNET_SDK_26
	if (__builtin_available(macOS 26, *)) {
		xpc_object_t serial = NULL;
		vmnet_return_t st = VMNET_FAILURE;
		vmnet_network_ref net;
		int r =
		    host_vmnet_broker_acquire(h, name, &serial, err, errlen);

		if (r)
			return r;
		net = vmnet_network_create_with_serialization(serial, &st);
		xpc_release(serial);
		if (!net)
			return errmsg_fail(err, errlen,
					   st != VMNET_SUCCESS
					       ? host_vmnet_status_errno(st)
					       : -EIO,
					   "cannot join network '%s': %s", name,
					   host_vmnet_status_text(st));
		h->network = net;
		h->iface = vmnet_interface_start_with_network(net, desc,
							      h->queue, done);
		return 0;
	}
	(void)desc;
	(void)done;
	return errmsg_fail(err, errlen, -ENOTSUP,
			   "--network requires macOS 26 or later");
#else
	(void)h;
	(void)desc;
	(void)done;
	return errmsg_fail(
	    err, errlen, -ENOTSUP,
	    "--network '%s' needs a build with the macOS 26 SDK; "
	    "this one was built with an older SDK",
	    name);
#endif
}

void host_vmnet_network_release(void *network)
{
#if HOST_VMNET_SDK_26
	if (network)
		CFRelease((CFTypeRef)network);
#else
	(void)network;
#endif
}
