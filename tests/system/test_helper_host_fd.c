/* SPDX-License-Identifier: Apache-2.0 */
/* test_helper_host_fd.c - --host-fd through the real binary: two helpers
 * whose host sides are the two ends of one socketpair carry frames VM to
 * VM both ways, each bad frame is counted by the helper it entered, the
 * counters add up exactly, either VM leaving ends both helpers with status
 * 0, and a bad host fd is refused before anything starts. No TAP and no
 * privilege are needed, so these run as any user; as root the helper
 * drops to the SUDO_UID given and runs under its system call filter,
 * which kills it on any call the filter lacks. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "marker_frame.h"

#define WAIT_MS 10000 /* generous: the ASan build is slow */
/* Each way, all sent before any is read: within what a socket queues
 * towards the test even with the send buffer at the default
 * net.core.wmem_max (a helper that is not root cannot raise it). */
#define FRAMES 100
#define UUID_A "6f1d3c2a-9b7e-4e5f-8a1b-2c3d4e5f6a01"
#define UUID_B "6f1d3c2a-9b7e-4e5f-8a1b-2c3d4e5f6a02"

static struct child a, b;

static void setup(void)
{
	a.pid = b.pid = -1;
	a.pidfd = b.pidfd = -1;
	a.out_fd = a.err_fd = b.out_fd = b.err_fd = -1;
}

static void cleanup(void)
{
	child_kill(&a);
	child_kill(&b);
}

TestSuite(helper_host_fd, .init = setup, .fini = cleanup);

static void pair(int sv[2], int type)
{
	cr_assert_eq(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0,
		     "socketpair: %s", strerror(errno));
}

/* vmnet-helper --fd 3 --host-fd 4 @extra..., the VM's socket @vm as fd 3
 * and the host side @host as fd 4. As root it is told to drop to nobody,
 * as sudo would tell it. */
static void start(struct child *c, int vm, int host, const char *const *extra)
{
	char *argv[24] = {(char *)child_program("vmnet-helper"), "--fd", "3",
			  "--host-fd", "4"};
	char *env[] = {"SUDO_UID=65534", "SUDO_GID=65534", NULL};
	struct child_fd fds[] = {{3, vm}, {4, host}};
	int n = 5;

	cr_assert_eq(access(argv[0], X_OK), 0,
		     "%s is not built beside the tests", argv[0]);
	for (; extra && *extra && n < 23; extra++)
		argv[n++] = (char *)*extra;
	argv[n] = NULL;
	int r = child_start(c, argv, geteuid() == 0 ? env : NULL, fds, 2);
	cr_assert_eq(r, 0, "cannot start %s: %s", argv[0], strerror(-r));
}

/* The helper's JSON line, once it is there. */
static struct json_object *json_line(struct child *c)
{
	cr_assert(child_wait_for(c, true, "}\n", WAIT_MS),
		  "no JSON line; stderr:\n%s", c->err);
	struct json_object *o = json_tokener_parse(c->out);
	cr_assert_not_null(o, "not JSON: %s", c->out);
	return o;
}

static const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	cr_assert(json_object_object_get_ex(o, key, &v), "no \"%s\" in %s", key,
		  json_object_to_json_string(o));
	return json_object_get_string(v);
}

/* What a tool parses: vmnet-helper's keys with the TAP's sizes; no TAP or
 * subnet key, since there is neither. @uuid: the --interface-id given, or
 * NULL for a new one. */
static void expect_json(struct child *c, const char *uuid)
{
	struct json_object *o = json_line(c), *v;

	if (uuid)
		cr_expect_str_eq(json_str(o, "vmnet_interface_id"), uuid);
	else
		cr_expect_eq(strlen(json_str(o, "vmnet_interface_id")), 36);
	cr_expect_eq(strlen(json_str(o, "vmnet_mac_address")), 17);
	cr_expect_str_eq(json_str(o, "vmnet_mtu"), "1500");
	cr_expect_str_eq(json_str(o, "vmnet_max_packet_size"), "1514");
	cr_expect_str_eq(json_str(o, "vmnet_read_max_packets"), "64");
	cr_expect_str_eq(json_str(o, "vmnet_write_max_packets"), "64");
	for (const char *const *k =
		 (const char *const[]){"tap_name", "bridge",
				       "vmnet_subnet_mask", NULL};
	     *k; k++)
		cr_expect_not(json_object_object_get_ex(o, *k, &v),
			      "\"%s\" without a TAP: %s", *k, c->out);
	json_object_put(o);
	/* Root is dropped and the filter is on before the first frame. */
	if (geteuid() == 0)
		cr_expect(strstr(c->err, "dropped privileges to uid: 65534"),
			  "%s", c->err);
	cr_expect(child_wait_for(c, false, "system call filter on", WAIT_MS),
		  "%s", c->err);
}

