/* SPDX-License-Identifier: Apache-2.0 */
/* self_exe.c - the running executable's path on Linux: /proc/self/exe. */
#include "self_exe.h"

#include <errno.h>
#include <unistd.h>

int self_exe_path(char *buf, size_t size)
{
	ssize_t n;

	if (size < 2)
		return -ENAMETOOLONG;
	/* The kernel's link already has every symbolic link resolved. */
	n = readlink("/proc/self/exe", buf, size);
	if (n < 0)
		return -errno;
	/* readlink() does not terminate, and cuts silently: a full buffer
	 * may be a cut path. */
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}
