/* SPDX-License-Identifier: Apache-2.0 */
/* test_sandbox.c - the sandbox module in a child process, as the helper
 * enters it: a call off the list kills the whole process with SIGSYS (from
 * any thread, in any ABI), the calls the helper makes still work, abort()
 * still ends with SIGABRT, an ASan report still comes out whole (ASan
 * build), and /proc shows no_new_privs, the filter and an empty bounding
 * set. Linux only, like the filter. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/vmnet-helper/sandbox.h"
#include "owned_file.h"
#include "testutil.h"

/* Sanitizer builds let the runtime open files, for its reports and its
 * leak check (sandbox_linux.c): there open() is not a forbidden call. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif

/* Fork; the child enters the sandbox as the helper does (@allow: what
 * sandbox_enter() takes, SANDBOX_STREAM as for --stream, SANDBOX_NEW_FILES
 * as for --address-file) and runs @body, then exits 0. Exit 100 means the
 * sandbox could not be entered. Return: the child's wait status. */
static int sandboxed_as(unsigned allow, void (*body)(void))
{
	char what[SANDBOX_MSG_MAX], err[SANDBOX_MSG_MAX];
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (sandbox_before_privdrop(err, sizeof(err)) < 0 ||
		    sandbox_enter(true, allow, what, sizeof(what), err,
				  sizeof(err)))
			_exit(100);
		body();
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(!WIFEXITED(status) || WEXITSTATUS(status) != 100,
		  "the child could not enter the sandbox");
	return status;
}

static int sandboxed(void (*body)(void))
{
	return sandboxed_as(0, body);
}

static void expect_sigsys_as(unsigned allow, const char *what,
			     void (*body)(void))
{
	int status = sandboxed_as(allow, body);

	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
		  "%s: not killed by SIGSYS (%s %d)", what,
		  WIFSIGNALED(status) ? "signal" : "exit status",
		  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

static void expect_sigsys(const char *what, void (*body)(void))
{
	expect_sigsys_as(0, what, body);
}

/* Calls a hijacked helper would make, none of which it needs. */
static void call_execve(void)
{
	char *argv[] = {"/bin/true", NULL};

	execve(argv[0], argv, NULL);
}

#ifndef SANITIZED
static void call_open(void)
{
	open("/etc/hostname", O_RDONLY | O_CLOEXEC);
}
#endif

static void call_inet_socket(void)
{
	socket(AF_INET, SOCK_DGRAM, 0);
}

static void call_unix_stream(void)
{
	/* The user's ssh-agent or D-Bus would listen on one. */
	socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

static void call_route_netlink(void)
{
	socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
}

static void call_fork(void)
{
	/* glibc's fork() is clone() without CLONE_VM or CLONE_THREAD. */
	if (fork() == 0)
		_exit(0);
}

static void call_exec_mapping(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
	     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void call_mprotect_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(2);
	mprotect(p, 4096, PROT_READ | PROT_EXEC);
}

static void call_kill_init(void)
{
	kill(1, 0);
}

static void call_setuid(void)
{
	(void)!setuid(0);
}

static void *forbidden_in_thread(void *arg)
{
	(void)arg;
	socket(AF_INET, SOCK_STREAM, 0);
	return NULL;
}

static void call_from_a_thread(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, forbidden_in_thread, NULL) != 0)
		_exit(3);
	pthread_join(t, NULL);
	/* Alive here would mean only the thread died: the helper would limp
	 * on with one worker. */
}

#ifdef __x86_64__
static void call_x32_abi(void)
{
	/* getpid in the x32 ABI: same arch value, other numbers. */
	syscall(__X32_SYSCALL_BIT | __NR_getpid);
}
#endif

