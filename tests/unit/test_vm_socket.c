/* SPDX-License-Identifier: Apache-2.0 */
/* test_vm_socket.c - the VM's end of the cable, in process: what --fd
 * refuses, and the --socket life of lock, bind, accept, rebind and close
 * in a directory of the test's own. test_helper_lifecycle.c runs the same
 * paths through the program, as root. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vm_socket.h"

static char dir[32], path[64];
static struct vm_socket vs;
static int clients[4] = {-1, -1, -1, -1};

static void setup(void)
{
	strcpy(dir, "/tmp/vmh-vmsock-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vm.sock", dir);
	vs = (struct vm_socket){
	    .path = path, .fd = -1, .lock = {.fd = -1}, .conn_fd = -1};
}

static void teardown(void)
{
	char p[160];

	vm_socket_close(&vs);
	for (int i = 0; i < 4; i++)
		if (clients[i] >= 0)
			close(clients[i]);
	for (const char *const *n =
		 (const char *const[]){"vm.sock", "vm.sock.lock", "c0", "c1",
				       "c2", "c3", NULL};
	     *n; n++) {
		snprintf(p, sizeof(p), "%s/%s", dir, *n);
		unlink(p);
	}
	rmdir(dir);
}

TestSuite(vm_socket, .init = setup, .fini = teardown, .timeout = 10);

static void expect_fd_refused_as(int fd, bool stream, int want,
				 const char *words)
{
	char err[256] = "";

	cr_expect_eq(vm_socket_check_fd("fd", fd, stream, err, sizeof(err)),
		     want, "fd %d: %s", fd, err);
	cr_expect(strstr(err, words), "fd %d: '%s' lacks '%s'", fd, err, words);
}

static void expect_fd_refused(int fd, int want, const char *words)
{
	expect_fd_refused_as(fd, false, want, words);
}

Test(vm_socket, fd_of_every_wrong_kind_is_named)
{
	char err[256];
	int sv[2], st[2], in, file;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, st), 0);
	in = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(in, 0);
	file = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(file, 0);

	cr_expect_eq(vm_socket_check_fd("fd", sv[0], false, err, sizeof(err)),
		     0, "%s", err);
	expect_fd_refused(1000, -EBADF, "not an open file descriptor");
	expect_fd_refused(file, -ENOTSOCK, "not a socket (it is a directory)");
	expect_fd_refused(st[0], -EPROTOTYPE, "a stream socket");
	expect_fd_refused(st[0], -EPROTOTYPE, "or add --stream");
	/* --stream: the other way round. */
	cr_expect_eq(vm_socket_check_fd("fd", st[0], true, err, sizeof(err)), 0,
		     "%s", err);
	expect_fd_refused_as(sv[0], true, -EPROTOTYPE,
			     "a datagram socket, but --stream");
	expect_fd_refused_as(sv[0], true, -EPROTOTYPE, "or drop --stream");
	expect_fd_refused(in, -EAFNOSUPPORT, "not AF_UNIX");
	close(sv[0]);
	close(sv[1]);
	close(st[0]);
	close(st[1]);
	close(in);
	close(file);
}

