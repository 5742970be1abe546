/* SPDX-License-Identifier: Apache-2.0 */
/* testutil.h - helpers shared by the Criterion tests. */
#ifndef VMNET_HELPER_TESTUTIL_H
#define VMNET_HELPER_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Fail the current test with the scenario's own explanation. */
#define STRESS_ASSERT(expr)                                                    \
	do {                                                                   \
		struct stress_result r_ = (expr);                              \
		cr_assert(r_.ok, "%s", r_.why);                                \
	} while (0)

/**
 * test_limit_memory() - make allocations above @bytes fail in this process
 * @bytes:	address-space limit
 *
 * Criterion runs every test in its own process, so the limit ends with the
 * test. Sanitized builds map huge shadow regions, so there the limit comes
 * from the sanitizer's own max_allocation_size_mb (see testutil.c) instead.
 */
void test_limit_memory(uint64_t bytes);

/**
 * test_need_private_netns() - skip unless root with /dev/net/tun, then move
 * the test into a network namespace of its own, with lo up
 *
 * Every test that touches devices runs that way: Criterion forks a process
 * per test, and the namespace dies with it, so no TAP or bridge outlives a
 * test, even a failed one, and no frame leaves it.
 */
void test_need_private_netns(void);

/**
 * test_quiet_netns() - turn IPv6 off in the test's namespace, so no frame
 * moves that the test did not send
 */
void test_quiet_netns(void);

/**
 * test_packet_socket() - an AF_PACKET socket bound to @ifname: frames the
 * interface receives (from a helper writing to its TAP) arrive here, and
 * frames sent here go out of it (to the helper reading the TAP)
 * @ifname:	interface, e.g. a TAP
 * @ethertype:	frames to get, e.g. ETH_P_ALL, in host order
 *
 * Return: the fd; the test fails if it cannot be made.
 */
int test_packet_socket(const char *ifname, uint16_t ethertype);

/**
 * test_proc_status() - one value of a process's /proc/PID/status, as the
 * kernel reports it, for what a program's log cannot prove (its ids, its
 * capabilities, its seccomp mode)
 * @pid:	process
 * @key:	the line's name with its colon, e.g. "CapBnd:"
 * @out:	the value, blanks around it removed ("0000000000000000"), or ""
 *		when there is no such line
 * @len:	room in @out
 *
 * The test fails if the file cannot be read.
 */
void test_proc_status(pid_t pid, const char *key, char *out, size_t len);

/**
 * test_read_file() - a small file's contents as a string
 * @path:	the file
 * @buf:	its bytes and a NUL; what does not fit is left out
 * @len:	room in @buf
 *
 * The test fails if the file cannot be opened or read.
 */
void test_read_file(const char *path, char *buf, size_t len);

/**
 * test_run() - run a shell command (ip, bridge, ...) with system(); it must
 * succeed
 * @fmt:	the command, printf-style
 *
 * The test fails, naming the command and its status, if it does not exit 0.
 */
void test_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
