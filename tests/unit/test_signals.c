/* SPDX-License-Identifier: Apache-2.0 */
/* test_signals.c - the helper's signal policy: which signals stop it,
 * which print stats, and that a tag outside the range is not a signal. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "signals.h"

#define BASE 64

Test(signals, stop_signals_stop_and_sigusr1_reports_stats)
{
	static const struct {
		int signo;
		enum signal_action action;
		const char *name;
	} cases[] = {
	    {SIGTERM, SIGNAL_STOP, "SIGTERM"},
	    {SIGINT, SIGNAL_STOP, "SIGINT"},
	    {SIGHUP, SIGNAL_STOP, "SIGHUP"},
	    {SIGQUIT, SIGNAL_STOP, "SIGQUIT"},
	    {SIGUSR1, SIGNAL_STATS, "SIGUSR1"},
	    {SIGUSR2, SIGNAL_NONE, "SIGUSR2"},
	    {SIGALRM, SIGNAL_NONE, "SIGALRM"},
	    {SIGPIPE, SIGNAL_NONE, "SIGPIPE"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int signo = 0;
		enum signal_action a = signals_classify(
		    BASE + (uint64_t)cases[i].signo, BASE, &signo);

		cr_assert_eq(a, cases[i].action, "%s: action %d", cases[i].name,
			     a);
		if (a != SIGNAL_NONE)
			cr_assert_eq(signo, cases[i].signo, "%s",
				     cases[i].name);
		cr_assert_str_eq(signal_name(cases[i].signo), cases[i].name);
	}
}

Test(signals, tags_outside_the_range_are_not_signals)
{
	int signo = 0;

	cr_assert_eq(signals_classify(BASE - 1, BASE, &signo), SIGNAL_NONE);
	cr_assert_eq(signals_classify(3, BASE, &signo), SIGNAL_NONE);
	cr_assert_eq(signals_classify(BASE + 64 + SIGTERM, BASE, &signo),
		     SIGNAL_NONE);
	cr_assert_eq(signo, 0, "signo written for a non-signal");
}

Test(signals, take_blocks_the_answered_ones_and_ignores_the_rest)
{
	sigset_t now;
	struct sigaction sa;

	cr_assert_eq(signals_take(), 0);
	cr_assert_eq(pthread_sigmask(SIG_BLOCK, NULL, &now), 0);
	sigset_t want;
	sigemptyset(&want);
	signals_add_answered(&want);
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&want, s) == 1)
			cr_assert_eq(sigismember(&now, s), 1, "%s not blocked",
				     signal_name(s));
	cr_assert_eq(sigismember(&want, SIGHUP), 1);
	cr_assert_eq(sigismember(&want, SIGUSR1), 1);
	const int ignored[] = {SIGPIPE, SIGUSR2, SIGALRM};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(sigaction(ignored[i], NULL, &sa), 0);
		cr_assert_eq(sa.sa_handler, SIG_IGN, "%s not ignored",
			     signal_name(ignored[i]));
	}
}

/* The macOS start waits in slices and asks this between them: a pending
 * stop signal is seen and stays pending; SIGUSR1 is not a stop. */
Test(signals, a_pending_stop_signal_is_seen_and_left_pending)
{
	sigset_t pending;

	cr_assert_eq(signals_take(), 0);
	cr_assert_eq(signals_stop_pending(), 0, "nothing raised yet");
	cr_assert_eq(raise(SIGUSR1), 0);
	cr_assert_eq(signals_stop_pending(), 0, "SIGUSR1 is not a stop");
	cr_assert_eq(raise(SIGHUP), 0);
	cr_assert_eq(signals_stop_pending(), SIGHUP);
	cr_assert_eq(signals_stop_pending(), SIGHUP, "asking consumed it");
	cr_assert_eq(sigpending(&pending), 0);
	cr_assert_eq(sigismember(&pending, SIGHUP), 1);
}
