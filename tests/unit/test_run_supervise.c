/* SPDX-License-Identifier: Apache-2.0 */
/* test_run_supervise.c - vmnet-run's supervisor over real child processes
 * of the test, with one helper (several: tests/system/test_vmnet_run.c):
 * the wait for the helper's line, who stops whom, signals forwarded,
 * SIGKILL after the stop timeout, both always reaped. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/vmnet-run/exit.h"
#include "cli/vmnet-run/supervise.h"
#include "signals.h"

static struct run_sup sup;
static sigset_t old_mask;

/* As vmnet-run does before its first fork: SIGCHLD and the stop signals
 * blocked, so that only the supervisor's poller sees them. */
static void setup(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	signals_add_answered(&set);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &set, &old_mask), 0);
	cr_assert_eq(run_sup_init(&sup, 1, 1), 0);
}

static void teardown(void)
{
	run_sup_destroy(&sup);
}

TestSuite(vmnet_run_supervise, .init = setup, .fini = teardown, .timeout = 30);

enum behaviour {
	WAITS,		   /* until a signal ends it */
	IGNORES_SIGTERM,   /* until SIGKILL */
	EXITS,		   /* at once, with status 7 */
	EXITS_0,	   /* at once, with status 0 */
	PRINTS_LINE,	   /* a JSON line and more, then waits */
	PRINTS_NO_NEWLINE, /* more than a line can be, then waits */
};

/*
 * Fork a child that behaves as @b, with the signal mask vmnet-run gives
 * its children and its stdout on @out (if >= 0); return once it has set
 * its SIGTERM disposition and written its output. It dies with the test
 * if the test fails first (PR_SET_PDEATHSIG).
 */
static pid_t child(enum behaviour b, int out)
{
	int sync[2];
	char c;
	pid_t pid;

	cr_assert_eq(pipe(sync), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		static char big[RUN_LINE_MAX + 16];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (b == IGNORES_SIGTERM)
			signal(SIGTERM, SIG_IGN);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		if (out >= 0)
			dup2(out, STDOUT_FILENO);
		if (b == PRINTS_LINE &&
		    write(STDOUT_FILENO, "{\"a\":1}\nmore", 12) != 12)
			_exit(99);
		if (b == PRINTS_NO_NEWLINE) {
			memset(big, 'x', sizeof(big));
			if (write(STDOUT_FILENO, big, sizeof(big)) !=
			    (ssize_t)sizeof(big))
				_exit(99);
		}
		if (write(sync[1], "r", 1) != 1)
			_exit(99);
		if (b == EXITS)
			_exit(7);
		if (b == EXITS_0)
			_exit(0);
		for (;;)
			pause();
	}
	close(sync[1]);
	/* Ready: its disposition is set and its output written. */
	cr_assert_eq(read(sync[0], &c, 1), 1, "the child never got going");
	close(sync[0]);
	return pid;
}

/* A pipe for the helper's stdout, read end nonblocking as vmnet-run's. */
static void stdout_pipe(int p[2])
{
	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
}

static void expect_signalled(const struct run_proc *p, int signo)
{
	cr_expect(p->exited, "%s not reaped", p->name);
	cr_expect(WIFSIGNALED(p->wstatus) && WTERMSIG(p->wstatus) == signo,
		  "%s: wait status %#x, want killed by signal %d", p->name,
		  p->wstatus, signo);
}

Test(vmnet_run_supervise, ready_line_comes_without_its_newline)
{
	struct run_outcome out;
	int p[2];

	stdout_pipe(p);
	sup.helpers[0].proc.pid = child(PRINTS_LINE, p[1]);
	close(p[1]);
	sup.helpers[0].out_fd = p[0];
	cr_assert_eq(run_sup_wait_ready(&sup), RUN_READY);
	cr_expect_str_eq(sup.helpers[0].line, "{\"a\":1}");
	cr_expect_not(sup.helpers[0].proc.exited);
	/* COMMAND could not start: the helper is stopped and reaped. */
	run_sup_run(&sup, &out);
	cr_expect_not(out.command_started);
	expect_signalled(&sup.helpers[0].proc, SIGTERM);
	cr_expect_eq(run_exit_status(&out), 1);
}

Test(vmnet_run_supervise, helper_exiting_before_its_line_is_reaped)
{
	int p[2];

	stdout_pipe(p);
	sup.helpers[0].proc.pid = child(EXITS, p[1]);
	close(p[1]);
	sup.helpers[0].out_fd = p[0];
	cr_assert_eq(run_sup_wait_ready(&sup), RUN_HELPER_FAILED);
	cr_expect(sup.helpers[0].proc.exited);
	cr_expect(WIFEXITED(sup.helpers[0].proc.wstatus) &&
		      WEXITSTATUS(sup.helpers[0].proc.wstatus) == 7,
		  "wait status %#x", sup.helpers[0].proc.wstatus);
}

Test(vmnet_run_supervise, overlong_line_stops_the_helper)
{
	int p[2];

	stdout_pipe(p);
	sup.helpers[0].proc.pid = child(PRINTS_NO_NEWLINE, p[1]);
	close(p[1]);
	sup.helpers[0].out_fd = p[0];
	cr_assert_eq(run_sup_wait_ready(&sup), RUN_HELPER_FAILED);
	cr_expect(sup.helpers[0].proc.term_sent);
	expect_signalled(&sup.helpers[0].proc, SIGTERM);
}

