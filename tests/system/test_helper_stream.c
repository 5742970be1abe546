/* SPDX-License-Identifier: Apache-2.0 */
/* test_helper_stream.c - vmnet-helper --stream from the
 * outside: each frame after its 4-byte big-endian length over an inherited
 * stream socket (--fd) or one client at a time at --socket PATH; the wrong
 * kind of --fd named; a client that sends a length no frame can have, or
 * leaves in the middle of one, ends, and the helper serves the next. The
 * tests run as root in a network namespace of their own (testutil.h) and
 * skip elsewhere; the helper runs sandboxed, as shipped. */
#include <criterion/criterion.h>
#include <errno.h>
#include <json-c/json.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "child.h"
#include "marker_frame.h"
#include "testutil.h"

#define TAP	"vmhst0"
#define WAIT_MS 10000 /* generous: the ASan build is slow */

static char dir[64];	   /* per-test directory for the socket */
static char sock_path[96]; /* dir/sock, the helper's --socket */
static struct child helper;

static void cleanup(void)
{
	char path[160];

	child_kill(&helper);
	if (!dir[0])
		return;
	snprintf(path, sizeof(path), "%s/sock", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sock.lock", dir);
	unlink(path);
	rmdir(dir);
}

static void setup(void)
{
	memset(&helper, 0, sizeof(helper));
	helper.pid = -1;
	helper.pidfd = helper.out_fd = helper.err_fd = -1;
	strcpy(dir, "/tmp/vmh-stream-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(sock_path, sizeof(sock_path), "%s/sock", dir);
}

TestSuite(helper_stream, .init = setup, .fini = cleanup);

/* Start the helper with @args (NULL-terminated), passing @fd as fd 3 if
 * it is not -1; no SUDO_UID, so it stays root in its namespace. */
static void start(int fd, const char *const *args)
{
	static char *const env[] = {"SUDO_UID", "SUDO_GID", NULL};
	struct child_fd pass = {3, fd};
	char *argv[16];
	int n = 0;

	argv[n++] = (char *)child_program("vmnet-helper");
	cr_assert_eq(access(argv[0], X_OK), 0,
		     "%s is not built beside the tests", argv[0]);
	for (; *args && n < 15; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	int r = child_start(&helper, argv, env, &pass, fd >= 0 ? 1 : 0);
	cr_assert_eq(r, 0, "cannot start %s: %s", argv[0], strerror(-r));
}

static void expect_ready(void)
{
	cr_assert(
	    child_wait_for(&helper, true, "\"vmnet_mac_address\"", WAIT_MS),
	    "no JSON line; stderr:\n%s", helper.err);
}

static void expect_exit(int status, const char *text)
{
	int got = child_wait_exit(&helper, WAIT_MS);

	cr_assert_eq(got, status, "exit status %d, want %d; stderr:\n%s", got,
		     status, helper.err);
	cr_assert(strstr(helper.err, text), "no '%s' in stderr:\n%s", text,
		  helper.err);
}

/* The helper's largest frame, from its JSON line. */
static uint32_t max_frame(void)
{
	json_object *o = json_tokener_parse(helper.out);
	json_object *v = NULL;

	cr_assert_not_null(o, "stdout is not JSON: %s", helper.out);
	cr_assert(json_object_object_get_ex(o, "vmnet_max_packet_size", &v),
		  "no vmnet_max_packet_size: %s", helper.out);
	uint32_t max = (uint32_t)json_object_get_int64(v);
	json_object_put(o);
	return max;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void write_all(int fd, const void *buf, size_t n)
{
	cr_assert_eq(send(fd, buf, n, MSG_NOSIGNAL), (ssize_t)n,
		     "stream send: %s", strerror(errno));
}

/* One record, @marker's frame after its length, written in pieces cut at
 * @cut (0: in one write): the helper must join them. */
static void stream_send(int fd, const char *marker, size_t cut)
{
	unsigned char rec[4 + MARKER_FRAME_LEN];
	size_t n = marker_frame_make(rec + 4, marker);

	put_be32(rec, (uint32_t)n);
	if (cut) {
		write_all(fd, rec, cut);
		write_all(fd, rec + cut, 4 + n - cut);
	} else {
		write_all(fd, rec, 4 + n);
	}
}

/* Read exactly @n bytes, each read bounded by WAIT_MS. Return: false at an
 * end of file or a time-out. */
static bool read_full(int fd, unsigned char *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, WAIT_MS) != 1)
			return false;
		ssize_t r = recv(fd, buf + got, n - got, 0);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* Wait for the record of @marker; records of other frames are skipped,
 * every length checked against the frame that follows it. */
static bool stream_recv(int fd, const char *marker)
{
	for (;;) {
		unsigned char hdr[4], f[2048];

		if (!read_full(fd, hdr, 4))
			return false;
		uint32_t len = (uint32_t)hdr[0] << 24 | hdr[1] << 16 |
			       hdr[2] << 8 | hdr[3];
		cr_assert(len >= 14 && len <= sizeof(f),
			  "a record of %u bytes towards the VM", len);
		if (!read_full(fd, f, len))
			return false;
		const char *m = marker_frame_of(f, len);
		if (m && strcmp(m, marker) == 0)
			return true;
	}
}

/* True once the peer has closed @fd (what is left unread is skipped). */
static bool sees_end_of_file(int fd)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		unsigned char buf[4096];

		if (poll(&p, 1, WAIT_MS) != 1)
			return false;
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return true;
		if (r < 0)
			return false;
	}
}

static void tap_send(int tap, const char *marker)
{
	unsigned char f[MARKER_FRAME_LEN];
	size_t n = marker_frame_make(f, marker);

	cr_assert_eq(send(tap, f, n, 0), (ssize_t)n, "send on %s: %s", TAP,
		     strerror(errno));
}

static bool tap_recv(int tap, const char *marker)
{
	for (;;) {
		struct pollfd p = {.fd = tap, .events = POLLIN};
		unsigned char f[2048];
		struct sockaddr_ll from;
		socklen_t len = sizeof(from);

		if (poll(&p, 1, WAIT_MS) != 1)
			return false;
		ssize_t n = recvfrom(tap, f, sizeof(f), 0,
				     (struct sockaddr *)&from, &len);
		if (n < 0 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		const char *m = marker_frame_of(f, n);
		if (m && strcmp(m, marker) == 0)
			return true;
	}
}

/* A stream client of the --socket; -errno if connect() fails. */
static int client_connect(void)
{
	struct sockaddr_un to = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	snprintf(to.sun_path, sizeof(to.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* A client the helper has taken: its first frame reached the TAP. */
static int served_client(int tap, const char *marker)
{
	int fd = client_connect();

	cr_assert_geq(fd, 0, "connect %s: %s", sock_path, strerror(-fd));
	stream_send(fd, marker, 0);
	cr_assert(tap_recv(tap, marker), "%s did not reach %s:\n%s", marker,
		  TAP, helper.err);
	return fd;
}

/* Once the helper waits for its @nth client, the next one: its frame
 * @marker reaches the TAP and a frame from the TAP reaches it. */
static int next_client(int tap, int nth, const char *marker)
{
	cr_assert(child_wait_for_nth(&helper, false, "waiting for client", nth,
				     WAIT_MS),
		  "did not go back to waiting:\n%s", helper.err);
	int c = served_client(tap, marker);
	tap_send(tap, "to-vm");
	cr_assert(stream_recv(c, "to-vm"), "%s's client got nothing from %s",
		  marker, TAP);
	return c;
}

static int stream_socket_helper(void)
{
	test_need_private_netns();
	test_quiet_netns();
	start(-1, (const char *const[]){"--socket", sock_path, "--stream",
					"--tap", TAP, NULL});
	expect_ready();
	return test_packet_socket(TAP, ETH_P_ALL);
}

Test(helper_stream, fd_carries_split_records_both_ways_until_the_vm_closes)
{
	int sv[2];

	test_need_private_netns();
	test_quiet_netns();
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	start(sv[1], (const char *const[]){"--fd", "3", "--stream", "--tap",
					   TAP, NULL});
	close(sv[1]);
	expect_ready();
	int tap = test_packet_socket(TAP, ETH_P_ALL);

	/* A length split across writes, then a frame split across them. */
	stream_send(sv[0], "vm-1", 2);
	stream_send(sv[0], "vm-2", 4 + 20);
	cr_assert(tap_recv(tap, "vm-1"), "vm-1 did not reach %s", TAP);
	cr_assert(tap_recv(tap, "vm-2"), "vm-2 did not reach %s", TAP);
	tap_send(tap, "to-vm");
	cr_assert(stream_recv(sv[0], "to-vm"), "the VM got no record");

	close(sv[0]);
	expect_exit(0, "the VM closed its socket");
	cr_assert(strstr(helper.err, "\"vm\":{\"packets\":2,"),
		  "not 2 frames from the VM:\n%s", helper.err);
	close(tap);
}

/* --fd of the other type: named, with the option that fits it. */
Test(helper_stream, fd_of_the_other_socket_type_is_refused_naming_the_fix)
{
	static const struct {
		int type;
		const char *opt, *text;
	} cases[] = {
	    {SOCK_STREAM, NULL, "add --stream"},
	    {SOCK_DGRAM, "--stream", "drop --stream"},
	};

	test_need_private_netns();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int sv[2];

		cr_assert_eq(socketpair(AF_UNIX, cases[i].type, 0, sv), 0);
		if (cases[i].opt)
			start(sv[1],
			      (const char *const[]){"--fd", "3", cases[i].opt,
						    "--tap", TAP, NULL});
		else
			start(sv[1], (const char *const[]){"--fd", "3", "--tap",
							   TAP, NULL});
		expect_exit(1, cases[i].text);
		cr_assert_eq(if_nametoindex(TAP), 0,
			     "%s exists: the host interface started", TAP);
		child_kill(&helper);
		close(sv[0]);
		close(sv[1]);
	}
}

Test(helper_stream, socket_serves_one_client_at_a_time_then_the_next)
{
	int tap = stream_socket_helper();
	int a = served_client(tap, "a-1");

	/* While a is served, nobody else may connect, at once. */
	int b = client_connect();
	cr_assert_eq(b, -ECONNREFUSED, "a second client got %s",
		     b >= 0 ? "connected" : strerror(-b));
	tap_send(tap, "to-a");
	cr_assert(stream_recv(a, "to-a"), "a got nothing from %s", TAP);
	close(a);
	int c = next_client(tap, 2, "c-1");

	kill(helper.pid, SIGTERM);
	expect_exit(0, "stopped by SIGTERM");
	struct stat st;
	cr_assert_neq(lstat(sock_path, &st), 0, "%s left behind", sock_path);
	cr_assert(strstr(helper.err, "\"vm\":{\"packets\":2,"),
		  "not 2 frames from the VM over both clients:\n%s",
		  helper.err);
	close(c);
	close(tap);
}

/* A length no frame can have, and a client gone in the middle of a
 * frame: each ends that client, counted, and the helper serves the
 * next. */
Test(helper_stream, bad_length_and_half_frame_end_the_client_not_the_helper)
{
	unsigned char rec[4 + MARKER_FRAME_LEN];
	int tap = stream_socket_helper();
	uint32_t max = max_frame();

	int a = served_client(tap, "a-1");
	put_be32(rec, max + 1);
	memset(rec + 4, 0, MARKER_FRAME_LEN);
	write_all(a, rec, sizeof(rec));
	cr_assert(sees_end_of_file(a), "a length of %u did not end a:\n%s",
		  max + 1, helper.err);
	close(a);

	int b = next_client(tap, 2, "b-1");
	put_be32(rec, MARKER_FRAME_LEN);
	write_all(b, rec, 4 + 10); /* then b leaves, 50 bytes short */
	close(b);
	int c = next_client(tap, 3, "c-1");
	kill(helper.pid, SIGTERM);
	expect_exit(0, "stopped by SIGTERM");
	/* Frames a-1, b-1, c-1 delivered; the two bad records counted. */
	cr_assert(strstr(helper.err, "\"vm\":{\"packets\":3,"),
		  "not 3 frames from the VM:\n%s", helper.err);
	cr_assert(strstr(helper.err, "\"drop_truncated\":2"),
		  "the two bad records were not counted:\n%s", helper.err);
	close(c);
	close(tap);
}
