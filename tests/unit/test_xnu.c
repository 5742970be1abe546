/* SPDX-License-Identifier: Apache-2.0 */
/* test_xnu.c - the macOS backends' decisions on XNU's answers (xnu.c),
 * each against a model of the kernels that give them. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "xnu.h"

/* kern.ipc.maxsockbuf's default (SB_MAX, bsd/sys/socketvar.h). */
#define SB_MAX (8192 * 1024)

/* A socket buffer as sosetoptlock() + sbreserve() treat it. */
struct model_sockbuf {
	bool clamps;	     /* xnu-10063 (14.4) on; else 12.0-14.3 */
	uint64_t sb_max;     /* kern.ipc.maxsockbuf */
	int hiwat;	     /* size in force: 4096, the unix dgram default */
	int calls;	     /* setsockopt() calls made */
	int refuse_all_with; /* if set, every call fails with it */
};

static int model_set(void *arg, int bytes)
{
	struct model_sockbuf *m = arg;
	uint64_t cc = (uint64_t)bytes;

	m->calls++;
	if (m->refuse_all_with)
		return -m->refuse_all_with;
	if (m->clamps) {
		if (cc > m->sb_max) {
			if ((uint64_t)m->hiwat == m->sb_max)
				return -ENOBUFS;
			cc = m->sb_max;
		}
	} else if (cc > m->sb_max * 2048 / (256 + 2048)) {
		return -ENOBUFS;
	}
	m->hiwat = (int)cc;
	return 0;
}

Test(xnu, sockbuf_limit_is_sbreserve_bound_before_14_4)
{
	/* 8388608 * 2048 / 2304 = 7456540.4 */
	cr_assert_eq(xnu_sockbuf_limit(SB_MAX), 7456540);
	cr_assert_eq(xnu_sockbuf_limit(16 * 1024 * 1024), 14913080);
	cr_assert_eq(xnu_sockbuf_limit(UINT64_MAX / 4096), INT_MAX);
}

Test(xnu, tso_receive_buffer_gets_the_most_macos_12_to_14_3_take)
{
	struct model_sockbuf m = {.sb_max = SB_MAX, .hiwat = 4096};
	int got = xnu_sockbuf_fit(8 * 1024 * 1024, SB_MAX, model_set, &m);

	/* Not the 4 KiB default, in which every TSO frame would fail. */
	cr_assert_eq(got, 7456540);
	cr_assert_eq(m.hiwat, 7456540);
	cr_assert_eq(m.calls, 2);
}

Test(xnu, buffer_below_the_bound_is_set_at_once)
{
	struct model_sockbuf m = {.sb_max = SB_MAX, .hiwat = 4096};

	cr_assert_eq(xnu_sockbuf_fit(4 * 1024 * 1024, SB_MAX, model_set, &m),
		     4 * 1024 * 1024);
	cr_assert_eq(m.calls, 1);
}

Test(xnu, macos_14_4_clamps_so_the_size_asked_is_set)
{
	struct model_sockbuf m = {
	    .clamps = true, .sb_max = SB_MAX, .hiwat = 4096};

	cr_assert_eq(xnu_sockbuf_fit(8 * 1024 * 1024, SB_MAX, model_set, &m),
		     8 * 1024 * 1024);
	cr_assert_eq(m.calls, 1);
}

Test(xnu, unreadable_maxsockbuf_halves_until_taken)
{
	struct model_sockbuf m = {.sb_max = SB_MAX, .hiwat = 4096};

	cr_assert_eq(xnu_sockbuf_fit(8 * 1024 * 1024, 0, model_set, &m),
		     4 * 1024 * 1024);
	cr_assert_eq(m.hiwat, 4 * 1024 * 1024);
}

Test(xnu, smaller_maxsockbuf_steps_below_its_bound)
{
	/* A Mac whose maxsockbuf was lowered to 1 MiB. */
	struct model_sockbuf m = {.sb_max = 1024 * 1024, .hiwat = 4096};

	cr_assert_eq(
	    xnu_sockbuf_fit(8 * 1024 * 1024, 1024 * 1024, model_set, &m),
	    932067);
}

Test(xnu, refusal_of_every_size_stops_at_the_floor)
{
	struct model_sockbuf m = {.refuse_all_with = ENOBUFS};

	cr_assert_eq(xnu_sockbuf_fit(8 * 1024 * 1024, SB_MAX, model_set, &m),
		     -ENOBUFS);
	/* 8 MiB, the bound, then halving down to 64 KiB: 8 tries. */
	cr_assert_eq(m.calls, 8);
}

Test(xnu, other_errors_stop_at_once)
{
	struct model_sockbuf m = {.refuse_all_with = EINVAL};

	cr_assert_eq(xnu_sockbuf_fit(8 * 1024 * 1024, SB_MAX, model_set, &m),
		     -EINVAL);
	cr_assert_eq(m.calls, 1);
}

/* A frame header with room for nothing: xnu_recv_frame() only sets it.
 * struct pkt is 64-byte aligned (its data[]), which calloc() is not. */
static struct pkt *frame(uint32_t len)
{
	size_t size = (sizeof(struct pkt) + 63) / 64 * 64;
	struct pkt *p = aligned_alloc(64, size);

	cr_assert_not_null(p);
	memset(p, 0, size);
	p->len = len;
	p->flags = 0xffu; /* whatever a previous use left */
	return p;
}

Test(xnu, datagram_longer_than_buffer_is_truncated_on_macos_14)
{
	/* soreceive_m_list(): MSG_TRUNC not reported, the scratch byte
	 * got one byte past cap. */
	struct pkt *p = frame(0);

	xnu_recv_frame(p, 1515, false, 1514);
	cr_assert_eq(p->len, 1514);
	cr_assert_eq(p->flags, PKT_F_TRUNCATED);
	free(p);
}

