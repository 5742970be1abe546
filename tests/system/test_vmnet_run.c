/* SPDX-License-Identifier: Apache-2.0 */
/* test_vmnet_run.c - the vmnet-run program with a real helper on a TAP
 * device, each test as root in a network namespace of its own
 * (testutil.h), skipped elsewhere; and with a stand-in helper script, which
 * needs no root. Its pure parts are tested in test_run_args.c. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "cli/vmnet-run/args.h"
#include "cli/vmnet-run/exit.h"
#include "cli/vmnet-run/spawn.h"
#include "self_exe.h"
#include "testutil.h"

/* ---- the program ---- */

#define WAIT_MS	  10000	 /* generous: the ASan build is slow */
#define ETHERTYPE 0x88b5 /* IEEE local experimental */
#define PAYLOAD	  64

#define MAXV 16

static struct child run;

/*
 * Criterion runs each test in a process of its own. As a subreaper, that
 * process inherits whatever vmnet-run leaves behind when a failing test
 * kills it, and the clean-up can find and end it.
 */
static void run_setup(void)
{
	run.pid = -1;
	run.pidfd = run.out_fd = run.err_fd = -1;
	run.reaped = true;
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0, "%s",
		     strerror(errno));
}

/* SIGKILL and reap every child of ours: orphans of vmnet-run. */
static void kill_orphans(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[300], stat[512], *close_paren;
		int ppid = 0;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		/* "pid (comm) state ppid ...": comm may hold anything. */
		if (fgets(stat, sizeof(stat), f) != NULL &&
		    (close_paren = strrchr(stat, ')')) != NULL)
			sscanf(close_paren + 1, " %*c %d", &ppid);
		fclose(f);
		if (ppid == (int)getpid()) {
			pid_t pid = (pid_t)atoi(e->d_name);

			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	closedir(d);
}

/* A test that failed half-way: let vmnet-run stop its children, which
 * SIGKILL alone would orphan; then end those it did not stop (a failing
 * test may be about just that). */
static void run_cleanup(void)
{
	if (child_running(&run)) {
		kill(run.pid, SIGTERM);
		child_wait_exit(&run, WAIT_MS);
	}
	child_kill(&run);
	kill_orphans();
}

TestSuite(vmnet_run, .init = run_setup, .fini = run_cleanup, .timeout = 60);

/* Start @prog (a vmnet-run) with @args and @fds, with no SUDO_UID or
 * SUDO_GID: a helper run as root keeps root, and drops to no one
 * mid-test. */
static void start_prog(const char *prog, const char *const *args,
		       const struct child_fd *fds, int nfds)
{
	char *argv[32];
	/* glibc's putenv() of a bare name removes it. */
	char *env[] = {"SUDO_UID", "SUDO_GID", NULL};
	int n = 0, r;

	argv[n++] = (char *)prog;
	cr_assert_eq(access(argv[0], X_OK), 0,
		     "%s is not built beside the tests", argv[0]);
	for (; *args && n < 31; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	r = child_start(&run, argv, env, fds, nfds);
	cr_assert_eq(r, 0, "cannot start %s: %s", argv[0], strerror(-r));
}

static void start_fds(const char *const *args, const struct child_fd *fds,
		      int nfds)
{
	start_prog(child_program("vmnet-run"), args, fds, nfds);
}

static void start(const char *const *args)
{
	start_fds(args, NULL, 0);
}

static void expect_exit(int status)
{
	int got = child_wait_exit(&run, WAIT_MS);

	cr_assert_eq(got, status, "exit status %d, want %d; stderr:\n%s", got,
		     status, run.err);
}

static void expect_err(const char *text)
{
	cr_assert(strstr(run.err, text), "no '%s' in stderr:\n%s", text,
		  run.err);
}

static void wait_err(const char *text)
{
	cr_assert(child_wait_for(&run, false, text, WAIT_MS),
		  "no '%s' in stderr:\n%s", text, run.err);
}

static void wait_out(const char *text)
{
	cr_assert(child_wait_for(&run, true, text, WAIT_MS),
		  "no '%s' in stdout:\n%s\nstderr:\n%s", text, run.out,
		  run.err);
}

static void expect_no_tap(const char *tap)
{
	cr_assert_eq(if_nametoindex(tap), 0, "TAP %s still exists", tap);
}

/* The number after @key in stdout, e.g. "pid=123". */
static pid_t read_pid(const char *key)
{
	const char *p = strstr(run.out, key);
	pid_t pid;

	cr_assert_not_null(p, "no '%s' in stdout:\n%s", key, run.out);
	pid = (pid_t)atoi(p + strlen(key));
	cr_assert_gt(pid, 1, "no pid after '%s' in stdout:\n%s", key, run.out);
	return pid;
}

/* The helper of this run is gone: reaped by vmnet-run, not orphaned. */
static void expect_gone(pid_t pid)
{
	cr_assert_gt(pid, 0);
	cr_assert(kill(pid, 0) != 0 && errno == ESRCH,
		  "process %d still exists", (int)pid);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Start vmnet-run with @args, whose COMMAND prints "pid=HELPER cmd=SELF";
 * read both pids (either pointer may be NULL). */
static void start_and_read_pids(const char *const *args, pid_t *helper,
				pid_t *cmd)
{
	start(args);
	wait_out("cmd=");
	wait_out("\n");
	if (helper)
		*helper = read_pid("pid=");
	if (cmd)
		*cmd = read_pid("cmd=");
}

static void parse_mac(const char *s, unsigned char mac[6])
{
	cr_assert_eq(sscanf(s, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &mac[0],
			    &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]),
		     6, "not a MAC: '%.17s'", s);
}

/* Wait for the echo of @sent: a frame not of our own sending, with the
 * MACs swapped and the same payload. */
static void expect_echo(int fd, const unsigned char *sent, size_t len)
{
	long deadline = now_ms() + WAIT_MS;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		unsigned char buf[2048];
		struct sockaddr_ll from;
		socklen_t fromlen = sizeof(from);
		long left = deadline - now_ms();
		ssize_t n;

		cr_assert_gt(left, 0, "no echo within %d ms; stderr:\n%s",
			     WAIT_MS, run.err);
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			     &fromlen);
		cr_assert_geq(n, 0, "recvfrom: %s", strerror(errno));
		/* Our own frame, seen going out. */
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		cr_assert_eq((size_t)n, len, "echo of %zd bytes, sent %zu", n,
			     len);
		cr_assert_arr_eq(buf, sent + 6, 6,
				 "destination is not the "
				 "source we sent");
		cr_assert_arr_eq(buf + 6, sent, 6,
				 "source is not the "
				 "destination we sent");
		cr_assert_arr_eq(buf + 14, sent + 14, len - 14,
				 "payload differs");
		return;
	}
}

