/* SPDX-License-Identifier: Apache-2.0 */
/* json_writer.c - one JSON object written into a caller's buffer, with
 * every string escaped so the result is valid JSON and valid UTF-8. */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json_writer.h"

/* Append @n bytes, keeping one byte spare so the buffer is always a C
 * string. After the first failure nothing more is written: a member cut
 * in half must not be followed by a later one that happened to fit. */
static void json_put(struct json_writer *w, const char *s, size_t n)
{
	if (w->overflow)
		return;
	if (n >= w->len - w->used) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->used, s, n);
	w->used += n;
	w->buf[w->used] = '\0';
}

/*
 * Length of the valid UTF-8 sequence at @p (1 to 4), or 0 if the byte at
 * @p does not start one. The ranges are those of RFC 3629 section 4: the
 * second byte's range for E0, ED, F0 and F4 is what excludes overlong
 * forms, surrogates and code points above U+10FFFF. A NUL is never a
 * continuation byte, so a sequence cut short by the end of the string is
 * rejected without reading past it.
 */
static size_t json_utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0; /* continuation byte, C0, C1 (overlong) or F5..FF */

	if (p[0] == 0xe0)
		lo = 0xa0; /* below: overlong, fits in 2 bytes */
	else if (p[0] == 0xed)
		hi = 0x9f; /* above: U+D800..U+DFFF, surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90; /* below: overlong, fits in 3 bytes */
	else if (p[0] == 0xf4)
		hi = 0x8f; /* above: beyond U+10FFFF */

	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return n;
}

/* Write the escape for the ASCII byte @c: quote, backslash, a control
 * character or DEL. JSON's short forms where they exist, since people
 * read this line too; \u00XX otherwise. */
static void json_put_escape(struct json_writer *w, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = {'\\', (char)c};

	switch (c) {
	case '"':
	case '\\':
		break;
	case '\b':
		esc[1] = 'b';
		break;
	case '\f':
		esc[1] = 'f';
		break;
	case '\n':
		esc[1] = 'n';
		break;
	case '\r':
		esc[1] = 'r';
		break;
	case '\t':
		esc[1] = 't';
		break;
	default:
		memcpy(esc + 1, "u00", 3);
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 0xf];
		json_put(w, esc, 6);
		return;
	}
	json_put(w, esc, 2);
}

/* Write @s as a JSON string, quotes included. Runs of bytes that need no
 * escape are copied in one call. */
static void json_put_string(struct json_writer *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run = p;
	size_t n;

	json_put(w, "\"", 1);
	while (*p) {
		n = json_utf8_len(p);
		if (n > 1 || (n == 1 && *p >= 0x20 && *p != '"' && *p != '\\' &&
			      *p != 0x7f)) {
			p += n;
			continue;
		}
		json_put(w, (const char *)run, (size_t)(p - run));
		if (n == 0) /* not UTF-8: one replacement per bad byte */
			json_put(w, "\\ufffd", 6);
		else
			json_put_escape(w, *p);
		p++;
		run = p;
	}
	json_put(w, (const char *)run, (size_t)(p - run));
	json_put(w, "\"", 1);
}

/* The comma if needed, the escaped key and the colon. */
static void json_put_key(struct json_writer *w, const char *key)
{
	if (!w->first)
		json_put(w, ",", 1);
	w->first = false;
	json_put_string(w, key);
	json_put(w, ":", 1);
}

void json_begin(struct json_writer *w, char *buf, size_t len)
{
	w->buf = buf;
	w->len = len;
	w->used = 0;
	w->overflow = false;
	w->first = true;
	w->depth = 1;
	if (len > 0)
		buf[0] = '\0';
	json_put(w, "{", 1);
}

void json_add_string(struct json_writer *w, const char *key, const char *value)
{
	json_put_key(w, key);
	if (value)
		json_put_string(w, value);
	else
		json_put(w, "null", 4);
}

void json_add_u64(struct json_writer *w, const char *key, uint64_t value)
{
	char num[24]; /* 20 digits for UINT64_MAX */
	int n = snprintf(num, sizeof(num), "%" PRIu64, value);

	json_put_key(w, key);
	json_put(w, num, (size_t)n);
}

void json_add_i64(struct json_writer *w, const char *key, int64_t value)
{
	char num[24]; /* sign and 19 digits for INT64_MIN */
	int n = snprintf(num, sizeof(num), "%" PRId64, value);

	json_put_key(w, key);
	json_put(w, num, (size_t)n);
}

/* Half of the last digit's unit, for 0 to 9 decimals. */
static const double half_unit[10] = {0.5,  0.05, 0.005, 5e-4, 5e-5,
				     5e-6, 5e-7, 5e-8,	5e-9, 5e-10};

void json_add_fixed(struct json_writer *w, const char *key, double value,
		    int decimals)
{
	/* %.9f of the largest double is 309 digits and 10 more. */
	char num[330];
	int n;

	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;
	json_put_key(w, key);
	if (!isfinite(value)) {
		json_put(w, "null", 4);
		return;
	}
	/* What rounds to zero is written as 0, not "-0.00", whose sign a
	 * reader may keep. */
	if (fabs(value) <= half_unit[decimals])
		value = 0.0;
	n = snprintf(num, sizeof(num), "%.*f", decimals, value);
	json_put(w, num, (size_t)n);
}

void json_add_bool(struct json_writer *w, const char *key, bool value)
{
	json_put_key(w, key);
	if (value)
		json_put(w, "true", 4);
	else
		json_put(w, "false", 5);
}

void json_begin_object(struct json_writer *w, const char *key)
{
	json_put_key(w, key);
	json_put(w, "{", 1);
	w->first = true;
	w->depth++;
}

void json_end_object(struct json_writer *w)
{
	/* Never the outer object: json_end() closes that one. */
	if (w->depth < 2) {
		w->overflow = true;
		return;
	}
	json_put(w, "}", 1);
	w->first = false;
	w->depth--;
}

int json_end(struct json_writer *w)
{
	json_put(w, "}", 1);
	if (!w->overflow && w->depth == 1 && w->used <= INT_MAX)
		return (int)w->used;
	/* Leave nothing a caller could print by mistake. */
	if (w->len > 0)
		w->buf[0] = '\0';
	w->overflow = true;
	return -1;
}
