/* SPDX-License-Identifier: Apache-2.0 */
/* test_worker.c - the worker's loop: how each answer of an endpoint's write
 * is counted, through a scripted host endpoint inside the engine. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "endpoint_dgram.h"
#include "engine.h"

/* Byte 14 of each test frame, just past the Ethernet header, says how the
 * scripted host endpoint answers its write. */
#define VERDICT_OFF 14
enum verdict {
	SENT = 'S',	 /* written */
	TOO_BIG = 'B',	 /* -EMSGSIZE */
	LINK_DOWN = 'D', /* -ENETDOWN */
	UNSENT = 'U',	 /* taken in the batch, flagged PKT_F_UNSENT */
};

/*
 * A host endpoint that reads nothing and answers each write as its frames
 * say, like a TAP does: an error for the first frame alone, or the frames
 * before it. When @want frames have been consumed it writes to @done_fd,
 * which the test waits on.
 */
struct scripted {
	struct endpoint ep;
	atomic_uint consumed;
	unsigned want;
	int done_fd;
};

static int scripted_read(struct endpoint *ep, struct pkt **pkts, unsigned n)
{
	(void)ep;
	(void)pkts;
	(void)n;
	return -EAGAIN;
}

static void scripted_consumed(struct scripted *s, unsigned n)
{
	unsigned total = atomic_fetch_add(&s->consumed, n) + n;

	/* On a worker thread: no Criterion assert here. */
	if (total >= s->want && total - n < s->want &&
	    write(s->done_fd, "x", 1) != 1)
		abort();
}

static int scripted_write(struct endpoint *ep, struct pkt *const *pkts,
			  unsigned n)
{
	struct scripted *s = (struct scripted *)ep;
	unsigned i;

	for (i = 0; i < n; i++) {
		unsigned char v = pkts[i]->data[VERDICT_OFF];

		if (v == TOO_BIG || v == LINK_DOWN) {
			if (i > 0)
				break;
			scripted_consumed(s, 1);
			return v == TOO_BIG ? -EMSGSIZE : -ENETDOWN;
		}
		if (v == UNSENT)
			pkts[i]->flags |= PKT_F_UNSENT;
	}
	scripted_consumed(s, i);
	return (int)i;
}

static void scripted_close(struct endpoint *ep)
{
	(void)ep;
}

static const struct endpoint_ops scripted_ops = {
    .read_batch = scripted_read,
    .write_batch = scripted_write,
    .set_notify = NULL,
    .close = scripted_close,
};

static void *run_engine(void *arg)
{
	engine_run(arg);
	return NULL;
}

Test(worker, counts_each_refused_write_by_its_cause, .timeout = 30)
{
	/* Mixed, so that errors come in the middle of batches too. */
	static const char script[] = "SBBSDUUSDDSUBSSUDS";
	const unsigned n = sizeof(script) - 1;
	struct scripted host = {
	    .ep = {.ops = &scripted_ops,
		   .name = "scripted",
		   .fd = -1,
		   .max_frame = 1514},
	    .want = n,
	};
	struct engine_config cfg;
	struct endpoint *vm;
	struct engine *e;
	struct engine_stats s;
	unsigned char frame[60];
	unsigned want[128] = {0};
	struct pollfd pfd = {.events = POLLIN};
	pthread_t th;
	int sv[2], done[2];

	cr_assert_eq(pipe(done), 0);
	host.done_fd = done[1];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	engine_config_defaults(&cfg);
	cfg.batch = 4;
	cfg.ring_size = 16;
	cr_assert_eq(endpoint_dgram_open(sv[1], "vm", 1514, cfg.batch, &vm), 0);
	cr_assert_eq(engine_create(&cfg, &host.ep, vm, &e, NULL, 0), 0);
	cr_assert_eq(pthread_create(&th, NULL, run_engine, e), 0);

	memset(frame, 0xff, sizeof(frame));
	for (unsigned i = 0; i < n; i++) {
		frame[VERDICT_OFF] = (unsigned char)script[i];
		want[(unsigned char)script[i]]++;
		cr_assert_eq(send(sv[0], frame, sizeof(frame), 0),
			     (ssize_t)sizeof(frame));
	}
	/* Every frame reached the host endpoint once, however answered. */
	pfd.fd = done[0];
	cr_assert_eq(poll(&pfd, 1, 20000), 1, "the frames never all came");
	engine_stop(e);
	pthread_join(th, NULL);
	engine_get_stats(e, &s);

	cr_expect_eq(s.vm_to_host.packets, want[SENT]);
	cr_expect_eq(s.vm_to_host.drop_too_big, want[TOO_BIG]);
	cr_expect_eq(s.vm_to_host.drop_link_down, want[LINK_DOWN]);
	cr_expect_eq(s.vm_to_host.drop_unsent, want[UNSENT]);
	cr_expect_eq(s.vm_to_host.read_packets, n);
	cr_expect_eq(s.vm_to_host.read_packets,
		     s.vm_to_host.packets + direction_drops(&s.vm_to_host));
	cr_expect_eq(atomic_load(&host.consumed), n);

	engine_destroy(e);
	endpoint_close(vm);
	close(sv[0]);
	close(done[0]);
	close(done[1]);
}
