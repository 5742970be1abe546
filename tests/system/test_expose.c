/* SPDX-License-Identifier: Apache-2.0 */
/* test_expose.c - --expose from the outside: real TCP and UDP from the host
 * to forwarded ports reach listeners in a guest, and the nftables table is
 * gone after SIGTERM, after the VM leaves and after SIGKILL; the rules
 * follow the guest to a new address and leave with a --socket client. Helper A
 * (TAP vmhxa0, observed, in the test's network namespace) and helper B
 * (TAP vmhxb0, standing in for the VM) share one socketpair; B's TAP is in
 * a second namespace, the guest's, whose kernel is the guest's TCP/IP
 * stack: a child of the test that unshared it, serving TCP port 80 and UDP
 * port 81. Root only; skips without nft or nsenter. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "testutil.h"

#define TAP_A	    "vmhxa0"
#define TAP_B	    "vmhxb0"
#define HOST_ADDR   "10.78.0.1"
#define GUEST_ADDR  "10.78.0.2"
#define WAIT_MS	    15000 /* generous: the ASan build is slow */
#define EXPOSE_TCP  "18080:80"
#define EXPOSE_UDP  "18081:81/udp"
#define KEEPER_CAPS "0000000000001000" /* CAP_NET_ADMIN (12) alone */

static struct child a, b;
static pid_t guest = -1; /* holds the guest's namespace and listeners */
static int sv[2] = {-1, -1};
/* --socket: A's socket and B's end, its client, in a folder of the
 * test's; "" for --fd on a socketpair. */
static char dir[64], a_sock[96], b_sock[96];

static void setup(void)
{
	child_init(&a);
	child_init(&b);
	guest = -1;
	dir[0] = '\0';
}

static void teardown(void)
{
	child_kill(&a);
	child_kill(&b);
	if (guest > 0) {
		kill(guest, SIGKILL);
		waitpid(guest, NULL, 0);
	}
	if (dir[0]) {
		unlink(a_sock);
		unlink(b_sock);
		rmdir(dir);
	}
}

TestSuite(expose, .init = setup, .fini = teardown);

static void need_tools(void)
{
	test_need_private_netns();
	if (access("/usr/sbin/nft", X_OK) != 0)
		cr_skip_test("nft is not installed (apt-get install nftables)");
	if (access("/usr/bin/nsenter", X_OK) != 0)
		cr_skip_test("nsenter is not installed (util-linux)");
	test_quiet_netns();
}

/* The guest's listeners: each TCP connection and each UDP datagram is
 * answered with "pong:" and what came. Runs until killed. */
static void serve_guest(int ready)
{
	int t = socket(AF_INET, SOCK_STREAM, 0),
	    u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ta = {.sin_family = AF_INET, .sin_port = htons(80)};
	struct sockaddr_in ua = {.sin_family = AF_INET, .sin_port = htons(81)};

	if (t < 0 || u < 0 || bind(t, (struct sockaddr *)&ta, sizeof(ta)) ||
	    listen(t, 4) || bind(u, (struct sockaddr *)&ua, sizeof(ua)))
		_exit(1);
	if (write(ready, "r", 1) != 1)
		_exit(1);
	for (;;) {
		struct pollfd p[2] = {{t, POLLIN, 0}, {u, POLLIN, 0}};
		char in[64], out[80];
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n;

		if (poll(p, 2, -1) < 0)
			_exit(1);
		if (p[0].revents) {
			int c = accept(t, NULL, NULL);

			n = c < 0 ? -1 : read(c, in, sizeof(in));
			if (n > 0) {
				int m = snprintf(out, sizeof(out), "pong:%.*s",
						 (int)n, in);
				(void)!write(c, out, (size_t)m);
			}
			if (c >= 0)
				close(c);
		}
		if (p[1].revents) {
			n = recvfrom(u, in, sizeof(in), 0,
				     (struct sockaddr *)&from, &flen);
			if (n > 0) {
				int m = snprintf(out, sizeof(out), "pong:%.*s",
						 (int)n, in);
				(void)!sendto(u, out, (size_t)m, 0,
					      (struct sockaddr *)&from, flen);
			}
		}
	}
}