Test(sandbox, a_forbidden_call_kills_the_whole_process_with_sigsys)
{
	expect_sigsys("execve", call_execve);
#ifndef SANITIZED
	expect_sigsys("open", call_open);
#endif
	expect_sigsys("socket(AF_INET)", call_inet_socket);
	expect_sigsys("socket(AF_UNIX, SOCK_STREAM)", call_unix_stream);
	expect_sigsys("socket(AF_NETLINK, NETLINK_ROUTE)", call_route_netlink);
	expect_sigsys("fork", call_fork);
	expect_sigsys("mmap(PROT_EXEC)", call_exec_mapping);
	expect_sigsys("mprotect(PROT_EXEC)", call_mprotect_exec);
	expect_sigsys("kill(1)", call_kill_init);
	expect_sigsys("setuid", call_setuid);
	expect_sigsys("socket(AF_INET) from a second thread",
		      call_from_a_thread);
#ifdef __x86_64__
	expect_sigsys("an x32 system call", call_x32_abi);
#endif
}

/* What the running helper does, each failure its own exit status. */
static void *thread_body(void *arg)
{
	struct timespec ts;

	(void)arg;
	if (prctl(PR_SET_NAME, "vmnet-test") != 0 ||
	    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return (void *)1;
	return NULL;
}

static void helper_calls(void)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN};
	struct itimerspec its = {.it_value.tv_sec = 1};
	struct timespec ts;
	struct tm tm;
	time_t now = time(NULL);
	pthread_t t;
	void *ret = (void *)1;
	uint64_t one = 1;

	/* A worker: clone3() fails with ENOSYS, glibc falls back to clone(). */
	if (pthread_create(&t, NULL, thread_body, NULL) != 0 ||
	    pthread_join(t, &ret) != 0 || ret != NULL)
		_exit(10);
	if (syscall(__NR_clone3, NULL, 0) != -1 || errno != ENOSYS)
		_exit(11);
	/* The poller. */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ep < 0 || efd < 0 || tfd < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) != 0 ||
	    timerfd_settime(tfd, 0, &its, NULL) != 0 ||
	    write(efd, &one, sizeof(one)) != sizeof(one) ||
	    epoll_wait(ep, &ev, 1, 1000) != 1 ||
	    read(efd, &one, sizeof(one)) != sizeof(one))
		_exit(12);
	/* The VM's socket: --socket binding anew, a client connected to it,
	 * a batch each way. */
	char byte = 'x';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct mmsghdr m = {.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1}};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/tmp/vmh-sbx-%d",
		 (int)getpid());
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	int c = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	mode_t old = umask(0177);
	if (s < 0 || c < 0 ||
	    bind(s, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    chmod(addr.sun_path, 0600) != 0 ||
	    connect(c, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    unlink(addr.sun_path) != 0)
		_exit(13);
	umask(old);
	if (send(c, "x", 1, 0) != 1 || recv(s, &byte, 1, 0) != 1 ||
	    sendmmsg(c, &m, 1, 0) != 1 || recvmmsg(s, &m, 1, 0, NULL) != 1)
		_exit(14);
	int d = dup(s);
	if (d < 0 || close(d) != 0 || close(s) != 0 || close(c) != 0)
		_exit(15);
	/* The peer watch's socket. */
	int nl =
	    socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0 || close(nl) != 0)
		_exit(16);
	/* Memory that is not executable; the stats line's clocks. */
	void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || munmap(p, 1 << 20) != 0 ||
	    clock_gettime(CLOCK_REALTIME, &ts) != 0 ||
	    localtime_r(&now, &tm) == NULL)
		_exit(17);
	free(malloc(1 << 20)); /* mmap and munmap in glibc's malloc */
}

Test(sandbox, the_calls_the_helper_makes_still_work)
{
	int status = sandboxed(helper_calls);

	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "%s %d (see helper_calls() for what the status means)",
		  WIFSIGNALED(status) ? "killed by signal" : "exit status",
		  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

/* --address-file: a new file made and renamed into place, as
 * guest_report.c does on each change. */
static char files_dir[] = "/tmp/vmh-sbx-files-XXXXXX";

static void replace_a_file(void)
{
	static char path[64];
	struct owned_file f = {.fd = -1};
	char err[256];

	snprintf(path, sizeof(path), "%s/addr", files_dir);
	if (owned_file_replace(&f, path, "test", "one\n", 4, err,
			       sizeof(err)) ||
	    owned_file_replace(&f, path, "test", "two\n", 4, err, sizeof(err)))
		_exit(20);
}

/* The child exited 0 (@what says what its status means) and left the
 * file replace_a_file() wrote last. */
static void expect_replaced(int status, const char *what)
{
	char path[64], buf[8] = "";

	cr_expect(
	    WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s %d (see %s)",
	    WIFSIGNALED(status) ? "killed by signal" : "exit status",
	    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), what);
	snprintf(path, sizeof(path), "%s/addr", files_dir);
	test_read_file(path, buf, sizeof(buf));
	cr_expect_str_eq(buf, "two\n");
	unlink(path);
}

