/* SPDX-License-Identifier: Apache-2.0 */
/* tap_uring.h - read and write batches of frames on a TAP with one io_uring
 * submission each instead of one read() or write() per frame. */
#ifndef VMNET_HELPER_TAP_URING_H
#define VMNET_HELPER_TAP_URING_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "pool.h"

struct tap_uring;
struct io_uring;

/**
 * tap_uring_open() - set up batch I/O on @fd
 * @fd:		the TAP's fd, nonblocking; not owned, must outlive it
 * @max_batch:	largest batch tap_uring_read() and tap_uring_write() get
 * @tup:	on success, the object
 *
 * The ring can do nothing but read and write @fd and register the
 * engine's buffers (tap_uring.c says why). Fails where io_uring is missing
 * or forbidden (kernel.io_uring_disabled, a seccomp filter such as
 * Docker's default) or cannot be restricted (a kernel before 5.10): the
 * caller then reads and writes one frame per call.
 *
 * Return: 0, or a negative errno naming why not.
 */
int tap_uring_open(int fd, unsigned max_batch, struct tap_uring **tup);

/**
 * tap_uring_use_buffers() - register the memory frames lie in
 * @tu:		object
 * @regions:	up to 2 blocks (the engine's pools); NULL with @n 0 forgets
 *		the ones registered before
 * @n:		how many
 *
 * Reads and writes of frames inside them then use the fixed-buffer
 * opcodes, which skip mapping user memory per frame; frames elsewhere are
 * read and written as before. Registration pins the pages and counts
 * against RLIMIT_MEMLOCK, so it can fail (-ENOMEM) for big pools.
 *
 * Return: 0, or a negative errno (nothing is registered then).
 */
int tap_uring_use_buffers(struct tap_uring *tu, const struct iovec *regions,
			  unsigned n);

/**
 * tap_uring_write() - write @n frames in order with one submission
 * @tu:		object
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
 * tap_uring_read() - read up to @n frames, one per buffer, in one
 * submission
 * @tu:		object
 * @pkts:	buffers; those that got a frame are moved to the front, in
 *		the order the frames came
 * @n:		1 to max_batch
 * @cap:	bytes to ask for per frame (room in each buffer)
 * @gone:	tells whether a read error means the TAP is gone
 *
 * A TAP read returns at most one frame and there is no way to ask how many
 * are queued, so this submits as many reads as the last calls suggest will
 * find a frame (at most @n): one more than came when the TAP ran empty,
 * twice as many when all of them found one. The reads that find it empty
 * complete at once with EAGAIN.
 *
 * Return: frames read (>= 1), -EAGAIN when there were none, -EPIPE when the
 * TAP is gone, or another negative errno.
 */
int tap_uring_read(struct tap_uring *tu, struct pkt **pkts, unsigned n,
		   size_t cap, bool (*gone)(int err));

/**
 * tap_uring_ring() - the ring itself, for tests that check what it refuses
 * @tu:	object
 *
 * Return: the ring, owned by @tu.
 */
struct io_uring *tap_uring_ring(struct tap_uring *tu);

/**
 * tap_uring_close() - free the object; does not close the TAP
 * @tu:	object, or NULL
 */
void tap_uring_close(struct tap_uring *tu);

#endif