/* vmnet-run on TAP vmhrun1, @stream_opt (NULL: none) given to the helper,
 * and frame_echo.py as COMMAND: a frame sent on the TAP comes back. */
static void frames_echo_through_command(const char *stream_opt)
{
	char echo[PATH_MAX];
	const char *const plain[] = {"--tap",	"vmhrun1", "--",
				     "python3", echo,	   NULL};
	const char *const stream[] = {"--tap",	 "vmhrun1", stream_opt, "--",
				      "python3", echo,	    NULL};
	const char *const *args = stream_opt ? stream : plain;
	char python[PATH_MAX];
	unsigned char frame[14 + PAYLOAD], vm_mac[6];
	struct ifreq ifr;
	const char *json;
	int fd, ifindex, ctl, rnd;

	test_need_private_netns();
	test_quiet_netns();
	if (run_find_program("python3", getenv("PATH"), python,
			     sizeof(python)) != 0)
		cr_skip_test("needs python3 in PATH");
	snprintf(echo, sizeof(echo), "%s",
		 child_source_file("tests/scripts/frame_echo.py"));
	cr_assert_eq(access(echo, R_OK), 0, "%s is not in the source tree",
		     echo);
	start(args);
	wait_out("frame_echo: VMNET_HELPER_JSON={");
	wait_out(stream_opt ? "} type=stream\n" : "} type=dgram\n");
	wait_err("[runner] helper ready: {\"vmnet_mac_address\"");
	/* COMMAND's own line is the only JSON on stdout: vmnet-run mixes
	 * nothing into it. */
	json = strstr(run.out, "\"vmnet_mac_address\":\"");
	cr_assert_not_null(json, "stdout:\n%s", run.out);
	cr_assert_null(
	    strstr(json + strlen("\"vmnet_mac_address\""), "vmnet_mac_address"),
	    "the JSON line twice on stdout:\n%s", run.out);
	cr_assert(strncmp(run.out, "frame_echo: ", 12) == 0,
		  "stdout does not start with COMMAND's line:\n%s", run.out);
	parse_mac(json + strlen("\"vmnet_mac_address\":\""), vm_mac);

	fd = test_packet_socket("vmhrun1", ETHERTYPE);
	ifindex = (int)if_nametoindex("vmhrun1");
	ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "vmhrun1");
	cr_assert_eq(ioctl(ctl, SIOCGIFHWADDR, &ifr), 0, "%s", strerror(errno));
	close(ctl);
	memcpy(frame, vm_mac, 6);
	memcpy(frame + 6, ifr.ifr_hwaddr.sa_data, 6);
	frame[12] = ETHERTYPE >> 8;
	frame[13] = ETHERTYPE & 0xff;
	rnd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	cr_assert_eq(read(rnd, frame + 14, PAYLOAD), PAYLOAD);
	close(rnd);

	struct sockaddr_ll to = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ETHERTYPE),
				 .sll_ifindex = ifindex,
				 .sll_halen = 6};
	memcpy(to.sll_addr, vm_mac, 6);
	cr_assert_eq(sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&to,
			    sizeof(to)),
		     (ssize_t)sizeof(frame), "sendto: %s", strerror(errno));
	expect_echo(fd, frame, sizeof(frame));
	close(fd);

	/* frame_echo.py exits 0 on SIGTERM: so does vmnet-run. */
	kill(run.pid, SIGTERM);
	expect_exit(0);
	expect_no_tap("vmhrun1");
}

