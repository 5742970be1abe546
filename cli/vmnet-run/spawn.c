/* SPDX-License-Identifier: Apache-2.0 */
/* spawn.c - vmnet-run's process plumbing (see spawn.h). */
#include "cli/vmnet-run/spawn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Where execvp() looks when PATH is unset (glibc and macOS agree on
 * these two, in some order). */
#define DEFAULT_PATH "/usr/bin:/bin"

/* Highest fd tried when /dev/fd cannot be listed. */
#define FD_SCAN_MAX 65536

/* 0 if @path is a file we may execute, else -ENOENT or -EACCES. */
static int check_program(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno == EACCES ? -EACCES : -ENOENT;
	if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0)
		return -EACCES;
	return 0;
}

int run_find_program(const char *name, const char *path_env, char *out,
		     size_t len)
{
	const char *dir;
	int found = -ENOENT;

	if (*name == '\0')
		return -ENOENT;
	if (strchr(name, '/') != NULL) {
		size_t n = strlen(name);

		if (n >= len)
			return -ENAMETOOLONG;
		memcpy(out, name, n + 1);
		return check_program(name);
	}
	dir = path_env != NULL ? path_env : DEFAULT_PATH;
	for (;;) {
		size_t dlen = strcspn(dir, ":");
		int n, r;

		/* An empty entry is the current directory, as for execvp(). */
		if (dlen == 0)
			n = snprintf(out, len, "%s", name);
		else
			n = snprintf(out, len, "%.*s/%s", (int)dlen, dir, name);
		if (n >= 0 && (size_t)n < len) {
			r = check_program(out);
			if (r == 0)
				return 0;
			/* execvp() goes on past a file it cannot run, and
			 * reports EACCES if nothing better turns up. */
			if (r == -EACCES)
				found = -EACCES;
		}
		if (dir[dlen] == '\0')
			return found;
		dir += dlen + 1;
	}
}

void run_cloexec_inherited(void)
{
	DIR *d = opendir("/dev/fd");
	struct dirent *e;

	if (d == NULL) {
		/* No /dev/fd (a bare chroot): try every plausible number. */
		long max = sysconf(_SC_OPEN_MAX);

		if (max < 0 || max > FD_SCAN_MAX)
			max = FD_SCAN_MAX;
		for (int fd = 3; fd < max; fd++) {
			int flags = fcntl(fd, F_GETFD);

			if (flags >= 0 && !(flags & FD_CLOEXEC))
				fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
		}
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);

		if (*end != '\0' || end == e->d_name || fd < 3 ||
		    fd == dirfd(d))
			continue;
		int flags = fcntl((int)fd, F_GETFD);
		if (flags >= 0 && !(flags & FD_CLOEXEC))
			fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
	}
	closedir(d);
}

int run_fd_move_high(int fd)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, RUN_FD_LOW);

	if (high < 0)
		return -errno;
	close(fd);
	return high;
}

/*
 * In the child, between fork and exec. vmnet-run has a single thread, so
 * no lock can be held by another one here and logging is safe.
 */
static void exec_child(char *const argv[], const struct run_fd_map *map,
		       int nmap, const sigset_t *mask)
{
	/* Every signal vmnet-run forwards (signals.h) starts at its default,
	 * whatever vmnet-run inherited: a shell without job control starts
	 * background commands with SIGINT and SIGQUIT ignored, and a
	 * forwarded SIGQUIT would then stop nobody. */
	static const int reset[] = {SIGCHLD, SIGTERM, SIGINT,
				    SIGHUP,  SIGQUIT, SIGPIPE};
	struct sigaction dfl;
	int e;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
		sigaction(reset[i], &dfl, NULL);
	/* Sources are all at RUN_FD_LOW or above and targets below it, so
	 * no dup2() overwrites a source still to be used, and each target
	 * comes out without FD_CLOEXEC. */
	for (int i = 0; i < nmap; i++) {
		if (dup2(map[i].from, map[i].to) < 0) {
			log_error("[runner] cannot pass fd %d to %s: %s",
				  map[i].to, argv[0], strerror(errno));
			_exit(126);
		}
	}
	sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(argv[0], argv);
	e = errno;
	log_error("[runner] cannot run %s: %s", argv[0], strerror(e));
	_exit(e == ENOENT || e == ENOTDIR ? 127 : 126);
}

int run_spawn(pid_t *pid, char *const argv[], const struct run_fd_map *map,
	      int nmap, const sigset_t *mask)
{
	pid_t p;

	/* Nothing buffered may be written twice, by both processes. */
	fflush(NULL);
	p = fork();
	if (p < 0)
		return -errno;
	if (p == 0)
		exec_child(argv, map, nmap, mask);
	*pid = p;
	return 0;
}
