/* SPDX-License-Identifier: Apache-2.0 */
/* signals.h - which signals a helper answers and how: the one place that
 * says so, for the engine's supervisor and the wait for a --socket client
 * alike. */
#ifndef VMNET_HELPER_SIGNALS_H
#define VMNET_HELPER_SIGNALS_H

#include <signal.h>
#include <stdint.h>

struct poller;

/*
 * What a signal asks of the helper:
 *   SIGTERM, SIGINT, SIGHUP, SIGQUIT  stop cleanly: last line, final
 *                                     counters, --socket files removed
 *   SIGUSR1                           print the stats line now, as
 *                                     long-running network daemons do
 *   SIGPIPE, SIGUSR2, SIGALRM         ignored (a vanished peer is an
 *                                     error code, never a death)
 * Every other signal keeps its default action.
 */
enum signal_action {
	SIGNAL_NONE,  /* not one of the signals watched */
	SIGNAL_STOP,  /* end the helper, status 0 */
	SIGNAL_STATS, /* print the counters now */
};

/**
 * signals_take() - block the signals the helper answers and ignore the
 * others it must survive, for the whole process
 *
 * Call it in the main thread before any other thread exists (vmnet's
 * dispatch queues, the engine's workers): they inherit the mask, so only a
 * poller from signals_watch() ever sees these signals, and one that arrives
 * between two pollers (while the host interface starts, between --socket
 * clients, during cleanup) stays pending instead of killing the process.
 * Idempotent.
 *
 * Return: 0 or a negative errno.
 */
int signals_take(void);

/**
 * signals_add_answered() - add the signals the helper answers to @set
 * @set:	signal set
 *
 * For a program that takes them itself, such as vmnet-run, which must
 * give its children the mask it had before.
 */
void signals_add_answered(sigset_t *set);

/**
 * signals_watch() - report every answered signal on @p
 * @p:		poller
 * @base:	the signal's event comes with tag @base + its number; leave
 *		@base .. @base + 64 free for it
 *
 * A signal already pending when this is called must be reported too:
 * signalfd does so on Linux; see poller_kqueue.c for macOS, whose
 * EVFILT_SIGNAL counts only signals that come after it.
 *
 * Return: 0 or a negative errno.
 */
int signals_watch(struct poller *p, uint64_t base);

/**
 * signals_classify() - what an event from signals_watch() asks
 * @tag:	the event's tag
 * @base:	the base given to signals_watch()
 * @signo:	set to the signal number when it is one of them
 *
 * Return: the action, SIGNAL_NONE for a tag that is not a signal's.
 */
enum signal_action signals_classify(uint64_t tag, uint64_t base, int *signo);

/**
 * signals_stop_pending() - a stop signal that has arrived and waits,
 * blocked since signals_take(), for a poller to report it
 *
 * For a step before the engine runs that waits without a poller (on
 * macOS, vmnet's start): it waits in slices and asks this between them,
 * so SIGTERM ends the wait at once. The signal stays pending.
 *
 * Return: the signal number (SIGTERM, SIGINT, SIGHUP or SIGQUIT), or 0.
 */
int signals_stop_pending(void);

/**
 * signal_name() - "SIGTERM" for SIGTERM, and so on
 * @signo:	signal number
 *
 * Return: the name, or NULL for a signal without one here.
 */
const char *signal_name(int signo);

#endif
