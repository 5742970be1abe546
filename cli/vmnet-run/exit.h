/* SPDX-License-Identifier: Apache-2.0 */
/* exit.h - vmnet-run's exit status from how its two children ended,
 * and wait statuses in words for its log lines. Pure. */
#ifndef VMNET_HELPER_RUN_EXIT_H
#define VMNET_HELPER_RUN_EXIT_H

#include <stdbool.h>
#include <stddef.h>

/* How a run ended, as the supervisor saw it. */
struct run_outcome {
	bool command_started;
	int command_wstatus; /* waitpid() status of COMMAND, once started */
	/* The helper exited on its own while COMMAND ran (not after a
	 * signal vmnet-run sent or forwarded to it). */
	bool helper_exited_first;
	/* The stop signal that stopped vmnet-run before COMMAND started;
	 * 0 if none. */
	int signo;
};

/**
 * run_exit_status() - the status vmnet-run exits with
 * @o:	how the run ended
 *
 * COMMAND never started: 128 + @o->signo when a signal stopped the wait
 * for the helper, else 1 (the helper failed). The helper exited first: 1.
 * Otherwise COMMAND's own status (run_wait_code()), also after vmnet-run
 * forwarded a stop signal to it.
 *
 * Return: 0 to 255.
 */
int run_exit_status(const struct run_outcome *o);

/**
 * run_wait_code() - a wait status as a shell reports it
 * @wstatus:	from waitpid()
 *
 * Return: the exit status, or 128 + N when signal N ended the process.
 */
int run_wait_code(int wstatus);

/**
 * run_describe_wait() - a wait status in words, for log lines
 * @wstatus:	from waitpid()
 * @buf:	output, e.g. "status 7" or "killed by SIGKILL"
 * @len:	room in @buf
 *
 * Return: @buf, so it can go straight into a printf argument list.
 */
const char *run_describe_wait(int wstatus, char *buf, size_t len);

/* Where the sudoers rule vmnet-run needs on macOS before 26 ships. */
#define RUN_SUDOERS_RULE "docs/examples/sudoers.d/vmnet-helper"

/**
 * run_helper_failed_hint() - what to add to the line that says the helper
 * exited before it was ready
 * @via_sudo:	the helper was started through sudo (macOS before 26)
 * @wstatus:	its waitpid() status
 *
 * sudo refuses with exit status 1 (and its own message on stderr, e.g. "a
 * password is required" or "you are not permitted to use the -C option")
 * when no sudoers rule lets the user run the helper without a password and
 * with --close-from. The helper's own start failures exit 1 too, so the
 * hint says "if sudo refused".
 *
 * Return: a static text starting with "; ", or "" when there is nothing to
 * add.
 */
const char *run_helper_failed_hint(bool via_sudo, int wstatus);

#endif
