/* SPDX-License-Identifier: Apache-2.0 */
/* tap_uring.h - write a batch of frames to a TAP with one io_uring
 * submission instead of one write() each. */
#ifndef VMNET_HELPER_TAP_URING_H
#define VMNET_HELPER_TAP_URING_H

#include <stdbool.h>

#include "pool.h"

struct tap_uring;
struct io_uring;

/**
 * tap_uring_open() - set up batch writes to @fd
 * @fd:		the TAP's fd, nonblocking; not owned, must outlive it
 * @max_batch:	largest batch tap_uring_write() will get
 * @tup:	on success, the writer
 *
 * The ring can do nothing but write to @fd (tap_uring.c says why). Fails
 * where io_uring is missing or forbidden (kernel.io_uring_disabled, a
 * seccomp filter such as Docker's default) or cannot be restricted (a
 * kernel before 5.10): the caller then writes one frame per write().
 *
 * Return: 0, or a negative errno naming why not.
 */
int tap_uring_open(int fd, unsigned max_batch, struct tap_uring **tup);

/**
 * tap_uring_write() - write @n frames in order with one submission
 * @tu:		writer
 * @pkts:	frames
 * @n:		1 to max_batch
 * @gone:	tells whether a write error means the TAP is gone
 *
 * Every frame is handed to the kernel at once, so one that fails cannot be
 * retried without reordering the ones after it: it is flagged
 * PKT_F_UNSENT and counts as consumed.
 *
 * Return: @n, or -EPIPE when the first frame failed because the TAP is
 * gone, or the negative errno of io_uring itself failing.
 */
int tap_uring_write(struct tap_uring *tu, struct pkt *const *pkts, unsigned n,
		    bool (*gone)(int err));

/**
 * tap_uring_ring() - the ring itself, for tests that check what it refuses
 * @tu:	writer
 *
 * Return: the ring, owned by @tu.
 */
struct io_uring *tap_uring_ring(struct tap_uring *tu);

/**
 * tap_uring_close() - free the writer; does not close the TAP
 * @tu:	writer, or NULL
 */
void tap_uring_close(struct tap_uring *tu);

#endif