Test(vmnet_run, command_gets_fd_4_and_the_json_line_and_frames_echo)
{
	frames_echo_through_command(NULL);
}

/* --stream: COMMAND's fd 4 is a stream socket (frame_echo.py checks it
 * and answers in records), as socket_vmnet_client hands QEMU's
 * -netdev socket,fd=. */
Test(vmnet_run, stream_gives_command_a_stream_socket_and_frames_echo)
{
	frames_echo_through_command("--stream");
}

Test(vmnet_run, command_exits_first_helper_stopped_status_passed_on)
{
	static const char *const args[] = {"--tap", "vmhrun2", "--", "/bin/sh",
					   "-c",    "exit 7",  NULL};

	test_need_private_netns();
	start(args);
	expect_exit(7);
	/* Usually followed by "; stopping vmnet-helper", unless the helper
	 * saw the VM's end close and exited first (it polls for that). */
	expect_err("[runner] /bin/sh exited (status 7)");
	/* The helper's own last line: it was stopped, not orphaned. */
	expect_err("[main] exiting with status 0");
	expect_err("[runner] exiting with status 7");
	expect_no_tap("vmhrun2");
}

Test(vmnet_run, helper_exits_first_command_stopped_status_1)
{
	static const char *const args[] = {
	    "--tap", "vmhrun3",
	    "--",    "/bin/sh",
	    "-c",    "echo pid=$VMNET_HELPER_PID cmd=$$; exec sleep 60",
	    NULL};
	pid_t helper, cmd;

	test_need_private_netns();
	start_and_read_pids(args, &helper, &cmd);
	cr_assert_eq(kill(helper, SIGKILL), 0, "kill %d: %s", (int)helper,
		     strerror(errno));
	expect_exit(1);
	expect_err("[runner] vmnet-helper exited (killed by SIGKILL) while "
		   "/bin/sh was running; stopping /bin/sh");
	expect_err("[runner] /bin/sh exited (killed by SIGTERM)");
	expect_gone(cmd);
	expect_gone(helper);
}

Test(vmnet_run, helper_failing_at_start_shows_its_error_command_never_runs)
{
	static const char *const args[] = {
	    "--tap",   "vmhrun4", "--bridge",	      "vmhnobridge", "--",
	    "/bin/sh", "-c",	  "echo COMMAND-RAN", NULL};
	const char *line;

	test_need_private_netns();
	start(args);
	expect_exit(1);
	/* The helper's own ERROR line, on the shared stderr. */
	line = strstr(run.err, "ERROR [main]");
	cr_assert_not_null(line, "no ERROR line of the helper:\n%s", run.err);
	cr_assert(strstr(line, "vmhnobridge"), "stderr:\n%s", run.err);
	expect_err("[runner] vmnet-helper exited (status 1) before it was "
		   "ready; COMMAND not started");
	cr_assert_null(strstr(run.out, "COMMAND-RAN"), "COMMAND ran");
	cr_assert_null(strstr(run.err, "[runner] started /bin/sh"));
	expect_no_tap("vmhrun4");
}

struct bad_run {
	const char *args[MAXV];
	int status;
	const char *line; /* all of stderr */
};