#ifndef SANITIZED
static void create_a_file(void)
{
	char path[64];

	snprintf(path, sizeof(path), "%s/new", files_dir);
	open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

static void open_to_write(void)
{
	open("/tmp", O_WRONLY | O_CLOEXEC);
}
#endif

Test(sandbox, new_files_lets_the_helper_create_and_rename_but_open_nothing)
{
	char path[64];
	int status;

	cr_assert_not_null(mkdtemp(files_dir));
	status = sandboxed_as(SANDBOX_NEW_FILES, replace_a_file);
	expect_replaced(status, "replace_a_file()");
#ifndef SANITIZED
	/* Without --address-file there is nothing to create (a sanitized
	 * build's filter lets its runtime open files). */
	expect_sigsys("open(O_CREAT) without new_files", create_a_file);
	/* With it, still no existing file, to read or to write. */
	expect_sigsys_as(SANDBOX_NEW_FILES, "open(O_RDONLY) with new_files",
			 call_open);
	expect_sigsys_as(SANDBOX_NEW_FILES, "open(O_WRONLY) with new_files",
			 open_to_write);
#endif
	snprintf(path, sizeof(path), "%s/new", files_dir);
	unlink(path);
	cr_expect_eq(rmdir(files_dir), 0, "%s", strerror(errno));
}

static void call_listen(void)
{
	listen(-1, 1);
}

static void call_accept(void)
{
	accept(-1, NULL, NULL);
}

static void call_sendmsg(void)
{
	struct msghdr msg = {0};

	sendmsg(-1, &msg, 0);
}

/* A --stream helper's calls: listening at a path, taking a
 * client, a batch each way, and nothing of the stream kind otherwise. */
static void stream_calls(void)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char hdr[4] = {0, 0, 0, 1}, byte = 'x', in[5];
	struct iovec iov[2] = {{hdr, sizeof(hdr)}, {&byte, 1}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};

	snprintf(addr.sun_path, sizeof(addr.sun_path), "/tmp/vmh-sbs-%d",
		 (int)getpid());
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || c < 0 ||
	    bind(l, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(l, 1) != 0 ||
	    connect(c, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    unlink(addr.sun_path) != 0)
		_exit(20);
	int a = accept(l, NULL, NULL);
	if (a < 0 || sendmsg(a, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) != 5 ||
	    read(c, in, sizeof(in)) != 5 || send(c, in, 5, 0) != 5 ||
	    read(a, in, sizeof(in)) != 5 || in[4] != 'x')
		_exit(21);
	if (close(a) != 0 || close(c) != 0 || close(l) != 0)
		_exit(22);
	/* The datagram calls stay allowed beside them. */
	int d = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d < 0 || close(d) != 0)
		_exit(23);
}

Test(sandbox, a_stream_helper_may_listen_accept_and_sendmsg)
{
	int status = sandboxed_as(SANDBOX_STREAM, stream_calls);

	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "%s %d (see stream_calls() for what the status means)",
		  WIFSIGNALED(status) ? "killed by signal" : "exit status",
		  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	/* Still no other family, and no stream calls for a datagram one. */
	expect_sigsys_as(SANDBOX_STREAM, "socket(AF_INET), stream helper",
			 call_inet_socket);
	expect_sigsys("listen, datagram helper", call_listen);
	expect_sigsys("accept, datagram helper", call_accept);
	expect_sigsys("sendmsg, datagram helper", call_sendmsg);
}

/* --stream with --address-file: a --socket stream helper that also
 * rewrites the address file; each allowance still works with the other. */
static void stream_and_file_calls(void)
{
	stream_calls();
	replace_a_file();
}

