/* SPDX-License-Identifier: Apache-2.0 */
/* test_run_spawn.c - vmnet-run's process plumbing (spawn.c): finding
 * COMMAND as execvp() would, and fds moved out of the children's way. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "cli/vmnet-run/spawn.h"

Test(vmnet_run_spawn, finds_command_as_execvp_would)
{
	static const struct {
		const char *name, *path;
		int r;
		const char *want;
	} cases[] = {
	    {"sh", "/nonexistent:/bin", 0, "/bin/sh"},
	    {"sh", "/nonexistent::/bin", 0, "/bin/sh"},
	    {"/bin/sh", "/nonexistent", 0, "/bin/sh"},
	    {"vmh-no-such-command", "/bin:/usr/bin", -ENOENT, NULL},
	    {"/nonexistent/sh", NULL, -ENOENT, NULL},
	    {"", NULL, -ENOENT, NULL},
	    /* Found, but not executable (a file, a directory). */
	    {"/etc/passwd", NULL, -EACCES, NULL},
	    {"passwd", "/etc", -EACCES, NULL},
	    {"/etc", NULL, -EACCES, NULL},
	    /* One that cannot run does not hide one that can. */
	    {"sh", "/etc:/bin", 0, "/bin/sh"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[PATH_MAX];
		int r = run_find_program(cases[i].name, cases[i].path, out,
					 sizeof(out));

		cr_assert_eq(r, cases[i].r, "case %zu (%s): %d", i,
			     cases[i].name, r);
		if (cases[i].want)
			cr_assert_str_eq(out, cases[i].want, "case %zu", i);
	}
}

Test(vmnet_run_spawn, moved_fds_are_high_and_close_on_exec)
{
	int p[2], fd;

	cr_assert_eq(pipe(p), 0);
	fd = run_fd_move_high(p[0]);
	cr_assert_geq(fd, RUN_FD_LOW);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	cr_assert_lt(fcntl(p[0], F_GETFD), 0, "the old fd is still open");
	close(fd);
	close(p[1]);
}
