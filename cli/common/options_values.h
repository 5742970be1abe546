/* SPDX-License-Identifier: Apache-2.0 */
/* options_values.h - parse the value of one vmnet-helper option into
 * struct options, with a one-line message when it is bad. */
#ifndef VMNET_HELPER_OPTIONS_VALUES_H
#define VMNET_HELPER_OPTIONS_VALUES_H

#include <stddef.h>

#include "options.h"

/* Values as typed, kept for messages about combinations. */
struct options_typed {
	const char *mode, *start, *end, *mask, *batch, *ring;
};

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
