/* SPDX-License-Identifier: Apache-2.0 */
/* options_platform.h - what the command line needs from the platform
 * (linux/options_platform.c, darwin/options_platform.c): a getopt that
 * starts over, and which platform this is (options_build_platform(), in
 * options.h). */
#ifndef VMNET_HELPER_OPTIONS_PLATFORM_H
#define VMNET_HELPER_OPTIONS_PLATFORM_H

/**
 * options_getopt_restart() - make the next getopt_long() start afresh at
 * argv[1], with any half-read "-vf" cluster forgotten, and silent (opterr
 * 0): the parser says what is wrong itself
 */
void options_getopt_restart(void);

#endif
