/* SPDX-License-Identifier: Apache-2.0 */
/* options_platform.c - the command line's platform parts on macOS. */
#include "options_platform.h"

#include <getopt.h>
#include <unistd.h>

#include "options.h"

/* The BSD getopt of macOS starts over when optreset is set, at optind
 * (getopt(3)). */
void options_getopt_restart(void)
{
	optreset = 1;
	optind = 1;
	opterr = 0;
}

enum options_platform options_build_platform(void)
{
	return OPTIONS_PLATFORM_DARWIN;
}
