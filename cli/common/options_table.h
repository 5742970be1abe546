/* SPDX-License-Identifier: Apache-2.0 */
/* options_table.h - the table of vmnet-helper's options and the limits its
 * texts spell out, shared by the parser, the value parsers and the help. */
#ifndef VMNET_HELPER_OPTIONS_TABLE_H
#define VMNET_HELPER_OPTIONS_TABLE_H

#include <limits.h>
#include <stddef.h>

#include "engine.h"
#include "host.h"

#define RING_SIZE_MIN 16
#define RING_SIZE_MAX 65536

/* Short options keep vmnet-helper's letters; the rest count up from 256. */
enum opt_val {
	OPT_FD = 'f',
	OPT_SOCKET = 's',
	OPT_INTERFACE_ID = 'i',
	OPT_VERBOSE = 'v',
	OPT_HELP = 'h',
	OPT_OPERATION_MODE = 256,
	OPT_SHARED_INTERFACE,
	OPT_START_ADDRESS,
	OPT_END_ADDRESS,
	OPT_SUBNET_MASK,
	OPT_ENABLE_TSO,
	OPT_ENABLE_CHECKSUM_OFFLOAD,
	OPT_ENABLE_ISOLATION,
	OPT_NETWORK,
	OPT_LIST_SHARED_INTERFACES,
	OPT_TAP,
	OPT_BRIDGE,
	OPT_STREAM,
	OPT_HOST_FD,
	OPT_CPUS,
	OPT_WORKERS,
	OPT_BATCH_SIZE,
	OPT_RING_SIZE,
	OPT_STATS_INTERVAL,
	OPT_NETWORK_IDENTIFIER,
	OPT_NETWORK_ID,
	OPT_HOST_IP_ADDRESS,
	OPT_HOST_SUBNET_MASK,
	OPT_NAT66_PREFIX,
	OPT_NETWORK_SUBNET,
	OPT_DISABLE_DHCP,
	OPT_DHCP_RESERVATION,
	OPT_PIDFILE,
	OPT_ADDRESS_FILE,
	OPT_LEARN_ADDRESSES,
	OPT_ENFORCE_MAC,
	OPT_ENFORCE_IP,
	OPT_GUEST_IP,
	OPT_ALLOW,
	OPT_BLOCK,
	OPT_USER,
	OPT_GROUP,
	OPT_PID,
	OPT_EXPOSE,
	OPT_NO_SANDBOX,
	OPT_VERSION,
};

enum opt_scope { SCOPE_ANY, SCOPE_DARWIN, SCOPE_LINUX };

struct opt_desc {
	const char *section; /* heading in --help before this option */
	const char *name;
	int has_arg;
	int val;
	enum opt_scope scope;
	const char *arg;	/* placeholder for the argument in --help */
	const char *help;	/* lines for --help, split by '\n' */
	const char *instead;	/* on the other platform: what to use instead */
	const char *help_linux; /* --help on Linux where it differs, or NULL */
};

/* Limits spelled out for the texts below, checked against their source. */
#define BATCH_SIZE_HELP                                                        \
	"Frames per read or write call, 1 to 256.\n"                           \
	"Default: 64, 16 with TSO."
#define RING_SIZE_HELP                                                         \
	"Slots in each direction's ring: a power of two\n"                     \
	"from 16 to 65536, at least the batch size, and\n"                     \
	"with it within 256 MiB of buffers (with TSO:\n"                       \
	"up to 1024). Default: 512, 64 with TSO, raised\n"                     \
	"to hold one batch."
#define BATCH_SIZE_HINT "pass a number from 1 to 256, e.g. --batch-size 64"
#define RING_SIZE_HINT                                                         \
	"pass a power of two from 16 to 65536, e.g. --ring-size 1024"
#define TSO_HELP_DARWIN                                                        \
	"TCP segmentation offload: frames of up to 65550\n"                    \
	"bytes pass whole. Default: off."
#define TSO_HELP_LINUX                                                         \
	"TCP segmentation offload: frames of up to 65535\n"                    \
	"bytes, a TAP's largest, pass whole. Default: off."
_Static_assert(HOST_TSO_FRAME_MAX_DARWIN == 65550 &&
		   HOST_TSO_FRAME_MAX_LINUX == 65535,
	       "update TSO_HELP_DARWIN and TSO_HELP_LINUX");
#define NUMBER_MAX_TEXT		"2147483647"
#define STATS_INTERVAL_MAX_TEXT "4294967"
#define STATS_INTERVAL_HINT                                                    \
	"pass a number of seconds from 1 to " STATS_INTERVAL_MAX_TEXT          \
	" (49 days), or leave the option out for no stats"
_Static_assert(ENGINE_BATCH_MAX == 256 && ENGINE_BATCH_DEFAULT == 64 &&
		   ENGINE_TSO_BATCH_DEFAULT == 16,
	       "update BATCH_SIZE_HELP and BATCH_SIZE_HINT");
_Static_assert(RING_SIZE_MIN == 16 && RING_SIZE_MAX == 65536 &&
		   ENGINE_RING_DEFAULT == 512 &&
		   ENGINE_TSO_RING_DEFAULT == 64 &&
		   ENGINE_MEMORY_MAX == (size_t)256 << 20,
	       "update RING_SIZE_HELP and RING_SIZE_HINT");
_Static_assert(INT_MAX == 2147483647, "update NUMBER_MAX_TEXT");
_Static_assert(ENGINE_STATS_INTERVAL_MAX_S == 4294967,
	       "update STATS_INTERVAL_MAX_TEXT");

/* Entries in opt_descs[]; options_table.c checks the count. */
#define OPT_COUNT 46

/* Every option, in the order --help shows them. */
extern const struct opt_desc opt_descs[];

/**
 * opt_desc_by_val() - the table entry of an option
 * @val:	what getopt_long() returns for it (enum opt_val)
 *
 * Return: the entry, or NULL if no option has @val.
 */
const struct opt_desc *opt_desc_by_val(int val);

/**
 * opt_list_append() - add an option to a list for a message
 * @buf:	the list so far, space-separated, NUL-terminated
 * @size:	room in @buf; what does not fit is cut
 * @name:	the option's long name, without "--"
 * @value:	its value as typed, or NULL to write --NAME alone
 */
void opt_list_append(char *buf, size_t size, const char *name,
		     const char *value);

#endif
