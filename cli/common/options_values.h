/* SPDX-License-Identifier: Apache-2.0 */
/* options_values.h - parse the value of one vmnet-helper option into
 * struct options, with a one-line message when it is bad. */
#ifndef VMNET_HELPER_OPTIONS_VALUES_H
#define VMNET_HELPER_OPTIONS_VALUES_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"

/* Values as typed, kept for messages about combinations. */
struct options_typed {
	const char *mode, *start, *end, *mask, *batch, *ring;
	const char *network_id, *host_ip, *host_mask, *nat66, *subnet;
	const char *reservation; /* the last --dhcp-reservation */
};

/**
 * options_hex_digit() - the value of one hex digit, either case
 * @c:	the character
 *
 * Return: 0-15, or -1 when @c is not a hex digit.
 */
int options_hex_digit(char c);

/**
 * options_parse_uuid() - a UUID as 8-4-4-4-12 hex digits, either case
 * @opt:	the option, without "--", for the message
 * @s:		the value
 * @out:	16 bytes
 * @err:	the message when it is not one
 * @errlen:	room in @err
 *
 * Return: 0, or -1 with @err filled.
 */
int options_parse_uuid(const char *opt, const char *s, uint8_t out[16],
		       char *err, size_t errlen);

/**
 * options_apply() - handle one option getopt_long() returned
 * @o:		gets the parsed value
 * @t:		gets the value as typed, for the rules' messages
 * @c:		the option (enum opt_val)
 * @arg:	its argument, or NULL for a flag
 * @err:	the message when the value is bad
 * @errlen:	room in @err
 *
 * Return: 0, or -1 with @err filled.
 */
int options_apply(struct options *o, struct options_typed *t, int c,
		  const char *arg, char *err, size_t errlen);

#endif
