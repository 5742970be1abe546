/* SPDX-License-Identifier: Apache-2.0 */
/* supervise.c - vmnet-run's waiting (see supervise.h). */
#include "cli/vmnet-run/supervise.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "poller.h"
#include "signals.h"

/*
 * How it works
 *
 * One poller (epoll and signalfd on Linux, kqueue on macOS) reports
 * SIGCHLD, the stop signals (signals.h) and, until the helper is ready,
 * its stdout.
 * Every wake-up, whatever its cause, first reaps both children with
 * waitpid(WNOHANG), so a SIGCHLD folded into another event or seen before
 * the poller existed can delay nothing. Then the state is looked at:
 * which child exited, whether the other must be stopped, whether a
 * SIGKILL is due.
 *
 * Deadlines (SIGKILL after the stop timeout) are one-shot, one per child,
 * and change as children are stopped; the poller's timers are periodic and
 * cannot be removed. So the nearest deadline becomes poller_wait()'s
 * timeout, and a wake-up past it sends the SIGKILL.
 */

enum {
	TAG_WAKE,
	TAG_LINE,
	TAG_SIGCHLD,
	TAG_SIGNAL_BASE = 1000, /* + signal number (signals_watch()) */
};

#define EVENTS_MAX 8

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int run_sup_init(struct run_sup *s, unsigned stop_timeout_s)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->stop_timeout_ms = stop_timeout_s * 1000u;
	s->helper.name = "vmnet-helper";
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
	poller_destroy(s->poller);
	s->poller = NULL;
}

