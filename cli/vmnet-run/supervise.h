/* SPDX-License-Identifier: Apache-2.0 */
/* supervise.h - vmnet-run's waiting: for each helper's JSON line, then
 * for any child to exit; signals forwarded, the other children stopped
 * (SIGTERM, then SIGKILL after the stop timeout), all always reaped. */
#ifndef VMNET_HELPER_RUN_SUPERVISE_H
#define VMNET_HELPER_RUN_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli/vmnet-run/args.h"
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

/* One helper: a NIC of the VM. */
struct run_helper {
	struct run_proc proc;
	char name[48]; /* "vmnet-helper", or "vmnet-helper (NIC 1, fd 5)" */
	int out_fd;    /* read end of its stdout until it is ready, or -1 */
	/* vmnet-run's own copy of the helper's end of the cable, or -1: when
	 * the helper exits, it tells whether COMMAND's end was closed. */
	int cable_fd;
	bool ready; /* its line has come */
	char line[RUN_LINE_MAX];
	size_t line_len;
};

struct poller;

struct run_sup {
	struct poller *poller;
	unsigned stop_timeout_ms;
	struct run_helper helpers[RUN_NICS_MAX];
	unsigned nhelpers;
	struct run_proc command;
	bool helper_via_sudo; /* started as "sudo ... vmnet-helper" */
	int signo;	      /* first stop signal vmnet-run got; 0: none */
	bool stopping;	      /* a stop began: later exits are expected */
	bool helper_exited_first;
};

enum run_ready {
	RUN_READY,	   /* every helper's line is there and all run */
	RUN_HELPER_FAILED, /* a helper exited (all are stopped and reaped) */
	RUN_SIGNALLED,	   /* a stop signal came; all helpers are reaped */
};

/**
 * run_sup_init() - make the poller and watch SIGCHLD and the signals.h set
 * @s:			zeroed and set up
 * @stop_timeout_s:	seconds from SIGTERM to SIGKILL
 * @nhelpers:		helpers to supervise, 1 to RUN_NICS_MAX; the caller
 *			starts each, setting s->helpers[i].proc.pid and
 *			.out_fd
 *
 * Call with the three signals blocked and before any fork, so that each
 * is seen here only (one that came before is reported too: poller.h).
 *
 * Return: 0 or a negative errno.
 */
int run_sup_init(struct run_sup *s, unsigned stop_timeout_s, unsigned nhelpers);

/**
 * run_sup_destroy() - close the poller
 * @s:	supervisor
 */
void run_sup_destroy(struct run_sup *s);

/**
 * run_sup_wait_ready() - wait for every helper's first line
 * @s:	supervisor, with the helpers started; each one's out_fd (the read
 *	end of its stdout, nonblocking) is closed here once done with
 *
 * A helper exiting first, its stdout ending, or a line too long all end
 * in RUN_HELPER_FAILED: the other helpers are stopped, all are reaped, a
 * line says which failed. A stop signal is forwarded to every helper and
 * ends in RUN_SIGNALLED once all are reaped.
 *
 * Return: RUN_READY with each line, newline removed, in its
 * s->helpers[i].line; or as above.
 */
enum run_ready run_sup_wait_ready(struct run_sup *s);

/**
 * run_sup_run() - supervise COMMAND and the helpers until all are reaped
 * @s:		supervisor; s->command.pid 0 if COMMAND could not start (the
 *		helpers are then stopped)
 * @out:	how it ended, for run_exit_status()
 *
 * The first to exit makes vmnet-run stop all the others: COMMAND going
 * stops every helper, any helper going stops COMMAND and the other
 * helpers (a VM without one of its NICs is not the VM it was started
 * as). The stop signals are forwarded to all. If COMMAND and a helper are
 * both found exited at one look, COMMAND counts as first.
 */
void run_sup_run(struct run_sup *s, struct run_outcome *out);

/**
 * run_sup_stop() - stop @p: SIGTERM now, SIGKILL after the stop timeout
 * @s:	supervisor
 * @p:	a helper's proc or &s->command; nothing happens if it is not
 *	running or was already sent a signal
 */
void run_sup_stop(struct run_sup *s, struct run_proc *p);

#endif
