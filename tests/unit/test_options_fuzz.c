/* SPDX-License-Identifier: Apache-2.0 */
/* test_options_fuzz.c - thousands of random command lines, built from
 * every option name and awkward values, through options_parse(): under
 * the ASan+UBSan build (make test-asan) any overflow, leak or undefined
 * behaviour fails the run; here, every outcome must be 0 or one line of
 * error, and the same line twice (the parser keeps no state). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "options_table.h"

#define LINES	 4000
#define ARGS_MAX 10

/* Values that sit on the edges the parser must hold: empty, signs,
 * wrap-arounds of 32-bit milliseconds and sizes, format directives,
 * separators, addresses of each family, and more than fits a name. */
static const char *const values[] = {
    "",
    "0",
    "1",
    "-1",
    "+5",
    "16",
    "64",
    "512",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "536870912",
    "4294968",
    "99999999999999999999",
    "x%d%d",
    "br%d",
    "%s%n",
    "tap%d",
    "none",
    "host",
    "shared",
    "bridged",
    "en0",
    "/tmp/vmh-fuzz.sock",
    "relative.sock",
    "1,0",
    "0,1",
    "192.168.105.1",
    "255.255.255.0",
    "256.1.1.1",
    "fd00::/64",
    "::1",
    "c0:ff:ee:00:00:01",
    "3c4d5e6f-0000-4000-8000-000000000001",
    "not-a-uuid",
    "root",
    "nobody",
    "--",
    "-",
    "-x",
    "--no-such-option",
};

/* xorshift64: a fixed seed, so a failing line is the same on every run
 * and its index in the message finds it again. */
static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One random argument: an option (with "=VALUE" sometimes), or a value. */
static const char *random_arg(uint64_t *s, char *buf, size_t size)
{
	size_t nvalues = sizeof(values) / sizeof(values[0]);
	uint64_t r = next(s);

	if (r % 3 != 0)
		return values[(r >> 8) % nvalues];
	const char *name = opt_descs[(r >> 8) % OPT_COUNT].name;
	if ((r >> 32) % 4 == 0)
		snprintf(buf, size, "--%s=%s", name,
			 values[(r >> 40) % nvalues]);
	else
		snprintf(buf, size, "--%s", name);
	return buf;
}

Test(options_fuzz, random_lines_give_zero_or_one_line_the_same_twice)
{
	static char bufs[ARGS_MAX][128];
	static char longest[400];
	uint64_t seed = 0x9e3779b97f4a7c15u;
	int accepted = 0;

	memset(longest, 'a', sizeof(longest) - 1);
	for (int line = 0; line < LINES; line++) {
		char *argv[ARGS_MAX + 2] = {(char *)"vmnet-helper"};
		char *again[ARGS_MAX + 2];
		int argc = 1 + (int)(next(&seed) % ARGS_MAX);
		enum options_platform p =
		    line % 2 ? OPTIONS_PLATFORM_DARWIN : OPTIONS_PLATFORM_LINUX;

		for (int i = 1; i < argc; i++)
			argv[i] =
			    (char *)random_arg(&seed, bufs[i], sizeof(bufs[i]));
		if (line % 97 == 0)
			argv[argc - 1] = longest;
		memcpy(again, argv, sizeof(argv)); /* getopt may reorder */

		struct options o1, o2;
		char e1[OPTIONS_ERR_MAX] = "", e2[OPTIONS_ERR_MAX] = "";
		int r1 = options_parse(&o1, argc, argv, p, e1, sizeof(e1));
		int r2 = options_parse(&o2, argc, again, p, e2, sizeof(e2));

		cr_assert(r1 == 0 || r1 == -1, "line %d: returned %d", line,
			  r1);
		cr_assert_eq(r1, r2, "line %d: %d then %d", line, r1, r2);
		cr_assert_str_eq(e1, e2, "line %d", line);
		if (r1 == 0) {
			accepted++;
			continue;
		}
		cr_assert_neq(e1[0], '\0', "line %d: no message", line);
		cr_assert_null(strchr(e1, '\n'), "line %d: '%s' spans lines",
			       line, e1);
	}
	/* Random lines are mostly wrong; some must pass, or the generator
	 * tests only the first error path. */
	cr_assert_gt(accepted, 0, "no line of %d was accepted", LINES);
	cr_assert_lt(accepted, LINES, "every line was accepted");
}