Test(vmnet_run, bad_options_or_command_start_nothing)
{
	static const struct bad_run cases[] = {
	    {{"--tap", "vmhrun5", "--fd", "5", "--", "/bin/true", NULL},
	     1,
	     "ERROR vmnet-run: --fd/--socket: vmnet-run connects the helper "
	     "itself, its fd 3 to COMMAND's fd 4; drop --fd 5 and use fd 4 in "
	     "COMMAND\n"},
	    {{"--tap", "vmhrun5", "--operation-mode", "nope", "--", "/bin/true",
	      NULL},
	     1,
	     "ERROR vmnet-run: --operation-mode is only available on macOS "
	     "(vmnet.framework); on Linux the host side is a TAP device: use "
	     "--tap and --bridge\n"},
	    {{"--tap", "vmhrun5", "--stop-timeout", "0", "--", "/bin/true",
	      NULL},
	     1,
	     "ERROR vmnet-run: invalid --stop-timeout '0': out of range (a "
	     "process always gets SIGTERM and at least a second to stop); pass "
	     "a number of seconds from 1 to 3600, e.g. --stop-timeout 5\n"},
	    {{"--tap", "vmhrun5", NULL},
	     1,
	     "ERROR vmnet-run: no command specified: put the VM's command "
	     "after '--', e.g. vmnet-run --tap tap0 -- qemu-system-x86_64 ...; "
	     "see vmnet-run --help\n"},
	    {{"--tap", "vmhrun5", "--", "vmh-no-such-command", NULL},
	     127,
	     "ERROR vmnet-run: COMMAND 'vmh-no-such-command': not found; pass "
	     "a path to a program, or a name found in $PATH\n"},
	    {{"--tap", "vmhrun5", "--", "/etc/passwd", NULL},
	     126,
	     "ERROR vmnet-run: COMMAND '/etc/passwd': not an executable file; "
	     "pass a path to a program, or a name found in $PATH\n"},
	};

	test_need_private_netns();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		start(cases[i].args);
		int got = child_wait_exit(&run, WAIT_MS);
		cr_assert_eq(got, cases[i].status, "case %zu: status %d:\n%s",
			     i, got, run.err);
		cr_assert_str_eq(run.err, cases[i].line, "case %zu", i);
		cr_assert_str_eq(run.out, "", "case %zu", i);
		expect_no_tap("vmhrun5");
		child_kill(&run);
		run_setup();
	}
}

Test(vmnet_run, sigterm_stops_both_and_exits_with_command_status)
{
	static const char *const args[] = {
	    "--tap",
	    "vmhrun6",
	    "--",
	    "/bin/sh",
	    "-c",
	    "trap 'exit 42' TERM; echo pid=$VMNET_HELPER_PID cmd=$$; "
	    "while :; do sleep 0.1; done",
	    NULL};
	pid_t helper, cmd;

	test_need_private_netns();
	start_and_read_pids(args, &helper, &cmd);
	kill(run.pid, SIGTERM);
	expect_exit(42);
	expect_err("[runner] got SIGTERM; forwarding it to vmnet-helper and "
		   "/bin/sh");
	expect_err("[main] exiting with status 0");
	expect_gone(helper);
	expect_gone(cmd);
	expect_no_tap("vmhrun6");
}

/* A closed terminal (SIGHUP) stops both as cleanly as SIGTERM; SIGUSR1
 * goes to the helper alone, which logs its counters and goes on. */
Test(vmnet_run, sighup_stops_both_and_sigusr1_reaches_the_helper)
{
	static const char *const args[] = {
	    "--tap",
	    "vmhrun6",
	    "--",
	    "/bin/sh",
	    "-c",
	    "trap 'exit 43' HUP; echo pid=$VMNET_HELPER_PID cmd=$$; "
	    "while :; do sleep 0.1; done",
	    NULL};
	pid_t helper, cmd;

	test_need_private_netns();
	start_and_read_pids(args, &helper, &cmd);
	kill(run.pid, SIGUSR1);
	cr_assert(child_wait_for(&run, false, "[stats] {", 10000),
		  "no stats line:\n%s", run.err);
	cr_assert(child_running(&run), "vmnet-run left on SIGUSR1");
	kill(run.pid, SIGHUP);
	expect_exit(43);
	expect_err("[runner] got SIGHUP; forwarding it to vmnet-helper and "
		   "/bin/sh");
	expect_err("[main] exiting with status 0: stopped by SIGHUP");
	expect_gone(helper);
	expect_gone(cmd);
	expect_no_tap("vmhrun6");
}

Test(vmnet_run, command_ignoring_sigterm_is_killed_after_the_stop_timeout)
{
	static const char *const args[] = {
	    "--stop-timeout",
	    "1",
	    "--tap",
	    "vmhrun7",
	    "--",
	    "/bin/sh",
	    "-c",
	    "trap '' TERM; echo pid=$VMNET_HELPER_PID cmd=$$; exec sleep 600",
	    NULL};
	pid_t helper, cmd;
	long t0, took;

	test_need_private_netns();
	start_and_read_pids(args, &helper, &cmd);
	t0 = now_ms();
	kill(helper, SIGKILL);
	expect_exit(1);
	took = now_ms() - t0;
	expect_err("[runner] /bin/sh (pid ");
	expect_err("still running 1 s after SIGTERM; sending SIGKILL");
	expect_err("[runner] /bin/sh exited (killed by SIGKILL)");
	/* 1 s of grace, and not much more. */
	cr_assert_geq(took, 900, "SIGKILL after %ld ms", took);
	cr_assert_lt(took, 5000, "took %ld ms", took);
	expect_gone(cmd);
}