Test(xnu, datagram_cut_on_macos_12_and_13_is_truncated)
{
	/* The per-datagram loop sets MSG_TRUNC; the copy stopped at cap. */
	struct pkt *p = frame(0);

	xnu_recv_frame(p, 1514, true, 1514);
	cr_assert_eq(p->len, 1514);
	cr_assert_eq(p->flags, PKT_F_TRUNCATED);
	free(p);
}

Test(xnu, datagram_that_fits_is_whole)
{
	struct pkt *p = frame(0);

	xnu_recv_frame(p, 1514, false, 1514);
	cr_assert_eq(p->len, 1514);
	cr_assert_eq(p->flags, 0);
	xnu_recv_frame(p, 60, false, 1514);
	cr_assert_eq(p->len, 60);
	cr_assert_eq(p->flags, 0);
	free(p);
}

static void make_batch(struct pkt **pkts, const uint32_t *lens, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		pkts[i] = frame(lens[i]);
}

static void free_batch(struct pkt **pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(pkts[i]);
}

Test(xnu, emsgsize_after_two_sent_on_macos_13_counts_two)
{
	static const uint32_t lens[] = {1514, 1514, 70000, 1514};
	struct pkt *pkts[4];

	make_batch(pkts, lens, 4);
	/* sendit() sent two, then refused 70000 > 66560 (SO_SNDBUF). */
	cr_assert_eq(xnu_sendmsg_x_emsgsize(pkts, 4, 66560), 2);
	free_batch(pkts, 4);
}

Test(xnu, emsgsize_for_the_first_datagram_is_emsgsize)
{
	static const uint32_t lens[] = {70000, 1514};
	struct pkt *pkts[2];

	make_batch(pkts, lens, 2);
	cr_assert_eq(xnu_sendmsg_x_emsgsize(pkts, 2, 66560), -EMSGSIZE);
	free_batch(pkts, 2);
}

Test(xnu, unexplained_emsgsize_sends_nothing)
{
	static const uint32_t lens[] = {1514, 1514};
	struct pkt *pkts[2];

	make_batch(pkts, lens, 2);
	cr_assert_eq(xnu_sendmsg_x_emsgsize(pkts, 2, 66560), -EMSGSIZE);
	/* SO_SNDBUF unreadable: nothing can be counted as sent. */
	cr_assert_eq(xnu_sendmsg_x_emsgsize(pkts, 2, -1), -EMSGSIZE);
	free_batch(pkts, 2);
}

Test(xnu, send_errors_after_the_peer_closed_say_it_is_gone)
{
	cr_assert_eq(xnu_send_errno(EDESTADDRREQ), -ENOTCONN);
	cr_assert_eq(xnu_send_errno(ECONNRESET), -ECONNRESET);
	cr_assert_eq(xnu_send_errno(EWOULDBLOCK), -EAGAIN);
	cr_assert_eq(xnu_send_errno(ENOBUFS), -ENOBUFS);
}

Test(xnu, signal_pending_at_registration_is_reported_once)
{
	struct xnu_sig_backlog b = {0};
	struct poller_event ev[4];
	sigset_t pending;

	sigemptyset(&pending);
	sigaddset(&pending, SIGTERM);
	cr_assert(xnu_sig_backlog_note(&b, &pending, SIGTERM, 7));
	cr_assert_not(xnu_sig_backlog_note(&b, &pending, SIGINT, 8));
	cr_assert_eq(xnu_sig_backlog_take(&b, ev, 4), 1);
	cr_assert_eq(ev[0].tag, 7);
	cr_assert_eq(ev[0].events, POLLER_IN);
	cr_assert_eq(xnu_sig_backlog_take(&b, ev, 4), 0);
}

Test(xnu, pending_signals_wait_their_turn_when_room_is_short)
{
	struct xnu_sig_backlog b = {0};
	struct poller_event ev[1];
	sigset_t pending;

	sigemptyset(&pending);
	sigaddset(&pending, SIGTERM);
	sigaddset(&pending, SIGINT);
	cr_assert(xnu_sig_backlog_note(&b, &pending, SIGINT, 1));
	cr_assert(xnu_sig_backlog_note(&b, &pending, SIGTERM, 2));
	cr_assert_eq(xnu_sig_backlog_take(&b, ev, 0), 0);
	cr_assert_eq(xnu_sig_backlog_take(&b, ev, 1), 1);
	cr_assert_eq(ev[0].tag, 1);
	cr_assert_eq(xnu_sig_backlog_take(&b, ev, 1), 1);
	cr_assert_eq(ev[0].tag, 2);
	cr_assert_eq(xnu_sig_backlog_take(&b, ev, 1), 0);
}

Test(xnu, full_backlog_refuses_more)
{
	struct xnu_sig_backlog b = {0};
	sigset_t pending;

	sigemptyset(&pending);
	sigaddset(&pending, SIGUSR1);
	for (unsigned i = 0; i < XNU_SIG_BACKLOG_MAX; i++)
		cr_assert(xnu_sig_backlog_note(&b, &pending, SIGUSR1, i));
	cr_assert_not(xnu_sig_backlog_note(&b, &pending, SIGUSR1, 99));
	cr_assert_eq(b.n, XNU_SIG_BACKLOG_MAX);
}

Test(xnu, zombie_refused_by_evfilt_proc_has_exited)
{
	cr_assert(xnu_proc_exited(0));	   /* kill() found the zombie */
	cr_assert(xnu_proc_exited(EPERM)); /* the pid is someone else's */
	cr_assert_not(xnu_proc_exited(ESRCH));
}
