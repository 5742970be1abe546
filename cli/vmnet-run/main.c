/* SPDX-License-Identifier: Apache-2.0 */
/* main.c - vmnet-run: check the helper's options, start the
 * helper beside this executable on one end of a socketpair, wait for its
 * JSON line, start COMMAND on the other end, and stop each when the other
 * goes (docs/vmnet-run.md). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errmsg.h"
#include "log.h"
#include "signals.h"
#include "options.h"
#include "cli/vmnet-run/args.h"
#include "cli/vmnet-run/exit.h"
#include "cli/vmnet-run/platform.h"
#include "cli/vmnet-run/spawn.h"
#include "cli/vmnet-run/supervise.h"
#include "self_exe.h"
#include "version.h"
#include "vm_socket.h"

/* COMMAND's fds 4 to 4 + RUN_NICS_MAX - 1 must be below the fds
 * vmnet-run keeps for itself (spawn.h). */
_Static_assert(RUN_COMMAND_FD + RUN_NICS_MAX <= RUN_FD_LOW, "raise RUN_FD_LOW");

/* Blocked from the start so that only the poller sees it; never runs. */
static void on_sigchld(int signo)
{
	(void)signo;
}

/*
 * Take over SIGCHLD and the signals a helper answers (signals.h: SIGTERM,
 * SIGINT, SIGHUP, SIGQUIT, SIGUSR1): blocked, so that only the poller
 * sees them. SIGCHLD also gets a handler, which never runs: an
 * inherited SIG_IGN would make the kernel reap the children itself and
 * lose their statuses, and a signal with a handler is posted on every
 * kernel, where an ignored one (SIGCHLD's default) may be dropped early.
 * @child_mask is the mask the children start with: the one vmnet-run
 * inherited, minus these.
 */
static void take_signals(sigset_t *child_mask)
{
	struct sigaction sa;
	sigset_t ours;

	sigemptyset(&ours);
	sigaddset(&ours, SIGCHLD);
	signals_add_answered(&ours);
	sigprocmask(SIG_BLOCK, &ours, child_mask);
	for (int signo = 1; signo < NSIG; signo++)
		if (sigismember(&ours, signo) == 1)
			sigdelset(child_mask, signo);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	/* A closed stderr must not kill vmnet-run and orphan the children. */
	signal(SIGPIPE, SIG_IGN);
}

/* socketpair(AF_UNIX, SOCK_DGRAM), or SOCK_STREAM for a helper given
 * --stream, with both ends high and close-on-exec. */
static int make_socketpair(int sv[2], bool stream, bool tso)
{
	int r;

	if (socketpair(AF_UNIX, stream ? SOCK_STREAM : SOCK_DGRAM, 0, sv) != 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		r = run_fd_move_high(sv[i]);
		if (r < 0) {
			close(sv[0]);
			close(sv[1]);
			return r;
		}
		sv[i] = r;
		/* As the helper sizes a --socket it binds: the send buffer
		 * caps the largest datagram, so both ends need it. */
		r = vm_socket_set_buffers(sv[i], tso);
		if (r)
			log_warn("[runner] cannot size the socket buffers: %s; "
				 "large frames may be dropped",
				 strerror(-r));
	}
	return 0;
}

/* pipe() with both ends high and close-on-exec, the read end nonblocking. */
static int make_pipe(int p[2])
{
	int r;

	if (pipe(p) != 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		r = run_fd_move_high(p[i]);
		if (r < 0) {
			close(p[0]);
			close(p[1]);
			return r;
		}
		p[i] = r;
	}
	if (fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK) != 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	return 0;
}

