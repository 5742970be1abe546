/* SPDX-License-Identifier: Apache-2.0 */
/* platform.c - vmnet-run on macOS: before macOS 26 vmnet.framework
 * needs root, so a user's vmnet-run starts the helper through sudo, as the
 * reference vmnet-run does; from 26 on it runs the helper directly. */
#include "cli/vmnet-run/platform.h"

#include <stddef.h>
#include <sys/sysctl.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli/vmnet-run/args.h"

const char *const *run_platform_helper_prefix(void)
{
	static const char *const sudo[] = {"sudo", "--non-interactive",
					   "--close-from=4", NULL};
	static const char *const none[] = {NULL};
	char version[32];
	size_t len = sizeof(version);
	const char *v = version;

	/* "15.6.1", "26.0"; unreadable means an old macOS, where sudo is
	 * what works (on 26 it would only be needless). */
	if (sysctlbyname("kern.osproductversion", version, &len, NULL, 0) !=
		0 ||
	    len == 0 || len > sizeof(version))
		v = NULL;
	else
		version[len - 1] = '\0';
	return run_needs_sudo((unsigned)geteuid(), v) ? sudo : none;
}