static void send_marker(int fd, const char *fmt, int i)
{
	unsigned char f[MARKER_FRAME_LEN];
	char m[32];

	snprintf(m, sizeof(m), fmt, i);
	size_t n = marker_frame_make(f, m);
	cr_assert_eq(send(fd, f, n, 0), (ssize_t)n, "send %s: %s", m,
		     strerror(errno));
}

static void send_len(int fd, size_t len)
{
	static unsigned char f[2048];

	memset(f, 0xab, sizeof(f));
	cr_assert_eq(send(fd, f, len, 0), (ssize_t)len, "send %zu bytes: %s",
		     len, strerror(errno));
}

/* The next frame on @fd is marker @fmt % @i: frames come in order and
 * nothing else comes between them (the bad frames were dropped). */
static void expect_marker(int fd, const char *fmt, int i)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	unsigned char f[2048];
	char want[32];

	snprintf(want, sizeof(want), fmt, i);
	cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "no frame %s; stderr:\n%s%s",
		     want, a.err, b.err);
	ssize_t n = recv(fd, f, sizeof(f), 0);
	cr_assert_eq(n, MARKER_FRAME_LEN, "frame %s: %zd bytes", want, n);
	const char *m = marker_frame_of(f, n);
	cr_assert(m && strcmp(m, want) == 0, "want %s, got %s", want,
		  m ? m : "a frame not ours");
}

static uint64_t counter(struct json_object *o, const char *dir, const char *key)
{
	struct json_object *d, *v;

	cr_assert(json_object_object_get_ex(o, dir, &d), "no %s", dir);
	cr_assert(json_object_object_get_ex(d, key, &v), "no %s.%s", dir, key);
	return (uint64_t)json_object_get_int64(v);
}

/* Wait for @c to exit with status 0 saying @why, and return its final
 * counters; each direction's add up: read = delivered + dropped. */
static struct json_object *final_counters(struct child *c, const char *why)
{
	int st = child_wait_exit(c, WAIT_MS);

	cr_assert_eq(st, 0, "exit status %d; stderr:\n%s", st, c->err);
	cr_assert(strstr(c->err, why), "no '%s' in:\n%s", why, c->err);
	const char *line = strstr(c->err, "final counters ");
	cr_assert_not_null(line, "no final counters:\n%s", c->err);
	struct json_object *o =
	    json_tokener_parse(line + strlen("final counters "));
	cr_assert_not_null(o, "final counters are not JSON:\n%s", c->err);
	for (const char *const *d = (const char *const[]){"host", "vm", NULL};
	     *d; d++)
		cr_assert_eq(counter(o, *d, "read_packets"),
			     counter(o, *d, "packets") +
				 counter(o, *d, "drops"),
			     "%s does not add up:\n%s", *d, c->err);
	return o;
}

/* VM A -- helper a -- one socketpair -- helper b -- VM B. */
Test(helper_host_fd, two_helpers_on_one_socketpair_join_two_vms)
{
	int vma[2], vmb[2], cable[2];

	pair(vma, SOCK_DGRAM);
	pair(vmb, SOCK_DGRAM);
	pair(cable, SOCK_DGRAM);
	start(&a, vma[1], cable[0],
	      (const char *const[]){"--interface-id", UUID_A, NULL});
	start(&b, vmb[1], cable[1],
	      (const char *const[]){"--interface-id", UUID_B, NULL});
	close(vma[1]);
	close(vmb[1]);
	close(cable[0]);
	close(cable[1]);
	expect_json(&a, UUID_A);
	expect_json(&b, UUID_B);

	/* A runt from VM A and a frame longer than 1514 bytes from VM B:
	 * each dropped and counted by the helper it entered. */
	send_len(vma[0], 10);
	send_len(vmb[0], 1600);
	for (int i = 0; i < FRAMES; i++) {
		send_marker(vma[0], "a%d", i);
		send_marker(vmb[0], "b%d", i);
	}
	for (int i = 0; i < FRAMES; i++) {
		expect_marker(vmb[0], "a%d", i);
		expect_marker(vma[0], "b%d", i);
	}

	/* VM A leaves: helper a sees its VM go, helper b its host side. */
	close(vma[0]);
	struct json_object *ca = final_counters(&a, "the VM closed its socket");
	struct json_object *cb =
	    final_counters(&b, "the other end of the host socket closed");
	cr_expect_eq(counter(ca, "vm", "read_packets"), FRAMES + 1);
	cr_expect_eq(counter(ca, "vm", "packets"), FRAMES);
	cr_expect_eq(counter(ca, "vm", "drop_runt"), 1);
	cr_expect_eq(counter(ca, "host", "packets"), FRAMES);
	cr_expect_eq(counter(ca, "host", "drops"), 0);
	cr_expect_eq(counter(cb, "vm", "read_packets"), FRAMES + 1);
	cr_expect_eq(counter(cb, "vm", "packets"), FRAMES);
	cr_expect_eq(counter(cb, "vm", "drop_truncated"), 1);
	cr_expect_eq(counter(cb, "host", "packets"), FRAMES);
	cr_expect_eq(counter(cb, "host", "drops"), 0);
	json_object_put(ca);
	json_object_put(cb);
	close(vmb[0]);
}