Test(vmnet_run, sigterm_to_vmnet_run_escalates_for_a_command_ignoring_it)
{
	static const char *const args[] = {
	    "--stop-timeout",
	    "1",
	    "--tap",
	    "vmhrun7",
	    "--",
	    "/bin/sh",
	    "-c",
	    "trap '' TERM; echo cmd=$$; exec sleep 600",
	    NULL};
	pid_t cmd;
	long t0, took;

	test_need_private_netns();
	start_and_read_pids(args, NULL, &cmd);
	t0 = now_ms();
	kill(run.pid, SIGTERM);
	/* COMMAND's status: SIGKILL's. */
	expect_exit(128 + SIGKILL);
	took = now_ms() - t0;
	expect_err("sending SIGKILL");
	expect_err("[main] exiting with status 0");
	cr_assert_lt(took, 5000, "took %ld ms", took);
	expect_gone(cmd);
	expect_no_tap("vmhrun7");
}

Test(vmnet_run, children_inherit_only_their_own_fds)
{
	static const char *const args[] = {
	    "--tap",
	    "vmhrun9",
	    "--",
	    "/bin/sh",
	    "-c",
	    "echo pid=$VMNET_HELPER_PID; printf 'fds:'; "
	    "for f in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do "
	    "[ -e /proc/$$/fd/$f ] && printf ' %s' $f; done; echo; "
	    "[ -S /proc/$$/fd/4 ] && echo fd4-is-a-socket; exec sleep 60",
	    NULL};
	char link[64], target[128], leak[64];
	struct stat st;
	int p[2];
	pid_t helper;

	test_need_private_netns();
	/* vmnet-run inherits a pipe as fd 3 and fd 5 (no close-on-exec):
	 * neither child may get it. */
	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(fstat(p[0], &st), 0);
	snprintf(leak, sizeof(leak), "pipe:[%lu]", (unsigned long)st.st_ino);
	const struct child_fd fds[] = {{3, p[0]}, {5, p[0]}};
	start_fds(args, fds, 2);
	close(p[0]);
	close(p[1]);
	wait_out("fd4-is-a-socket\n");
	cr_assert(strstr(run.out, "fds: 0 1 2 4\n"), "COMMAND's fds:\n%s",
		  run.out);
	helper = read_pid("pid=");
	for (int fd = 0; fd < 64; fd++) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)helper, fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		cr_assert_str_neq(target, leak, "the helper has it as fd %d",
				  fd);
	}
	kill(run.pid, SIGTERM);
	expect_exit(128 + SIGTERM);
	expect_gone(helper);
}

/* ---- the supervisor, with a stand-in helper (no root needed) ---- */

/*
 * A copy of vmnet-run in a directory of its own, beside a shell script
 * named vmnet-helper: the script plays a helper that is slow, silent,
 * broken or stubborn, which the real one cannot be made to be.
 */
static char fake_dir[64];
static char fake_run[96];

static void fake_cleanup(void)
{
	run_cleanup();
	if (!fake_dir[0])
		return;
	for (const char *const *n =
		 (const char *const[]){"vmnet-run", "vmnet-helper",
				       "link/vmnet-run", "link", NULL};
	     *n; n++) {
		char path[160];

		snprintf(path, sizeof(path), "%s/%s", fake_dir, *n);
		if (unlink(path) != 0)
			rmdir(path);
	}
	rmdir(fake_dir);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ssize_t n;

	cr_assert_geq(in, 0, "%s: %s", from, strerror(errno));
	cr_assert_geq(out, 0, "%s: %s", to, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n, "%s: %s", to,
			     strerror(errno));
	cr_assert_eq(n, 0, "%s: %s", from, strerror(errno));
	close(in);
	close(out);
}

static void fake_setup(void)
{
	char from[PATH_MAX];

	run_setup();
	strcpy(fake_dir, "/tmp/vmh-run-XXXXXX");
	cr_assert_not_null(mkdtemp(fake_dir), "mkdtemp: %s", strerror(errno));
	snprintf(fake_run, sizeof(fake_run), "%s/vmnet-run", fake_dir);
	snprintf(from, sizeof(from), "%s", child_program("vmnet-run"));
	copy_file(from, fake_run);
}

TestSuite(vmnet_run_fake, .init = fake_setup, .fini = fake_cleanup,
	  .timeout = 60);

/* The stand-in helper: a shell script with @body. */
static void fake_helper(const char *body)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/vmnet-helper", fake_dir);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fprintf(f, "#!/bin/sh\n%s\n", body);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, 0755), 0);
}

static void start_fake(const char *const *args)
{
	start_prog(fake_run, args, NULL, 0);
}

/* A JSON line as the helper prints it, for the stand-ins that get ready. */
#define FAKE_JSON                                                              \
	"{\"vmnet_mac_address\":\"02:00:00:00:00:01\",\"vmnet_mtu\":1500}"

