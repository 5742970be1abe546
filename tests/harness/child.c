/* SPDX-License-Identifier: Apache-2.0 */
/* child.c - run one of our programs from a test (see child.h). */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *child_program(const char *name)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	path[n > 0 ? n : 0] = '\0';
	/* .../tests/unit-tests -> ... */
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(path, '/');
		if (slash)
			*slash = '\0';
	}
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", name);
	return path;
}

const char *child_source_file(const char *rel)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", TEST_SOURCE_DIR, rel);
	return path;
}

static bool is_passed(const struct child_fd *fds, int nfds, int fd)
{
	for (int i = 0; i < nfds; i++)
		if (fds[i].to == fd)
			return true;
	return false;
}

/* In the child, between fork and exec: only async-signal-safe calls and
 * the environment. */
static void exec_child(char *const argv[], char *const env[],
		       const struct child_fd *fds, int nfds, int out, int err)
{
	int high[16];
	int top = 2;

	/* A test that dies (a failed assertion ends its process) must not
	 * leave a helper behind holding a TAP or a namespace. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	/* Move every source out of the way first, so a source that is also
	 * another entry's target is not overwritten before it is used. */
	for (int i = 0; i < nfds && i < 16; i++) {
		high[i] = fcntl(fds[i].from, F_DUPFD, 200);
		if (high[i] < 0)
			_exit(127);
	}
	for (int i = 0; i < nfds && i < 16; i++) {
		if (dup2(high[i], fds[i].to) < 0)
			_exit(127);
		if (fds[i].to > top)
			top = fds[i].to;
	}
	for (int fd = 3; fd <= top; fd++)
		if (!is_passed(fds, nfds, fd))
			close(fd);
	closefrom(top + 1);
	for (; env && *env; env++)
		if (strchr(*env, '='))
			putenv(*env);
		else
			unsetenv(*env);
	execv(argv[0], argv);
	_exit(127);
}

void child_init(struct child *c)
{
	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->pidfd = c->out_fd = c->err_fd = -1;
}

int child_start(struct child *c, char *const argv[], char *const env[],
		const struct child_fd *fds, int nfds)
{
	int out[2], err[2];

	child_init(c);
	if (nfds > 16)
		return -EINVAL;
	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(err, O_CLOEXEC) < 0) {
		int e = errno;
		close(out[0]);
		close(out[1]);
		return -e;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid == 0)
		exec_child(argv, env, fds, nfds, out[1], err[1]);
	int e = errno;
	close(out[1]);
	close(err[1]);
	if (c->pid < 0) {
		close(out[0]);
		close(err[0]);
		return -e;
	}
	c->out_fd = out[0];
	c->err_fd = err[0];
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
	c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (c->pidfd < 0) {
		e = errno;
		child_kill(c);
		return -e;
	}
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Read what is there from one pipe; keeps the buffer NUL-terminated. */
static void drain(int *fd, char *buf, size_t *len)
{
	for (;;) {
		char tmp[4096];
		ssize_t n = read(*fd, tmp, sizeof(tmp));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return; /* EAGAIN: nothing more for now */
		if (n == 0) {
			close(*fd);
			*fd = -1;
			return;
		}
		size_t room = CHILD_OUT_MAX - 1 - *len;
		size_t take = (size_t)n < room ? (size_t)n : room;
		memcpy(buf + *len, tmp, take);
		*len += take;
		buf[*len] = '\0';
	}
}

/* Wait up to @ms for output or exit; false when the time is up. */
static bool pump(struct child *c, long deadline)
{
	struct pollfd p[3];
	int n = 0;
	long left = deadline - now_ms();

	if (left <= 0)
		return false;
	if (c->out_fd >= 0)
		p[n++] = (struct pollfd){.fd = c->out_fd, .events = POLLIN};
	if (c->err_fd >= 0)
		p[n++] = (struct pollfd){.fd = c->err_fd, .events = POLLIN};
	if (!c->reaped && c->pidfd >= 0)
		p[n++] = (struct pollfd){.fd = c->pidfd, .events = POLLIN};
	if (n == 0)
		return false;
	if (poll(p, (nfds_t)n, (int)left) <= 0)
		return false;
	if (c->out_fd >= 0)
		drain(&c->out_fd, c->out, &c->out_len);
	if (c->err_fd >= 0)
		drain(&c->err_fd, c->err, &c->err_len);
	return true;
}

/* Whether @buf holds @n copies of @needle. */
static bool has_nth(const char *buf, const char *needle, int n)
{
	for (const char *p = buf; (p = strstr(p, needle)); p++)
		if (--n == 0)
			return true;
	return false;
}

bool child_wait_for_nth(struct child *c, bool out, const char *needle, int n,
			int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	const char *buf = out ? c->out : c->err;
	int *fd = out ? &c->out_fd : &c->err_fd;

	for (;;) {
		if (has_nth(buf, needle, n))
			return true;
		/* The pipe ended: the text can no longer come. */
		if (*fd < 0)
			return false;
		if (!pump(c, deadline))
			return has_nth(buf, needle, n);
	}
}

bool child_wait_for(struct child *c, bool out, const char *needle,
		    int timeout_ms)
{
	return child_wait_for_nth(c, out, needle, 1, timeout_ms);
}

static void reap(struct child *c)
{
	if (c->reaped || c->pid <= 0)
		return;
	while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
		;
	c->reaped = true;
}

bool child_running(struct child *c)
{
	struct pollfd p = {.fd = c->pidfd, .events = POLLIN};

	if (c->reaped || c->pidfd < 0)
		return false;
	return poll(&p, 1, 0) == 0;
}

int child_run(struct child *c, char *const argv[], char *const env[],
	      int timeout_ms)
{
	char *v[64] = {"/usr/bin/env"};
	int n = 1, r;

	for (int i = 0; argv[i] && n < 63; i++)
		v[n++] = argv[i];
	v[n] = NULL;
	r = child_start(c, strchr(argv[0], '/') ? argv : v, env, NULL, 0);
	return r < 0 ? r : child_wait_exit(c, timeout_ms);
}

int child_wait_exit(struct child *c, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;

	while (child_running(c))
		if (!pump(c, deadline) && now_ms() >= deadline) {
			child_kill(c);
			return -1;
		}
	reap(c);
	/* Collect what is left; the pipes end unless a grandchild holds
	 * them, so this too is bounded. */
	while ((c->out_fd >= 0 || c->err_fd >= 0) && pump(c, now_ms() + 2000))
		;
	if (WIFSIGNALED(c->status))
		return 128 + WTERMSIG(c->status);
	return WEXITSTATUS(c->status);
}

void child_kill(struct child *c)
{
	if (c->pid > 0 && !c->reaped) {
		kill(c->pid, SIGKILL);
		reap(c);
	}
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->out_fd >= 0)
		close(c->out_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->pidfd = c->out_fd = c->err_fd = -1;
}