/* A child in a network namespace of its own, the guest's, listening. */
static void start_guest(void)
{
	int p[2];
	char c;

	cr_assert_eq(pipe(p), 0);
	guest = fork();
	cr_assert_geq(guest, 0);
	if (guest == 0) {
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWNET) != 0)
			_exit(1);
		serve_guest(p[1]);
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &c, 1), 1, "the guest's listeners failed");
	close(p[0]);
}

static void start_prog(struct child *c, const char *const *argv,
		       char *const *env, const struct child_fd *fds, int nfds)
{
	int r = child_start(c, (char *const *)argv, env, fds, nfds);

	cr_assert_eq(r, 0, "cannot start %s: %s", argv[0], strerror(-r));
}

/* With --socket: a unix datagram socket bound in dir and connected to
 * A's, for B: A serves it as its client. */
static int client_socket(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", b_sock);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s",
		     strerror(errno));
	/* A, as nobody, connects back to it: that takes write access. */
	cr_assert_eq(chown(b_sock, 65534, 65534), 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", a_sock);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s",
		     strerror(errno));
	return fd;
}

/*
 * The guest's namespace, helper A with @expose (NULL-terminated) dropping
 * to nobody, helper B in the guest's namespace, both TAPs addressed, and
 * the guest's address learned: A has pointed its rules at it. A serves B
 * over a socketpair (--fd), or with @socket as its --socket client.
 */
static void start_all_on(const char *const *expose, bool socket)
{
	char *env[] = {"SUDO_UID=65534", "SUDO_GID=65534", NULL};
	const char *argv[16] = {child_program("vmnet-helper"), "--fd", "3",
				"--tap", TAP_A};
	char prog[256], ns[64];
	int n = 5;

	cr_assert_eq(access(argv[0], X_OK), 0, "%s is not built", argv[0]);
	snprintf(prog, sizeof(prog), "%s", argv[0]);
	start_guest();
	snprintf(ns, sizeof(ns), "--net=/proc/%d/ns/net", (int)guest);
	for (; *expose; expose++) {
		argv[n++] = "--expose";
		argv[n++] = *expose;
	}
	if (socket) {
		strcpy(dir, "/tmp/vmh-expose-XXXXXX");
		cr_assert_not_null(mkdtemp(dir));
		cr_assert_eq(chown(dir, 65534, 65534),
			     0); /* A runs as nobody */
		snprintf(a_sock, sizeof(a_sock), "%s/a.sock", dir);
		snprintf(b_sock, sizeof(b_sock), "%s/b.sock", dir);
		argv[1] = "--socket";
		argv[2] = a_sock;
	}
	argv[n] = NULL;
	if (!socket)
		cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	start_prog(&a, argv, env, (struct child_fd[]){{3, sv[0]}}, !socket);
	cr_assert(child_wait_for(&a, true, "\"vmnet_mac_address\"", WAIT_MS),
		  "helper A not ready:\n%s", a.err);
	if (socket)
		sv[1] = client_socket();
	start_prog(&b,
		   (const char *const[]){"/usr/bin/nsenter", ns, prog, "--fd",
					 "3", "--tap", TAP_B, NULL},
		   env, (struct child_fd[]){{3, sv[1]}}, 1);
	cr_assert(child_wait_for(&b, true, "\"vmnet_mac_address\"", WAIT_MS),
		  "helper B not ready:\n%s", b.err);
	if (socket) {
		close(sv[1]); /* B's alone: its leaving must close it */
		sv[1] = -1;
	}
	cr_assert(strstr(a.err, "expose 18080/tcp: guest address unknown yet"),
		  "A did not say the rules wait:\n%s", a.err);
	test_run("ip address add " HOST_ADDR "/24 dev " TAP_A
		 " && ip link set " TAP_A " up");
	test_run(
	    "nsenter %s sh -c 'ip link set lo up && ip address add " GUEST_ADDR
	    "/24 dev " TAP_B " && ip link set " TAP_B
	    " up && ip route add default via " HOST_ADDR "'",
	    ns);
	/* Any frame of the guest's teaches A its address: a ping's ARP. */
	test_run("nsenter %s ping -c 1 -W 5 " HOST_ADDR " >/dev/null", ns);
	cr_assert(child_wait_for(&a, false,
				 "expose 18080/tcp -> " GUEST_ADDR ":80",
				 WAIT_MS),
		  "A never pointed its rules at the guest:\n%s", a.err);
}

