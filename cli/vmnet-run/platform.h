/* SPDX-License-Identifier: Apache-2.0 */
/* platform.h - how vmnet-run starts the helper on this platform:
 * directly on Linux and on macOS 26 or later, through sudo on older macOS
 * (vmnet.framework wants root there). */
#ifndef VMNET_HELPER_RUN_PLATFORM_H
#define VMNET_HELPER_RUN_PLATFORM_H

/**
 * run_platform_helper_prefix() - words to put before the helper's path in
 * the argv vmnet-run executes
 *
 * On macOS before 26, when vmnet-run is not root: "sudo",
 * "--non-interactive" (fail at once with sudo's own message rather than
 * wait for a password: vmnet-run often runs with no terminal, e.g. from
 * launchd, and the sudoers rule of an install lets the helper through)
 * and "--close-from=4" (sudo closes every fd from 3 up by default; this
 * keeps fd 3, the helper's socket, and still closes the rest).
 * The decision itself is run_needs_sudo() in args.h, tested on Linux.
 *
 * Return: a static NULL-terminated list, empty when no prefix is needed.
 */
const char *const *run_platform_helper_prefix(void);

#endif
