/* SPDX-License-Identifier: Apache-2.0 */
/* test_helper_sandbox.c - the vmnet-helper program confined after start,
 * read back from /proc (no_new_privs, the seccomp filter, no capability in
 * any set) while it still moves frames; --no-sandbox leaving out only the
 * filter; and a forbidden call made inside the running helper (injected
 * with gdb, no back door in the helper) ending it with SIGSYS. Root, a TAP
 * and a network namespace of the test's own (testutil.h), else skipped. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "testutil.h"

#define TAP	  "vmhsb0"
#define WAIT_MS	  10000	 /* generous: the ASan build is slow */
#define ETHERTYPE 0x88b5 /* IEEE local experimental */
#define FRAME_LEN 60
#define NO_CAPS	  "0000000000000000"

static struct child helper;
static int vm = -1; /* the VM's end of the helper's --fd */

static void cleanup(void)
{
	child_kill(&helper);
	if (vm >= 0)
		close(vm);
	vm = -1;
}

static void setup(void)
{
	helper.pid = -1;
	helper.pidfd = helper.out_fd = helper.err_fd = -1;
}

TestSuite(helper_sandbox, .init = setup, .fini = cleanup);

/* Start the helper on a socketpair, as fd 3, with @extra (NULL-ended)
 * after --fd 3 --tap TAP, and @env, its stdout @out (-1: the test reads
 * it); wait for its JSON line, or with @out its last line before it. */
static void start_out(char *const env[], const char *extra, int out)
{
	char *argv[] = {(char *)child_program("vmnet-helper"),
			"--fd",
			"3",
			"--tap",
			TAP,
			(char *)extra,
			NULL};
	char *envv[4] = {"SUDO_UID", "SUDO_GID", NULL, NULL};
	int sv[2];

	test_need_private_netns();
	test_quiet_netns();
	cr_assert_eq(access(argv[0], X_OK), 0, "%s is not built", argv[0]);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	if (env) {
		envv[0] = env[0];
		envv[1] = env[1];
	}
	struct child_fd pass[] = {{3, sv[1]}, {1, out}};
	int r = child_start(&helper, argv, envv, pass, out >= 0 ? 2 : 1);
	close(sv[1]);
	cr_assert_eq(r, 0, "cannot start the helper: %s", strerror(-r));
	vm = sv[0];
	if (out >= 0)
		cr_assert(child_wait_for(&helper, false, "using fd 3", WAIT_MS),
			  "stderr:\n%s", helper.err);
	else
		cr_assert(child_wait_for(&helper, true, "\"vmnet_mac_address\"",
					 WAIT_MS),
			  "no JSON line; stderr:\n%s", helper.err);
}

static void start(char *const env[], const char *extra)
{
	start_out(env, extra, -1);
}

static void expect_status(const char *key, const char *want)
{
	char v[64];

	test_proc_status(helper.pid, key, v, sizeof(v));
	cr_expect_str_eq(v, want, "%s %s, want %s", key, v, want);
}

/* One frame from the VM must come out of the TAP: the datapath works
 * under the filter. */
static void expect_frame_passes(void)
{
	unsigned char f[FRAME_LEN] = {
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,		  0x02,
	    0,	  0,	0,    0,    0x01, ETHERTYPE >> 8, ETHERTYPE & 0xff};
	unsigned char got[2048];
	int tap = test_packet_socket(TAP, ETHERTYPE);

	memcpy(f + 14, "sandboxed", 9);
	cr_assert_eq(send(vm, f, sizeof(f), 0), (ssize_t)sizeof(f));
	for (;;) {
		struct pollfd p = {.fd = tap, .events = POLLIN};

		cr_assert_eq(poll(&p, 1, WAIT_MS), 1,
			     "the frame did not reach %s:\n%s", TAP,
			     helper.err);
		ssize_t n = recv(tap, got, sizeof(got), 0);
		if (n >= 23 && memcmp(got + 14, "sandboxed", 9) == 0)
			break;
	}
	close(tap);
}

