/* SPDX-License-Identifier: Apache-2.0 */
/* test_helper_messages.c - what the programs say, and where: --help on
 * stdout, errors on stderr, and the privilege lines (uids unsigned, the
 * reason root is kept). The root cases need a TAP (testutil.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "testutil.h"

#define TAP	"vmhmsg0"
#define WAIT_MS 10000 /* generous: the ASan build is slow */

static struct child prog;

static void cleanup(void)
{
	child_kill(&prog);
}

static void setup(void)
{
	memset(&prog, 0, sizeof(prog));
	prog.pidfd = prog.out_fd = prog.err_fd = -1;
}

TestSuite(helper_messages, .init = setup, .fini = cleanup);

/* Run @name with @args (NULL-terminated) and @env ("NAME=value" or
 * "NAME" to unset, NULL-terminated), passing @fd as fd 3 if >= 0. */
static void start(const char *name, char *const env[], int fd,
		  const char *const *args)
{
	char *argv[16];
	struct child_fd pass = {3, fd};
	int n = 0;

	argv[n++] = (char *)child_program(name);
	cr_assert_eq(access(argv[0], X_OK), 0,
		     "%s is not built beside the tests", argv[0]);
	for (; *args && n < 15; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	int r = child_start(&prog, argv, env, &pass, fd >= 0 ? 1 : 0);
	cr_assert_eq(r, 0, "cannot start %s: %s", argv[0], strerror(-r));
}

static void run_to_exit(const char *name, const char *const *args, int status)
{
	static char *const no_sudo[] = {"SUDO_UID", "SUDO_GID", NULL};
	int got;

	start(name, no_sudo, -1, args);
	got = child_wait_exit(&prog, WAIT_MS);
	cr_assert_eq(got, status, "%s: exit %d, want %d; stderr:\n%s", name,
		     got, status, prog.err);
}

/* Asked for, so on stdout, where `| less` finds it; nothing on stderr. */
Test(helper_messages, help_goes_to_stdout_with_status_0)
{
	static const char *const progs[] = {"vmnet-helper", "vmnet-run"};

	for (size_t i = 0; i < 2; i++) {
		char want[64];

		setup();
		run_to_exit(progs[i], (const char *const[]){"--help", NULL}, 0);
		snprintf(want, sizeof(want), "Usage: %s ", progs[i]);
		cr_expect(strncmp(prog.out, want, strlen(want)) == 0,
			  "%s --help, stdout:\n%s", progs[i], prog.out);
		cr_expect_eq(prog.err_len, 0, "%s --help, stderr:\n%s",
			     progs[i], prog.err);
		child_kill(&prog);
	}
}

/* An error is one line on stderr, and stdout, where tools read the JSON
 * line, stays empty. */
Test(helper_messages, errors_go_to_stderr_with_status_1)
{
	run_to_exit("vmnet-helper",
		    (const char *const[]){"--fd", "3", "--bogus", NULL}, 1);
	cr_expect_eq(prog.out_len, 0, "stdout:\n%s", prog.out);
	cr_expect(strstr(prog.err, "ERROR ") &&
		      strstr(prog.err, "unknown option '--bogus'"),
		  "stderr:\n%s", prog.err);
	cr_expect_eq(strchr(prog.err, '\n') - prog.err + 1, (long)prog.err_len,
		     "more than one line:\n%s", prog.err);
}

/* The kernel would read the second %d as a pattern and refuse the name
 * with EINVAL, which looked like "exists and is not a TAP". */
Test(helper_messages, tap_name_with_two_patterns_is_named_as_such)
{
	run_to_exit("vmnet-helper",
		    (const char *const[]){"--fd", "3", "--tap", "x%d%d", NULL},
		    1);
	cr_expect(strstr(prog.err, "invalid --tap 'x%d%d': a TAP name may "
				   "hold one %d"),
		  "stderr:\n%s", prog.err);
	cr_expect_null(strstr(prog.err, "not a TAP"), "stderr:\n%s", prog.err);
}

/* Run the helper as root on a TAP with @env and @user (NULL: none) until
 * it is ready, then stop it by closing the VM's end. */
static void run_as_root(char *const env[], const char *user)
{
	const char *args[] = {"--fd", "3", "--tap", TAP, NULL, NULL, NULL};
	int sv[2];

	test_need_private_netns();
	if (user) {
		args[4] = "--user";
		args[5] = user;
	}
	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	start("vmnet-helper", env, sv[1], args);
	cr_assert(child_wait_for(&prog, true, "\"vmnet_mac_address\"", WAIT_MS),
		  "no JSON line; stderr:\n%s", prog.err);
	close(sv[0]);
	close(sv[1]);
	cr_assert_eq(child_wait_exit(&prog, WAIT_MS), 0, "stderr:\n%s",
		     prog.err);
}

/* (uid_t)-2 is a uid like any other, not -2. */
Test(helper_messages, large_uid_is_logged_unsigned)
{
	run_as_root(
	    (char *const[]){"SUDO_UID=4294967294", "SUDO_GID=4294967294", NULL},
	    NULL);
	cr_expect(strstr(prog.err, "dropped privileges to uid: 4294967294 "
				   "gid: 4294967294"),
		  "stderr:\n%s", prog.err);
	cr_expect_null(strstr(prog.err, "-2"), "stderr:\n%s", prog.err);
}

/* --user root was given, so "no --user" would be wrong. */
Test(helper_messages, user_root_is_named_as_the_reason_root_is_kept)
{
	run_as_root((char *const[]){"SUDO_UID", "SUDO_GID", NULL}, "root");
	cr_expect(strstr(prog.err, "running as root: --user names uid 0"),
		  "stderr:\n%s", prog.err);
	cr_expect_null(strstr(prog.err, "no --user"), "stderr:\n%s", prog.err);
}

/* A user the sudoers rule admits must not keep root with --user root:
 * refused before any interface starts (no TAP is made). */
Test(helper_messages, sudo_user_cannot_name_another_user)
{
	const char *args[] = {"--fd",	"3",	"--tap", TAP,
			      "--user", "root", NULL};
	int sv[2];

	test_need_private_netns();
	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	start("vmnet-helper",
	      (char *const[]){"SUDO_UID=1000", "SUDO_GID=1000", NULL}, sv[1],
	      args);
	close(sv[1]);
	cr_assert_eq(child_wait_exit(&prog, WAIT_MS), 1, "stderr:\n%s",
		     prog.err);
	cr_expect(strstr(prog.err, "--user 'root': sudo was run by uid 1000, "
				   "who may run the helper only as "
				   "themselves"),
		  "stderr:\n%s", prog.err);
	cr_expect_null(strstr(prog.err, "host interface"), "stderr:\n%s",
		       prog.err);
	close(sv[0]);
}

Test(helper_messages, no_sudo_uid_and_no_user_is_said_as_such)
{
	run_as_root((char *const[]){"SUDO_UID", "SUDO_GID", NULL}, NULL);
	cr_expect(strstr(prog.err, "running as root: no SUDO_UID and no "
				   "--user to drop privileges to"),
		  "stderr:\n%s", prog.err);
}
