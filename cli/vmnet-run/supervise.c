/* SPDX-License-Identifier: Apache-2.0 */
/* supervise.c - vmnet-run's waiting (see supervise.h). */
#include "cli/vmnet-run/supervise.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "peer_watch.h"
#include "poller.h"
#include "signals.h"

/*
 * How it works
 *
 * One poller (epoll and signalfd on Linux, kqueue on macOS) reports
 * SIGCHLD, the stop signals (signals.h) and, until the helpers are ready,
 * their stdouts. Every wake-up, whatever its cause, first reaps every
 * child with waitpid(WNOHANG), so a SIGCHLD folded into another event or
 * seen before the poller existed can delay nothing. Then the state is
 * looked at: which child exited, whether the others must be stopped,
 * whether a SIGKILL is due.
 *
 * Deadlines (SIGKILL after the stop timeout) are one-shot, one per child,
 * and change as children are stopped; the poller's timers are periodic and
 * cannot be removed. So the nearest deadline becomes poller_wait()'s
 * timeout, and a wake-up past it sends the SIGKILL.
 */

enum {
	TAG_WAKE,
	TAG_SIGCHLD,
	TAG_LINE_BASE = 100,	/* + helper index */
	TAG_SIGNAL_BASE = 1000, /* + signal number (signals_watch()) */
};

#define EVENTS_MAX 16

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int run_sup_init(struct run_sup *s, unsigned stop_timeout_s, unsigned nhelpers)
{
	int r;

	memset(s, 0, sizeof(*s));
	if (nhelpers < 1 || nhelpers > RUN_NICS_MAX)
		return -EINVAL;
	s->stop_timeout_ms = stop_timeout_s * 1000u;
	s->nhelpers = nhelpers;
	for (unsigned i = 0; i < nhelpers; i++) {
		struct run_helper *h = &s->helpers[i];

		/* One NIC: named as it always was. */
		if (nhelpers == 1)
			snprintf(h->name, sizeof(h->name), "vmnet-helper");
		else
			snprintf(h->name, sizeof(h->name),
				 "vmnet-helper (NIC %u, fd %u)", i,
				 RUN_COMMAND_FD + i);
		h->proc.name = h->name;
		h->out_fd = -1;
		h->cable_fd = -1;
	}
	r = poller_create(&s->poller, TAG_WAKE);
	if (!r)
		r = poller_add_signal(s->poller, SIGCHLD, TAG_SIGCHLD);
	if (!r)
		r = signals_watch(s->poller, TAG_SIGNAL_BASE);
	if (r) {
		poller_destroy(s->poller);
		s->poller = NULL;
	}
	return r;
}

void run_sup_destroy(struct run_sup *s)
{
	for (unsigned i = 0; i < s->nhelpers; i++) {
		if (s->helpers[i].out_fd >= 0) {
			close(s->helpers[i].out_fd);
			s->helpers[i].out_fd = -1;
		}
		if (s->helpers[i].cable_fd >= 0) {
			close(s->helpers[i].cable_fd);
			s->helpers[i].cable_fd = -1;
		}
	}
	poller_destroy(s->poller);
	s->poller = NULL;
}

static bool running(const struct run_proc *p)
{
	return p->pid > 0 && !p->exited;
}

/* Every child: the helpers, then COMMAND. */
static unsigned all_procs(struct run_sup *s, struct run_proc **procs)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->nhelpers; i++)
		procs[n++] = &s->helpers[i].proc;
	procs[n++] = &s->command;
	return n;
}

static bool any_helper_running(const struct run_sup *s)
{
	for (unsigned i = 0; i < s->nhelpers; i++)
		if (running(&s->helpers[i].proc))
			return true;
	return false;
}

static void reap_one(struct run_proc *p)
{
	pid_t r;

	if (!running(p))
		return;
	do
		r = waitpid(p->pid, &p->wstatus, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == p->pid) {
		p->exited = true;
	} else if (r < 0) {
		/* Cannot happen while SIGCHLD is not ignored; if it does,
		 * waiting longer would hang for ever. */
		log_error("[runner] cannot wait for %s (pid %d): %s", p->name,
			  (int)p->pid, strerror(errno));
		p->exited = true;
		p->wstatus = 1 << 8; /* exit status 1, Linux and macOS alike */
	}
}

/* COMMAND first: when it and a helper are found exited, COMMAND counts as
 * first. */
static void reap(struct run_sup *s)
{
	reap_one(&s->command);
	for (unsigned i = 0; i < s->nhelpers; i++)
		reap_one(&s->helpers[i].proc);
}