Test(vmnet_run_fake, helper_gets_its_options_fd_3_and_a_pipe_as_stdout)
{
	static const char *const args[] = {
	    "--stop-timeout",
	    "2",
	    "--tap",
	    "t0",
	    "-v",
	    "--",
	    "/bin/sh",
	    "-c",
	    "echo \"json=$VMNET_HELPER_JSON fd=$VMNET_FD "
	    "pid=$VMNET_HELPER_PID\"",
	    NULL};
	char want[256];

	fake_helper("echo \"args: $*\" >&2; "
		    "[ -S /proc/$$/fd/3 ] && echo fd3-is-a-socket >&2; "
		    "[ -p /proc/$$/fd/1 ] && echo stdout-is-a-pipe >&2; "
		    "[ -e /proc/$$/fd/4 ] && echo has-fd4 >&2; "
		    "echo \"env: ${VMNET_HELPER_JSON-unset}\" >&2; "
		    "echo '" FAKE_JSON "'; exec sleep 600");
	start_fake(args);
	expect_exit(0);
	expect_err("args: --tap t0 -v --fd 3\n");
	snprintf(want, sizeof(want), "[runner] started vmnet-helper (pid ");
	expect_err(want);
	snprintf(want, sizeof(want), "%s/vmnet-helper --tap t0 -v --fd 3\n",
		 fake_dir);
	expect_err(want);
	expect_err("fd3-is-a-socket\n");
	expect_err("stdout-is-a-pipe\n");
	expect_err("env: unset\n");
	cr_assert_null(strstr(run.err, "has-fd4"), "%s", run.err);
	expect_err("[runner] helper ready: " FAKE_JSON "\n");
	snprintf(want, sizeof(want), "json=%s fd=4 pid=", FAKE_JSON);
	cr_assert(strncmp(run.out, want, strlen(want)) == 0, "stdout:\n%s",
		  run.out);
	/* The stand-in ignores nothing: SIGTERM ends it. */
	expect_err("[runner] vmnet-helper exited (killed by SIGTERM)");
}

Test(vmnet_run_fake, helper_is_found_beside_the_real_executable_not_argv0)
{
	static const char *const args[] = {"--", "/bin/true", NULL};
	char dir[128], link[160];

	fake_helper("echo '" FAKE_JSON "'; exec sleep 600");
	snprintf(dir, sizeof(dir), "%s/link", fake_dir);
	snprintf(link, sizeof(link), "%s/vmnet-run", dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_eq(symlink(fake_run, link), 0);
	/* argv[0] is the link, in a directory with no vmnet-helper. */
	start_prog(link, args, NULL, 0);
	expect_exit(0);
	expect_err("[runner] helper ready: ");
}

Test(vmnet_run_fake, stop_signal_before_the_helper_is_ready_exits_128_plus_it)
{
	static const char *const args[] = {"--", "/bin/sh", "-c",
					   "echo COMMAND-RAN", NULL};
	static const struct {
		int signo;
		const char *name;
	} sigs[] = {{SIGTERM, "SIGTERM"},
		    {SIGINT, "SIGINT"},
		    {SIGHUP, "SIGHUP"},
		    {SIGQUIT, "SIGQUIT"}};

	fake_helper("echo waiting >&2; exec sleep 600");
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		char want[128];

		start_fake(args);
		wait_err("waiting\n");
		kill(run.pid, sigs[i].signo);
		expect_exit(128 + sigs[i].signo);
		snprintf(want, sizeof(want),
			 "[runner] got %s; forwarding it to vmnet-helper\n",
			 sigs[i].name);
		expect_err(want);
		snprintf(want, sizeof(want),
			 "[runner] vmnet-helper exited (killed by %s)\n",
			 sigs[i].name);
		expect_err(want);
		cr_assert_null(strstr(run.out, "COMMAND-RAN"));
		child_kill(&run);
		run_setup();
	}
}

Test(vmnet_run_fake, helper_exiting_without_a_line_is_reported_with_status)
{
	static const char *const args[] = {"--", "/bin/sh", "-c",
					   "echo COMMAND-RAN", NULL};

	fake_helper("echo 'ERROR fake helper failing' >&2; exit 3");
	start_fake(args);
	expect_exit(1);
	expect_err("ERROR fake helper failing\n");
	expect_err("ERROR [runner] vmnet-helper exited (status 3) before it "
		   "was ready; COMMAND not started\n");
	expect_err("[runner] exiting with status 1\n");
	cr_assert_null(strstr(run.out, "COMMAND-RAN"));
}

Test(vmnet_run_fake, overlong_line_stops_the_helper)
{
	static const char *const args[] = {"--", "/bin/sh", "-c",
					   "echo COMMAND-RAN", NULL};

	fake_helper("head -c 5000 /dev/zero | tr '\\0' x; exec sleep 600");
	start_fake(args);
	expect_exit(1);
	expect_err("[runner] vmnet-helper printed 4095 bytes without a "
		   "newline");
	expect_err("vmnet-helper exited (killed by SIGTERM) before it was "
		   "ready");
	cr_assert_null(strstr(run.out, "COMMAND-RAN"));
}

