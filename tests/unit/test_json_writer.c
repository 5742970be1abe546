/* SPDX-License-Identifier: Apache-2.0 */
/* test_json_writer.c - the JSON line: every output is read back by json-c,
 * strictly and with UTF-8 validation, and compared with what went in. */
#include <criterion/criterion.h>
#include <errno.h>
#include <iconv.h>
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json_writer.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD as json-c decodes \ufffd */

/*
 * Whether @s is valid UTF-8, by glibc's decoder: an implementation
 * independent of ours, which rejects overlong forms, surrogates and code
 * points above U+10FFFF. json-c's own UTF-8 check accepts surrogates.
 */
static bool is_utf8(const char *s)
{
	iconv_t cd = iconv_open("UTF-32LE", "UTF-8");
	char *in = (char *)s, out[4096], *o = out;
	size_t in_left = strlen(s), out_left = sizeof(out);
	size_t r;

	cr_assert_neq(cd, (iconv_t)-1, "iconv_open: %s", strerror(errno));
	r = iconv(cd, &in, &in_left, &o, &out_left);
	iconv_close(cd);
	return r != (size_t)-1 && in_left == 0;
}

/*
 * Check @text has no raw control byte and is valid UTF-8, then parse it
 * twice: with json_tokener_parse_verbose(), as a consumer would, and again
 * strictly with json-c's UTF-8 check, requiring the whole text to be
 * consumed. Return the first result, which must be an object.
 */
static json_object *parse(const char *text)
{
	enum json_tokener_error err = json_tokener_success;
	json_object *o = json_tokener_parse_verbose(text, &err);
	struct json_tokener *tok;
	json_object *strict;
	int len = (int)strlen(text);
	size_t i;

	/* json-c lets raw control characters through; RFC 8259 does not. */
	for (i = 0; text[i]; i++)
		cr_assert((unsigned char)text[i] >= 0x20 && text[i] != 0x7f,
			  "raw byte 0x%02x at %zu", (unsigned char)text[i], i);
	cr_assert(is_utf8(text), "not UTF-8: %s", text);

	cr_assert_not_null(o, "json-c rejected %s: %s", text,
			   json_tokener_error_desc(err));
	cr_assert(json_object_is_type(o, json_type_object), "not an object: %s",
		  text);

	tok = json_tokener_new();
	cr_assert_not_null(tok);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					JSON_TOKENER_VALIDATE_UTF8);
	strict = json_tokener_parse_ex(tok, text, len);
	cr_assert_not_null(
	    strict, "strict json-c rejected %s: %s", text,
	    json_tokener_error_desc(json_tokener_get_error(tok)));
	cr_assert_eq(json_tokener_get_parse_end(tok), (size_t)len,
		     "trailing bytes after the object: %s", text);
	json_object_put(strict);
	json_tokener_free(tok);
	return o;
}

/* The member @key of @o, which must exist and have type @type. */
static json_object *member(json_object *o, const char *key, enum json_type type)
{
	json_object *v = NULL;

	cr_assert(json_object_object_get_ex(o, key, &v), "no key \"%s\"", key);
	cr_assert(json_object_is_type(v, type), "\"%s\" is a %s", key,
		  json_type_to_name(json_object_get_type(v)));
	return v;
}

static void assert_string_member(json_object *o, const char *key,
				 const char *want)
{
	json_object *v = member(o, key, json_type_string);

	cr_assert_eq((size_t)json_object_get_string_len(v), strlen(want),
		     "\"%s\": length %d, want %zu", key,
		     json_object_get_string_len(v), strlen(want));
	cr_assert_eq(memcmp(json_object_get_string(v), want, strlen(want)), 0,
		     "\"%s\" differs", key);
}

/* Write {"@key":"@value"} into @buf and check the length matches. */
static int write_one(char *buf, size_t len, const char *key, const char *value)
{
	struct json_writer w;
	int n;

	json_begin(&w, buf, len);
	json_add_string(&w, key, value);
	n = json_end(&w);
	if (n >= 0)
		cr_assert_eq((size_t)n, strlen(buf));
	return n;
}

/* Write {"s":@value}, check it is exactly @want_text and that json-c
 * reads the value back as @want_value. */