/* The test is the other end of the host side: what comes from there is
 * checked as what comes from a TAP is. */
Test(helper_host_fd, bad_frames_from_the_host_side_are_counted_not_passed)
{
	int vm[2], host[2];

	pair(vm, SOCK_DGRAM);
	pair(host, SOCK_DGRAM);
	start(&a, vm[1], host[1], NULL);
	close(vm[1]);
	close(host[1]);
	expect_json(&a, NULL);
	send_len(host[0], 13);
	send_len(host[0], 1515);
	send_marker(host[0], "h%d", 0);
	send_marker(vm[0], "v%d", 0);
	expect_marker(vm[0], "h%d", 0);
	expect_marker(host[0], "v%d", 0);
	kill(a.pid, SIGTERM);
	struct json_object *c = final_counters(&a, "stopped by SIGTERM");
	cr_expect_eq(counter(c, "host", "read_packets"), 3);
	cr_expect_eq(counter(c, "host", "drop_runt"), 1);
	cr_expect_eq(counter(c, "host", "drop_truncated"), 1);
	cr_expect_eq(counter(c, "host", "packets"), 1);
	cr_expect_eq(counter(c, "vm", "packets"), 1);
	json_object_put(c);
	close(vm[0]);
	close(host[0]);
}

/* With --socket the host side's other end may go while no VM is there. */
Test(helper_host_fd, other_end_closing_while_waiting_for_a_client_ends_it)
{
	char dir[] = "/tmp/vmh-hostfd-XXXXXX", path[64];
	int host[2];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	pair(host, SOCK_DGRAM);
	char *argv[] = {(char *)child_program("vmnet-helper"),
			"--socket",
			path,
			"--host-fd",
			"4",
			NULL};
	struct child_fd fd = {4, host[1]};
	cr_assert_eq(child_start(&a, argv, NULL, &fd, 1), 0);
	close(host[1]);
	cr_assert(child_wait_for(&a, false, "waiting for client", WAIT_MS),
		  "%s", a.err);
	close(host[0]);
	int st = child_wait_exit(&a, WAIT_MS);
	cr_expect_eq(st, 0, "status %d:\n%s", st, a.err);
	cr_expect(strstr(a.err, "the other end of the host socket closed "
				"while waiting for a client"),
		  "%s", a.err);
	cr_expect_neq(access(path, F_OK), 0, "%s left behind", path);
	rmdir(dir);
}

/* Each wrong host fd is named, with status 1, before the JSON line. */
Test(helper_host_fd, bad_host_fds_are_refused_before_anything_starts)
{
	int vm[2], stream[2], gone[2], fds[2];

	pair(vm, SOCK_DGRAM);
	pair(stream, SOCK_STREAM);
	pair(gone, SOCK_DGRAM);
	close(gone[0]);
	cr_assert_eq(pipe(fds), 0);
	const struct {
		int fd; /* given as fd 4, or -1: none */
		const char *want;
		const char *not_want;
	} rows[] = {
	    {-1, "--host-fd 4: not an open file descriptor", NULL},
	    {fds[0], "--host-fd 4: not a socket (it is a pipe", NULL},
	    {stream[1],
	     "--host-fd 4: a stream socket, but frames travel one per "
	     "datagram; pass one end of a socketpair(AF_UNIX, SOCK_DGRAM)",
	     "--stream"},
	    {gone[1],
	     "--host-fd 4: the other end of this socket is already closed",
	     NULL},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *argv[] = {(char *)child_program("vmnet-helper"),
				"--fd",
				"3",
				"--host-fd",
				"4",
				NULL};
		struct child_fd pass[] = {{3, vm[1]}, {4, rows[i].fd}};
		int st;

		cr_assert_eq(
		    child_start(&a, argv, NULL, pass, rows[i].fd >= 0 ? 2 : 1),
		    0);
		st = child_wait_exit(&a, WAIT_MS);
		cr_expect_eq(st, 1, "row %zu: status %d:\n%s", i, st, a.err);
		cr_expect(strstr(a.err, rows[i].want),
			  "row %zu: no '%s' in:\n%s", i, rows[i].want, a.err);
		if (rows[i].not_want)
			cr_expect_not(strstr(a.err, rows[i].not_want),
				      "row %zu: '%s' in:\n%s", i,
				      rows[i].not_want, a.err);
		cr_expect_eq(a.out_len, 0, "row %zu printed: %s", i, a.out);
	}
	close(vm[0]);
	close(vm[1]);
	close(stream[0]);
	close(stream[1]);
	close(gone[1]);
	close(fds[0]);
	close(fds[1]);
}
