/* SPDX-License-Identifier: Apache-2.0 */
/* signals.c - the helper's signal policy (signals.h), on a poller. */
#include "signals.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>

#include "poller.h"

static const struct {
	int signo;
	enum signal_action action;
} answered[] = {
    {SIGTERM, SIGNAL_STOP}, {SIGINT, SIGNAL_STOP},   {SIGHUP, SIGNAL_STOP},
    {SIGQUIT, SIGNAL_STOP}, {SIGUSR1, SIGNAL_STATS},
};

static const int ignored[] = {SIGPIPE, SIGUSR2, SIGALRM};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

void signals_add_answered(sigset_t *set)
{
	for (size_t i = 0; i < COUNT(answered); i++)
		sigaddset(set, answered[i].signo);
}

int signals_take(void)
{
	sigset_t set;

	sigemptyset(&set);
	signals_add_answered(&set);
	int r = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (r)
		return -r;
	for (size_t i = 0; i < COUNT(ignored); i++)
		if (signal(ignored[i], SIG_IGN) == SIG_ERR)
			return -errno;
	return 0;
}

int signals_watch(struct poller *p, uint64_t base)
{
	for (size_t i = 0; i < COUNT(answered); i++) {
		int r = poller_add_signal(p, answered[i].signo,
					  base + (uint64_t)answered[i].signo);
		if (r)
			return r;
	}
	return 0;
}

int signals_stop_pending(void)
{
	sigset_t pending;

	/* sigpending(2): the signals blocked and raised, of the thread or
	 * the process; reading them does not consume them. */
	if (sigpending(&pending) != 0)
		return 0;
	for (size_t i = 0; i < COUNT(answered); i++)
		if (answered[i].action == SIGNAL_STOP &&
		    sigismember(&pending, answered[i].signo) == 1)
			return answered[i].signo;
	return 0;
}

enum signal_action signals_classify(uint64_t tag, uint64_t base, int *signo)
{
	if (tag < base || tag - base >= 64)
		return SIGNAL_NONE;
	for (size_t i = 0; i < COUNT(answered); i++)
		if ((uint64_t)answered[i].signo == tag - base) {
			*signo = answered[i].signo;
			return answered[i].action;
		}
	return SIGNAL_NONE;
}

const char *signal_name(int signo)
{
	static const struct {
		int signo;
		const char *name;
	} names[] = {
	    {SIGHUP, "SIGHUP"},	  {SIGINT, "SIGINT"},	{SIGQUIT, "SIGQUIT"},
	    {SIGILL, "SIGILL"},	  {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"},
	    {SIGBUS, "SIGBUS"},	  {SIGFPE, "SIGFPE"},	{SIGKILL, "SIGKILL"},
	    {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
	    {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},
	    {SIGSYS, "SIGSYS"},
	};

	for (size_t i = 0; i < COUNT(names); i++)
		if (names[i].signo == signo)
			return names[i].name;
	return NULL;
}
