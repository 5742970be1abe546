/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet.c - the host side on macOS: start a vmnet.framework interface
 * (or join a vmnet-broker network) and move frames through it as an
 * endpoint. */
#include "host.h"

#include "errmsg.h"
/*
 * How it works
 *
 * host_open() maps the config to vmnet's description (vmnet_desc.c),
 * copies it into an XPC dictionary and starts the interface on a private
 * serial dispatch queue. vmnet answers on that queue; we wait for the
 * answer on a semaphore, never longer than START_TIMEOUT_S, then read the
 * interface parameters (MAC, MTU, max packet size, ...) into host_info.
 *
 * The endpoint has no fd. set_notify() registers vmnet's "packets
 * available" event on the same queue, and the event block only calls the
 * engine's notify function: frames are read and written by the engine's
 * worker thread with vmnet_read()/vmnet_write(), never on the queue. So
 * the queue never blocks, and vmnet_stop_interface(), whose completion
 * also runs there, is never stuck behind a slow reader.
 *
 * Every wait for vmnet (start, stop, the broker's reply) has a timeout.
 * The completion block may then still run later, so the state it writes
 * lives in a small reference-counted struct waiter that whichever side
 * finishes last frees.
 */

#include <Availability.h>
#include <dispatch/dispatch.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <uuid/uuid.h>
#include <vmnet/vmnet.h>
#include <xpc/xpc.h>

#include "log.h"
#include "vmnet_desc.h"

/* The macOS 26 SDK declares vmnet_network_* (for --network) and the
 * read/write max packets keys; older SDKs, such as the 12.0 SDK we check
 * with, declare neither, so that code is compiled only with a newer SDK
 * and run only on macOS 26 (__builtin_available). */
#if __MAC_OS_X_VERSION_MAX_ALLOWED >= 260000
#define HOST_VMNET_SDK_26 1
#include <CoreFoundation/CoreFoundation.h>
#else
#define HOST_VMNET_SDK_26 0
#endif

_Static_assert(VMNET_DESC_MODE_HOST == VMNET_HOST_MODE, "vmnet host mode");
_Static_assert(VMNET_DESC_MODE_SHARED == VMNET_SHARED_MODE,
	       "vmnet shared mode");
_Static_assert(VMNET_DESC_MODE_BRIDGED == VMNET_BRIDGED_MODE,
	       "vmnet bridged mode");

/* Seconds to wait for vmnet to start an interface; it usually takes well
 * under one, but the first start after boot can take several. */
#define START_TIMEOUT_S 30
/* Seconds to wait for vmnet to confirm a stop (see stop_interface()). */
#define STOP_TIMEOUT_S 5
/* Seconds to wait for vmnet-broker's reply to "acquire". */
#define BROKER_TIMEOUT_S 10
#define BROKER_SERVICE	 "com.github.nirs.vmnet-broker"

struct host_vmnet {
	struct endpoint ep; /* first: the engine sees only this */
	interface_ref iface;
	dispatch_queue_t queue; /* serial: vmnet's events and completions */
	struct vmpktdesc *descs;
	struct iovec *iovs;
	unsigned max_batch;	      /* room in descs and iovs */
	unsigned read_max, write_max; /* packets per vmnet call */
	xpc_connection_t broker;      /* --network: held open, else NULL */
	void *network;		      /* --network: vmnet_network_ref */
};

/* Each vmnet status: the errno we return for it and what it means. */
static const struct {
	vmnet_return_t status;
	int err;
	const char *text;
} statuses[] = {
    {VMNET_SUCCESS, 0, "success"},
    {VMNET_FAILURE, -EPERM,
     "vmnet failed: are you root or does the binary have the "
     "com.apple.security.virtualization entitlement?"},
    {VMNET_MEM_FAILURE, -ENOMEM, "vmnet is out of memory"},
    {VMNET_INVALID_ARGUMENT, -EINVAL,
     "vmnet rejected an argument (invalid argument); run with -v to see "
     "the interface description sent"},
    {VMNET_SETUP_INCOMPLETE, -EIO, "the vmnet interface setup is not complete"},
    {VMNET_INVALID_ACCESS, -EACCES, "permission denied: run with sudo"},
    {VMNET_PACKET_TOO_BIG, -EMSGSIZE,
     "packet larger than the interface's max packet size"},
    {VMNET_BUFFER_EXHAUSTED, -ENOBUFS, "vmnet's buffers are exhausted"},
    {VMNET_TOO_MANY_PACKETS, -EIO, "too many packets for one vmnet call"},
    {VMNET_SHARING_SERVICE_BUSY, -EBUSY,
     "a conflicting sharing service is in use (e.g. Internet Sharing); "
     "stop it and try again"},
};