/* Close the VM's end: the helper must leave with status 0. */
static void expect_clean_exit(void)
{
	close(vm);
	vm = -1;
	int status = child_wait_exit(&helper, WAIT_MS);
	cr_assert_eq(status, 0, "exit status %d; stderr:\n%s", status,
		     helper.err);
}

Test(helper_sandbox, dropped_helper_runs_confined_and_still_moves_frames)
{
	char *env[] = {"SUDO_UID=65534", "SUDO_GID=65534"};

	start(env, NULL);
	expect_status("NoNewPrivs:", "1");
	expect_status("Seccomp:", "2"); /* a filter */
	expect_status("CapBnd:", NO_CAPS);
	expect_status("CapInh:", NO_CAPS);
	expect_status("CapAmb:", NO_CAPS);
	expect_status("CapPrm:", NO_CAPS);
	expect_status("CapEff:", NO_CAPS);
	cr_assert(strstr(helper.err, "sandbox: no new privileges; system call "
				     "filter on"),
		  "%s", helper.err);
	expect_frame_passes();
	expect_clean_exit();
}

/* stdout a character device (here /dev/null; a terminal is one too): the
 * JSON line, printed under the filter, must not make stdio ask whether it
 * is a terminal (ioctl TCGETS, forbidden). */
Test(helper_sandbox, json_line_to_a_character_device_passes_the_filter)
{
	int out = open("/dev/null", O_WRONLY | O_CLOEXEC);

	cr_assert_geq(out, 0);
	start_out(NULL, NULL, out);
	close(out);
	expect_frame_passes();
	expect_clean_exit();
}

Test(helper_sandbox, helper_that_stays_root_is_confined_too)
{
	char v[64];

	start(NULL, NULL); /* no SUDO_UID, no --user: it keeps root */
	expect_status("Seccomp:", "2");
	expect_status("NoNewPrivs:", "1");
	/* Root keeps what it holds, but no exec can hand out more. */
	expect_status("CapBnd:", NO_CAPS);
	test_proc_status(helper.pid, "CapEff:", v, sizeof(v));
	cr_expect_str_neq(v, NO_CAPS, "root lost its capabilities");
	expect_frame_passes();
	expect_clean_exit();
}

Test(helper_sandbox, no_sandbox_leaves_out_only_the_filter)
{
	start(NULL, "--no-sandbox");
	expect_status("Seccomp:", "0");
	expect_status("NoNewPrivs:", "1");
	expect_status("CapBnd:", NO_CAPS);
	cr_assert(strstr(helper.err, "no system call filter (--no-sandbox)"),
		  "%s", helper.err);
	expect_frame_passes();
	expect_clean_exit();
}

/* gdb attaches from outside (root may trace any process) and makes the
 * helper itself call socket(AF_INET, SOCK_DGRAM, 0), as code injected by a
 * VM would: the filter must end the whole helper at once. */
Test(helper_sandbox, forbidden_call_inside_the_helper_kills_it_with_sigsys)
{
	char cmd[256];

	if (system("command -v gdb >/dev/null 2>&1") != 0)
		cr_skip_test("needs gdb (apt-get install gdb) to make the "
			     "running helper call socket(AF_INET)");
	start(NULL, NULL);
	snprintf(cmd, sizeof(cmd),
		 "gdb -nx -batch -p %d -ex 'call (int)socket(2, 2, 0)' "
		 ">/dev/null 2>&1",
		 (int)helper.pid);
	(void)!system(cmd); /* gdb itself fails: its inferior died */
	int status = child_wait_exit(&helper, WAIT_MS);
	cr_assert_eq(status, 128 + SIGSYS,
		     "exit status %d, want %d (killed by SIGSYS); stderr:\n%s",
		     status, 128 + SIGSYS, helper.err);
}
