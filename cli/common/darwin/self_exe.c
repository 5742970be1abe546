/* SPDX-License-Identifier: Apache-2.0 */
/* self_exe.c - the running executable's path on macOS: dyld's answer,
 * with symbolic links resolved by realpath(). */
#include "self_exe.h"

#include <errno.h>
#include <limits.h>
#include <mach-o/dyld.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int self_exe_path(char *buf, size_t size)
{
	char raw[PATH_MAX], real[PATH_MAX];
	uint32_t len = sizeof(raw);

	/* dyld's path is the one exec was given: it may be relative or a
	 * symbolic link, e.g. Homebrew's bin/ link into its Cellar. */
	if (_NSGetExecutablePath(raw, &len) != 0)
		return -ENAMETOOLONG;
	if (realpath(raw, real) == NULL)
		return -errno;
	size_t n = strlen(real);

	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(buf, real, n + 1);
	return 0;
}
