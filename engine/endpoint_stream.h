/* SPDX-License-Identifier: Apache-2.0 */
/* endpoint_stream.h - an endpoint over a connected unix stream socket that
 * carries each frame after its length, a 4-byte big-endian integer: the
 * framing of QEMU's -netdev stream and -netdev socket, and of socket_vmnet
 * and its clients (socket_vmnet_client, lima, colima). */
#ifndef VMNET_HELPER_ENDPOINT_STREAM_H
#define VMNET_HELPER_ENDPOINT_STREAM_H

#include <stdint.h>

#include "endpoint.h"

/* Bytes of the length before each frame. */
#define ENDPOINT_STREAM_HEADER 4

/**
 * endpoint_stream_open() - wrap @fd as an endpoint
 * @fd:		connected SOCK_STREAM socket (accepted, or one end of a
 *		socketpair); made nonblocking; owned from now on and closed
 *		by endpoint_close()
 * @name:	name for log lines, e.g. "vm socket"; must outlive it
 * @max_frame:	largest frame either way, e.g. 1514, or 65550 with TSO
 * @max_batch:	largest batch the engine will pass
 * @epp:	on success, the endpoint
 *
 * Reads take whatever the kernel has in one read() and cut it into
 * frames, so a length or a frame split across reads is joined. A length
 * below ENDPOINT_MIN_FRAME is a runt: the frame is returned for the engine
 * to count (drop_runt) and the stream goes on. A length above @max_frame,
 * or an end of file in the middle of a frame, cannot be a frame: one
 * buffer flagged PKT_F_TRUNCATED is returned for it (drop_truncated), a
 * warning is logged once, and the next read returns -ECONNRESET: that
 * client is over, the helper is not. Writes hand a whole batch to the
 * kernel in one sendmsg(); a frame the kernel takes only part of is
 * finished, from a copy, before any later frame, so the stream never
 * loses step.
 *
 * Return: 0 or a negative errno; on failure @fd is not closed.
 */
int endpoint_stream_open(int fd, const char *name, uint32_t max_frame,
			 unsigned max_batch, struct endpoint **epp);

#endif