static const char *status_text(vmnet_return_t s)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].status == s)
			return statuses[i].text;
	return "unknown vmnet status";
}

/* Return: 0 for VMNET_SUCCESS, else a negative errno (-EIO if unknown). */
static int status_errno(vmnet_return_t s)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].status == s)
			return statuses[i].err;
	return -EIO;
}

/*
 * One asynchronous call waited for with a timeout. The waiting side and
 * the completion block hold one reference each; after a timeout the block
 * may still run, so the last one to let go frees it.
 */
struct waiter {
	atomic_int refs;
	dispatch_semaphore_t sem;
	vmnet_return_t status;
	xpc_object_t obj; /* retained: interface params or broker reply */
};

static struct waiter *waiter_new(void)
{
	struct waiter *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->sem = dispatch_semaphore_create(0);
	if (!w->sem) {
		free(w);
		return NULL;
	}
	w->status = VMNET_FAILURE;
	atomic_init(&w->refs, 2);
	return w;
}

static void waiter_put(struct waiter *w)
{
	/* acq_rel: the last side to let go sees everything the other side
	 * stored (status, obj) before its own put. */
	if (atomic_fetch_sub_explicit(&w->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (w->obj)
		xpc_release(w->obj);
	dispatch_release(w->sem);
	free(w);
}

/* The completion block's side: record, wake the waiter, let go. The
 * semaphore orders these stores before the waiter's reads. */
static void waiter_done(struct waiter *w, vmnet_return_t status,
			xpc_object_t obj)
{
	w->status = status;
	w->obj = obj ? xpc_retain(obj) : NULL;
	dispatch_semaphore_signal(w->sem);
	waiter_put(w);
}

/* Return: true if the block ran within @seconds (0: do not wait). */
static bool waiter_wait(struct waiter *w, unsigned seconds)
{
	dispatch_time_t t = dispatch_time(
	    DISPATCH_TIME_NOW, (int64_t)seconds * (int64_t)NSEC_PER_SEC);

	return dispatch_semaphore_wait(w->sem, t) == 0;
}

/*
 * Stop @iface, waiting at most @seconds for vmnet to confirm. Stopping
 * must never hang: it runs on the way out (after SIGTERM or a failure),
 * and a helper stuck there keeps its caller (vmnet-run, minikube, launchd)
 * waiting for an exit that never comes; vmnet-helper hit exactly this when
 * a blocked queue held up vmnet_stop_interface(). If vmnet does not answer
 * in time we go on: the interface goes away with the process anyway.
 * Once the completion has run, every block queued before it on @q has run.
 */
static void stop_interface(interface_ref iface, dispatch_queue_t q,
			   unsigned seconds)
{
	struct waiter *w = waiter_new();
	vmnet_return_t st;

	if (!w) {
		(void)vmnet_stop_interface(iface, q, ^(vmnet_return_t s) {
		  (void)s;
		});
		log_warn("stopping the vmnet interface without waiting: out "
			 "of memory");
		return;
	}
	st = vmnet_stop_interface(iface, q, ^(vmnet_return_t s) {
	  waiter_done(w, s, NULL);
	});
	if (st != VMNET_SUCCESS) {
		/* Not scheduled, so the block will never let go: do it. */
		waiter_put(w);
		waiter_put(w);
		log_warn("cannot stop the vmnet interface: %s",
			 status_text(st));
		return;
	}
	if (!waiter_wait(w, seconds)) {
		if (seconds > 0)
			log_warn("vmnet did not confirm the interface stopped "
				 "within %u s; going on without it",
				 seconds);
	} else if (w->status != VMNET_SUCCESS) {
		log_warn("stopping the vmnet interface: %s",
			 status_text(w->status));
	} else {
		log_debug("stopped the vmnet interface");
	}
	waiter_put(w);
}

/* Wait, at most @seconds, until every block already on @q has run. */
static void drain_queue(dispatch_queue_t q, unsigned seconds)
{
	struct waiter *w = waiter_new();

	if (!w)
		return;
	dispatch_async(q, ^{
	  waiter_done(w, VMNET_SUCCESS, NULL);
	});
	if (!waiter_wait(w, seconds))
		log_warn("the vmnet queue did not drain within %u s", seconds);
	waiter_put(w);
}

static const char *vmnet_key(enum vmnet_desc_key key)
{
	switch (key) {
	case VMNET_DESC_KEY_INTERFACE_ID:
		return vmnet_interface_id_key;
	case VMNET_DESC_KEY_OPERATION_MODE:
		return vmnet_operation_mode_key;
	case VMNET_DESC_KEY_START_ADDRESS:
		return vmnet_start_address_key;
	case VMNET_DESC_KEY_END_ADDRESS:
		return vmnet_end_address_key;
	case VMNET_DESC_KEY_SUBNET_MASK:
		return vmnet_subnet_mask_key;
	case VMNET_DESC_KEY_ENABLE_ISOLATION:
		return vmnet_enable_isolation_key;
	case VMNET_DESC_KEY_SHARED_INTERFACE_NAME:
		return vmnet_shared_interface_name_key;
	case VMNET_DESC_KEY_ALLOCATE_MAC_ADDRESS:
		return vmnet_allocate_mac_address_key;
	case VMNET_DESC_KEY_ENABLE_TSO:
		return vmnet_enable_tso_key;
	case VMNET_DESC_KEY_ENABLE_CHECKSUM_OFFLOAD:
		return vmnet_enable_checksum_offload_key;
	case VMNET_DESC_KEY_COUNT:
		break;
	}
	return NULL;
}

static xpc_object_t desc_to_xpc(const struct vmnet_desc *d)
{
	xpc_object_t x = xpc_dictionary_create(NULL, NULL, 0);

	if (!x)
		return NULL;
	for (unsigned i = 0; i < d->count; i++) {
		const struct vmnet_desc_entry *e = &d->entries[i];
		const char *key = vmnet_key(e->key);
		const char *name = vmnet_desc_key_name(e->key);
		uuid_string_t id;

		if (!key)
			continue;
		switch (e->type) {
		case VMNET_DESC_UINT64:
			xpc_dictionary_set_uint64(x, key, e->value.u64);
			log_debug("vmnet %s: %llu", name,
				  (unsigned long long)e->value.u64);
			break;
		case VMNET_DESC_BOOL:
			xpc_dictionary_set_bool(x, key, e->value.b);
			log_debug("vmnet %s: %s", name,
				  e->value.b ? "true" : "false");
			break;
		case VMNET_DESC_STRING:
			xpc_dictionary_set_string(x, key, e->value.str);
			log_debug("vmnet %s: %s", name, e->value.str);
			break;
		case VMNET_DESC_UUID:
			xpc_dictionary_set_uuid(x, key, e->value.uuid);
			uuid_unparse_lower(e->value.uuid, id);
			log_debug("vmnet %s: %s", name, id);
			break;
		}
	}
	return x;
}

#if HOST_VMNET_SDK_26
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

/* Ask vmnet-broker for network @name. The connection stays open in
 * h->broker: the broker keeps a network only while a client holds one. */
static int broker_acquire(struct host_vmnet *h, const char *name,
			  xpc_object_t *serialp, char *err, size_t errlen)
{
	struct waiter *w;
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
	w = waiter_new();
	req = xpc_dictionary_create(NULL, NULL, 0);
	if (!w || !req) {
		if (w) {
			waiter_put(w);
			waiter_put(w);
		}
		if (req)
			xpc_release(req);
		return errmsg_fail(err, errlen, -ENOMEM, "out of memory");
	}
	xpc_dictionary_set_string(req, "command", "acquire");
	xpc_dictionary_set_string(req, "network_name", name);
	/* XPC calls the reply handler exactly once, reply or error. */
	xpc_connection_send_message_with_reply(
	    h->broker, req, h->queue, ^(xpc_object_t rep) {
	      waiter_done(w, VMNET_SUCCESS, rep);
	    });
	xpc_release(req);
	if (!waiter_wait(w, BROKER_TIMEOUT_S)) {
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
	waiter_put(w);
	return r;
}
#endif

/*
 * Join --network through vmnet-broker (macOS 26). Return: 0 with the start
 * block handed to vmnet (h->iface may still be NULL: vmnet then reports
 * why through the block), or a negative errno before anything was handed.
 */
static int start_on_network(struct host_vmnet *h, const char *name,
			    xpc_object_t desc,
			    vmnet_start_interface_completion_handler_t done,
			    char *err, size_t errlen)
{
#if HOST_VMNET_SDK_26
	if (__builtin_available(macOS 26, *)) {
		xpc_object_t serial = NULL;
		vmnet_return_t st = VMNET_FAILURE;
		vmnet_network_ref net;
		int r = broker_acquire(h, name, &serial, err, errlen);

		if (r)
			return r;
		net = vmnet_network_create_with_serialization(serial, &st);
		xpc_release(serial);
		if (!net)
			return errmsg_fail(
			    err, errlen,
			    st != VMNET_SUCCESS ? status_errno(st) : -EIO,
			    "cannot join network '%s': %s", name,
			    status_text(st));
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

/*
 * Start the interface and wait for vmnet's answer. Return: 0 with
 * h->iface running and *paramsp holding vmnet's parameters (retained), or
 * a negative errno with h->iface NULL.
 */
static int start_and_wait(struct host_vmnet *h, const struct host_config *cfg,
			  xpc_object_t desc, xpc_object_t *paramsp, char *err,
			  size_t errlen)
{
	struct waiter *w = waiter_new();
	const char *what = cfg->network ? "network" : "vmnet interface";
	int r = 0;

	*paramsp = NULL;
	if (!w)
		return errmsg_fail(err, errlen, -ENOMEM, "out of memory");
	vmnet_start_interface_completion_handler_t done =
	    ^(vmnet_return_t status, xpc_object_t params) {
	      waiter_done(w, status, params);
	    };
	if (cfg->network) {
		r = start_on_network(h, cfg->network, desc, done, err, errlen);
		if (r) {
			waiter_put(w); /* the block's: it was never handed */
			goto out;
		}
	} else {
		h->iface = vmnet_start_interface(desc, h->queue, done);
	}
	if (!waiter_wait(w, START_TIMEOUT_S)) {
		r = errmsg_fail(
		    err, errlen, -ETIMEDOUT,
		    "vmnet did not start the %s within %d s; try again, "
		    "and if it persists restart the Mac",
		    what, START_TIMEOUT_S);
		/* Tell vmnet to drop it if it ever starts; do not wait. */
		if (h->iface)
			stop_interface(h->iface, h->queue, 0);
		goto out;
	}
	if (w->status != VMNET_SUCCESS || !h->iface) {
		vmnet_return_t st =
		    w->status != VMNET_SUCCESS ? w->status : VMNET_FAILURE;

		r = errmsg_fail(err, errlen, status_errno(st),
				"cannot start the %s: %s", what,
				status_text(st));
		if (h->iface)
			stop_interface(h->iface, h->queue, STOP_TIMEOUT_S);
		goto out;
	}
	if (!w->obj || xpc_get_type(w->obj) != XPC_TYPE_DICTIONARY) {
		r = errmsg_fail(
		    err, errlen, -EPROTO,
		    "vmnet started the interface but gave no parameters");
		stop_interface(h->iface, h->queue, STOP_TIMEOUT_S);
		goto out;
	}
	*paramsp = xpc_retain(w->obj);
out:
	if (r)
		h->iface = NULL;
	waiter_put(w);
	return r;
}

static void copy_string(char *dst, size_t len, xpc_object_t p, const char *key)
{
	const char *s = xpc_dictionary_get_string(p, key);

	snprintf(dst, len, "%s", s ? s : "");
}

static uint32_t get_u32(xpc_object_t p, const char *key)
{
	uint64_t v = xpc_dictionary_get_uint64(p, key);

	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/*
 * vmnet's packets-per-call limits. Newer macOS releases report them in the
 * parameters whatever SDK we were built with, under keys whose values are
 * the symbols' names without "_key" (vmnet-helper's JSON shows them), so
 * older SDKs look those names up; 0 when absent (older macOS).
 */
static void get_max_packets(xpc_object_t p, uint32_t *rd, uint32_t *wr)
{
	const char *rkey = "vmnet_read_max_packets";
	const char *wkey = "vmnet_write_max_packets";

#if HOST_VMNET_SDK_26
	if (__builtin_available(macOS 26, *)) {
		rkey = vmnet_read_max_packets_key;
		wkey = vmnet_write_max_packets_key;
	}
#endif
	*rd = get_u32(p, rkey);
	*wr = get_u32(p, wkey);
}

static void read_params(xpc_object_t p, const struct host_config *cfg,
			struct host_info *info)
{
	const uint8_t *id = xpc_dictionary_get_uuid(p, vmnet_interface_id_key);

	copy_string(info->mac_address, sizeof(info->mac_address), p,
		    vmnet_mac_address_key);
	if (id)
		uuid_unparse_lower(id, info->interface_id);
	info->mtu = get_u32(p, vmnet_mtu_key);
	info->max_packet_size = get_u32(p, vmnet_max_packet_size_key);
	get_max_packets(p, &info->read_max_packets, &info->write_max_packets);
	if (!info->read_max_packets)
		info->read_max_packets = cfg->max_batch;
	if (!info->write_max_packets)
		info->write_max_packets = cfg->max_batch;
	copy_string(info->start_address, sizeof(info->start_address), p,
		    vmnet_start_address_key);
	copy_string(info->end_address, sizeof(info->end_address), p,
		    vmnet_end_address_key);
	copy_string(info->subnet_mask, sizeof(info->subnet_mask), p,
		    vmnet_subnet_mask_key);
	copy_string(info->nat66_prefix, sizeof(info->nat66_prefix), p,
		    vmnet_nat66_prefix_key);
}

/*
 * read_batch. vmnet_read() shrinks vm_pkt_size and iov_len to each frame it
 * stores, so both are reset before every call. A status other than
 * VMNET_SUCCESS is -EIO: vmnet has no "try again" status for reads, so it
 * means the interface is gone or broken, and the engine stops.
 */
static int vmnet_ep_read(struct endpoint *ep, struct pkt **pkts, unsigned n)
{
	struct host_vmnet *h = (struct host_vmnet *)ep;
	vmnet_return_t st;
	int count;

	if (n > h->read_max)
		n = h->read_max;
	for (;;) {
		for (unsigned i = 0; i < n; i++) {
			h->iovs[i].iov_base = pkts[i]->data;
			h->iovs[i].iov_len = ep->max_frame;
			h->descs[i].vm_pkt_size = ep->max_frame;
			h->descs[i].vm_pkt_iov = &h->iovs[i];
			h->descs[i].vm_pkt_iovcnt = 1;
			h->descs[i].vm_flags = 0;
		}
		count = (int)n;
		st = vmnet_read(h->iface, h->descs, &count);
		/* An older macOS with a lower limit than we assumed: learn
		 * it once, then stay under it. */
		if (st == VMNET_TOO_MANY_PACKETS && n > 1) {
			n = h->read_max = n / 2;
			log_debug("vmnet_read: lowered to %u packets a call",
				  n);
			continue;
		}
		break;
	}
	if (st != VMNET_SUCCESS) {
		log_error("vmnet_read: %s", status_text(st));
		return -EIO;
	}
	if (count <= 0)
		return -EAGAIN;
	if ((unsigned)count > n)
		count = (int)n;
	for (int i = 0; i < count; i++) {
		pkts[i]->len = (uint32_t)h->descs[i].vm_pkt_size;
		pkts[i]->flags = 0;
	}
	return count;
}

/*
 * write_batch. vmnet_write() reports how many frames it took; the engine
 * resubmits the rest. When a batch is refused as too big or invalid, the
 * first frame is retried alone so that only a frame vmnet really refuses
 * is answered -EMSGSIZE (dropped and counted by the engine).
 * VMNET_BUFFER_EXHAUSTED is -ENOBUFS: no event says when vmnet has room,
 * so the engine retries on its timer.
 */
static int vmnet_ep_write(struct endpoint *ep, struct pkt *const *pkts,
			  unsigned n)
{
	struct host_vmnet *h = (struct host_vmnet *)ep;
	vmnet_return_t st;
	unsigned i;
	int count;

	if (n > h->write_max)
		n = h->write_max;
	for (i = 0; i < n && pkts[i]->len <= ep->max_frame; i++) {
		h->iovs[i].iov_base = pkts[i]->data;
		h->iovs[i].iov_len = pkts[i]->len;
		h->descs[i].vm_pkt_size = pkts[i]->len;
		h->descs[i].vm_pkt_iov = &h->iovs[i];
		h->descs[i].vm_pkt_iovcnt = 1;
		h->descs[i].vm_flags = 0;
	}
	if (i == 0)
		return -EMSGSIZE; /* longer than vmnet ever takes */
	n = i;
	for (;;) {
		count = (int)n;
		st = vmnet_write(h->iface, h->descs, &count);
		if (count > 0)
			return (unsigned)count < n ? count : (int)n;
		if (st == VMNET_SUCCESS)
			return -ENOBUFS; /* took nothing, said nothing */
		if (n > 1 && (st == VMNET_PACKET_TOO_BIG ||
			      st == VMNET_INVALID_ARGUMENT)) {
			n = 1;
			continue;
		}
		if (n > 1 && st == VMNET_TOO_MANY_PACKETS) {
			n = h->write_max = n / 2;
			log_debug("vmnet_write: lowered to %u packets a call",
				  n);
			continue;
		}
		break;
	}
	switch (st) {
	case VMNET_PACKET_TOO_BIG:
	case VMNET_INVALID_ARGUMENT:
		return -EMSGSIZE;
	case VMNET_BUFFER_EXHAUSTED:
		return -ENOBUFS;
	default:
		log_error("vmnet_write: %s", status_text(st));
		return -EIO;
	}
}

/*
 * set_notify. The event block runs on h->queue and only calls @notify:
 * reading there would block the queue that vmnet_stop_interface() needs.
 * @notify NULL turns the event off and waits (bounded) until a block
 * already running has returned, so the caller may then free @arg. Not to
 * be called on h->queue.
 */
static void vmnet_ep_set_notify(struct endpoint *ep, void (*notify)(void *),
				void *arg)
{
	struct host_vmnet *h = (struct host_vmnet *)ep;
	vmnet_return_t st;

	if (!notify) {
		vmnet_interface_set_event_callback(
		    h->iface, VMNET_INTERFACE_PACKETS_AVAILABLE, NULL, NULL);
		drain_queue(h->queue, STOP_TIMEOUT_S);
		return;
	}
	st = vmnet_interface_set_event_callback(
	    h->iface, VMNET_INTERFACE_PACKETS_AVAILABLE, h->queue,
	    ^(interface_event_t events, xpc_object_t event) {
	      (void)event;
	      if (events & VMNET_INTERFACE_PACKETS_AVAILABLE)
		      notify(arg);
	    });
	if (st != VMNET_SUCCESS)
		log_error("cannot watch the vmnet interface for packets: %s; "
			  "no packets will reach the VM",
			  status_text(st));
	/* Frames that arrived before the event was on raise no event. */
	notify(arg);
}

/* Free everything but the interface itself, which is stopped or NULL. */
static void release_all(struct host_vmnet *h)
{
#if HOST_VMNET_SDK_26
	if (h->network)
		CFRelease((CFTypeRef)h->network);
#endif
	if (h->broker) {
		xpc_connection_cancel(h->broker);
		xpc_release(h->broker);
	}
	if (h->queue)
		dispatch_release(h->queue);
	free(h->descs);
	free(h->iovs);
	free(h);
}

static void vmnet_ep_close(struct endpoint *ep)
{
	struct host_vmnet *h = (struct host_vmnet *)ep;

	vmnet_interface_set_event_callback(
	    h->iface, VMNET_INTERFACE_PACKETS_AVAILABLE, NULL, NULL);
	stop_interface(h->iface, h->queue, STOP_TIMEOUT_S);
	release_all(h);
}

static const struct endpoint_ops vmnet_ops = {
    .read_batch = vmnet_ep_read,
    .write_batch = vmnet_ep_write,
    .set_notify = vmnet_ep_set_notify,
    .close = vmnet_ep_close,
};

static unsigned min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

int host_open(const struct host_config *cfg, struct endpoint **epp,
	      struct host_info *info, char *err, size_t errlen)
{
	struct vmnet_desc d;
	struct host_vmnet *h;
	xpc_object_t desc = NULL, params = NULL;
	dispatch_queue_attr_t attr;
	int r;

	*epp = NULL;
	memset(info, 0, sizeof(*info));
	if (cfg->max_batch == 0)
		return errmsg_fail(err, errlen, -EINVAL,
				   "batch size 0: pass at least 1");
	r = vmnet_desc_build(cfg, &d, err, errlen);
	if (r)
		return r;
	h = calloc(1, sizeof(*h));
	if (!h)
		return errmsg_fail(err, errlen, -ENOMEM, "out of memory");
	h->max_batch = cfg->max_batch;
	h->descs = calloc(cfg->max_batch, sizeof(*h->descs));
	h->iovs = calloc(cfg->max_batch, sizeof(*h->iovs));
	desc = desc_to_xpc(&d);
	/* The event block wakes a worker: run it without QoS delays. */
	attr = dispatch_queue_attr_make_with_qos_class(
	    DISPATCH_QUEUE_SERIAL, QOS_CLASS_USER_INTERACTIVE, 0);
	h->queue = dispatch_queue_create("vmnet-helper.host", attr);
	if (!h->descs || !h->iovs || !desc || !h->queue) {
		r = errmsg_fail(err, errlen, -ENOMEM, "out of memory");
		goto out_free;
	}
	r = start_and_wait(h, cfg, desc, &params, err, errlen);
	if (r)
		goto out_free;
	read_params(params, cfg, info);
	if (info->max_packet_size < ENDPOINT_MIN_FRAME ||
	    info->max_packet_size > POOL_FRAME_SIZE_MAX) {
		r = errmsg_fail(err, errlen, -EPROTO,
				"vmnet reported a max packet size of %u bytes, "
				"outside %u..%u",
				info->max_packet_size, ENDPOINT_MIN_FRAME,
				POOL_FRAME_SIZE_MAX);
		stop_interface(h->iface, h->queue, STOP_TIMEOUT_S);
		goto out_free;
	}
	h->read_max = min_u(cfg->max_batch, info->read_max_packets);
	h->write_max = min_u(cfg->max_batch, info->write_max_packets);
	h->ep.ops = &vmnet_ops;
	h->ep.name = "vmnet";
	h->ep.fd = -1;
	h->ep.max_frame = info->max_packet_size;
	log_debug("started the vmnet interface: mac %s mtu %u max packet "
		  "size %u",
		  info->mac_address, info->mtu, info->max_packet_size);
	xpc_release(params);
	xpc_release(desc);
	*epp = &h->ep;
	return 0;

out_free:
	if (params)
		xpc_release(params);
	if (desc)
		xpc_release(desc);
	release_all(h);
	memset(info, 0, sizeof(*info));
	return r;
}

int host_list_shared_interfaces(FILE *out, char *err, size_t errlen)
{
	xpc_object_t list = vmnet_copy_shared_interface_list();
	int r = 0;

	if (!list)
		return errmsg_fail(err, errlen, -EIO,
				   "vmnet cannot list the shared interfaces");
	if (xpc_get_type(list) != XPC_TYPE_ARRAY) {
		xpc_release(list);
		return errmsg_fail(err, errlen, -EPROTO,
				   "vmnet listed the shared interfaces in an "
				   "unexpected form");
	}
	for (size_t i = 0; i < xpc_array_get_count(list); i++) {
		const char *name = xpc_array_get_string(list, i);

		if (name)
			fprintf(out, "%s\n", name);
	}
	xpc_release(list);
	errno = 0;
	if (fflush(out) != 0 || ferror(out)) {
		r = errno ? -errno : -EIO;
		return errmsg_fail(err, errlen, r,
				   "cannot write the shared interfaces: %s",
				   strerror(-r));
	}
	return 0;
}
