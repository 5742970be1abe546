/* SPDX-License-Identifier: Apache-2.0 */
/* dgram_util.c - datagram sockets and numbered test frames for the tests
 * of dgram_io and endpoint_dgram; see dgram_util.h. */
#include "dgram_util.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void dgram_util_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	cr_assert_neq(fl, -1, "F_GETFL: %s", strerror(errno));
	cr_assert_eq(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0, "F_SETFL: %s",
		     strerror(errno));
}

void dgram_util_pair(int sv[2])
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0,
		     "socketpair: %s", strerror(errno));
	dgram_util_nonblocking(sv[0]);
	dgram_util_nonblocking(sv[1]);
}

struct pool *dgram_util_pool(uint32_t count, uint32_t frame_size)
{
	struct pool *p;

	cr_assert_eq(pool_create(count, frame_size, &p), 0);
	return p;
}

void dgram_util_take(struct pool *p, struct pkt **pkts, unsigned n)
{
	cr_assert_eq(pool_get_burst(p, pkts, n), n);
}

/* Byte i of frame seq: the sequence number in the first four bytes, then a
 * pattern that differs from frame to frame and from byte to byte. */
static unsigned char frame_byte(uint32_t seq, uint32_t i)
{
	if (i < 4)
		return (unsigned char)(seq >> (8 * i));
	return (unsigned char)(seq * 31u + i * 7u + (i >> 8));
}

void dgram_util_fill(struct pkt *pkt, uint32_t len, uint32_t seq)
{
	pkt->len = len;
	pkt->flags = 0;
	for (uint32_t i = 0; i < len; i++)
		pkt->data[i] = frame_byte(seq, i);
}

uint32_t dgram_util_seq(const struct pkt *pkt)
{
	uint32_t seq = 0;

	for (uint32_t i = 0; i < 4; i++)
		seq |= (uint32_t)pkt->data[i] << (8 * i);
	return seq;
}

/* Checks data[0 .. upto) against the pattern of frame seq. */
void dgram_util_check(const struct pkt *pkt, uint32_t upto, uint32_t seq)
{
	for (uint32_t i = 0; i < upto; i++)
		cr_assert_eq(pkt->data[i], frame_byte(seq, i),
			     "frame %u byte %u", seq, i);
}

int dgram_util_bound(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	cr_assert_neq(fd, -1, "socket: %s", strerror(errno));
	dgram_util_nonblocking(fd);
	if (path) {
		cr_assert_lt(strlen(path), sizeof(sa.sun_path));
		strcpy(sa.sun_path, path);
		cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
			     "bind %s: %s", path, strerror(errno));
	}
	return fd;
}

void dgram_util_connect(int fd, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	strcpy(sa.sun_path, path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
		     "connect %s: %s", path, strerror(errno));
}
