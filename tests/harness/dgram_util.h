/* SPDX-License-Identifier: Apache-2.0 */
/* dgram_util.h - datagram sockets and numbered test frames for the tests
 * of dgram_io and endpoint_dgram; each fails the test when the system
 * refuses. */
#ifndef VMNET_HELPER_DGRAM_UTIL_H
#define VMNET_HELPER_DGRAM_UTIL_H

#include <stdint.h>

#include "pool.h"

/* An Ethernet frame of a 1500-byte MTU. */
#define ETH_FRAME 1514u

/* Make @fd nonblocking. */
void dgram_util_nonblocking(int fd);

/* A nonblocking AF_UNIX, SOCK_DGRAM socketpair. */
void dgram_util_pair(int sv[2]);

/* A pool of @count buffers of @frame_size bytes. */
struct pool *dgram_util_pool(uint32_t count, uint32_t frame_size);

/* Take @n buffers from @p. */
void dgram_util_take(struct pool *p, struct pkt **pkts, unsigned n);

/* Make @pkt frame @seq of @len bytes: @seq in the first four bytes, then
 * a pattern that differs from frame to frame and from byte to byte. */
void dgram_util_fill(struct pkt *pkt, uint32_t len, uint32_t seq);

/* The sequence number dgram_util_fill() wrote. */
uint32_t dgram_util_seq(const struct pkt *pkt);

/* Check data[0 .. @upto) against the pattern of frame @seq. */
void dgram_util_check(const struct pkt *pkt, uint32_t upto, uint32_t seq);

/* A nonblocking AF_UNIX datagram socket, bound at @path unless NULL. */
int dgram_util_bound(const char *path);

/* connect() @fd to the socket at @path. */
void dgram_util_connect(int fd, const char *path);

#endif