static void signal_proc(struct run_sup *s, struct run_proc *p, int signo)
{
	if (!running(p))
		return;
	/* ESRCH: it exited and awaits reaping (as some kernels say of a
	 * zombie); its SIGCHLD is on its way. */
	if (kill(p->pid, signo) != 0 && errno != ESRCH)
		log_warn("[runner] cannot send %s to %s (pid %d): %s",
			 signal_name(signo), p->name, (int)p->pid,
			 strerror(errno));
	if (signo == SIGKILL) {
		p->kill_sent = true;
	} else if (!p->term_sent) {
		p->term_sent = true;
		p->kill_at_ms = now_ms() + s->stop_timeout_ms;
	}
}

void run_sup_stop(struct run_sup *s, struct run_proc *p)
{
	if (!p->term_sent)
		signal_proc(s, p, SIGTERM);
}

/* Stop every helper but @except (NULL: all). */
static void stop_helpers(struct run_sup *s, const struct run_proc *except)
{
	for (unsigned i = 0; i < s->nhelpers; i++)
		if (&s->helpers[i].proc != except)
			run_sup_stop(s, &s->helpers[i].proc);
}

/* SIGKILL whoever outlived the stop timeout. */
static void escalate(struct run_sup *s)
{
	struct run_proc *procs[RUN_NICS_MAX + 1];
	unsigned n = all_procs(s, procs);
	int64_t now = now_ms();

	for (unsigned i = 0; i < n; i++) {
		struct run_proc *p = procs[i];

		if (!running(p) || !p->term_sent || p->kill_sent ||
		    now < p->kill_at_ms)
			continue;
		log_warn("[runner] %s (pid %d) still running %u s after "
			 "SIGTERM; sending SIGKILL",
			 p->name, (int)p->pid, s->stop_timeout_ms / 1000);
		signal_proc(s, p, SIGKILL);
	}
}

/* Microseconds to the nearest SIGKILL due, or -1 for none. */
static int64_t next_timeout_us(struct run_sup *s)
{
	struct run_proc *procs[RUN_NICS_MAX + 1];
	unsigned n = all_procs(s, procs);
	int64_t now = now_ms(), best = -1;

	for (unsigned i = 0; i < n; i++) {
		const struct run_proc *p = procs[i];
		int64_t left;

		if (!running(p) || !p->term_sent || p->kill_sent)
			continue;
		left = p->kill_at_ms > now ? p->kill_at_ms - now : 0;
		if (best < 0 || left < best)
			best = left;
	}
	return best < 0 ? -1 : best * 1000;
}

/* "vmnet-helper", or "the vmnet-helpers" when there are several. */
static const char *helpers_name(const struct run_sup *s)
{
	return s->nhelpers == 1 ? "vmnet-helper" : "the vmnet-helpers";
}

/* A stop signal to vmnet-run (signals.h: SIGTERM, SIGINT, SIGHUP,
 * SIGQUIT): pass it on to whoever runs. */
static void on_signal(struct run_sup *s, int signo)
{
	struct run_proc *procs[RUN_NICS_MAX + 1];
	unsigned n = all_procs(s, procs);
	const char *name = signal_name(signo);

	if (s->signo == 0) {
		bool helpers = any_helper_running(s);
		bool command = running(&s->command);

		s->signo = signo;
		if (helpers && command)
			log_info("[runner] got %s; forwarding it to %s and %s",
				 name, helpers_name(s), s->command.name);
		else if (helpers || command)
			log_info("[runner] got %s; forwarding it to %s", name,
				 helpers ? helpers_name(s) : s->command.name);
	} else {
		log_debug("[runner] got %s again; forwarding it", name);
	}
	s->stopping = true;
	/* Forwarded as it came, each child's own stop timeout starting at
	 * the first. */
	for (unsigned i = 0; i < n; i++)
		signal_proc(s, procs[i], signo);
}

/*
 * Wait for the next events and handle the signals among them. Return the
 * events (for the caller's own fds), 0 on a timeout, or -1 when the poller
 * failed, which the caller answers with SIGKILL for all: waiting is all
 * vmnet-run can do for them, and it can no longer.
 */
static int wait_events(struct run_sup *s, struct poller_event *ev)
{
	int n = poller_wait(s->poller, ev, EVENTS_MAX, next_timeout_us(s));

	if (n < 0) {
		log_error("[runner] waiting for events: %s; killing %s and "
			  "COMMAND",
			  strerror(-n), helpers_name(s));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int signo = 0;
		enum signal_action act =
		    signals_classify(ev[i].tag, TAG_SIGNAL_BASE, &signo);

		if (act == SIGNAL_STOP) {
			on_signal(s, signo);
		} else if (act == SIGNAL_STATS) {
			/* The helpers' counters are what a user asks for:
			 * they print them on the stderr we share. Not
			 * signal_proc(): this stops nothing. */
			log_debug("[runner] got SIGUSR1; forwarding it to %s",
				  helpers_name(s));
			for (unsigned k = 0; k < s->nhelpers; k++)
				if (running(&s->helpers[k].proc))
					kill(s->helpers[k].proc.pid, SIGUSR1);
		}
	}
	return n;
}