static void check_string(const char *value, const char *want_text,
			 const char *want_value)
{
	char buf[256];
	json_object *o;

	cr_assert_geq(write_one(buf, sizeof(buf), "s", value), 0);
	if (want_text)
		cr_assert_str_eq(buf, want_text);
	o = parse(buf);
	assert_string_member(o, "s", want_value);
	json_object_put(o);
}

Test(json_writer, empty_object_is_two_braces)
{
	char buf[8];
	struct json_writer w;
	json_object *o;

	json_begin(&w, buf, sizeof(buf));
	cr_assert_eq(json_end(&w), 2);
	cr_assert_str_eq(buf, "{}");
	o = parse(buf);
	cr_assert_eq(json_object_object_length(o), 0);
	json_object_put(o);
}

Test(json_writer, writes_each_type_without_spaces_or_newline)
{
	char buf[128];
	struct json_writer w;
	json_object *o;

	json_begin(&w, buf, sizeof(buf));
	json_add_string(&w, "s", "text");
	json_add_u64(&w, "u", 42);
	json_add_i64(&w, "i", -7);
	json_add_bool(&w, "t", true);
	json_add_bool(&w, "f", false);
	json_add_string(&w, "n", NULL);
	cr_assert_eq(json_end(&w), (int)strlen(buf));
	cr_assert_str_eq(
	    buf, "{\"s\":\"text\",\"u\":42,\"i\":-7,\"t\":true,\"f\":false,"
		 "\"n\":null}");

	o = parse(buf);
	assert_string_member(o, "s", "text");
	cr_assert_eq(json_object_get_uint64(member(o, "u", json_type_int)), 42);
	cr_assert_eq(json_object_get_int64(member(o, "i", json_type_int)), -7);
	cr_assert(json_object_get_boolean(member(o, "t", json_type_boolean)));
	cr_assert_not(
	    json_object_get_boolean(member(o, "f", json_type_boolean)));
	member(o, "n", json_type_null);
	json_object_put(o);
}

Test(json_writer, keeps_keys_in_call_order)
{
	static const char *const keys[] = {"zeta", "alpha", "mid", "beta"};
	char buf[128];
	struct json_writer w;
	json_object *o;
	size_t i = 0;

	json_begin(&w, buf, sizeof(buf));
	for (i = 0; i < 4; i++)
		json_add_u64(&w, keys[i], i);
	cr_assert_gt(json_end(&w), 0);
	cr_assert_str_eq(buf, "{\"zeta\":0,\"alpha\":1,\"mid\":2,\"beta\":3}");

	/* json-c keeps insertion order, so it sees the same order. */
	o = parse(buf);
	i = 0;
	json_object_object_foreach(o, key, val)
	{
		cr_assert_str_eq(key, keys[i]);
		cr_assert_eq(json_object_get_uint64(val), i);
		i++;
	}
	cr_assert_eq(i, 4);
	json_object_put(o);
}

Test(json_writer, escapes_every_control_character_and_del)
{
	static const char *const short_forms[0x20] = {
	    ['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n",
	    ['\r'] = "\\r", ['\t'] = "\\t",
	};
	char value[4], want[32];
	unsigned c;

	for (c = 0x01; c <= 0x7f; c++) {
		if (c == 0x20)
			c = 0x7f; /* only DEL between space and 0x80 */
		/* Between two letters, so the run copying is exercised. */
		snprintf(value, sizeof(value), "a%cb", (char)c);
		if (c < 0x20 && short_forms[c])
			snprintf(want, sizeof(want), "{\"s\":\"a%sb\"}",
				 short_forms[c]);
		else
			snprintf(want, sizeof(want), "{\"s\":\"a\\u%04xb\"}",
				 c);
		check_string(value, want, value);
	}
}

Test(json_writer, escapes_quote_and_backslash)
{
	check_string("\"", "{\"s\":\"\\\"\"}", "\"");
	check_string("\\", "{\"s\":\"\\\\\"}", "\\");
	check_string("C:\\dir \"name\"\\",
		     "{\"s\":\"C:\\\\dir \\\"name\\\"\\\\\"}",
		     "C:\\dir \"name\"\\");
}

Test(json_writer, copies_valid_utf8_byte_for_byte)
{
	static const char *const valid[] = {
	    "\xc2\x80",		/* U+0080, first 2-byte */
	    "\xc3\xa9",		/* U+00E9 e acute */
	    "\xdf\xbf",		/* U+07FF, last 2-byte */
	    "\xe0\xa0\x80",	/* U+0800, first 3-byte */
	    "\xe2\x82\xac",	/* U+20AC euro sign */
	    "\xed\x9f\xbf",	/* U+D7FF, just below the surrogates */
	    "\xee\x80\x80",	/* U+E000, just above them */
	    "\xef\xbf\xbf",	/* U+FFFF, last 3-byte */
	    "\xf0\x90\x80\x80", /* U+10000, first 4-byte */
	    "\xf0\x9f\x98\x80", /* U+1F600 emoji */
	    "\xf4\x8f\xbf\xbf", /* U+10FFFF, the last code point */
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 en0",
	};
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		cr_assert(is_utf8(valid[i]), "case %zu", i);
		snprintf(want, sizeof(want), "{\"s\":\"%s\"}", valid[i]);
		check_string(valid[i], want, valid[i]);
	}
}

