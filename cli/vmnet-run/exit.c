/* SPDX-License-Identifier: Apache-2.0 */
/* exit.c - vmnet-run's exit status and wait statuses in words. */
#include "cli/vmnet-run/exit.h"

#include "signals.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

int run_exit_status(const struct run_outcome *o)
{
	if (!o->command_started)
		return o->signo > 0 ? 128 + o->signo : 1;
	if (o->helper_exited_first)
		return 1;
	return run_wait_code(o->command_wstatus);
}

int run_wait_code(int wstatus)
{
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}

const char *run_helper_failed_hint(bool via_sudo, int wstatus)
{
	if (!via_sudo || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 1)
		return "";
	return "; if sudo refused to start it (\"a password is required\", "
	       "\"you are not permitted to use the -C option\"), install "
	       "the sudoers rule " RUN_SUDOERS_RULE " as /etc/sudoers.d/"
	       "vmnet-helper (docs/vmnet-run.md, \"Through sudo\")";
}

const char *run_describe_wait(int wstatus, char *buf, size_t len)
{
	if (WIFSIGNALED(wstatus)) {
		const char *name = signal_name(WTERMSIG(wstatus));

		if (name != NULL)
			snprintf(buf, len, "killed by %s", name);
		else
			snprintf(buf, len, "killed by signal %d",
				 WTERMSIG(wstatus));
	} else {
		snprintf(buf, len, "status %d", WEXITSTATUS(wstatus));
	}
	return buf;
}