/* The helper's argv as one line, for the log. */
static void join_argv(char *const argv[], char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; argv[i] != NULL && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? " " : "",
				 argv[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* setenv(NAME, VALUE) and, with several NICs' worth of names, NAME_K. */
static int set_nic_env(const char *name, unsigned k, const char *value)
{
	char key[64];

	snprintf(key, sizeof(key), "%s_%u", name, k);
	if (setenv(key, value, 1) != 0)
		return -errno;
	/* The first NIC's also under the names vmnet-run always used. */
	if (k == 0 && setenv(name, value, 1) != 0)
		return -errno;
	return 0;
}

/* COMMAND's environment: what it needs to know of each helper. */
static int set_command_env(const struct run_sup *s)
{
	char num[32];
	int r = 0;

	snprintf(num, sizeof(num), "%u", s->nhelpers);
	if (setenv("VMNET_NIC_COUNT", num, 1) != 0)
		return -errno;
	for (unsigned k = 0; k < s->nhelpers && !r; k++) {
		const struct run_helper *h = &s->helpers[k];

		r = set_nic_env("VMNET_HELPER_JSON", k, h->line);
		snprintf(num, sizeof(num), "%d", (int)h->proc.pid);
		if (!r)
			r = set_nic_env("VMNET_HELPER_PID", k, num);
		snprintf(num, sizeof(num), "%u", RUN_COMMAND_FD + k);
		if (!r)
			r = set_nic_env("VMNET_FD", k, num);
	}
	return r;
}

/*
 * Make NIC @k's socketpair and a pipe for its helper's stdout, and start
 * the helper. Return: 0 with COMMAND's end of the socketpair in
 * *@command_end and the pipe's read end in s->helpers[k].out_fd, or -1
 * with nothing of this NIC left open and nothing started.
 */
static int start_helper(const struct run_args *a, unsigned k,
			const char *helper, struct run_sup *s,
			const sigset_t *mask, int *command_end)
{
	const struct run_nic *nic = &a->nics[k];
	struct run_helper *h = &s->helpers[k];
	const char *const *prefix = run_platform_helper_prefix();
	char **argv = run_helper_argv(nic, prefix, helper);
	char cmdline[1024];
	int sv[2], out[2], r;

	/* Its refusal then looks like the helper's failure: see
	 * run_helper_failed_hint(). */
	s->helper_via_sudo = prefix[0] != NULL;

	if (argv == NULL) {
		log_error("[runner] cannot build %s's command line: %s",
			  h->name, strerror(ENOMEM));
		return -1;
	}
	r = make_socketpair(sv, nic->opts.socket_stream,
			    nic->opts.host.enable_tso);
	if (r) {
		log_error("[runner] cannot make the socketpair: %s",
			  strerror(-r));
		free(argv);
		return -1;
	}
	r = make_pipe(out);
	if (r) {
		log_error("[runner] cannot make a pipe for %s's stdout: %s",
			  h->name, strerror(-r));
		close(sv[0]);
		close(sv[1]);
		free(argv);
		return -1;
	}

	const struct run_fd_map map[] = {{out[1], STDOUT_FILENO},
					 {sv[0], RUN_HELPER_FD}};
	r = run_spawn(&h->proc.pid, argv, map, 2, mask);
	/* The helper's ends are the helper's alone, but for a copy of its
	 * cable's end that asks, when it exits, whether COMMAND had closed
	 * its own (supervise.c); close-on-exec, so no child holds it. */
	if (!r)
		h->cable_fd = fcntl(sv[0], F_DUPFD_CLOEXEC, 3);
	close(out[1]);
	close(sv[0]);
	if (r) {
		log_error("[runner] cannot start %s: %s", h->name,
			  strerror(-r));
		close(out[0]);
		close(sv[1]);
		free(argv);
		return -1;
	}
	join_argv(argv, cmdline, sizeof(cmdline));
	log_info("[runner] started %s (pid %d): %s", h->name, (int)h->proc.pid,
		 cmdline);
	free(argv);
	*command_end = sv[1];
	h->out_fd = out[0];
	return 0;
}

/* Start COMMAND with NIC k's end, @ends[k], as its fd 4 + k; the ends are
 * closed here. On failure s->command.pid stays 0, and run_sup_run() stops
 * the helpers. */
static void start_command(const struct run_args *a, struct run_sup *s,
			  const int *ends, const sigset_t *mask)
{
	struct run_fd_map map[RUN_NICS_MAX];
	int r;

	for (unsigned k = 0; k < s->nhelpers; k++)
		map[k] = (struct run_fd_map){ends[k], RUN_COMMAND_FD + (int)k};
	s->command.name = a->command[0];
	r = set_command_env(s);
	if (!r)
		r = run_spawn(&s->command.pid, a->command, map,
			      (int)s->nhelpers, mask);
	for (unsigned k = 0; k < s->nhelpers; k++)
		if (ends[k] >= 0)
			close(ends[k]);
	if (r)
		log_error("[runner] cannot start %s: %s; stopping %s",
			  a->command[0], strerror(-r),
			  s->nhelpers > 1 ? "the vmnet-helpers"
					  : "vmnet-helper");
	else
		log_info("[runner] started %s (pid %d)", a->command[0],
			 (int)s->command.pid);
}

/* Everything after the checks: start, wait, stop; the exit status. */
static int run(const struct run_args *a, const char *helper)
{
	struct run_outcome outcome;
	static struct run_sup s; /* 40 KiB of lines: not on the stack */
	sigset_t mask;
	int ends[RUN_NICS_MAX], r, status;
	unsigned started = 0;

	/* -1 until NIC k's helper has started. */
	for (unsigned k = 0; k < RUN_NICS_MAX; k++)
		ends[k] = -1;
	take_signals(&mask);
	run_cloexec_inherited();
	r = run_sup_init(&s, a->stop_timeout, a->nnics);
	if (r) {
		log_error("[runner] cannot watch signals: %s", strerror(-r));
		return 1;
	}
	/* Every helper starts before COMMAND; one that cannot start stops
	 * those that did, through the wait below. */
	while (started < a->nnics &&
	       !start_helper(a, started, helper, &s, &mask, &ends[started]))
		started++;
	if (started < a->nnics) {
		s.nhelpers = started; /* the rest never ran */
		if (started == 0) {
			run_sup_destroy(&s);
			return 1;
		}
		s.stopping = true;
	}
	enum run_ready ready = run_sup_wait_ready(&s);
	if (ready == RUN_READY && started == a->nnics) {
		for (unsigned k = 0; k < s.nhelpers; k++)
			log_info("[runner] %s ready: %s",
				 s.nhelpers > 1 ? s.helpers[k].name : "helper",
				 s.helpers[k].line);
		start_command(a, &s, ends, &mask);
		run_sup_run(&s, &outcome);
	} else {
		for (unsigned k = 0; k < started; k++)
			close(ends[k]);
		memset(&outcome, 0, sizeof(outcome));
		outcome.signo = ready == RUN_SIGNALLED ? s.signo : 0;
	}
	status = run_exit_status(&outcome);
	run_sup_destroy(&s);
	log_info("[runner] exiting with status %d", status);
	return status;
}

int main(int argc, char **argv)
{
	char err[RUN_ERR_MAX], self[PATH_MAX], helper[PATH_MAX],
	    command[PATH_MAX];
	struct run_args a;
	int r, status;

	if (run_args_parse(&a, argc, argv, options_build_platform(), err,
			   sizeof(err))) {
		log_error("vmnet-run: %s", err);
		run_args_free(&a);
		return 1;
	}
	switch (a.action) {
	case RUN_HELP:
		run_usage(stdout, "vmnet-run");
		run_args_free(&a);
		return 0;
	case RUN_VERSION:
		version_print();
		run_args_free(&a);
		return 0;
	case RUN_START:
		break;
	}
	log_set_debug(a.verbose);

	/* Both programs must be there before either starts. */
	r = self_exe_path(self, sizeof(self));
	if (!r)
		r = run_helper_path(self, helper, sizeof(helper));
	if (r) {
		log_error("vmnet-run: cannot find its own executable, to run "
			  "the vmnet-helper beside it: %s",
			  strerror(-r));
		run_args_free(&a);
		return 1;
	}
	if (access(helper, X_OK) != 0) {
		log_error("vmnet-run: %s: %s; vmnet-run runs the vmnet-helper "
			  "in its own directory, so install both there",
			  helper, strerror(errno));
		run_args_free(&a);
		return 1;
	}
	r = run_find_program(a.command[0], getenv("PATH"), command,
			     sizeof(command));
	if (r) {
		/* As a shell says it: 127 not found, 126 cannot run. */
		errmsg_format(err, sizeof(err),
			      "vmnet-run: COMMAND '%s': %s; pass a path to a "
			      "program, or a name found in $PATH",
			      a.command[0],
			      r == -ENOENT   ? "not found"
			      : r == -EACCES ? "not an executable file"
					     : strerror(-r));
		log_error("%s", err);
		run_args_free(&a);
		return r == -ENOENT ? 127 : 126;
	}
	log_debug("[runner] COMMAND is %s", command);

	status = run(&a, helper);
	run_args_free(&a);
	return status;
}