Test(json_writer, replaces_each_invalid_utf8_byte_with_fffd)
{
	static const struct {
		const char *in, *text, *value;
	} cases[] = {
	    /* bad lead bytes */
	    {"\x80", "\\ufffd", REPLACEMENT},
	    {"a\xbf"
	     "b",
	     "a\\ufffdb", "a" REPLACEMENT "b"},
	    {"\xf5\x80\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd",
	     REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT},
	    {"\xfe\xff", "\\ufffd\\ufffd", REPLACEMENT REPLACEMENT},
	    /* truncated sequences, at the end and before ASCII */
	    {"a\xc3", "a\\ufffd", "a" REPLACEMENT},
	    {"\xe2\x82", "\\ufffd\\ufffd", REPLACEMENT REPLACEMENT},
	    {"\xf0\x9f\x98", "\\ufffd\\ufffd\\ufffd",
	     REPLACEMENT REPLACEMENT REPLACEMENT},
	    {"\xe2\x82"
	     "A",
	     "\\ufffd\\ufffdA", REPLACEMENT REPLACEMENT "A"},
	    {"\xc3\xc3\xa9", "\\ufffd\xc3\xa9", REPLACEMENT "\xc3\xa9"},
	    /* overlong encodings of '/' and of U+0000 */
	    {"\xc0\xaf", "\\ufffd\\ufffd", REPLACEMENT REPLACEMENT},
	    {"\xc1\xbf", "\\ufffd\\ufffd", REPLACEMENT REPLACEMENT},
	    {"\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd",
	     REPLACEMENT REPLACEMENT REPLACEMENT},
	    {"\xe0\x9f\xbf", "\\ufffd\\ufffd\\ufffd",
	     REPLACEMENT REPLACEMENT REPLACEMENT},
	    {"\xf0\x80\x80\xaf", "\\ufffd\\ufffd\\ufffd\\ufffd",
	     REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT},
	    {"\xf0\x8f\xbf\xbf", "\\ufffd\\ufffd\\ufffd\\ufffd",
	     REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT},
	    /* surrogates U+D800 and U+DFFF */
	    {"\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd",
	     REPLACEMENT REPLACEMENT REPLACEMENT},
	    {"\xed\xbf\xbf", "\\ufffd\\ufffd\\ufffd",
	     REPLACEMENT REPLACEMENT REPLACEMENT},
	    /* U+110000, above the last code point */
	    {"\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd",
	     REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT},
	};
	char want[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_not(is_utf8(cases[i].in), "case %zu", i);
		snprintf(want, sizeof(want), "{\"s\":\"%s\"}", cases[i].text);
		check_string(cases[i].in, want, cases[i].value);
	}
}

Test(json_writer, escapes_keys_like_values)
{
	char buf[128];
	json_object *o;

	cr_assert_gt(write_one(buf, sizeof(buf), "k\"\\\n\x7f\xff", "v"), 0);
	cr_assert_str_eq(buf, "{\"k\\\"\\\\\\n\\u007f\\ufffd\":\"v\"}");
	o = parse(buf);
	assert_string_member(o, "k\"\\\n\x7f" REPLACEMENT, "v");
	json_object_put(o);
}