static void start_all(const char *const *expose)
{
	start_all_on(expose, false);
}

/* `nft list table ip vmnet-helper-PID` as text, "" when there is none. */
static void list_table(pid_t pid, char *out, size_t len)
{
	char cmd[128];
	size_t n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "/usr/sbin/nft list table ip vmnet-helper-%d 2>/dev/null",
		 (int)pid);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (n + 1 < len && fgets(out + n, (int)(len - n), f))
		n += strlen(out + n);
	out[n] = '\0';
	pclose(f);
}

/* The keeper: A's only child. */
static pid_t keeper_of(pid_t helper)
{
	char path[64], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)helper,
		 (int)helper);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_not_null(fgets(buf, sizeof(buf), f),
			   "helper %d has no "
			   "child (no keeper)",
			   (int)helper);
	fclose(f);
	return (pid_t)atoi(buf);
}

/* Wait for @pid, not our child, to be gone: its pidfd is readable once it
 * has exited, and by then its files are closed (do_exit() runs
 * exit_files() and the deferred fputs before exit_notify()), so its
 * netlink socket is released and its owned table deleted. */
static void wait_gone(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = {fd, POLLIN, 0};

	if (fd < 0 && errno == ESRCH)
		return;
	cr_assert_geq(fd, 0, "pidfd_open %d: %s", (int)pid, strerror(errno));
	cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "keeper %d still running",
		     (int)pid);
	close(fd);
}

/* The table is gone once the keeper is. */
static void expect_table_gone(pid_t helper, pid_t keeper)
{
	char t[4096];

	wait_gone(keeper);
	list_table(helper, t, sizeof(t));
	cr_assert_str_empty(t, "the table outlived the keeper:\n%s", t);
}

/* A TCP connection to HOST_ADDR:@port, answered by the guest. */
static void tcp_exchange(uint16_t port)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(port)};
	struct timeval tv = {.tv_sec = 5};
	char buf[64] = "";
	int s = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, HOST_ADDR, &to.sin_addr);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	cr_assert_eq(connect(s, (struct sockaddr *)&to, sizeof(to)), 0,
		     "connect to " HOST_ADDR ":%u: %s\n%s", port,
		     strerror(errno), a.err);
	cr_assert_eq(write(s, "ping", 4), 4);
	cr_assert_gt(read(s, buf, sizeof(buf) - 1), 0, "no answer: %s",
		     strerror(errno));
	cr_assert_str_eq(buf, "pong:ping");
	close(s);
}

