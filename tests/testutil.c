/* SPDX-License-Identifier: Apache-2.0 */
/* testutil.c - helpers shared by the Criterion tests. */
#include "testutil.h"

#include <criterion/criterion.h>
#include <sys/resource.h>

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

#ifdef TEST_ASAN
/* Let ASan's allocator fail the way malloc does, so out-of-memory paths can
 * be tested: 8 GiB is far above anything a test allocates on purpose and
 * far below what the out-of-memory tests ask for. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1:max_allocation_size_mb=8192";
}
#endif

void test_limit_memory(uint64_t bytes)
{
#ifndef TEST_ASAN
	struct rlimit rl = {.rlim_cur = bytes, .rlim_max = bytes};

	cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0, "setrlimit(RLIMIT_AS)");
#else
	(void)bytes;
#endif
}
