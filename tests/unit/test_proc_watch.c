/* SPDX-License-Identifier: Apache-2.0 */
/* test_proc_watch.c - an fd readable once a process exits (--pid): a
 * running one, an unreaped zombie, a pid that is free. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_watch.h"

static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

Test(proc_watch, fd_becomes_readable_when_the_process_exits)
{
	int fd, status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	cr_assert_eq(proc_watch_open(pid, &fd), 0);
	cr_assert_not(readable(fd), "readable while the process runs");
	kill(pid, SIGKILL);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	cr_assert_eq(poll(&p, 1, 10000), 1, "no event after the exit");
	waitpid(pid, &status, 0);
	close(fd);
}

Test(proc_watch, exited_process_not_yet_reaped_is_readable_at_once)
{
	siginfo_t info;
	int fd, status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	/* Wait for the exit but leave the zombie (WNOWAIT). */
	memset(&info, 0, sizeof(info));
	cr_assert_eq(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
	cr_assert_eq(proc_watch_open(pid, &fd), 0, "a zombie is not ESRCH");
	cr_assert(readable(fd), "a zombie has exited: readable at once");
	close(fd);
	waitpid(pid, &status, 0);
}

Test(proc_watch, missing_process_is_esrch)
{
	int fd, status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	waitpid(pid, &status, 0); /* reaped: the pid is free now */
	cr_assert_eq(proc_watch_open(pid, &fd), -ESRCH);
	cr_assert_eq(fd, -1);
}
