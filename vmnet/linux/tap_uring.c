/* SPDX-License-Identifier: Apache-2.0 */
/* tap_uring.c - batch writes to a TAP through io_uring. */
#include "tap_uring.h"

#include <errno.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Why io_uring: a TAP takes exactly one frame per write() and has no batch
 * write (writev() joins its iovecs into one frame), so a batch of 64 costs
 * 64 system calls. One io_uring submission carries the whole batch, and
 * tun's writes never block (its files are FMODE_NOWAIT and ours is
 * O_NONBLOCK), so the kernel completes each write inline, during the
 * submission, on our thread: no io-wq worker threads, nothing left in
 * flight when the call returns. perf/micro/linux/tap_write_bench measured it at
 * about 1.3 times the frames per second of write() for the same CPU
 * (docs/vmnet-helper.md has the figures).
 *
 * The TAP's fd is registered once, which saves looking it up per write.
 *
 * Why the ring is locked down: what a ring does is not a system call, so
 * the helper's seccomp filter (cli/vmnet-helper/linux/sandbox_linux.c)
 * never sees it; an unrestricted ring would let a hijacked helper open,
 * connect or read anything its uid may. So the ring starts disabled
 * (IORING_SETUP_R_DISABLED) and, before it is enabled, is restricted to
 * IORING_OP_WRITE on a registered file - the TAP is the only one - and to
 * one register operation, dropping that file at close (io_uring_register(2),
 * IORING_REGISTER_RESTRICTIONS, Linux 5.10). A kernel without restrictions
 * fails here, and the helper writes with write() instead.
 */

struct tap_uring {
	struct io_uring ring;
	unsigned max_batch;
	int *res; /* result of each frame's write, by index */
};

/* Lock the ring down as said above, then enable it. */
static int tap_uring_restrict(struct io_uring *ring)
{
	struct io_uring_restriction allowed[] = {
	    {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_WRITE},
	    {.opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED,
	     .sqe_flags = IOSQE_FIXED_FILE},
	    {.opcode = IORING_RESTRICTION_REGISTER_OP,
	     .register_op = IORING_UNREGISTER_FILES},
	};
	/* The system call itself: Debian's liburing 2.3 declares
	 * io_uring_register_restrictions() and io_uring_enable_rings() but
	 * does not export them (liburing.map lists them from 2.4 on). */
	if (syscall(__NR_io_uring_register, ring->ring_fd,
		    IORING_REGISTER_RESTRICTIONS, allowed,
		    sizeof(allowed) / sizeof(*allowed)) < 0 ||
	    syscall(__NR_io_uring_register, ring->ring_fd,
		    IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0)
		return -errno;
	return 0;
}

int tap_uring_open(int fd, unsigned max_batch, struct tap_uring **tup)
{
	struct tap_uring *tu;
	struct io_uring_probe *probe;
	int r;

	*tup = NULL;
	tu = calloc(1, sizeof(*tu));
	if (!tu)
		return -ENOMEM;
	tu->res = calloc(max_batch, sizeof(*tu->res));
	if (!tu->res) {
		free(tu);
		return -ENOMEM;
	}
	tu->max_batch = max_batch;
	r = io_uring_queue_init(max_batch, &tu->ring, IORING_SETUP_R_DISABLED);
	if (r < 0) {
		free(tu->res);
		free(tu);
		return r;
	}
	probe = io_uring_get_probe_ring(&tu->ring);
	if (!probe || !io_uring_opcode_supported(probe, IORING_OP_WRITE))
		r = -EOPNOTSUPP;
	io_uring_free_probe(probe);
	if (!r)
		r = io_uring_register_files(&tu->ring, &fd, 1);
	if (!r)
		r = tap_uring_restrict(&tu->ring);
	if (r < 0) {
		tap_uring_close(tu);
		return r;
	}
	*tup = tu;
	return 0;
}

/* Collect every completion queued so far into tu->res. */
static unsigned reap(struct tap_uring *tu)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;

	io_uring_for_each_cqe(&tu->ring, head, cqe)
	{
		if (cqe->user_data < tu->max_batch)
			tu->res[cqe->user_data] = cqe->res;
		seen++;
	}
	io_uring_cq_advance(&tu->ring, seen);
	return seen;
}

int tap_uring_write(struct tap_uring *tu, struct pkt *const *pkts, unsigned n,
		    bool (*gone)(int err))
{
	unsigned done = 0;
	int r;

	if (n == 0 || n > tu->max_batch)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		/* The ring has max_batch entries and is empty between
		 * calls, so there is always a free entry. */
		struct io_uring_sqe *sqe = io_uring_get_sqe(&tu->ring);

		io_uring_prep_write(sqe, 0, pkts[i]->data, pkts[i]->len, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
		sqe->user_data = i;
	}
	/* Completions are inline, so this normally returns with all n
	 * posted; the wait covers a kernel that punts some. */
	r = io_uring_submit_and_wait(&tu->ring, n);
	while (done += reap(tu), done < n) {
		if (r < 0 && r != -EINTR && r != -EAGAIN)
			return r; /* io_uring itself failed */
		r = io_uring_submit_and_wait(&tu->ring, n - done);
	}
	if (tu->res[0] < 0 && gone(-tu->res[0]))
		return -EPIPE;
	for (unsigned i = 0; i < n; i++)
		if (tu->res[i] != (int)pkts[i]->len)
			pkts[i]->flags |= PKT_F_UNSENT;
	return (int)n;
}

struct io_uring *tap_uring_ring(struct tap_uring *tu)
{
	return &tu->ring;
}

void tap_uring_close(struct tap_uring *tu)
{
	if (!tu)
		return;
	/* The ring is torn down asynchronously after its fd closes; the
	 * registered TAP fd would keep the TAP alive until then, so that a
	 * TAP we created would outlive the helper for a moment. Dropping the
	 * registration first makes close() final. */
	io_uring_unregister_files(&tu->ring);
	io_uring_queue_exit(&tu->ring);
	free(tu->res);
	free(tu);
}