/* An object with escapes, multi-byte UTF-8 and replacements, so that the
 * buffer can run out in the middle of each. */
static int write_sample(char *buf, size_t len)
{
	struct json_writer w;

	json_begin(&w, buf, len);
	json_add_string(&w, "name", "br\xc3\xa9\tdge\xff\"0\"");
	json_add_u64(&w, "mtu", 1500);
	json_add_i64(&w, "off", -1);
	json_add_bool(&w, "tso", true);
	json_add_string(&w, "\xf0\x9f\x98\x80", "\x01");
	return json_end(&w);
}

Test(json_writer, fits_exactly_in_length_plus_one_and_fails_below)
{
	char full[256], buf[256];
	int n = write_sample(full, sizeof(full));
	size_t len, i;
	json_object *o;

	cr_assert_gt(n, 0);
	o = parse(full);
	json_object_put(o);

	for (len = 0; len <= (size_t)n + 2; len++) {
		/* Poison the whole array to catch writes past @len. */
		memset(buf, 'X', sizeof(buf));
		if (len < (size_t)n + 1) {
			cr_assert_eq(write_sample(buf, len), -1,
				     "size %zu of %d+1 should not fit", len, n);
			if (len > 0)
				cr_assert_eq(buf[0], '\0',
					     "size %zu: not emptied", len);
		} else {
			cr_assert_eq(write_sample(buf, len), n);
			cr_assert_str_eq(buf, full);
		}
		for (i = len; i < sizeof(buf); i++)
			cr_assert_eq(buf[i], 'X', "size %zu: wrote byte %zu",
				     len, i);
	}
}

Test(json_writer, fails_with_no_buffer_at_all)
{
	struct json_writer w;

	json_begin(&w, NULL, 0);
	json_add_string(&w, "k", "v");
	json_add_u64(&w, "n", 1);
	cr_assert_eq(json_end(&w), -1);
}

Test(json_writer, writes_u64_max_and_i64_min)
{
	char buf[128];
	struct json_writer w;
	json_object *o;

	json_begin(&w, buf, sizeof(buf));
	json_add_u64(&w, "umax", UINT64_MAX);
	json_add_u64(&w, "uzero", 0);
	json_add_i64(&w, "imin", INT64_MIN);
	json_add_i64(&w, "imax", INT64_MAX);
	cr_assert_gt(json_end(&w), 0);
	cr_assert_str_eq(buf, "{\"umax\":18446744073709551615,\"uzero\":0,"
			      "\"imin\":-9223372036854775808,"
			      "\"imax\":9223372036854775807}");

	o = parse(buf);
	cr_assert_eq(json_object_get_uint64(member(o, "umax", json_type_int)),
		     UINT64_MAX);
	cr_assert_eq(json_object_get_uint64(member(o, "uzero", json_type_int)),
		     0);
	cr_assert_eq(json_object_get_int64(member(o, "imin", json_type_int)),
		     INT64_MIN);
	cr_assert_eq(json_object_get_int64(member(o, "imax", json_type_int)),
		     INT64_MAX);
	json_object_put(o);
}

Test(json_writer, writes_fixed_point_numbers_and_null_for_nan)
{
	char buf[256];
	struct json_writer w;
	json_object *o;

	json_begin(&w, buf, sizeof(buf));
	json_add_fixed(&w, "pct", 12.345, 1);
	json_add_fixed(&w, "s", 2.0, 3);
	json_add_fixed(&w, "pps", 1999.6, 0);
	json_add_fixed(&w, "tiny", -0.0004, 3);
	json_add_fixed(&w, "neg", -1.25, 2);
	json_add_fixed(&w, "nan", NAN, 2);
	json_add_fixed(&w, "inf", INFINITY, 2);
	json_add_fixed(&w, "many", 1.0, 40);
	cr_assert_gt(json_end(&w), 0);
	cr_assert_str_eq(buf, "{\"pct\":12.3,\"s\":2.000,\"pps\":2000,"
			      "\"tiny\":0.000,\"neg\":-1.25,\"nan\":null,"
			      "\"inf\":null,\"many\":1.000000000}");
	o = parse(buf);
	cr_assert_float_eq(
	    json_object_get_double(member(o, "pct", json_type_double)), 12.3,
	    1e-9);
	cr_assert_eq(json_object_get_int64(member(o, "pps", json_type_int)),
		     2000);
	cr_assert_eq(json_object_get_type(json_object_object_get(o, "nan")),
		     json_type_null);
	json_object_put(o);
}