static void udp_exchange(void)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(18081)};
	struct pollfd p;
	char buf[64] = "";
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	inet_pton(AF_INET, HOST_ADDR, &to.sin_addr);
	cr_assert_eq(
	    sendto(s, "ding", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
	p = (struct pollfd){s, POLLIN, 0};
	cr_assert_eq(poll(&p, 1, 5000), 1, "no UDP answer from the guest");
	cr_assert_gt(recv(s, buf, sizeof(buf) - 1, 0), 0);
	cr_assert_str_eq(buf, "pong:ding");
	close(s);
}

Test(expose, tcp_and_udp_reach_the_guest_and_the_table_goes_on_sigterm,
     .timeout = 60)
{
	char t[4096], v[64];

	need_tools();
	/* The third names the TAP's address, which A has yet to get. */
	start_all((const char *const[]){EXPOSE_TCP, EXPOSE_UDP,
					HOST_ADDR ":18082:80", NULL});
	list_table(a.pid, t, sizeof(t));
	cr_assert(strstr(t, "flags owner"), "not an owned table:\n%s", t);
	cr_assert(
	    strstr(t, "tcp dport 18080 fib daddr type local dnat to " GUEST_ADDR
		      ":80"),
	    "%s", t);
	cr_assert(
	    strstr(t, "udp dport 18081 fib daddr type local dnat to " GUEST_ADDR
		      ":81"),
	    "%s", t);
	cr_assert(strstr(t, "tcp dport 18082 ip daddr " HOST_ADDR
			    " dnat to " GUEST_ADDR ":80"),
		  "%s", t);
	tcp_exchange(18080);
	udp_exchange();
	tcp_exchange(18082);

	/* The keeper runs as nobody with CAP_NET_ADMIN alone. */
	pid_t keeper = keeper_of(a.pid);
	test_proc_status(keeper, "Uid:", v, sizeof(v));
	cr_assert(strncmp(v, "65534", 5) == 0, "keeper uid: %s", v);
	test_proc_status(keeper, "CapEff:", v, sizeof(v));
	cr_assert_str_eq(v, KEEPER_CAPS);
	test_proc_status(keeper, "CapPrm:", v, sizeof(v));
	cr_assert_str_eq(v, KEEPER_CAPS);
	test_proc_status(keeper, "CapBnd:", v, sizeof(v));
	cr_assert_str_eq(v, KEEPER_CAPS);
	test_proc_status(keeper, "NoNewPrivs:", v, sizeof(v));
	cr_assert_str_eq(v, "1");

	kill(a.pid, SIGTERM);
	cr_assert_eq(child_wait_exit(&a, WAIT_MS), 0, "%s", a.err);
	expect_table_gone(a.pid, keeper);
}

Test(expose, the_table_goes_when_the_helper_is_killed, .timeout = 60)
{
	need_tools();
	start_all((const char *const[]){EXPOSE_TCP, NULL});
	pid_t keeper = keeper_of(a.pid);
	kill(a.pid, SIGKILL);
	cr_assert_eq(child_wait_exit(&a, WAIT_MS), 128 + SIGKILL);
	/* PR_SET_PDEATHSIG kills the keeper; the kernel drops its table. */
	expect_table_gone(a.pid, keeper);
}

Test(expose, the_table_goes_when_the_vm_leaves, .timeout = 60)
{
	need_tools();
	start_all((const char *const[]){EXPOSE_TCP, NULL});
	pid_t keeper = keeper_of(a.pid);
	/* The VM's process crashes: its end of the socketpair closes. */
	child_kill(&b);
	close(sv[1]);
	cr_assert_eq(child_wait_exit(&a, WAIT_MS), 0, "%s", a.err);
	cr_assert(strstr(a.err, "exiting with status 0"), "%s", a.err);
	expect_table_gone(a.pid, keeper);
}

Test(expose, a_host_port_in_use_is_refused_at_start, .timeout = 60)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(18080)};
	struct child c;
	int l;

	need_tools(); /* first: the listener belongs in the test's netns */
	l = socket(AF_INET, SOCK_STREAM, 0);
	child_init(&c);
	cr_assert_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(l, 1), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	start_prog(&c,
		   (const char *const[]){child_program("vmnet-helper"), "--fd",
					 "3", "--tap", TAP_A, "--expose",
					 EXPOSE_TCP, NULL},
		   NULL, (struct child_fd[]){{3, sv[0]}}, 1);
	cr_assert_eq(child_wait_exit(&c, WAIT_MS), 1, "%s", c.err);
	cr_assert(strstr(c.err, "--expose 18080:80: host port 18080/tcp "
				"is in use on this host; choose another"),
		  "%s", c.err);
	cr_assert_null(strstr(c.out, "vmnet_mac_address"), "%s", c.out);
	close(l);
}

