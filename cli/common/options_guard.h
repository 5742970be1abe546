/* SPDX-License-Identifier: Apache-2.0 */
/* options_guard.h - the guard's options (--enforce-mac, --enforce-ip,
 * --guest-ip, --allow, --block): their values into o->guard, and the rules
 * between them. docs/guard.md says what they do. */
#ifndef VMNET_HELPER_OPTIONS_GUARD_H
#define VMNET_HELPER_OPTIONS_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

/**
 * options_apply_guard() - parse one of these options' values
 * @o:		gets it, in o->guard
 * @c:		the option (enum opt_val)
 * @arg:	its value; NULL for --enforce-mac without one
 * @err:	the message when it is bad
 * @errlen:	room in @err
 *
 * Return: 0, -1 with @err filled, or 1 if @c is not one of them.
 */
int options_apply_guard(struct options *o, int c, const char *arg, char *err,
			size_t errlen);

/**
 * options_check_guard_rules() - these options against each other
 * @o:		the options read
 * @err:	the message naming the option and what to do
 * @errlen:	room in @err
 *
 * Return: 0, or -1 with @err filled.
 */
int options_check_guard_rules(const struct options *o, char *err,
			      size_t errlen);

/**
 * options_parse_mac() - a MAC address as six pairs of hex digits, either
 * case, separated by ':', and nothing else
 * @s:		the text, e.g. "52:54:00:12:34:56"
 * @out:	6 bytes
 *
 * Return: true if @s is one.
 */
bool options_parse_mac(const char *s, uint8_t out[6]);

#endif