Test(sandbox, a_stream_helper_with_an_address_file_may_do_both)
{
	int status;

	strcpy(files_dir, "/tmp/vmh-sbx-files-XXXXXX");
	cr_assert_not_null(mkdtemp(files_dir));
	status = sandboxed_as(SANDBOX_STREAM | SANDBOX_NEW_FILES,
			      stream_and_file_calls);
	expect_replaced(status, "stream_calls() and replace_a_file()");
	cr_expect_eq(rmdir(files_dir), 0, "%s", strerror(errno));
#ifndef SANITIZED
	expect_sigsys_as(SANDBOX_STREAM | SANDBOX_NEW_FILES,
			 "open(O_RDONLY), stream helper with new_files",
			 call_open);
#endif
}

static void call_abort(void)
{
	abort();
}

Test(sandbox, abort_still_ends_with_sigabrt)
{
	int status = sandboxed(call_abort);

	/* An assert that fires leaves its core and its signal, not a SIGSYS
	 * that would hide it. */
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "%s %d",
		  WIFSIGNALED(status) ? "signal" : "exit status",
		  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

#if defined(__SANITIZE_ADDRESS__)
/* Through a volatile pointer, so the compiler cannot see the bug. */
static char *volatile freed;

static void use_after_free(void)
{
	freed = malloc(16);
	free(freed);
	freed[0] = 1; /* the report must come out whole, not die of SIGSYS */
}

/* The ASan build (make test-asan) only: a memory error inside the sandbox
 * is still reported, with its stack, and ends the process as ASan does. */
Test(sandbox, an_asan_report_still_comes_out_under_the_filter)
{
	static char out[65536];
	int p[2], status;
	size_t n = 0;
	ssize_t r;

	cr_assert_eq(pipe(p), 0);
	fflush(stderr);
	int saved = dup(2);
	cr_assert_geq(saved, 0);
	dup2(p[1], 2);
	close(p[1]);
	pid_t pid = fork();
	if (pid == 0) {
		char what[SANDBOX_MSG_MAX], err[SANDBOX_MSG_MAX];

		if (sandbox_enter(true, 0, what, sizeof(what), err,
				  sizeof(err)))
			_exit(100);
		use_after_free();
		_exit(0);
	}
	dup2(saved, 2);
	close(saved);
	cr_assert_geq(pid, 0);
	while (n < sizeof(out) - 1 &&
	       (r = read(p[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(p[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(strstr(out, "heap-use-after-free"), "no report:\n%s", out);
	cr_assert(strstr(out, "use_after_free"), "no stack in:\n%s", out);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1,
		  "%s %d, want ASan's exit status 1:\n%s",
		  WIFSIGNALED(status) ? "signal" : "exit status",
		  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
		  out);
}
#endif

Test(sandbox, proc_shows_no_new_privs_the_filter_and_no_bounding_set)
{
	char what[SANDBOX_MSG_MAX], err[SANDBOX_MSG_MAX], v[64];
	int ready[2], go[2], status;
	char c = 0;

	if (geteuid() != 0)
		cr_skip_test("needs root: the bounding set is emptied only "
			     "with CAP_SETPCAP");
	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(go), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int r = sandbox_before_privdrop(err, sizeof(err));

		if (r != 0 || sandbox_enter(true, 0, what, sizeof(what), err,
					    sizeof(err)))
			_exit(100);
		/* /proc is not ours to open any more: the parent reads it. */
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(101);
		_exit(0);
	}
	cr_assert_eq(read(ready[0], &c, 1), 1, "the child did not get in");
	test_proc_status(pid, "NoNewPrivs:", v, sizeof(v));
	cr_expect_str_eq(v, "1");
	test_proc_status(pid, "Seccomp:", v, sizeof(v));
	cr_expect_str_eq(v, "2", "Seccomp: %s, want 2 (filter)", v);
	test_proc_status(pid, "CapBnd:", v, sizeof(v));
	cr_expect_str_eq(v, "0000000000000000");
	test_proc_status(pid, "CapInh:", v, sizeof(v));
	cr_expect_str_eq(v, "0000000000000000");
	test_proc_status(pid, "CapAmb:", v, sizeof(v));
	cr_expect_str_eq(v, "0000000000000000");
	cr_assert_eq(write(go[1], "g", 1), 1);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
