/* SPDX-License-Identifier: Apache-2.0 */
/* endpoint_dgram.h - an endpoint over a connected unix datagram socket: the
 * VM's socket, and a host endpoint for tests, benchmarks and VM-to-VM
 * cables. */
#ifndef VMNET_HELPER_ENDPOINT_DGRAM_H
#define VMNET_HELPER_ENDPOINT_DGRAM_H

#include <stdint.h>

#include "endpoint.h"

/**
 * endpoint_dgram_open() - wrap @fd as an endpoint
 * @fd:		connected SOCK_DGRAM socket (one end of a socketpair, or
 *		connect()ed); made nonblocking; owned from now on and closed
 *		by endpoint_close()
 * @name:	name for log lines, e.g. "vm socket"; must outlive it
 * @max_frame:	largest frame, e.g. 1514, or 65550 with TSO
 * @max_batch:	largest batch the engine will pass
 * @epp:	on success, the endpoint
 *
 * Return: 0 or a negative errno; on failure @fd is not closed.
 */
int endpoint_dgram_open(int fd, const char *name, uint32_t max_frame,
			unsigned max_batch, struct endpoint **epp);

#endif
