/* SPDX-License-Identifier: Apache-2.0 */
/* spawn.h - vmnet-run's process plumbing: find COMMAND, keep its own
 * fds out of the children, fork and exec a child with chosen fds and the
 * signals vmnet-run took over handed back. */
#ifndef VMNET_HELPER_RUN_SPAWN_H
#define VMNET_HELPER_RUN_SPAWN_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* vmnet-run keeps its own fds at or above this, so that none of them is
 * ever one of the numbers a child gets (0-3, and COMMAND's 4 to 11, one
 * per NIC) and dup2() never clobbers one source with another. */
#define RUN_FD_LOW 16

/* One fd to pass: the child gets @from as fd @to. */
struct run_fd_map {
	int from; /* at or above RUN_FD_LOW */
	int to;
};

/**
 * run_find_program() - find COMMAND as execvp() will, to refuse a missing
 * one before anything starts
 * @name:	COMMAND as typed: a path if it holds a '/', else a name to
 *		look up in @path_env
 * @path_env:	$PATH, or NULL for the default "/usr/bin:/bin"
 * @out:	on success, the path found
 * @len:	room in @out
 *
 * Return: 0, -ENOENT (nowhere), -EACCES (found, but no file there may be
 * executed), or -ENAMETOOLONG.
 */
int run_find_program(const char *name, const char *path_env, char *out,
		     size_t len);

/**
 * run_cloexec_inherited() - mark every fd vmnet-run inherited above 2
 * close-on-exec
 *
 * Children get 0-2 and their own end of the socketpair, nothing else:
 * an fd inherited by accident (a terminal emulator's, a CI runner's)
 * would otherwise live as long as the VM.
 */
void run_cloexec_inherited(void);

/**
 * run_fd_move_high() - move @fd to RUN_FD_LOW or above, close-on-exec
 * @fd:	fd to move; closed on success
 *
 * Return: the new fd, or a negative errno (@fd is then left open).
 */
int run_fd_move_high(int fd);

/**
 * run_spawn() - fork and exec @argv with @map passed in
 * @pid:	on success, the child's pid
 * @argv:	program (searched in $PATH as execvp() does) and arguments,
 *		NULL-terminated
 * @map:	fds the child gets; every other vmnet-run fd is close-on-exec
 * @nmap:	how many
 * @mask:	signal mask the child starts with
 *
 * In the child, SIGCHLD, SIGTERM, SIGINT and SIGPIPE get their default
 * dispositions back before exec (vmnet-run blocks, catches or ignores
 * them, and forwards TERM and INT, which the child must then act on). A
 * failed exec logs one ERROR line and exits the child with 127 (not found)
 * or 126 (found, cannot run).
 *
 * Return: 0 or a negative errno from fork().
 */
int run_spawn(pid_t *pid, char *const argv[], const struct run_fd_map *map,
	      int nmap, const sigset_t *mask);

#endif
