/* SPDX-License-Identifier: Apache-2.0 */
/* testutil.c - helpers shared by the Criterion tests. */
#include "testutil.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

#ifdef TEST_ASAN
/* Let ASan's allocator fail the way malloc does, so out-of-memory paths can
 * be tested: 8 GiB is far above anything a test allocates on purpose and
 * far below what the out-of-memory tests ask for. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1:max_allocation_size_mb=8192";
}
#endif

void test_limit_memory(uint64_t bytes)
{
#ifndef TEST_ASAN
	struct rlimit rl = {.rlim_cur = bytes, .rlim_max = bytes};

	cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0, "setrlimit(RLIMIT_AS)");
#else
	(void)bytes;
#endif
}

/*
 * Every test that touches devices runs as root in a network namespace of
 * its own: Criterion forks a process per test, and the namespace dies with
 * it, so no TAP or bridge outlives a test, even a failed one, and no frame
 * leaves it.
 */
void test_need_private_netns(void)
{
	struct ifreq ifr;
	int fd;

	if (geteuid() != 0)
		cr_skip_test("needs root and /dev/net/tun: %s",
			     "not running as root");
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		cr_skip_test("needs root and /dev/net/tun: /dev/net/tun: %s",
			     strerror(errno));
	if (unshare(CLONE_NEWNET) != 0)
		cr_skip_test(
		    "needs root and /dev/net/tun: unshare(CLONE_NEWNET)"
		    ": %s",
		    strerror(errno));

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	cr_assert_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0, "lo flags: %s",
		     strerror(errno));
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		cr_assert_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0, "lo up: %s",
			     strerror(errno));
	}
	close(fd);
}

void test_quiet_netns(void)
{
	static const char *const knobs[] = {
	    "/proc/sys/net/ipv6/conf/all/disable_ipv6",
	    "/proc/sys/net/ipv6/conf/default/disable_ipv6",
	};

	/* Without IPv6 the kernel sends nothing on a new link by itself
	 * (no router solicitations, no DAD), so a test sees only its own
	 * frames and a helper sees no traffic unless the test makes some. */
	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		int fd = open(knobs[i], O_WRONLY | O_CLOEXEC);

		if (fd < 0 && errno == ENOENT)
			return; /* a kernel without IPv6 is quiet already */
		cr_assert_geq(fd, 0, "%s: %s", knobs[i], strerror(errno));
		cr_assert_eq(write(fd, "1", 1), 1, "%s: %s", knobs[i],
			     strerror(errno));
		close(fd);
	}
}

int test_packet_socket(const char *ifname, uint16_t ethertype)
{
	unsigned idx = if_nametoindex(ifname);
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ethertype));
	struct sockaddr_ll ll = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ethertype),
				 .sll_ifindex = (int)idx};

	cr_assert_neq(idx, 0, "no %s: %s", ifname, strerror(errno));
	cr_assert_geq(fd, 0, "AF_PACKET: %s", strerror(errno));
	cr_assert_eq(bind(fd, (struct sockaddr *)&ll, sizeof(ll)), 0,
		     "bind AF_PACKET to %s: %s", ifname, strerror(errno));
	return fd;
}

void test_proc_status(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	out[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0) {
			const char *v = line + strlen(key);

			snprintf(out, len, "%s", v + strspn(v, " \t"));
		}
	fclose(f);
	for (n = strlen(out); n && strchr(" \t\n", out[n - 1]);)
		out[--n] = '\0';
}

void test_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	n = read(fd, buf, len - 1);
	close(fd);
	cr_assert_geq(n, 0, "%s: %s", path, strerror(errno));
	buf[n] = '\0';
}

void test_run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	cr_assert_eq(st, 0, "'%s' failed (status %d)", cmd, st);
}
