/* SPDX-License-Identifier: Apache-2.0 */
/* tap_uring.c - batch reads and writes on a TAP through io_uring. */
#include "tap_uring.h"

#include <errno.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Why io_uring: a TAP takes and gives exactly one frame per write() and
 * read() and has no batch call (writev() joins its iovecs into one frame),
 * so a batch of 64 costs 64 system calls. One io_uring submission carries
 * the whole batch. tun never blocks (its file is FMODE_NOWAIT; our writes
 * never wait and our reads carry RWF_NOWAIT, so one that finds nothing
 * completes with -EAGAIN instead of arming a poll), so the kernel runs each
 * request inline, during the submission, on our thread: no io-wq worker
 * threads, nothing in flight when the call returns.
 *
 * perf/micro/linux/tap_write_bench measured the batched writes at about
 * 1.3 times the frames per second of write() for the same CPU, and
 * registering the buffers (tap_uring_use_buffers()) adds a little more
 * (docs/vmnet-helper.md); the suite's figures for the batched reads are in
 * docs/performance.md.
 *
 * The TAP's fd is registered once, which saves looking it up per request.
 *
 * Why the ring is locked down: what a ring does is not a system call, so
 * the helper's seccomp filter (cli/vmnet-helper/linux/sandbox_linux.c)
 * never sees it; an unrestricted ring would let a hijacked helper open,
 * connect or read anything its uid may. So the ring starts disabled
 * (IORING_SETUP_R_DISABLED) and, before it is enabled, is restricted to
 * reads and writes (plain and fixed-buffer) on a registered file - the TAP
 * is the only one - and to three register operations: registering the
 * engine's buffers, dropping them, and dropping the file at close
 * (io_uring_register(2), IORING_REGISTER_RESTRICTIONS, Linux 5.10). A
 * registered buffer only names memory the helper already owns, and the
 * file table cannot change, so the ring still reaches nothing but the TAP.
 * A kernel without restrictions fails here, and the helper reads and
 * writes frame by frame instead.
 */

#define REGIONS_MAX 2

struct tap_uring {
	struct io_uring ring;
	unsigned max_batch;
	int *res; /* result of each request, by index */
	/* Registered buffers, by index: where each begins and ends. */
	uintptr_t region_lo[REGIONS_MAX], region_hi[REGIONS_MAX];
	unsigned nregions;
	unsigned read_guess; /* reads to submit next: see tap_uring_read() */
};