/* The poller failed: kill all and wait for them, blocking. */
static void kill_and_reap(struct run_sup *s)
{
	struct run_proc *procs[RUN_NICS_MAX + 1];
	unsigned n = all_procs(s, procs);

	for (unsigned i = 0; i < n; i++) {
		struct run_proc *p = procs[i];

		if (!running(p))
			continue;
		kill(p->pid, SIGKILL);
		p->kill_sent = true;
		while (waitpid(p->pid, &p->wstatus, 0) < 0 && errno == EINTR)
			;
		p->exited = true;
	}
}

/*
 * Read what helper @h printed. Return 1 when a whole line is there, 0 to
 * wait for more, -1 when no line can come (end of file, too long, error).
 */
static int read_line(struct run_helper *h)
{
	for (;;) {
		size_t room = sizeof(h->line) - 1 - h->line_len;
		ssize_t n;
		char *nl;

		if (room == 0) {
			log_error("[runner] %s printed %zu bytes without a "
				  "newline, more than a JSON line can be; "
				  "stopping it",
				  h->name, h->line_len);
			return -1;
		}
		n = read(h->out_fd, h->line + h->line_len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			log_error("[runner] reading %s's stdout: %s; stopping "
				  "it",
				  h->name, strerror(errno));
			return -1;
		}
		if (n == 0) {
			/* It is exiting, surely: its exit status will say
			 * why. Stopped all the same, in case it is not. */
			log_debug("[runner] %s's stdout ended before a whole "
				  "line",
				  h->name);
			return -1;
		}
		h->line_len += (size_t)n;
		h->line[h->line_len] = '\0';
		nl = memchr(h->line, '\n', h->line_len);
		if (nl != NULL) {
			*nl = '\0';
			h->line_len = (size_t)(nl - h->line);
			return 1;
		}
	}
}

/* Done with helper @i's stdout, whatever came of it. */
static void close_line(struct run_sup *s, unsigned i)
{
	struct run_helper *h = &s->helpers[i];

	if (h->out_fd < 0)
		return;
	poller_del_fd(s->poller, h->out_fd);
	close(h->out_fd);
	h->out_fd = -1;
}

/* Read helper @i's line; on a line or a failure, stop watching. */
static void take_line(struct run_sup *s, unsigned i)
{
	struct run_helper *h = &s->helpers[i];
	int r = read_line(h);

	if (r == 0)
		return;
	h->ready = r == 1;
	close_line(s, i);
	if (r < 0)
		run_sup_stop(s, &h->proc);
}

enum run_ready run_sup_wait_ready(struct run_sup *s)
{
	struct poller_event ev[EVENTS_MAX];
	struct run_helper *failed = NULL;
	char how[64];

	for (unsigned i = 0; i < s->nhelpers; i++) {
		int r = poller_add_fd(s->poller, s->helpers[i].out_fd,
				      POLLER_IN, TAG_LINE_BASE + i);

		if (r) {
			log_error("[runner] cannot watch %s's stdout: %s; "
				  "stopping it",
				  s->helpers[i].name, strerror(-r));
			close(s->helpers[i].out_fd);
			s->helpers[i].out_fd = -1;
			run_sup_stop(s, &s->helpers[i].proc);
		} else {
			/* Edge-triggered: what came before the add is read
			 * now. */
			take_line(s, i);
		}
	}
	for (;;) {
		bool all_ready = true, any_exited = false;

		reap(s);
		for (unsigned i = 0; i < s->nhelpers; i++) {
			all_ready &= s->helpers[i].ready;
			any_exited |= s->helpers[i].proc.exited;
			/* The first seen gone is the one that failed: the
			 * others are stopped only after it. */
			if (!failed && s->helpers[i].proc.exited)
				failed = &s->helpers[i];
		}
		if (any_exited || s->stopping) {
			/* One failed, or a signal came: none may stay. */
			stop_helpers(s, NULL);
			if (!any_helper_running(s))
				break;
		} else if (all_ready) {
			break;
		}
		escalate(s);
		int n = wait_events(s, ev);
		if (n < 0) {
			kill_and_reap(s);
			break;
		}
		for (int k = 0; k < n; k++) {
			uint64_t tag = ev[k].tag;

			if (tag >= TAG_LINE_BASE &&
			    tag < TAG_LINE_BASE + s->nhelpers)
				take_line(s, (unsigned)(tag - TAG_LINE_BASE));
		}
	}
	for (unsigned i = 0; i < s->nhelpers; i++) {
		close_line(s, i);
		s->helpers[i].proc.noted = s->helpers[i].proc.exited;
	}
	if (any_helper_running(s))
		return RUN_READY; /* all ready, none exited */
	if (s->signo) {
		for (unsigned i = 0; i < s->nhelpers; i++)
			log_info("[runner] %s exited (%s)", s->helpers[i].name,
				 run_describe_wait(s->helpers[i].proc.wstatus,
						   how, sizeof(how)));
		return RUN_SIGNALLED;
	}
	if (!failed)
		failed = &s->helpers[0]; /* the poller failed: all killed */
	run_describe_wait(failed->proc.wstatus, how, sizeof(how));
	if (failed->ready)
		log_error("[runner] %s exited (%s) as soon as it was ready; "
			  "COMMAND not started",
			  failed->name, how);
	else
		log_error("[runner] %s exited (%s) before it was ready; "
			  "COMMAND not started%s",
			  failed->name, how,
			  run_helper_failed_hint(s->helper_via_sudo,
						 failed->proc.wstatus));
	for (unsigned i = 0; i < s->nhelpers; i++)
		if (&s->helpers[i] != failed)
			log_info("[runner] %s exited (%s)", s->helpers[i].name,
				 run_describe_wait(s->helpers[i].proc.wstatus,
						   how, sizeof(how)));
	return RUN_HELPER_FAILED;
}

