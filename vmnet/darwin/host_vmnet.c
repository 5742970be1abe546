/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet.c - the host side on macOS: start a vmnet.framework interface
 * (or join a vmnet-broker network) and move frames through it as an
 * endpoint. */
#include "host_vmnet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "host_vmnet_network.h"
#include "host_vmnet_start.h"
#include "host_vmnet_status.h"
#include "host_vmnet_waiter.h"
#include "log.h"
#include "vmnet_desc.h"
#include "vmnet_status.h"

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
 * lives in a small reference-counted struct host_vmnet_waiter that whichever
 * side finishes last frees.
 */

/*
 * read_batch. vmnet_read() shrinks vm_pkt_size and iov_len to each frame it
 * stores, so both are reset before every call. What each status means is
 * vmnet_read_verdict()'s table (vmnet_status.c, tested on Linux): a passing
 * shortage is -EAGAIN, read again at the next "packets available" event;
 * only a broken interface is -EIO, which stops the engine.
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
		switch (vmnet_read_verdict(st, n)) {
		case VMNET_READ_OK:
			break;
		case VMNET_READ_FEWER:
			/* An older macOS with a lower limit than we
			 * assumed: learn it once, then stay under it. */
			n = h->read_max = n / 2;
			log_debug("vmnet_read: lowered to %u packets a call",
				  n);
			continue;
		case VMNET_READ_LATER:
			log_debug("vmnet_read: %s; reading again at the next "
				  "event",
				  host_vmnet_status_text(st));
			return -EAGAIN;
		case VMNET_READ_FAILED:
			log_error("vmnet_read: %s", host_vmnet_status_text(st));
			return -EIO;
		}
		break;
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
		log_error("vmnet_write: %s", host_vmnet_status_text(st));
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
		host_vmnet_drain_queue(h->queue, STOP_TIMEOUT_S);
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
			  host_vmnet_status_text(st));
	/* Frames that arrived before the event was on raise no event. */
	notify(arg);
}

/* Free everything but the interface itself, which is stopped or NULL. */
static void release_all(struct host_vmnet *h)
{
	host_vmnet_network_release(h->network);
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
	/* Usually gone already (host_expose_close()); the rules are the
	 * interface's, so never stop it with any left. */
	host_vmnet_expose_remove(h);
	host_vmnet_stop_interface(h->iface, h->queue, STOP_TIMEOUT_S);
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
	vmnet_desc_build(cfg, &d);
	h = calloc(1, sizeof(*h));
	if (!h)
		return errmsg_fail(err, errlen, -ENOMEM, "out of memory");
	h->max_batch = cfg->max_batch;
	h->descs = calloc(cfg->max_batch, sizeof(*h->descs));
	h->iovs = calloc(cfg->max_batch, sizeof(*h->iovs));
	desc = host_vmnet_desc_to_xpc(&d);
	/* The event block wakes a worker: run it without QoS delays. */
	attr = dispatch_queue_attr_make_with_qos_class(
	    DISPATCH_QUEUE_SERIAL, QOS_CLASS_USER_INTERACTIVE, 0);
	h->queue = dispatch_queue_create("vmnet-helper.host", attr);
	if (!h->descs || !h->iovs || !desc || !h->queue) {
		r = errmsg_fail(err, errlen, -ENOMEM, "out of memory");
		goto out_free;
	}
	r = host_vmnet_start_and_wait(h, cfg, desc, &params, err, errlen);
	if (r)
		goto out_free;
	host_vmnet_read_params(params, cfg, info);
	host_vmnet_network_info(h, info);
	if (info->max_packet_size < ENDPOINT_MIN_FRAME ||
	    info->max_packet_size > POOL_FRAME_SIZE_MAX) {
		r = errmsg_fail(err, errlen, -EPROTO,
				"vmnet reported a max packet size of %u bytes, "
				"outside %u..%u",
				info->max_packet_size, ENDPOINT_MIN_FRAME,
				POOL_FRAME_SIZE_MAX);
		host_vmnet_stop_interface(h->iface, h->queue, STOP_TIMEOUT_S);
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
