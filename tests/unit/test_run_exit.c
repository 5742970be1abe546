/* SPDX-License-Identifier: Apache-2.0 */
/* test_run_exit.c - vmnet-run's exit status from how its children ended,
 * wait statuses in words, and the hint when sudo refused (exit.c). */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "cli/vmnet-run/exit.h"

struct exit_case {
	struct run_outcome o;
	int want;
};

Test(vmnet_run_exit, status_follows_command_or_says_why_not)
{
	static const struct exit_case cases[] = {
	    /* The helper failed before it was ready. */
	    {{.command_started = false}, 1},
	    /* A signal came before the helper was ready. */
	    {{.command_started = false, .signo = SIGTERM}, 128 + SIGTERM},
	    {{.command_started = false, .signo = SIGINT}, 128 + SIGINT},
	    /* COMMAND exited first, or after a forwarded signal. */
	    {{.command_started = true, .command_wstatus = W_EXITCODE(7, 0)}, 7},
	    {{.command_started = true, .command_wstatus = W_EXITCODE(0, 0)}, 0},
	    {{.command_started = true, .command_wstatus = W_EXITCODE(0, 9)},
	     137},
	    {{.command_started = true, .command_wstatus = W_EXITCODE(0, 15)},
	     143},
	    /* The helper exited first: whatever COMMAND did after. */
	    {{.command_started = true,
	      .command_wstatus = W_EXITCODE(0, 0),
	      .helper_exited_first = true},
	     1},
	    {{.command_started = true,
	      .command_wstatus = W_EXITCODE(0, 15),
	      .helper_exited_first = true},
	     1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(run_exit_status(&cases[i].o), cases[i].want,
			     "case %zu: %d", i, run_exit_status(&cases[i].o));
}

Test(vmnet_run_exit, wait_status_in_words)
{
	static const struct {
		int wstatus;
		const char *want;
		int code;
	} cases[] = {
	    {W_EXITCODE(7, 0), "status 7", 7},
	    {W_EXITCODE(0, 0), "status 0", 0},
	    {W_EXITCODE(0, SIGKILL), "killed by SIGKILL", 137},
	    {W_EXITCODE(0, SIGTERM), "killed by SIGTERM", 143},
	    {W_EXITCODE(0, SIGSYS), "killed by SIGSYS", 159},
	    {W_EXITCODE(0, 40), "killed by signal 40", 168},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];

		cr_assert_str_eq(
		    run_describe_wait(cases[i].wstatus, buf, sizeof(buf)),
		    cases[i].want, "case %zu", i);
		cr_assert_eq(run_wait_code(cases[i].wstatus), cases[i].code,
			     "case %zu", i);
	}
}

Test(vmnet_run_exit, helper_failing_through_sudo_names_the_sudoers_rule)
{
	/* waitpid() statuses, encoded alike on Linux and macOS. */
	const int exit1 = 1 << 8, exit2 = 2 << 8, killed = SIGKILL;
	const char *hint = run_helper_failed_hint(true, exit1);

	/* sudo refuses with status 1: say which rule lets it through. */
	cr_assert(strstr(hint, RUN_SUDOERS_RULE), "%s", hint);
	cr_assert(strstr(hint, "/etc/sudoers.d/vmnet-helper"), "%s", hint);
	cr_assert(strstr(hint, "-C option"), "%s", hint);
	cr_assert_eq(strncmp(hint, "; ", 2), 0, "%s", hint);
	cr_assert_eq(access(child_source_file(RUN_SUDOERS_RULE), R_OK), 0,
		     "the hint names %s, which must ship", RUN_SUDOERS_RULE);
	/* Not through sudo, or not sudo's status: nothing to add. */
	cr_assert_str_eq(run_helper_failed_hint(false, exit1), "");
	cr_assert_str_eq(run_helper_failed_hint(true, exit2), "");
	cr_assert_str_eq(run_helper_failed_hint(true, 0), "");
	cr_assert_str_eq(run_helper_failed_hint(true, killed), "");
}
