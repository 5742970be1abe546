/* SPDX-License-Identifier: Apache-2.0 */
/* options_networks.h - the options that choose what network vmnet makes:
 * a DHCP-less host network (--network-identifier, --host-ip-address,
 * --host-subnet-mask), the NAT66 prefix, and a macOS 26 network of the
 * helper's own (--network-subnet, --disable-dhcp, --dhcp-reservation):
 * their values, and the rules between them and the other options. */
#ifndef VMNET_HELPER_OPTIONS_NETWORKS_H
#define VMNET_HELPER_OPTIONS_NETWORKS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "options.h"
#include "options_values.h"

/**
 * options_apply_network() - parse one of these options' values
 * @o:		gets it, in o->host
 * @t:		gets the value as typed
 * @c:		the option (enum opt_val)
 * @arg:	its value
 * @err:	the message when it is bad
 * @errlen:	room in @err
 *
 * Return: 0, -1 with @err filled, or 1 if @c is not one of them.
 */
int options_apply_network(struct options *o, struct options_typed *t, int c,
			  const char *arg, char *err, size_t errlen);

/**
 * options_check_network_rules() - these options against the others
 * @o:		the options read; --network-identifier without
 *		--operation-mode sets host mode, the only one it works in
 * @t:		the values as typed
 * @err:	the message naming the options that clash and what to do
 * @errlen:	room in @err
 *
 * Return: 0, or -1 with @err filled.
 */
int options_check_network_rules(struct options *o,
				const struct options_typed *t, char *err,
				size_t errlen);

/**
 * options_mask_is_contiguous() - ones, then zeros, and not empty
 * @mask:	a subnet mask
 *
 * Return: true for e.g. 255.255.255.0, false for 255.0.255.0 or 0.0.0.0.
 */
bool options_mask_is_contiguous(struct in_addr mask);

#endif
