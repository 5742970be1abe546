/* SPDX-License-Identifier: Apache-2.0 */
/* load_child.h - start, wait for and stop the forwarder vmh-load measures. */
#ifndef VMH_PERF_LOAD_CHILD_H
#define VMH_PERF_LOAD_CHILD_H

#include <sys/types.h>

struct load_child {
	pid_t pid;
	int out;     /* its stdout, for the readiness line */
	int stdin_w; /* kept open: vde_switch exits at end of its stdin */
	int pidfd;
	char line[1024];
};

/**
 * load_child_start() - fork and exec the forwarder @cmd
 * @ch:      filled in
 * @cmd:     its argv
 * @vm_fd:   its VM socket, given to it as fd 3, or -1
 * @host_fd: its host socket, given to it as fd 4, or -1
 * @log:     the file its stderr goes to
 *
 * Its stdout is a pipe (load_child_wait_line()), its stdin a pipe kept
 * open; it is killed if vmh-load dies (PR_SET_PDEATHSIG). Fails the run
 * on error.
 */
void load_child_start(struct load_child *ch, char **cmd, int vm_fd, int host_fd,
		      const char *log);

/**
 * load_child_wait_line() - wait (at most 10 s) for the forwarder's first
 * line on stdout, its sign that it is ready, into ch->line
 * @ch: the forwarder
 */
void load_child_wait_line(struct load_child *ch);

/**
 * load_child_wait_tap() - wait (at most 10 s) for TAP @tap to exist, and
 * bring it up if the forwarder left it down
 * @ch:  the forwarder (its exit fails the wait)
 * @tap: the TAP's name
 */
void load_child_wait_tap(struct load_child *ch, const char *tap);

/**
 * load_child_stop() - SIGTERM the forwarder, SIGKILL after 5 s, reap it
 * @ch: the forwarder
 *
 * Return: its wait status.
 */
int load_child_stop(struct load_child *ch);

#endif