Test(vmnet_run_supervise, command_exiting_first_stops_the_helper)
{
	struct run_outcome out;

	sup.helpers[0].proc.pid = child(WAITS, -1);
	sup.command.name = "command";
	sup.command.pid = child(EXITS, -1);
	run_sup_run(&sup, &out);
	cr_expect(out.command_started);
	cr_expect_not(out.helper_exited_first);
	cr_expect(sup.helpers[0].proc.term_sent);
	expect_signalled(&sup.helpers[0].proc, SIGTERM);
	cr_expect_eq(run_exit_status(&out), 7, "COMMAND's own status");
}

Test(vmnet_run_supervise, helper_exiting_first_stops_the_command)
{
	struct run_outcome out;

	sup.command.name = "command";
	sup.command.pid = child(WAITS, -1);
	sup.helpers[0].proc.pid = child(EXITS, -1);
	run_sup_run(&sup, &out);
	cr_expect(out.helper_exited_first);
	expect_signalled(&sup.command, SIGTERM);
	cr_expect_eq(run_exit_status(&out), 1);
}

/* A helper that exits 0 once COMMAND has closed its end of the cable (a VM
 * powering off closes its NIC before its exit reaches vmnet-run): COMMAND
 * left first, so its status decides, not 1. */
static void run_helper_leaving(bool command_end_open, struct run_outcome *out)
{
	int sv[2];

	sup.command.name = "command";
	sup.command.pid = child(WAITS, -1);
	sup.helpers[0].proc.pid = child(EXITS_0, -1);
	/* Made after the forks, so no child holds either end; the test holds
	 * COMMAND's end for it, or not. */
	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	sup.helpers[0].cable_fd = sv[0];
	if (!command_end_open)
		close(sv[1]);
	run_sup_run(&sup, out);
	if (command_end_open)
		close(sv[1]);
	expect_signalled(&sup.command, SIGTERM);
}

Test(vmnet_run_supervise, helper_leaving_after_the_command_closed_its_end)
{
	struct run_outcome out;

	run_helper_leaving(false, &out);
	cr_expect_not(out.helper_exited_first);
	cr_expect_eq(run_exit_status(&out), 128 + SIGTERM, "COMMAND's status");
}

Test(vmnet_run_supervise, helper_leaving_while_the_command_holds_its_end)
{
	struct run_outcome out;

	run_helper_leaving(true, &out);
	cr_expect(out.helper_exited_first, "status 0, yet the VM was on it");
	cr_expect_eq(run_exit_status(&out), 1);
}

/* A stop signal to vmnet-run goes on to both children, as it came. */
Test(vmnet_run_supervise, stop_signal_is_forwarded_to_both)
{
	struct run_outcome out;

	sup.helpers[0].proc.pid = child(WAITS, -1);
	sup.command.name = "command";
	sup.command.pid = child(WAITS, -1);
	/* Blocked: pending until the supervisor's poller reports it. */
	cr_assert_eq(kill(getpid(), SIGHUP), 0);
	run_sup_run(&sup, &out);
	cr_expect_eq(sup.signo, SIGHUP);
	expect_signalled(&sup.helpers[0].proc, SIGHUP);
	expect_signalled(&sup.command, SIGHUP);
	cr_expect_not(out.helper_exited_first, "it was told to stop");
	cr_expect_eq(run_exit_status(&out), 128 + SIGHUP);
}

/* The stop timeout (1 s here) is all a child that ignores SIGTERM gets. */
Test(vmnet_run_supervise, sigterm_ignored_ends_in_sigkill)
{
	struct run_outcome out;

	sup.command.name = "command";
	sup.command.pid = child(IGNORES_SIGTERM, -1);
	sup.helpers[0].proc.pid = child(EXITS, -1);
	run_sup_run(&sup, &out);
	cr_expect(sup.command.term_sent && sup.command.kill_sent);
	expect_signalled(&sup.command, SIGKILL);
	cr_expect_eq(run_exit_status(&out), 1, "the helper went first");
}

/* Stopping what is not running, or twice, sends nothing more. */
Test(vmnet_run_supervise, stop_is_sent_once_and_only_to_a_running_child)
{
	struct run_outcome out;

	run_sup_stop(&sup, &sup.command);
	cr_expect_not(sup.command.term_sent, "pid 0 is no child");
	sup.helpers[0].proc.pid = child(IGNORES_SIGTERM, -1);
	run_sup_stop(&sup, &sup.helpers[0].proc);
	cr_expect(sup.helpers[0].proc.term_sent);
	int64_t kill_at = sup.helpers[0].proc.kill_at_ms;
	run_sup_stop(&sup, &sup.helpers[0].proc);
	cr_expect_eq(sup.helpers[0].proc.kill_at_ms, kill_at,
		     "the timeout restarted");
	run_sup_run(&sup, &out);
	expect_signalled(&sup.helpers[0].proc, SIGKILL);
}