/* Lock the ring down as said above, then enable it. */
static int tap_uring_restrict(struct io_uring *ring)
{
	struct io_uring_restriction allowed[] = {
	    {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_WRITE},
	    {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_READ},
	    {.opcode = IORING_RESTRICTION_SQE_OP,
	     .sqe_op = IORING_OP_WRITE_FIXED},
	    {.opcode = IORING_RESTRICTION_SQE_OP,
	     .sqe_op = IORING_OP_READ_FIXED},
	    {.opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED,
	     .sqe_flags = IOSQE_FIXED_FILE},
	    {.opcode = IORING_RESTRICTION_REGISTER_OP,
	     .register_op = IORING_REGISTER_BUFFERS},
	    {.opcode = IORING_RESTRICTION_REGISTER_OP,
	     .register_op = IORING_UNREGISTER_BUFFERS},
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
	tu->read_guess = 1;
	r = io_uring_queue_init(max_batch, &tu->ring, IORING_SETUP_R_DISABLED);
	if (r < 0) {
		free(tu->res);
		free(tu);
		return r;
	}
	probe = io_uring_get_probe_ring(&tu->ring);
	if (!probe || !io_uring_opcode_supported(probe, IORING_OP_WRITE) ||
	    !io_uring_opcode_supported(probe, IORING_OP_READ))
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

int tap_uring_use_buffers(struct tap_uring *tu, const struct iovec *regions,
			  unsigned n)
{
	int r = 0;

	if (n > REGIONS_MAX)
		return -EINVAL;
	if (tu->nregions) {
		io_uring_unregister_buffers(&tu->ring);
		tu->nregions = 0;
	}
	if (n == 0)
		return 0;
	r = io_uring_register_buffers(&tu->ring, regions, n);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < n; i++) {
		tu->region_lo[i] = (uintptr_t)regions[i].iov_base;
		tu->region_hi[i] = tu->region_lo[i] + regions[i].iov_len;
	}
	tu->nregions = n;
	return 0;
}

/* The registered buffer holding [@p, @p + @len), or -1. */
static int region_of(const struct tap_uring *tu, const void *p, size_t len)
{
	uintptr_t lo = (uintptr_t)p, hi = lo + len;

	for (unsigned i = 0; i < tu->nregions; i++)
		if (lo >= tu->region_lo[i] && hi <= tu->region_hi[i])
			return (int)i;
	return -1;
}

/* A read or write of @len bytes at @buf as request @i, fixed-buffer when
 * @buf lies in a registered buffer. */
static void prep_rw(struct tap_uring *tu, bool write, void *buf, size_t len,
		    unsigned i)
{
	/* The ring has max_batch entries and is empty between calls, so
	 * there is always a free entry. */
	struct io_uring_sqe *sqe = io_uring_get_sqe(&tu->ring);
	int b = region_of(tu, buf, len);

	if (b >= 0 && write)
		io_uring_prep_write_fixed(sqe, 0, buf, (unsigned)len, 0, b);
	else if (b >= 0)
		io_uring_prep_read_fixed(sqe, 0, buf, (unsigned)len, 0, b);
	else if (write)
		io_uring_prep_write(sqe, 0, buf, (unsigned)len, 0);
	else
		io_uring_prep_read(sqe, 0, buf, (unsigned)len, 0);
	/* A read that finds the TAP empty must say so: for a file that
	 * supports non-blocking I/O (tun does), O_NONBLOCK alone lets
	 * io_uring arm a poll and complete the read whenever a frame comes,
	 * and the submission would wait for it. RWF_NOWAIT forbids that:
	 * the read completes at once with -EAGAIN. */
	if (!write)
		sqe->rw_flags = RWF_NOWAIT;
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = i;
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

/* Submit what is prepared and collect all @n results. Return: 0, or the
 * negative errno of io_uring itself failing. */
static int submit_all(struct tap_uring *tu, unsigned n)
{
	unsigned done = 0;
	/* Completions are inline, so this normally returns with all n
	 * posted; the wait covers a kernel that punts some. */
	int r = io_uring_submit_and_wait(&tu->ring, n);

	while (done += reap(tu), done < n) {
		if (r < 0 && r != -EINTR && r != -EAGAIN)
			return r;
		r = io_uring_submit_and_wait(&tu->ring, n - done);
	}
	return 0;
}

int tap_uring_write(struct tap_uring *tu, struct pkt *const *pkts, unsigned n,
		    bool (*gone)(int err))
{
	int r;

	if (n == 0 || n > tu->max_batch)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		prep_rw(tu, true, pkts[i]->data, pkts[i]->len, i);
	r = submit_all(tu, n);
	if (r < 0)
		return r;
	if (tu->res[0] < 0 && gone(-tu->res[0]))
		return -EPIPE;
	for (unsigned i = 0; i < n; i++)
		if (tu->res[i] != (int)pkts[i]->len)
			pkts[i]->flags |= PKT_F_UNSENT;
	return (int)n;
}

int tap_uring_read(struct tap_uring *tu, struct pkt **pkts, unsigned n,
		   size_t cap, bool (*gone)(int err))
{
	unsigned k = tu->read_guess < n ? tu->read_guess : n, got = 0;
	int r, err = 0;

	if (n == 0 || n > tu->max_batch)
		return -EINVAL;
	for (unsigned i = 0; i < k; i++)
		prep_rw(tu, false, pkts[i]->data, cap, i);
	r = submit_all(tu, k);
	if (r < 0)
		return r;
	/* The reads ran in order, so the frames did too; a read that found
	 * the TAP empty may sit between two that did not, when a frame came
	 * in between. */
	for (unsigned i = 0; i < k; i++) {
		struct pkt *p = pkts[i];

		if (tu->res[i] < 0) {
			if (tu->res[i] != -EAGAIN && !err)
				err = tu->res[i];
			continue;
		}
		/* One byte more than the caller's frames was asked for: a
		 * frame that filled it was cut (see host_tap.c). */
		if ((size_t)tu->res[i] >= cap) {
			p->len = (uint32_t)(cap - POOL_SPARE);
			p->flags = PKT_F_TRUNCATED;
		} else {
			p->len = (uint32_t)tu->res[i];
			p->flags = 0;
		}
		pkts[i] = pkts[got];
		pkts[got++] = p;
	}
	/* All found a frame: more may wait, try twice as many next time.
	 * Some found none: the TAP ran empty, and one read more than came
	 * says so next time too. */
	if (got == k)
		tu->read_guess = 2 * k < tu->max_batch ? 2 * k : tu->max_batch;
	else
		tu->read_guess = got + 1;
	if (got)
		return (int)got;
	if (err)
		return gone(-err) || err == -EIO ? -EPIPE : err;
	return -EAGAIN;
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
	if (tu->nregions)
		io_uring_unregister_buffers(&tu->ring);
	io_uring_queue_exit(&tu->ring);
	free(tu->res);
	free(tu);
}
