/* SPDX-License-Identifier: Apache-2.0 */
/* endpoint_dgram.h - an endpoint over a connected unix datagram socket: the
 * VM's socket (--fd, or --socket serving one client), and a host endpoint
 * for tests, benchmarks and VM-to-VM cables. */
#ifndef VMNET_HELPER_ENDPOINT_DGRAM_H
#define VMNET_HELPER_ENDPOINT_DGRAM_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

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

/**
 * endpoint_dgram_open_client() - like endpoint_dgram_open(), for a bound
 * socket connected to one client: frames from any other sender are flagged
 * PKT_F_FOREIGN, so the engine drops and counts them
 * @fd:		bound SOCK_DGRAM socket, connect()ed to @client
 * @name:	as for endpoint_dgram_open()
 * @max_frame:	likewise
 * @max_batch:	likewise
 * @client:	the client's address; copied
 * @client_len:	its length
 * @epp:	on success, the endpoint
 *
 * Linux already refuses other senders of a connected socket (they get
 * EPERM), so there the filter never fires; macOS delivers their datagrams.
 * Each receive asks for every datagram's sender, which costs a copy of the
 * address; --fd sockets use endpoint_dgram_open() and pay nothing.
 *
 * Return: 0 or a negative errno; on failure @fd is not closed.
 */
int endpoint_dgram_open_client(int fd, const char *name, uint32_t max_frame,
			       unsigned max_batch,
			       const struct sockaddr_un *client,
			       socklen_t client_len, struct endpoint **epp);

#endif