static void lock_and_bind(void)
{
	char err[256];

	cr_assert_eq(
	    vm_socket_lock(&vs, (uid_t)-1, (gid_t)-1, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(vm_socket_bind(&vs, false, err, sizeof(err)), 0, "%s",
		     err);
}

Test(vm_socket, binds_a_0600_socket_and_removes_both_files_at_close)
{
	struct stat st;
	char lock[160];

	lock_and_bind();
	cr_assert_eq(lstat(path, &st), 0);
	cr_expect(S_ISSOCK(st.st_mode));
	cr_expect_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
	snprintf(lock, sizeof(lock), "%s.lock", path);
	cr_expect_eq(lstat(lock, &st), 0);
	cr_expect(S_ISREG(st.st_mode));
	vm_socket_close(&vs);
	cr_expect_eq(lstat(path, &st), -1, "the socket is left");
	cr_expect_eq(lstat(lock, &st), -1, "the lock file is left");
}

Test(vm_socket, second_lock_on_the_path_is_refused_at_once)
{
	struct vm_socket other = {
	    .path = path, .fd = -1, .lock = {.fd = -1}, .conn_fd = -1};
	char err[256] = "";

	lock_and_bind();
	cr_expect_eq(
	    vm_socket_lock(&other, (uid_t)-1, (gid_t)-1, err, sizeof(err)),
	    -EWOULDBLOCK);
	cr_expect(strstr(err, "is in use: another helper holds"), "%s", err);
	vm_socket_close(&other);
	/* The holder's socket is still there, and still its. */
	cr_expect_eq(access(path, F_OK), 0);
}

Test(vm_socket, stale_socket_is_replaced_and_a_regular_file_kept)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char err[256] = "";
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	FILE *f;

	/* Left by a helper that crashed: bound, nobody behind it. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	lock_and_bind();
	vm_socket_close(&vs);

	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("precious", f);
	fclose(f);
	vs = (struct vm_socket){
	    .path = path, .fd = -1, .lock = {.fd = -1}, .conn_fd = -1};
	cr_expect_eq(
	    vm_socket_lock(&vs, (uid_t)-1, (gid_t)-1, err, sizeof(err)),
	    -EEXIST);
	cr_expect(strstr(err, "exists and is a regular file, not a stale "
			      "socket"),
		  "%s", err);
	cr_expect_eq(access(path, F_OK), 0, "the file was removed");
}

Test(vm_socket, fifo_at_the_lock_path_is_refused_without_blocking)
{
	char lock[160], err[256] = "";

	snprintf(lock, sizeof(lock), "%s.lock", path);
	cr_assert_eq(mkfifo(lock, 0600), 0);
	cr_expect_eq(
	    vm_socket_lock(&vs, (uid_t)-1, (gid_t)-1, err, sizeof(err)),
	    -EINVAL);
	cr_expect(strstr(err, "is a pipe, not a regular file"), "%s", err);
	unlink(lock);
}

/* A client of the socket: bound at dir/cN (unless @bound is false). */
static int client(int n, bool bound)
{
	struct sockaddr_un me = {.sun_family = AF_UNIX}, to = me;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0);
	clients[n] = fd;
	if (bound) {
		snprintf(me.sun_path, sizeof(me.sun_path), "%s/c%d", dir, n);
		cr_assert_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	}
	snprintf(to.sun_path, sizeof(to.sun_path), "%s", path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	return fd;
}

static const char *client_name(void)
{
	static char name[sizeof(vs.client.sun_path)];

	snprintf(name, sizeof(name), "%.*s",
		 (int)(vs.client_len - offsetof(struct sockaddr_un, sun_path)),
		 vs.client.sun_path);
	return name;
}

Test(vm_socket, first_sender_becomes_the_client_its_frame_kept)
{
	char err[256], want[160], buf[64];
	int c;

	lock_and_bind();
	cr_expect_eq(vm_socket_try_accept(&vs, err, sizeof(err)), 1,
		     "nobody has sent yet");
	c = client(0, true);
	cr_assert_eq(send(c, "a frame of a vm", 15, 0), 15);
	cr_assert_eq(vm_socket_try_accept(&vs, err, sizeof(err)), 0, "%s", err);
	snprintf(want, sizeof(want), "%s/c0", dir);
	cr_expect_str_eq(client_name(), want);
	/* Left for the engine, and the socket now answers the client. */
	cr_expect_eq(recv(vs.fd, buf, sizeof(buf), MSG_DONTWAIT), 15);
	cr_expect_eq(send(vs.fd, "back", 4, 0), 4);
	cr_expect_eq(recv(c, buf, sizeof(buf), MSG_DONTWAIT), 4);
	cr_expect_eq(vs.accept_drops.vfkt + vs.accept_drops.unanswerable, 0);
}

Test(vm_socket, vfkt_hello_is_taken_and_counted)
{
	char err[256], buf[64];
	int c;

	lock_and_bind();
	c = client(0, true);
	cr_assert_eq(send(c, "VFKT", 4, 0), 4);
	cr_assert_eq(vm_socket_try_accept(&vs, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(vs.accept_drops.vfkt, 1);
	cr_expect_eq(recv(vs.fd, buf, sizeof(buf), MSG_DONTWAIT), -1,
		     "the hello was left for the engine");
}

/* Senders that cannot be answered are dropped and counted, and the wait
 * goes on to one that can. */
Test(vm_socket, unanswerable_senders_are_counted_and_skipped)
{
	char err[256], want[160], gone[160];
	int c;

	lock_and_bind();
	c = client(0, false); /* no address to answer */
	cr_assert_eq(send(c, "frame", 5, 0), 5);
	c = client(1, true); /* gone before the helper connects back */
	cr_assert_eq(send(c, "frame", 5, 0), 5);
	cr_assert_eq(send(c, "frame", 5, 0), 5);
	snprintf(gone, sizeof(gone), "%s/c1", dir);
	cr_assert_eq(unlink(gone), 0);
	cr_expect_eq(vm_socket_try_accept(&vs, err, sizeof(err)), 1, "%s", err);
	cr_expect_eq(vs.accept_drops.unanswerable, 3);
	c = client(2, true);
	cr_assert_eq(send(c, "frame", 5, 0), 5);
	cr_expect_eq(vm_socket_try_accept(&vs, err, sizeof(err)), 0, "%s", err);
	snprintf(want, sizeof(want), "%s/c2", dir);
	cr_expect_str_eq(client_name(), want);
}

/* After a client leaves, a fresh socket on the path takes the next one. */
Test(vm_socket, rebind_forgets_the_client_and_takes_the_next)
{
	char err[256], want[160];
	int c;

	lock_and_bind();
	c = client(0, true);
	cr_assert_eq(send(c, "frame", 5, 0), 5);
	cr_assert_eq(vm_socket_try_accept(&vs, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(vm_socket_rebind(&vs, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(vs.client_len, 0);
	cr_expect_eq(vm_socket_try_accept(&vs, err, sizeof(err)), 1,
		     "the old client's frame came back");
	c = client(1, true);
	cr_assert_eq(send(c, "frame", 5, 0), 5);
	cr_assert_eq(vm_socket_try_accept(&vs, err, sizeof(err)), 0, "%s", err);
	snprintf(want, sizeof(want), "%s/c1", dir);
	cr_expect_str_eq(client_name(), want);
}

/* A stream client of the socket; -errno if connect() fails. */
static int stream_client(void)
{
	struct sockaddr_un to = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	snprintf(to.sun_path, sizeof(to.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* --stream: one connection is taken and the listener closed, so a second
 * client is refused at once; rebind listens again for the next. */
Test(vm_socket, stream_takes_one_client_and_refuses_others_until_rebind)
{
	char err[256];
	struct stat st;

	vs.stream = true;
	lock_and_bind();
	cr_expect_eq(vm_socket_try_accept(&vs, err, sizeof(err)), 1,
		     "a client before anyone connected");
	clients[0] = stream_client();
	cr_assert_geq(clients[0], 0, "%s", strerror(-clients[0]));
	cr_assert_eq(vm_socket_try_accept(&vs, err, sizeof(err)), 0, "%s", err);
	cr_assert_geq(vs.conn_fd, 0);
	cr_expect_eq(vs.fd, -1, "still listening");
	cr_expect_eq(send(clients[0], "x", 1, 0), 1);
	char c;
	cr_expect_eq(recv(vs.conn_fd, &c, 1, 0), 1);
	cr_expect_eq(stream_client(), -ECONNREFUSED);
	cr_expect_eq(lstat(path, &st), 0, "the path went with the listener");

	close(vs.conn_fd);
	vs.conn_fd = -1;
	cr_assert_eq(vm_socket_rebind(&vs, err, sizeof(err)), 0, "%s", err);
	clients[1] = stream_client();
	cr_assert_geq(clients[1], 0, "%s", strerror(-clients[1]));
	cr_assert_eq(vm_socket_try_accept(&vs, err, sizeof(err)), 0, "%s", err);
	vm_socket_close(&vs);
	cr_expect_eq(lstat(path, &st), -1, "the socket is left");
}

Test(vm_socket, buffers_are_sized_for_megabytes_of_frames)
{
	int sv[2], rcv = 0;
	socklen_t len = sizeof(rcv);

	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	/* Capped by net.core.rmem_max without CAP_NET_ADMIN; the test
	 * runs as root in CI, where the full size is set. */
	if (vm_socket_set_buffers(sv[0], false) == 0 && geteuid() == 0) {
		cr_assert_eq(
		    getsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &rcv, &len), 0);
		/* Linux reports twice what was set (socket(7)). */
		cr_expect_geq(rcv, VM_SOCKET_RCVBUF, "SO_RCVBUF %d", rcv);
	}
	cr_expect_eq(vm_socket_set_buffers(-1, true) < 0, true,
		     "a bad fd reports its error");
	close(sv[0]);
	close(sv[1]);
}
