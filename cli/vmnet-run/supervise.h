/* SPDX-License-Identifier: Apache-2.0 */
/* supervise.h - vmnet-run's waiting: for the helper's JSON line, then
 * for either child to exit; signals forwarded, the other child stopped
 * (SIGTERM, then SIGKILL after the stop timeout), both always reaped. */
#ifndef VMNET_HELPER_RUN_SUPERVISE_H
#define VMNET_HELPER_RUN_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli/vmnet-run/exit.h"

/* Longest JSON line taken from the helper, newline included (the helper's
 * own is under 1 KiB). */
#define RUN_LINE_MAX 4096

/* One child. */
struct run_proc {
	const char *name; /* for log lines: "vmnet-helper", or COMMAND */
	pid_t pid;	  /* 0: not started */
	bool exited;
	bool noted; /* its exit has been acted on */
	int wstatus;
	bool term_sent;	    /* a SIGTERM (or forwarded signal) went out */
	bool kill_sent;	    /* and then SIGKILL */
	int64_t kill_at_ms; /* monotonic time of the SIGKILL; 0: none */
};

struct poller;

struct run_sup {
	struct poller *poller;
	unsigned stop_timeout_ms;
	struct run_proc helper;
	struct run_proc command;
	bool helper_via_sudo; /* started as "sudo ... vmnet-helper" */
	int signo;	      /* first stop signal vmnet-run got; 0: none */
	bool stopping;	      /* a stop began: later exits are expected */
	bool helper_exited_first;
	char line[RUN_LINE_MAX];
	size_t line_len;
};

enum run_ready {
	RUN_READY,	   /* the line is there and the helper runs */
	RUN_HELPER_FAILED, /* the helper exited (it is reaped) */
	RUN_SIGNALLED,	   /* a stop signal came; the helper is reaped */
};

/**
 * run_sup_init() - make the poller and watch SIGCHLD and the signals.h set
 * @s:			zeroed and set up
 * @stop_timeout_s:	seconds from SIGTERM to SIGKILL
 *
 * Call with the three signals blocked and before any fork, so that each
 * is seen here only (one that came before is reported too: poller.h).
 *
 * Return: 0 or a negative errno.
 */
int run_sup_init(struct run_sup *s, unsigned stop_timeout_s);

/**
 * run_sup_destroy() - close the poller
 * @s:	supervisor
 */
void run_sup_destroy(struct run_sup *s);

/**
 * run_sup_wait_ready() - wait for the helper's first line on @fd
 * @s:	supervisor, with s->helper started
 * @fd:	read end of the helper's stdout, nonblocking; the caller closes
 *	it after
 *
 * The helper exiting first, its stdout ending, or a line too long all end
 * in RUN_HELPER_FAILED (the helper stopped and reaped, a line logged); a
 * signal is forwarded to the helper and ends in RUN_SIGNALLED once it is
 * reaped.
 *
 * Return: RUN_READY with the line, newline removed, in s->line; or as
 * above.
 */
enum run_ready run_sup_wait_ready(struct run_sup *s, int fd);

/**
 * run_sup_run() - supervise both children until both are reaped
 * @s:		supervisor; s->command.pid 0 if COMMAND could not start (the
 *		helper is then stopped)
 * @out:	how it ended, for run_exit_status()
 *
 * The first to exit makes vmnet-run stop the other; the stop signals are
 * forwarded to both. If COMMAND and the helper are both found exited at
 * one look, COMMAND counts as first.
 */
void run_sup_run(struct run_sup *s, struct run_outcome *out);

/**
 * run_sup_stop() - stop @p: SIGTERM now, SIGKILL after the stop timeout
 * @s:	supervisor
 * @p:	&s->helper or &s->command; nothing happens if it is not running
 *	or was already sent a signal
 */
void run_sup_stop(struct run_sup *s, struct run_proc *p);

#endif
