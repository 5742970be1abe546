/* SPDX-License-Identifier: Apache-2.0 */
/* test_self_exe.c - the running program's own executable (self_exe.h),
 * by which vmnet-run finds the helper beside it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "self_exe.h"

Test(self_exe, own_executable_is_the_absolute_real_path)
{
	char path[PATH_MAX], small[4];

	cr_assert_eq(self_exe_path(path, sizeof(path)), 0);
	cr_assert_eq(path[0], '/', "%s", path);
	cr_assert(strstr(path, "/tests/unit-tests"), "%s", path);
	cr_assert_eq(self_exe_path(small, sizeof(small)), -ENAMETOOLONG);
}
