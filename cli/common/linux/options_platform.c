/* SPDX-License-Identifier: Apache-2.0 */
/* options_platform.c - the command line's platform parts on Linux. */
#include "options_platform.h"

#include <getopt.h>

#include "options.h"

/* glibc and musl start over from scratch, cluster included, only when
 * optind is 0. */
void options_getopt_restart(void)
{
	optind = 0;
	opterr = 0;
}

enum options_platform options_build_platform(void)
{
	return OPTIONS_PLATFORM_LINUX;
}
