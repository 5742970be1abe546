/* SPDX-License-Identifier: Apache-2.0 */
/* json_writer.h - one JSON object written into a caller's buffer, with
 * every string escaped so the result is valid JSON and valid UTF-8. */
#ifndef VMNET_HELPER_JSON_WRITER_H
#define VMNET_HELPER_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Usage: json_begin(), one json_add_*() per member, json_end(). A member
 * that is itself an object is json_begin_object(), its members, then
 * json_end_object(). Members appear in the order of the calls; nothing
 * sorts or removes duplicates.
 * No newline is added: the caller writes the line ending and flushes, so
 * the object reaches its reader as one line.
 *
 * Nothing is allocated. Once the buffer is found too small the writer
 * stops writing and json_end() reports it, so callers check once, at the
 * end, instead of after every member.
 */

/* Treat as opaque; the fields are here so it can live on the stack. */
struct json_writer {
	char *buf;	/* the caller's buffer */
	size_t len;	/* its size in bytes, including room for the NUL */
	size_t used;	/* bytes written so far, excluding the NUL */
	bool overflow;	/* something did not fit; the object is lost */
	bool first;	/* no member written yet: the next needs no comma */
	unsigned depth; /* objects begun and not yet ended, the outer one too */
};

/**
 * json_begin() - start an object in @buf
 * @w:		writer to initialise
 * @buf:	where the object goes; may be NULL only if @len is 0
 * @len:	size of @buf in bytes; the smallest that fits an object of n
 *		characters is n + 1, for the terminating NUL
 */
void json_begin(struct json_writer *w, char *buf, size_t len);

/**
 * json_add_string() - add a string member
 * @w:		writer
 * @key:	member name, NUL-terminated
 * @value:	NUL-terminated bytes; NULL adds JSON null
 *
 * Key and value are escaped per RFC 8259: quote, backslash and the
 * control characters U+0000..U+001F (as \b \f \n \r \t where JSON has
 * them, else \u00XX), and U+007F as \u007f. Valid UTF-8 is copied as is;
 * each byte that is not part of a valid UTF-8 sequence (a bad lead byte,
 * a truncated sequence, an overlong encoding, a surrogate, or a code point
 * above U+10FFFF) becomes \ufffd, so text from the OS, such as an
 * interface name, can never break the line.
 */
void json_add_string(struct json_writer *w, const char *key, const char *value);

/**
 * json_add_u64() - add an unsigned integer member, in decimal
 * @w:		writer
 * @key:	member name, escaped as in json_add_string()
 * @value:	any value; readers that hold numbers as doubles lose precision
 *		above 2^53, which none of our values come near
 */
void json_add_u64(struct json_writer *w, const char *key, uint64_t value);

/**
 * json_add_i64() - add a signed integer member, in decimal
 * @w:		writer
 * @key:	member name, escaped as in json_add_string()
 * @value:	any value, INT64_MIN included
 */
void json_add_i64(struct json_writer *w, const char *key, int64_t value);

/**
 * json_add_fixed() - add a number member with @decimals digits after the
 * point, e.g. 12.5 as 12.50 with 2
 * @w:		writer
 * @key:	member name, escaped as in json_add_string()
 * @value:	the value; NaN and the infinities, which JSON cannot hold,
 *		add null
 * @decimals:	0 to 9; 0 writes an integer, without a point
 *
 * Always a '.' as the decimal point: nothing of ours calls setlocale(),
 * so printf() keeps the C locale's.
 */
void json_add_fixed(struct json_writer *w, const char *key, double value,
		    int decimals);

/**
 * json_add_bool() - add a member that is true or false
 * @w:		writer
 * @key:	member name, escaped as in json_add_string()
 * @value:	the value
 */
void json_add_bool(struct json_writer *w, const char *key, bool value);

/**
 * json_begin_object() - add a member that is an object, and make it the one
 * the next members go into, until json_end_object()
 * @w:		writer
 * @key:	member name, escaped as in json_add_string()
 */
void json_begin_object(struct json_writer *w, const char *key);

/**
 * json_end_object() - close the object json_begin_object() began
 * @w:		writer
 *
 * Members added after it go into the enclosing object again.
 */
void json_end_object(struct json_writer *w);

/**
 * json_end() - close the object
 * @w:		writer
 *
 * Return: the length of the object in bytes, excluding the NUL that always
 * follows it; or -1 if the buffer was too small (or the object longer than
 * INT_MAX), or an object begun with json_begin_object() was never ended,
 * in which case the buffer holds an empty string (when @len was at least
 * 1), never a partial object that could pass for a complete one.
 */
int json_end(struct json_writer *w);

#endif /* VMNET_HELPER_JSON_WRITER_H */
