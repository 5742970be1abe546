/* SPDX-License-Identifier: Apache-2.0 */
/* options_rules.h - the rules between vmnet-helper's options, checked
 * once all of them are read. */
#ifndef VMNET_HELPER_OPTIONS_RULES_H
#define VMNET_HELPER_OPTIONS_RULES_H

#include <stddef.h>

#include "options.h"
#include "options_values.h"

/**
 * options_check_rules() - check the options against each other
 * @o:		the options read; gets warn_interface_id_ignored,
 *		host.addresses_given and the sizes (options_size_datapath())
 * @t:		the values as typed, for the messages
 * @platform:	whose rules
 * @err:	the message naming the options that clash and what to do
 * @errlen:	room in @err
 *
 * Return: 0, or -1 with @err filled.
 */
int options_check_rules(struct options *o, const struct options_typed *t,
			enum options_platform platform, char *err,
			size_t errlen);

#endif