Test(json_writer, writes_the_vmnet_helper_line)
{
	static const struct {
		const char *key, *str;
		uint64_t num;
	} line[] = {
	    {"vmnet_write_max_packets", NULL, 256},
	    {"vmnet_read_max_packets", NULL, 256},
	    {"vmnet_subnet_mask", "255.255.255.0", 0},
	    {"vmnet_mtu", NULL, 1500},
	    {"vmnet_end_address", "192.168.105.254", 0},
	    {"vmnet_start_address", "192.168.105.1", 0},
	    {"vmnet_interface_id", "7A2C1F3E-58B4-4D2A-9C61-0E5F3B8D9A47", 0},
	    {"vmnet_max_packet_size", NULL, 1514},
	    {"vmnet_nat66_prefix", "fd9b:5a14:ba57:e3d3::", 0},
	    {"vmnet_mac_address", "5e:ab:cd:ef:01:02", 0},
	};
	const size_t count = sizeof(line) / sizeof(line[0]);
	char buf[1024];
	struct json_writer w;
	json_object *o;
	size_t i;

	json_begin(&w, buf, sizeof(buf));
	for (i = 0; i < count; i++) {
		if (line[i].str)
			json_add_string(&w, line[i].key, line[i].str);
		else
			json_add_u64(&w, line[i].key, line[i].num);
	}
	cr_assert_gt(json_end(&w), 0);
	cr_assert_null(strchr(buf, '\n'), "the caller adds the newline");
	cr_assert_eq(strncmp(buf, "{\"vmnet_write_max_packets\":256,", 31), 0);
	cr_assert(strstr(buf, "\"vmnet_mac_address\":\"5e:ab:cd:ef:01:02\"}"));

	o = parse(buf);
	cr_assert_eq((size_t)json_object_object_length(o), count);
	for (i = 0; i < count; i++) {
		if (line[i].str)
			assert_string_member(o, line[i].key, line[i].str);
		else
			cr_assert_eq(json_object_get_uint64(
					 member(o, line[i].key, json_type_int)),
				     line[i].num);
	}
	json_object_put(o);
}

Test(json_writer, nested_objects_keep_order_and_commas)
{
	static const char want[] =
	    "{\"a\":1,\"o\":{\"x\":\"\\n\",\"e\":{},\"y\":2},\"b\":true}";
	char buf[128];
	struct json_writer w;
	json_object *o, *in;

	json_begin(&w, buf, sizeof(buf));
	json_add_u64(&w, "a", 1);
	json_begin_object(&w, "o");
	json_add_string(&w, "x", "\n");
	json_begin_object(&w, "e");
	json_end_object(&w);
	json_add_i64(&w, "y", 2);
	json_end_object(&w);
	json_add_bool(&w, "b", true);
	cr_assert_eq(json_end(&w), (int)strlen(want));
	cr_assert_str_eq(buf, want);

	o = parse(buf);
	in = member(o, "o", json_type_object);
	assert_string_member(in, "x", "\n");
	cr_assert_eq(
	    json_object_object_length(member(in, "e", json_type_object)), 0);
	cr_assert_eq(json_object_get_int64(member(in, "y", json_type_int)), 2);
	json_object_put(o);
}

Test(json_writer, unbalanced_objects_give_no_line)
{
	char buf[64];
	struct json_writer w;

	/* Begun, never ended: the line would lack a brace. */
	json_begin(&w, buf, sizeof(buf));
	json_begin_object(&w, "o");
	json_add_u64(&w, "x", 1);
	cr_assert_eq(json_end(&w), -1);
	cr_assert_str_eq(buf, "");
	/* Ended once too often: it would close the outer object early. */
	json_begin(&w, buf, sizeof(buf));
	json_end_object(&w);
	json_add_u64(&w, "x", 1);
	cr_assert_eq(json_end(&w), -1);
	cr_assert_str_eq(buf, "");
}
