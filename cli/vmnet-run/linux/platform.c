/* SPDX-License-Identifier: Apache-2.0 */
/* platform.c - vmnet-run on Linux runs the helper directly: a TAP
 * device needs CAP_NET_ADMIN, which the caller either has or not, and sudo
 * would not know to drop it again. */
#include "cli/vmnet-run/platform.h"

#include <stddef.h>

const char *const *run_platform_helper_prefix(void)
{
	static const char *const none[] = {NULL};

	return none;
}
