/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet_start.c - start the vmnet interface: the description copied
 * into XPC, the start and its bounded wait, vmnet's answer read back. */
#include "host_vmnet_start.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <uuid/uuid.h>

#include "errmsg.h"
#include "host_vmnet_network.h"
#include "host_vmnet_status.h"
#include "host_vmnet_waiter.h"
#include "log.h"
#include "signals.h"
#include "vmnet_network_plan.h"

_Static_assert(VMNET_DESC_MODE_HOST == VMNET_HOST_MODE, "vmnet host mode");
_Static_assert(VMNET_DESC_MODE_SHARED == VMNET_SHARED_MODE,
	       "vmnet shared mode");
_Static_assert(VMNET_DESC_MODE_BRIDGED == VMNET_BRIDGED_MODE,
	       "vmnet bridged mode");

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
	/* macOS 11 and later (vmnet.h), below our deployment target. */
	case VMNET_DESC_KEY_NETWORK_IDENTIFIER:
		return vmnet_network_identifier_key;
	case VMNET_DESC_KEY_HOST_IP_ADDRESS:
		return vmnet_host_ip_address_key;
	case VMNET_DESC_KEY_HOST_SUBNET_MASK:
		return vmnet_host_subnet_mask_key;
	case VMNET_DESC_KEY_NAT66_PREFIX:
		return vmnet_nat66_prefix_key;
	case VMNET_DESC_KEY_COUNT:
		break;
	}
	return NULL;
}

xpc_object_t host_vmnet_desc_to_xpc(const struct vmnet_desc *d)
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

int host_vmnet_start_and_wait(struct host_vmnet *h,
			      const struct host_config *cfg, xpc_object_t desc,
			      xpc_object_t *paramsp, char *err, size_t errlen)
{
	struct host_vmnet_waiter *w = host_vmnet_waiter_new();
	bool own = vmnet_network_plan_wanted(cfg);
	const char *what = cfg->network || own ? "network" : "vmnet interface";
	int r = 0;

	*paramsp = NULL;
	if (!w)
		return errmsg_fail(err, errlen, -ENOMEM, "out of memory");
	vmnet_start_interface_completion_handler_t done =
	    ^(vmnet_return_t status, xpc_object_t params) {
	      host_vmnet_waiter_done(w, status, params);
	    };
	if (cfg->network) {
		r = host_vmnet_start_on_network(h, cfg->network, desc, done,
						err, errlen);
		if (r) {
			/* The block was never handed: nobody else holds w. */
			host_vmnet_waiter_cancel(w);
			h->iface = NULL;
			return r;
		}
	} else if (own) {
		r = host_vmnet_start_on_own_network(h, cfg, desc, done, err,
						    errlen);
		if (r) {
			host_vmnet_waiter_cancel(w);
			h->iface = NULL;
			return r;
		}
	} else {
		h->iface = vmnet_start_interface(desc, h->queue, done);
	}
	if (!h->iface) {
		/*
		 * vmnet.h: "Returns a non-NULL interface handle on success,
		 * NULL otherwise": a NULL is a refusal, not a slow start, so
		 * waiting START_TIMEOUT_S for it to start (and then blaming
		 * the Mac) is wrong. vmnet does not say whether the block
		 * still runs: give it REFUSED_ANSWER_S to say why, then fail.
		 * If it has not run, its reference stays with it.
		 */
		bool answered = host_vmnet_waiter_wait(w, REFUSED_ANSWER_S);
		vmnet_return_t st = answered ? w->status : VMNET_FAILURE;

		if (answered && st != VMNET_SUCCESS)
			r = errmsg_fail(err, errlen,
					host_vmnet_status_errno(st),
					"vmnet refused to start the %s: %s",
					what, host_vmnet_status_text(st));
		else
			r = errmsg_fail(
			    err, errlen, -EIO,
			    "vmnet refused to start the %s (it returned no "
			    "interface and gave no reason); run with -v to "
			    "see the interface description sent",
			    what);
		goto out;
	}
	int waited = host_vmnet_waiter_wait_or_stop(w, START_TIMEOUT_S);
	if (waited < 0) {
		const char *sig = signal_name(-waited);

		r = errmsg_fail(err, errlen, -EINTR,
				"stopped by %s while vmnet was starting "
				"the %s",
				sig ? sig : "a stop signal", what);
		/* As on a time-out: vmnet drops it if it ever starts. */
		host_vmnet_stop_interface(h->iface, h->queue, 0);
		goto out;
	}
	if (waited == 0) {
		r = errmsg_fail(
		    err, errlen, -ETIMEDOUT,
		    "vmnet did not start the %s within %d s; try again, "
		    "and if it persists restart the Mac",
		    what, START_TIMEOUT_S);
		/* Tell vmnet to drop it if it ever starts; do not wait. */
		host_vmnet_stop_interface(h->iface, h->queue, 0);
		goto out;
	}
	if (w->status != VMNET_SUCCESS) {
		vmnet_return_t st = w->status;

		r = errmsg_fail(err, errlen, host_vmnet_status_errno(st),
				"cannot start the %s: %s", what,
				host_vmnet_status_text(st));
		host_vmnet_stop_interface(h->iface, h->queue, STOP_TIMEOUT_S);
		goto out;
	}
	if (!w->obj || xpc_get_type(w->obj) != XPC_TYPE_DICTIONARY) {
		r = errmsg_fail(
		    err, errlen, -EPROTO,
		    "vmnet started the interface but gave no parameters");
		host_vmnet_stop_interface(h->iface, h->queue, STOP_TIMEOUT_S);
		goto out;
	}
	*paramsp = xpc_retain(w->obj);
out:
	if (r)
		h->iface = NULL;
	host_vmnet_waiter_put(w);
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

/* vmnet's packets-per-call limits, 0 when absent (older macOS). */
static void get_max_packets(xpc_object_t p, uint32_t *rd, uint32_t *wr)
{
	const char *rkey, *wkey;

	host_vmnet_max_packets_keys(&rkey, &wkey);
	*rd = get_u32(p, rkey);
	*wr = get_u32(p, wkey);
}

void host_vmnet_read_params(xpc_object_t p, const struct host_config *cfg,
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
