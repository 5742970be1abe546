/* SPDX-License-Identifier: Apache-2.0 */
/* test_tap_uring.c - the TAP's io_uring, over a pipe: a batch goes out
 * whole and in order, and the ring refuses everything but reads and writes
 * of its one registered file, which the helper's seccomp filter relies on
 * (io_uring operations are not system calls, so the filter never sees
 * them). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmnet/linux/tap_uring.h"
#include "pool.h"

static int pipefd[2] = {-1, -1};
static struct tap_uring *tu;
static struct pool *pool;

static void cleanup(void)
{
	tap_uring_close(tu);
	tu = NULL;
	pool_destroy(pool);
	pool = NULL;
	for (int i = 0; i < 2; i++)
		if (pipefd[i] >= 0)
			close(pipefd[i]);
}

TestSuite(tap_uring, .fini = cleanup);

/* A writer on the pipe's write end, as the TAP's would be. */
static void open_on_pipe(void)
{
	cr_assert_eq(pipe2(pipefd, O_NONBLOCK | O_CLOEXEC), 0);
	int r = tap_uring_open(pipefd[1], 4, &tu);
	if (r == -ENOSYS || r == -EPERM)
		cr_skip_test("io_uring is not available here: %s",
			     strerror(-r));
	cr_assert_eq(r, 0, "tap_uring_open: %s", strerror(-r));
}

/* Submit the one prepared entry; return its result. */
static int submit_one(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int r = io_uring_submit_and_wait(ring, 1);

	if (r < 0)
		return r; /* refused at submission */
	cr_assert_eq(io_uring_peek_cqe(ring, &cqe), 0, "no completion");
	r = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return r;
}

static bool never_gone(int err)
{
	(void)err;
	return false;
}

Test(tap_uring, writes_a_batch_whole_and_in_order)
{
	struct pkt *pkts[3];
	char got[64];

	open_on_pipe();
	cr_assert_eq(pool_create(3, 16, &pool), 0);
	cr_assert_eq(pool_get_burst(pool, pkts, 3), 3);
	for (int i = 0; i < 3; i++) {
		pkts[i]->len = (uint32_t)snprintf((char *)pkts[i]->data, 16,
						  "frame-%d;", i);
		pkts[i]->flags = 0;
	}
	cr_assert_eq(tap_uring_write(tu, pkts, 3, never_gone), 3);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(pkts[i]->flags & PKT_F_UNSENT, 0, "frame %d", i);
	ssize_t n = read(pipefd[0], got, sizeof(got) - 1);
	cr_assert_gt(n, 0);
	got[n] = '\0';
	cr_assert_str_eq(got, "frame-0;frame-1;frame-2;");
}

Test(tap_uring, ring_refuses_all_but_reads_and_writes_of_its_registered_file)
{
	struct io_uring_sqe *sqe;
	struct io_uring *ring;
	char byte = 'x';

	open_on_pipe();
	ring = tap_uring_ring(tu);

	/* What the writer does works: a write to registered file 0. */
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_write(sqe, 0, &byte, 1, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	cr_assert_eq(submit_one(ring), 1, "the allowed write failed");

	/* A write or read by plain fd number could reach any fd of the
	 * process. */
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_write(sqe, pipefd[1], &byte, 1, 0);
	cr_assert_eq(submit_one(ring), -EACCES, "write to a plain fd");
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_read(sqe, pipefd[0], &byte, 1, 0);
	cr_assert_eq(submit_one(ring), -EACCES, "read of a plain fd");

	/* Any other operation: opening a file, or a no-op. */
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_openat(sqe, AT_FDCWD, "/proc/self/status", O_RDONLY, 0);
	cr_assert_eq(submit_one(ring), -EACCES, "openat");
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_nop(sqe);
	cr_assert_eq(submit_one(ring), -EACCES, "nop");

	/* Nor can the registered file be swapped for another, or more
	 * files added. */
	int other = pipefd[0];
	cr_assert_eq(io_uring_register_files_update(ring, 0, &other, 1),
		     -EACCES, "files update");
	cr_assert_eq(io_uring_register_files(ring, &other, 1), -EACCES,
		     "files register");

	char got[4];
	cr_assert_eq(read(pipefd[0], got, sizeof(got)), 1,
		     "only the allowed write should have reached the pipe");
}
