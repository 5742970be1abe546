/* SPDX-License-Identifier: Apache-2.0 */
/* options_expose.h - --expose [HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]:
 * its values, and the rules between it and the other options. */
#ifndef VMNET_HELPER_OPTIONS_EXPOSE_H
#define VMNET_HELPER_OPTIONS_EXPOSE_H

#include <stddef.h>

#include "options.h"

/**
 * options_parse_expose() - parse one --expose value into o->host.expose
 * @o:		gets the rule; the learner is turned on, as the rules wait
 *		for the guest's address
 * @arg:	the value, e.g. "8080:80", "192.168.1.10:5353:53/udp"
 * @err:	the message naming the value and the fix when it is bad
 * @errlen:	room in @err
 *
 * Refuses a second rule for the same host port and protocol, and more
 * than HOST_EXPOSE_MAX rules.
 *
 * Return: 0, or -1 with @err filled.
 */
int options_parse_expose(struct options *o, const char *arg, char *err,
			 size_t errlen);

/**
 * options_check_expose_rules() - --expose against the other options
 * @o:		the options read
 * @platform:	macOS takes no HOSTADDR and shared mode only; --host-fd
 *		has no host interface to forward from on either
 * @err:	the message naming the clash and what to do
 * @errlen:	room in @err
 *
 * Return: 0, or -1 with @err filled.
 */
int options_check_expose_rules(const struct options *o,
			       enum options_platform platform, char *err,
			       size_t errlen);

#endif