Test(vmnet_run_fake, helper_closing_stdout_and_ignoring_sigterm_is_killed)
{
	static const char *const args[] = {
	    "--stop-timeout",	"1", "--", "/bin/sh", "-c",
	    "echo COMMAND-RAN", NULL};
	long t0 = now_ms(), took;

	fake_helper("trap '' TERM; exec sleep 600 >&-");
	start_fake(args);
	expect_exit(1);
	took = now_ms() - t0;
	expect_err("[runner] vmnet-helper (pid ");
	expect_err("still running 1 s after SIGTERM; sending SIGKILL\n");
	expect_err("vmnet-helper exited (killed by SIGKILL) before it was "
		   "ready");
	cr_assert_lt(took, 5000, "took %ld ms", took);
	cr_assert_null(strstr(run.out, "COMMAND-RAN"));
}

Test(vmnet_run_fake, helper_exit_status_0_while_command_runs_is_still_1)
{
	static const char *const args[] = {
	    "--", "/bin/sh", "-c", "echo cmd=$$; echo go >&4; exec sleep 600",
	    NULL};
	pid_t cmd;

	/* Ready, then gone on its own once COMMAND sends a datagram over
	 * the socketpair (which also proves fd 3 and fd 4 are its ends). */
	fake_helper("echo '" FAKE_JSON "'; head -c 1 <&3 >/dev/null; exit 0");
	start_fake(args);
	wait_out("cmd=");
	wait_out("\n");
	cmd = read_pid("cmd=");
	expect_exit(1);
	expect_err("ERROR [runner] vmnet-helper exited (status 0) while "
		   "/bin/sh was running; stopping /bin/sh\n");
	expect_gone(cmd);
}

/* A VM that closes its NIC, and whose helper then leaves: the VM left
 * first, however the two exits reach vmnet-run, so COMMAND's status (here
 * the SIGTERM vmnet-run then sends it) is vmnet-run's. A stream cable, so
 * that the stand-in sees the close as end of file. */
Test(vmnet_run_fake, helper_leaving_after_command_closed_its_end_is_not_1)
{
	static const char *const args[] = {
	    "--stream",
	    "--",
	    "/bin/sh",
	    "-c",
	    "echo cmd=$$; exec 4>&-; exec sleep 600",
	    NULL};
	pid_t cmd;

	fake_helper("echo '" FAKE_JSON "'; cat <&3 >/dev/null; exit 0");
	start_fake(args);
	wait_out("cmd=");
	wait_out("\n");
	cmd = read_pid("cmd=");
	expect_exit(128 + SIGTERM);
	expect_err("INFO  [runner] vmnet-helper exited (status 0): /bin/sh "
		   "closed its end of the cable; stopping /bin/sh\n");
	cr_assert_null(strstr(run.err, "ERROR"), "%s", run.err);
	expect_gone(cmd);
}

/* ---- several NICs: a helper each, all stopped when any of them goes ---- */

/* A stand-in helper that names its TAP (its --tap, "$2") in its JSON line
 * and then runs @rest, e.g. "exec sleep 600". */
static void fake_nic_helper(const char *rest)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "echo \"{\\\"vmnet_mac_address\\\":\\\"02:00:00:00:00:01\\\","
		 "\\\"tap_name\\\":\\\"$2\\\"}\"; %s",
		 rest);
	fake_helper(body);
}

