/* SPDX-License-Identifier: Apache-2.0 */
/* tsan_runner.c - runs the threaded scenarios of stress.c,
 * engine_scenarios.c, guest_scenarios.c and guard_scenarios.c under
 * ThreadSanitizer, where Criterion cannot start (Snaipe/Criterion#274: its
 * BoxFort arena finds no free address space beside TSan's shadow). A race makes
 * TSan exit non-zero (halt_on_error); a wrong result fails the case.
 *
 * Usage: tsan-runner [SUBSTRING]   runs the cases whose name contains it. */
#include <stdio.h>
#include <string.h>

#include "engine_scenarios.h"
#include "guard_scenarios.h"
#include "guest_scenarios.h"
#include "stress.h"

const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "halt_on_error=1:exitcode=66";
}

int main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0;

	/* The engine's scenarios run twice: with two workers and with one
	 * serving both endpoints. */
	const struct {
		const struct stress_case *cases;
		unsigned count;
		unsigned workers;
		const char *mode;
	} tables[] = {
	    {stress_cases, stress_case_count, 2, ""},
	    {engine_cases, engine_case_count, 2, ""},
	    {engine_cases, engine_case_count, 1, " (one worker)"},
	    {guest_cases, guest_case_count, 2, ""},
	    /* Each guard case names its own worker count. */
	    {guard_cases, guard_case_count, 2, ""},
	};
	const unsigned ntables = sizeof(tables) / sizeof(tables[0]);

	for (unsigned i = 0; i < ntables * 1000; i++) {
		unsigned t = i / 1000, k = i % 1000;
		if (k >= tables[t].count)
			continue;
		const struct stress_case *c = &tables[t].cases[k];

		if (argc > 1 && !strstr(c->name, argv[1]))
			continue;
		scenario_set_workers(tables[t].workers);
		struct stress_result r = c->run(c->burst);
		if (r.ok) {
			passed++;
			printf("[PASS] %s%s\n", c->name, tables[t].mode);
		} else {
			failed++;
			printf("[FAIL] %s%s: %s\n", c->name, tables[t].mode,
			       r.why);
		}
		fflush(stdout);
	}
	printf("tsan: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
