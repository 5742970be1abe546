/* SPDX-License-Identifier: Apache-2.0 */
/* child.h - run one of our programs from a test: chosen fds passed in,
 * stdout and stderr captured, waits bounded by time-outs (never sleeps), and
 * nothing left running when the test ends. Linux only (pidfd). */
#ifndef VMNET_HELPER_TEST_CHILD_H
#define VMNET_HELPER_TEST_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CHILD_OUT_MAX 65536

struct child {
	pid_t pid;
	int pidfd;  /* readable once the child has exited */
	int out_fd; /* its stdout, read end; -1 once at end of file */
	int err_fd; /* its stderr, likewise */
	char out[CHILD_OUT_MAX];
	size_t out_len;
	char err[CHILD_OUT_MAX];
	size_t err_len;
	bool reaped;
	int status; /* waitpid() status once reaped */
};

/* One fd to pass: the child gets @from as fd @to. */
struct child_fd {
	int to;
	int from;
};

/**
 * child_program() - path of a program built beside the test binary
 * @name:	e.g. "vmnet-helper"
 *
 * $(O)/tests/unit-tests runs $(O)/NAME, so the ASan suite runs the ASan
 * programs.
 *
 * Return: a static buffer, overwritten by the next call.
 */
const char *child_program(const char *name);

/**
 * child_source_file() - path of a file in the source tree
 * @rel:	relative to the top of the tree, e.g. "tests/scripts/demo.sh"
 *
 * The Makefile passes the tree's absolute path in TEST_SOURCE_DIR, so a
 * test finds its scripts from any working directory.
 *
 * Return: a static buffer, overwritten by the next call.
 */
const char *child_source_file(const char *rel);

/**
 * child_init() - a child not started yet, which child_kill() and a test's
 * teardown may be given safely
 * @c:	filled
 */
void child_init(struct child *c);

/**
 * child_start() - fork and exec @argv[0] with @fds passed in
 * @c:		filled in
 * @argv:	program and arguments, NULL-terminated
 * @env:	"NAME=value" to set, or "NAME" to unset, NULL-terminated, or
 *		NULL
 * @fds:	fds to pass, or NULL
 * @nfds:	how many
 *
 * Every other fd of the test is closed in the child. A failed exec exits
 * the child with status 127.
 *
 * Return: 0 or a negative errno.
 */
int child_start(struct child *c, char *const argv[], char *const env[],
		const struct child_fd *fds, int nfds);

/**
 * child_wait_for() - read output until @needle shows up in stdout (@out
 * true) or stderr, the child's output ends, or @timeout_ms passes
 * @c:		child
 * @out:	search stdout, else stderr
 * @needle:	text to wait for
 * @timeout_ms:	longest wait
 *
 * Return: true when the text is there.
 */
bool child_wait_for(struct child *c, bool out, const char *needle,
		    int timeout_ms);

/**
 * child_wait_for_nth() - like child_wait_for(), until @needle is there @n
 * times
 * @c:		child
 * @out:	search stdout, else stderr
 * @needle:	text to wait for
 * @n:		copies wanted, >= 1
 * @timeout_ms:	longest wait
 *
 * Return: true when the text is there @n times.
 */
bool child_wait_for_nth(struct child *c, bool out, const char *needle, int n,
			int timeout_ms);

/**
 * child_wait_exit() - wait for the child to exit, collecting its output
 * @c:		child
 * @timeout_ms:	longest wait; then it is killed with SIGKILL
 *
 * Return: its exit status (0-255), 128 + signal if a signal ended it, or -1
 * when it had to be killed for running past the time-out.
 */
int child_wait_exit(struct child *c, int timeout_ms);

/**
 * child_run() - run @argv to its end, as a shell would find it
 * @c:		child; its stdout and stderr are there afterwards
 * @argv:	program and arguments; a bare program name is looked up in
 *		PATH (through /usr/bin/env, since child_start() takes a path)
 * @env:	as for child_start()
 * @timeout_ms:	as for child_wait_exit()
 *
 * Return: as child_wait_exit(), or a negative errno when it cannot start.
 */
int child_run(struct child *c, char *const argv[], char *const env[],
	      int timeout_ms);

/**
 * child_running() - whether the child has not exited yet; never blocks
 * @c:	child
 */
bool child_running(struct child *c);

/**
 * child_kill() - SIGKILL and reap, if still there; safe to call twice
 * @c:	child
 */
void child_kill(struct child *c);

#endif