Test(vmnet_run_fake, two_nics_get_a_helper_and_a_socketpair_each)
{
	/* COMMAND shows what it got, then talks to NIC 1's helper over fd
	 * 5: only that helper answers, on its own fd 3. */
	static const char *const args[] = {
	    "--tap",
	    "t0",
	    "--nic",
	    "--tap",
	    "t1",
	    "--",
	    "/bin/sh",
	    "-c",
	    "echo \"count=$VMNET_NIC_COUNT fds=$VMNET_FD_0,$VMNET_FD_1 "
	    "fd=$VMNET_FD\"; "
	    "echo \"json0=$VMNET_HELPER_JSON_0\"; "
	    "echo \"json1=$VMNET_HELPER_JSON_1\"; "
	    "echo \"json=$VMNET_HELPER_JSON\"; "
	    "echo \"pid0=$VMNET_HELPER_PID_0 pid1=$VMNET_HELPER_PID_1\"; "
	    "[ -S /proc/$$/fd/4 ] && [ -S /proc/$$/fd/5 ] && echo sockets; "
	    "[ -e /proc/$$/fd/6 ] && echo has-fd6; "
	    "echo go >&5; head -c 1 <&5 >/dev/null && echo nic1-answered",
	    NULL};

	fake_nic_helper("if [ \"$2\" = t1 ]; then head -c 1 <&3 >/dev/null; "
			"echo ack >&3; fi; exec sleep 600");
	start_fake(args);
	expect_exit(0);
	wait_out("nic1-answered\n");
	wait_out("count=2 fds=4,5 fd=4\n");
	wait_out("json0={\"vmnet_mac_address\":\"02:00:00:00:00:01\","
		 "\"tap_name\":\"t0\"}\n");
	wait_out("json1={\"vmnet_mac_address\":\"02:00:00:00:00:01\","
		 "\"tap_name\":\"t1\"}\n");
	wait_out("json={\"vmnet_mac_address\":\"02:00:00:00:00:01\","
		 "\"tap_name\":\"t0\"}\n");
	wait_out("sockets\n");
	cr_assert_null(strstr(run.out, "has-fd6"), "%s", run.out);
	pid_t h0 = read_pid("pid0="), h1 = read_pid("pid1=");
	cr_assert_neq(h0, h1);
	expect_err("[runner] vmnet-helper (NIC 0, fd 4) ready: ");
	expect_err("[runner] vmnet-helper (NIC 1, fd 5) ready: ");
	expect_err("[runner] /bin/sh exited (status 0); stopping the "
		   "vmnet-helpers\n");
	expect_err("[runner] vmnet-helper (NIC 0, fd 4) exited (killed by "
		   "SIGTERM)\n");
	expect_err("[runner] vmnet-helper (NIC 1, fd 5) exited (killed by "
		   "SIGTERM)\n");
	expect_gone(h0);
	expect_gone(h1);
}

Test(vmnet_run_fake, any_nic_helper_exiting_stops_command_and_the_others)
{
	static const char *const args[] = {
	    "--tap",
	    "t0",
	    "--nic",
	    "--tap",
	    "t1",
	    "--",
	    "/bin/sh",
	    "-c",
	    "echo \"cmd=$$ pid0=$VMNET_HELPER_PID_0\"; echo go >&5; "
	    "exec sleep 600",
	    NULL};

	/* NIC 1's helper leaves on its own once COMMAND sends to it. */
	fake_nic_helper("if [ \"$2\" = t1 ]; then head -c 1 <&3 >/dev/null; "
			"exit 0; fi; exec sleep 600");
	start_fake(args);
	wait_out("pid0=");
	wait_out("\n");
	pid_t cmd = read_pid("cmd="), h0 = read_pid("pid0=");
	expect_exit(1);
	expect_err("ERROR [runner] vmnet-helper (NIC 1, fd 5) exited (status "
		   "0) while /bin/sh was running; stopping /bin/sh and the "
		   "other helpers\n");
	expect_err("[runner] vmnet-helper (NIC 0, fd 4) exited (killed by "
		   "SIGTERM)\n");
	expect_gone(cmd);
	expect_gone(h0);
}

Test(vmnet_run_fake, a_nic_helper_failing_at_start_stops_the_others)
{
	static const char *const args[] = {"--tap",   "t0", "--nic",
					   "--tap",   "t1", "--",
					   "/bin/sh", "-c", "echo COMMAND-RAN",
					   NULL};

	fake_helper("if [ \"$2\" = t1 ]; then echo 'ERROR t1 failing' >&2; "
		    "exit 3; fi; echo '" FAKE_JSON "'; exec sleep 600");
	start_fake(args);
	expect_exit(1);
	expect_err("ERROR t1 failing\n");
	expect_err("ERROR [runner] vmnet-helper (NIC 1, fd 5) exited (status "
		   "3) before it was ready; COMMAND not started\n");
	expect_err("[runner] vmnet-helper (NIC 0, fd 4) exited (killed by "
		   "SIGTERM)\n");
	cr_assert_null(strstr(run.out, "COMMAND-RAN"));
}

Test(vmnet_run_fake, stop_signal_reaches_every_nic_helper_and_the_command)
{
	static const char *const args[] = {
	    "--tap",   "t0", "--nic",
	    "--tap",   "t1", "--",
	    "/bin/sh", "-c", "echo \"up=$VMNET_NIC_COUNT\"; exec sleep 600",
	    NULL};

	fake_nic_helper("exec sleep 600");
	start_fake(args);
	wait_out("up=2\n");
	kill(run.pid, SIGTERM);
	expect_exit(128 + SIGTERM);
	expect_err("[runner] got SIGTERM; forwarding it to the vmnet-helpers "
		   "and /bin/sh\n");
	expect_err("[runner] vmnet-helper (NIC 0, fd 4) exited (killed by "
		   "SIGTERM)\n");
	expect_err("[runner] vmnet-helper (NIC 1, fd 5) exited (killed by "
		   "SIGTERM)\n");
}
