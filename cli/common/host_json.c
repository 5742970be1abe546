/* SPDX-License-Identifier: Apache-2.0 */
/* host_json.c - the one JSON line vmnet-helper prints on stdout. */
#include "host_json.h"

#include "json_writer.h"

static void add_if_set(struct json_writer *w, const char *key,
		       const char *value)
{
	if (value[0])
		json_add_string(w, key, value);
}

int host_json_line(const struct host_info *info, char *buf, size_t len)
{
	struct json_writer w;

	json_begin(&w, buf, len);
	json_add_string(&w, "vmnet_mac_address", info->mac_address);
	json_add_u64(&w, "vmnet_mtu", info->mtu);
	json_add_u64(&w, "vmnet_max_packet_size", info->max_packet_size);
	json_add_string(&w, "vmnet_interface_id", info->interface_id);
	json_add_u64(&w, "vmnet_read_max_packets", info->read_max_packets);
	json_add_u64(&w, "vmnet_write_max_packets", info->write_max_packets);
	/* The subnet keys come as a set, or not at all. */
	if (info->start_address[0] && info->end_address[0] &&
	    info->subnet_mask[0]) {
		json_add_string(&w, "vmnet_start_address", info->start_address);
		json_add_string(&w, "vmnet_end_address", info->end_address);
		json_add_string(&w, "vmnet_subnet_mask", info->subnet_mask);
	}
	add_if_set(&w, "vmnet_nat66_prefix", info->nat66_prefix);
	/* The keys vmnet-helper adds for --network, for a network of our
	 * own too. */
	if (info->net_ipv4_subnet[0]) {
		json_add_string(&w, "net_ipv4_subnet", info->net_ipv4_subnet);
		json_add_string(&w, "net_ipv4_mask", info->net_ipv4_mask);
	}
	if (info->net_ipv6_prefix[0]) {
		json_add_string(&w, "net_ipv6_prefix", info->net_ipv6_prefix);
		json_add_u64(&w, "net_ipv6_prefix_len",
			     info->net_ipv6_prefix_len);
	}
	add_if_set(&w, "tap_name", info->tap_name);
	add_if_set(&w, "bridge", info->bridge);
	return json_end(&w);
}