/*
 * Whether COMMAND has closed its end of helper @h's cable. A helper whose
 * VM closes its end exits by itself, with status 0 ("the VM closed its
 * socket"), and vmnet-run may well hear of that before it hears of COMMAND:
 * a process's files are closed before its parent is told that it exited
 * (Linux do_exit(): exit_files() before exit_notify()), and a VM closes its
 * NIC first as it powers off. So such a helper did not fail, COMMAND left.
 * Asked of vmnet-run's copy of the helper's end (peer_watch.h), which the
 * helper's exit leaves open.
 */
static bool command_closed_cable(const struct run_helper *h)
{
	struct peer_watch *pw;
	int r;

	if (h->cable_fd < 0 || peer_watch_open(h->cable_fd, &pw))
		return false;
	r = peer_watch_check(pw);
	peer_watch_close(pw);
	return r == 0;
}

/* Act on exits not acted on yet; COMMAND's first (see reap()). */
static void note_exits(struct run_sup *s)
{
	char how[64];

	if (s->command.exited && !s->command.noted) {
		s->command.noted = true;
		run_describe_wait(s->command.wstatus, how, sizeof(how));
		if (!s->stopping && any_helper_running(s)) {
			log_info("[runner] %s exited (%s); stopping %s",
				 s->command.name, how, helpers_name(s));
			stop_helpers(s, NULL);
		} else {
			log_info("[runner] %s exited (%s)", s->command.name,
				 how);
		}
		s->stopping = true;
	}
	for (unsigned i = 0; i < s->nhelpers; i++) {
		struct run_proc *p = &s->helpers[i].proc;

		if (!p->exited || p->noted)
			continue;
		p->noted = true;
		run_describe_wait(p->wstatus, how, sizeof(how));
		if (!s->stopping && running(&s->command) &&
		    WIFEXITED(p->wstatus) && WEXITSTATUS(p->wstatus) == 0 &&
		    command_closed_cable(&s->helpers[i])) {
			/* COMMAND's status decides, as when it exits first. */
			log_info("[runner] %s exited (%s): %s closed its end "
				 "of the cable; stopping %s%s",
				 p->name, how, s->command.name, s->command.name,
				 s->nhelpers > 1 ? " and the other helpers"
						 : "");
			s->stopping = true;
			run_sup_stop(s, &s->command);
			stop_helpers(s, p);
		} else if (!s->stopping && running(&s->command)) {
			log_error(
			    "[runner] %s exited (%s) while %s was "
			    "running; stopping %s%s",
			    p->name, how, s->command.name, s->command.name,
			    s->nhelpers > 1 ? " and the other helpers" : "");
			s->helper_exited_first = true;
			s->stopping = true;
			run_sup_stop(s, &s->command);
			stop_helpers(s, p);
		} else {
			log_info("[runner] %s exited (%s)", p->name, how);
		}
	}
}

void run_sup_run(struct run_sup *s, struct run_outcome *out)
{
	struct poller_event ev[EVENTS_MAX];

	if (s->command.pid <= 0) {
		/* COMMAND could not start: nothing for the helpers to do. */
		s->stopping = true;
		stop_helpers(s, NULL);
	}
	for (;;) {
		reap(s);
		note_exits(s);
		if (!any_helper_running(s) && !running(&s->command))
			break;
		escalate(s);
		if (wait_events(s, ev) < 0) {
			kill_and_reap(s);
			note_exits(s);
			break;
		}
	}
	memset(out, 0, sizeof(*out));
	out->command_started = s->command.pid > 0;
	out->command_wstatus = s->command.wstatus;
	out->helper_exited_first = s->helper_exited_first;
	out->signo = out->command_started ? 0 : s->signo;
}