static bool running(const struct run_proc *p)
{
	return p->pid > 0 && !p->exited;
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

/* COMMAND first: when both are found exited, COMMAND counts as first. */
static void reap(struct run_sup *s)
{
	reap_one(&s->command);
	reap_one(&s->helper);
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

/* SIGKILL whoever outlived the stop timeout. */
static void escalate(struct run_sup *s)
{
	struct run_proc *procs[] = {&s->helper, &s->command};
	int64_t now = now_ms();

	for (size_t i = 0; i < 2; i++) {
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
static int64_t next_timeout_us(const struct run_sup *s)
{
	const struct run_proc *procs[] = {&s->helper, &s->command};
	int64_t now = now_ms(), best = -1;

	for (size_t i = 0; i < 2; i++) {
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

/* A stop signal to vmnet-run (signals.h: SIGTERM, SIGINT, SIGHUP,
 * SIGQUIT): pass it on to whoever runs. */
static void on_signal(struct run_sup *s, int signo)
{
	const char *name = signal_name(signo);

	if (s->signo == 0) {
		s->signo = signo;
		if (running(&s->helper) && running(&s->command))
			log_info("[runner] got %s; forwarding it to "
				 "vmnet-helper and %s",
				 name, s->command.name);
		else if (running(&s->helper) || running(&s->command))
			log_info("[runner] got %s; forwarding it to %s", name,
				 running(&s->helper) ? "vmnet-helper"
						     : s->command.name);
	} else {
		log_debug("[runner] got %s again; forwarding it", name);
	}
	s->stopping = true;
	/* Forwarded as it came, each child's own stop timeout starting at
	 * the first. */
	signal_proc(s, &s->helper, signo);
	signal_proc(s, &s->command, signo);
}

/*
 * Wait for the next events and handle the signals among them. Return the
 * events (for the caller's own fds), 0 on a timeout, or -1 when the poller
 * failed, which the caller answers with SIGKILL for both: waiting is all
 * vmnet-run can do for them, and it can no longer.
 */
static int wait_events(struct run_sup *s, struct poller_event *ev)
{
	int n = poller_wait(s->poller, ev, EVENTS_MAX, next_timeout_us(s));

	if (n < 0) {
		log_error("[runner] waiting for events: %s; killing "
			  "vmnet-helper and COMMAND",
			  strerror(-n));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int signo = 0;
		enum signal_action act =
		    signals_classify(ev[i].tag, TAG_SIGNAL_BASE, &signo);

		if (act == SIGNAL_STOP) {
			on_signal(s, signo);
		} else if (act == SIGNAL_STATS && running(&s->helper)) {
			/* The helper's counters are what a user asks for:
			 * it prints them on the stderr we share. Not
			 * signal_proc(): this stops nothing. */
			log_debug("[runner] got SIGUSR1; forwarding it to "
				  "vmnet-helper");
			kill(s->helper.pid, SIGUSR1);
		}
	}
	return n;
}

/* The poller failed: kill both and wait for them, blocking. */
static void kill_and_reap(struct run_sup *s)
{
	struct run_proc *procs[] = {&s->command, &s->helper};

	for (size_t i = 0; i < 2; i++) {
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
 * Read what the helper printed. Return 1 when a whole line is there, 0 to
 * wait for more, -1 when no line can come (end of file, too long, error).
 */
static int read_line(struct run_sup *s, int fd)
{
	for (;;) {
		size_t room = sizeof(s->line) - 1 - s->line_len;
		ssize_t n;
		char *nl;

		if (room == 0) {
			log_error("[runner] vmnet-helper printed %zu bytes "
				  "without a newline, more than a JSON line "
				  "can be; stopping it",
				  s->line_len);
			return -1;
		}
		n = read(fd, s->line + s->line_len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			log_error("[runner] reading vmnet-helper's stdout: %s; "
				  "stopping it",
				  strerror(errno));
			return -1;
		}
		if (n == 0) {
			/* It is exiting, surely: its exit status will say
			 * why. Stopped all the same, in case it is not. */
			log_debug("[runner] vmnet-helper's stdout ended "
				  "before a whole line");
			return -1;
		}
		s->line_len += (size_t)n;
		s->line[s->line_len] = '\0';
		nl = memchr(s->line, '\n', s->line_len);
		if (nl != NULL) {
			*nl = '\0';
			s->line_len = (size_t)(nl - s->line);
			return 1;
		}
	}
}

enum run_ready run_sup_wait_ready(struct run_sup *s, int fd)
{
	struct poller_event ev[EVENTS_MAX];
	bool ready = false, watching = true;
	int r = poller_add_fd(s->poller, fd, POLLER_IN, TAG_LINE);
	char how[64];

	if (r) {
		log_error("[runner] cannot watch vmnet-helper's stdout: %s; "
			  "stopping it",
			  strerror(-r));
		watching = false;
		run_sup_stop(s, &s->helper);
	} else {
		/* Edge-triggered: what came before the add is read now. */
		r = read_line(s, fd);
		ready = r == 1;
		if (r < 0) {
			watching = false;
			run_sup_stop(s, &s->helper);
		}
	}
	for (;;) {
		reap(s);
		if (s->helper.exited)
			break;
		if (ready && !s->stopping)
			break;
		escalate(s);
		int n = wait_events(s, ev);
		if (n < 0) {
			kill_and_reap(s);
			break;
		}
		for (int i = 0; i < n && watching && !ready; i++) {
			if (ev[i].tag != TAG_LINE)
				continue;
			r = read_line(s, fd);
			ready = r == 1;
			if (r < 0) {
				watching = false;
				run_sup_stop(s, &s->helper);
			}
		}
	}
	poller_del_fd(s->poller, fd);
	s->helper.noted = s->helper.exited;
	if (!s->helper.exited)
		return RUN_READY;
	run_describe_wait(s->helper.wstatus, how, sizeof(how));
	if (s->signo) {
		log_info("[runner] vmnet-helper exited (%s)", how);
		return RUN_SIGNALLED;
	}
	if (ready)
		log_error("[runner] vmnet-helper exited (%s) as soon as it was "
			  "ready; COMMAND not started",
			  how);
	else
		log_error("[runner] vmnet-helper exited (%s) before it was "
			  "ready; COMMAND not started%s",
			  how,
			  run_helper_failed_hint(s->helper_via_sudo,
						 s->helper.wstatus));
	return RUN_HELPER_FAILED;
}

/* Act on exits not acted on yet; COMMAND's first (see reap()). */
static void note_exits(struct run_sup *s)
{
	char how[64];

	if (s->command.exited && !s->command.noted) {
		s->command.noted = true;
		run_describe_wait(s->command.wstatus, how, sizeof(how));
		if (!s->stopping && running(&s->helper)) {
			log_info("[runner] %s exited (%s); stopping "
				 "vmnet-helper",
				 s->command.name, how);
			s->stopping = true;
			run_sup_stop(s, &s->helper);
		} else {
			log_info("[runner] %s exited (%s)", s->command.name,
				 how);
		}
		s->stopping = true;
	}
	if (s->helper.exited && !s->helper.noted) {
		s->helper.noted = true;
		run_describe_wait(s->helper.wstatus, how, sizeof(how));
		if (!s->stopping && running(&s->command)) {
			log_error("[runner] vmnet-helper exited (%s) while %s "
				  "was running; stopping %s",
				  how, s->command.name, s->command.name);
			s->helper_exited_first = true;
			s->stopping = true;
			run_sup_stop(s, &s->command);
		} else {
			log_info("[runner] vmnet-helper exited (%s)", how);
		}
	}
}

void run_sup_run(struct run_sup *s, struct run_outcome *out)
{
	struct poller_event ev[EVENTS_MAX];

	if (s->command.pid <= 0) {
		/* COMMAND could not start: nothing for the helper to do. */
		s->stopping = true;
		run_sup_stop(s, &s->helper);
	}
	for (;;) {
		reap(s);
		note_exits(s);
		if (!running(&s->helper) && !running(&s->command))
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