Test(expose, a_bad_value_is_refused_with_the_fix)
{
	struct child c;
	char *argv[] = {(char *)child_program("vmnet-helper"),
			"--fd",
			"3",
			"--expose",
			"70000:80",
			NULL};

	child_init(&c);
	cr_assert_eq(child_run(&c, argv, NULL, WAIT_MS), 1, "%s", c.err);
	cr_assert(strstr(c.err, "ERROR invalid --expose '70000:80': the host "
				"port must be 1-65535"),
		  "%s", c.err);
}

Test(expose, a_socket_client_that_leaves_takes_the_rules_with_it, .timeout = 60)
{
	const char *waiting = "expose 18080/tcp: guest address unknown yet";
	char t[4096];

	need_tools();
	start_all_on((const char *const[]){EXPOSE_TCP, NULL}, true);
	tcp_exchange(18080);
	child_kill(&b); /* the VM crashes */
	cr_assert(child_wait_for_nth(&a, false, waiting, 2, WAIT_MS),
		  "A did not take the rules away:\n%s", a.err);
	/* The answer came after the kernel applied the batch. */
	list_table(a.pid, t, sizeof(t));
	cr_assert(strstr(t, "chain prerouting"), "the table went:\n%s", t);
	cr_assert_null(strstr(t, "dnat"), "a rule stayed:\n%s", t);
	cr_assert(child_running(&a), "A exited:\n%s", a.err);
}

Test(expose, the_rules_follow_the_guest_to_a_new_address, .timeout = 60)
{
	char ns[64], t[4096];

	need_tools();
	start_all((const char *const[]){EXPOSE_TCP, NULL});
	snprintf(ns, sizeof(ns), "--net=/proc/%d/ns/net", (int)guest);
	/* The guest renumbers itself and says so in its next ARP. */
	test_run("nsenter %s sh -c 'ip address flush dev " TAP_B
		 " && ip address add 10.78.0.3/24 dev " TAP_B
		 " && ip route add default via " HOST_ADDR
		 " && ping -c 1 -W 5 " HOST_ADDR " >/dev/null'",
		 ns);
	cr_assert(child_wait_for(&a, false, "expose 18080/tcp -> 10.78.0.3:80",
				 WAIT_MS),
		  "the rules stayed on the old address:\n%s", a.err);
	list_table(a.pid, t, sizeof(t));
	cr_assert_null(strstr(t, GUEST_ADDR), "an old rule stayed:\n%s", t);
	tcp_exchange(18080);
}

Test(expose, a_given_guest_ip_is_forwarded_before_the_json_line, .timeout = 60)
{
	char *env[] = {"SUDO_UID=65534", "SUDO_GID=65534", NULL};
	char t[4096];

	need_tools();
	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	start_prog(&a,
		   (const char *const[]){child_program("vmnet-helper"), "--fd",
					 "3", "--tap", TAP_A, "--expose",
					 EXPOSE_TCP, "--guest-ip", GUEST_ADDR,
					 NULL},
		   env, (struct child_fd[]){{3, sv[0]}}, 1);
	cr_assert(child_wait_for(&a, true, "\"vmnet_mac_address\"", WAIT_MS),
		  "helper A not ready:\n%s", a.err);
	/* No guest has said a word: the rule is --guest-ip's, already in
	 * place when the JSON line says the helper is ready. */
	cr_assert(strstr(a.err, "expose 18080/tcp -> " GUEST_ADDR ":80"),
		  "no rule for --guest-ip before the JSON line:\n%s", a.err);
	cr_assert_null(strstr(a.err, "guest address unknown yet"), "%s", a.err);
	list_table(a.pid, t, sizeof(t));
	cr_assert(
	    strstr(t, "tcp dport 18080 fib daddr type local dnat to " GUEST_ADDR
		      ":80"),
	    "%s", t);
	pid_t keeper = keeper_of(a.pid);
	kill(a.pid, SIGTERM);
	cr_assert_eq(child_wait_exit(&a, WAIT_MS), 0, "%s", a.err);
	expect_table_gone(a.pid, keeper);
}
