/* SPDX-License-Identifier: Apache-2.0 */
/* test_host_json.c - the JSON line: parsed back with json-c, keys per mode. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <string.h>

#include "host_json.h"

static struct json_object *parse_line(const struct host_info *info)
{
	char buf[2048];
	enum json_tokener_error jerr;

	int n = host_json_line(info, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_null(strchr(buf, '\n'), "one line");
	struct json_object *o = json_tokener_parse_verbose(buf, &jerr);
	cr_assert_not_null(o, "not JSON (%s): %s",
			   json_tokener_error_desc(jerr), buf);
	return o;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	cr_assert(json_object_object_get_ex(o, key, &v), "missing %s", key);
	cr_assert(json_object_is_type(v, json_type_string), "%s type", key);
	return json_object_get_string(v);
}

static int64_t num(struct json_object *o, const char *key)
{
	struct json_object *v;

	cr_assert(json_object_object_get_ex(o, key, &v), "missing %s", key);
	cr_assert(json_object_is_type(v, json_type_int), "%s type", key);
	return json_object_get_int64(v);
}

static struct host_info base(void)
{
	struct host_info i;

	memset(&i, 0, sizeof(i));
	strcpy(i.mac_address, "02:ab:cd:ef:01:02");
	strcpy(i.interface_id, "6f1d3c2a-9b7e-4e5f-8a1b-2c3d4e5f6a7b");
	i.mtu = 1500;
	i.max_packet_size = 1514;
	i.read_max_packets = i.write_max_packets = 64;
	return i;
}

Test(host_json, shared_mode_has_vmnet_helpers_keys)
{
	struct host_info i = base();

	strcpy(i.start_address, "192.168.64.1");
	strcpy(i.end_address, "192.168.64.254");
	strcpy(i.subnet_mask, "255.255.255.0");
	strcpy(i.nat66_prefix, "fd9b:2dab:8b4c:1f1d::");
	struct json_object *o = parse_line(&i);
	cr_assert_str_eq(str(o, "vmnet_mac_address"), "02:ab:cd:ef:01:02");
	cr_assert_eq(num(o, "vmnet_mtu"), 1500);
	cr_assert_eq(num(o, "vmnet_max_packet_size"), 1514);
	cr_assert_str_eq(str(o, "vmnet_interface_id"), i.interface_id);
	cr_assert_eq(num(o, "vmnet_read_max_packets"), 64);
	cr_assert_eq(num(o, "vmnet_write_max_packets"), 64);
	cr_assert_str_eq(str(o, "vmnet_start_address"), "192.168.64.1");
	cr_assert_str_eq(str(o, "vmnet_end_address"), "192.168.64.254");
	cr_assert_str_eq(str(o, "vmnet_subnet_mask"), "255.255.255.0");
	cr_assert_str_eq(str(o, "vmnet_nat66_prefix"), i.nat66_prefix);
	cr_assert_eq(json_object_object_length(o), 10);
	json_object_put(o);
}

Test(host_json, bridged_mode_has_no_subnet_keys)
{
	struct host_info i = base();
	struct json_object *o = parse_line(&i);

	cr_assert_not(
	    json_object_object_get_ex(o, "vmnet_start_address", NULL));
	cr_assert_not(json_object_object_get_ex(o, "vmnet_nat66_prefix", NULL));
	cr_assert_eq(json_object_object_length(o), 6);
	json_object_put(o);
}

Test(host_json, partial_subnet_is_left_out_whole)
{
	struct host_info i = base();

	strcpy(i.start_address, "10.0.0.1");
	struct json_object *o = parse_line(&i);
	cr_assert_not(
	    json_object_object_get_ex(o, "vmnet_start_address", NULL));
	json_object_put(o);
}

Test(host_json, linux_adds_tap_and_bridge_escaped)
{
	struct host_info i = base();

	strcpy(i.tap_name, "tap\"0");
	strcpy(i.bridge, "br\\0");
	struct json_object *o = parse_line(&i);
	cr_assert_str_eq(str(o, "tap_name"), "tap\"0");
	cr_assert_str_eq(str(o, "bridge"), "br\\0");
	json_object_put(o);
}

Test(host_json, too_small_buffer_gives_no_partial_line)
{
	struct host_info i = base();
	char buf[40];

	cr_assert_eq(host_json_line(&i, buf, sizeof(buf)), -1);
	cr_assert_str_eq(buf, "");
}
