/* SPDX-License-Identifier: Apache-2.0 */
/* xnu.h - what the macOS backends (engine/os/darwin/) conclude from the answers
 * of XNU's system calls, as pure functions: the calls cannot run here, but
 * every decision taken on their results is compiled and tested on Linux
 * (tests/test_xnu.c). Each function cites the XNU source it models. */
#ifndef VMNET_HELPER_XNU_H
#define VMNET_HELPER_XNU_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pool.h"
#include "poller.h"

/* bsd/sys/param.h and mbuf.h on both macOS architectures. */
#define XNU_MCLBYTES 2048
#define XNU_MSIZE    256
/* Smallest socket buffer xnu_sockbuf_fit() steps down to. */
#define XNU_SOCKBUF_FLOOR (64 * 1024)

/**
 * xnu_sockbuf_limit() - the largest SO_SNDBUF/SO_RCVBUF that macOS before
 * 14.4 accepts
 * @maxsockbuf:	kern.ipc.maxsockbuf (sb_max), 8 MiB by default
 *
 * sbreserve() (bsd/kern/uipc_socket2.c) refuses a size above
 * sb_max * MCLBYTES / (MSIZE + MCLBYTES) in xnu-8019 (macOS 12) to
 * xnu-10002 (14.0-14.3, as SB_MAX_ADJUST()), and sosetoptlock() turns the
 * refusal into ENOBUFS instead of clamping: 7456540 bytes with the default.
 * From xnu-10063 (14.4) sbreserve() clamps to sb_max instead.
 *
 * Return: that size, at most INT_MAX.
 */
int xnu_sockbuf_limit(uint64_t maxsockbuf);

/**
 * xnu_sockbuf_fit() - set a socket buffer size, stepping down while the
 * kernel refuses it with ENOBUFS
 * @want:	bytes wanted, > 0
 * @maxsockbuf:	kern.ipc.maxsockbuf, or 0 if it could not be read
 * @set:	sets one size; returns 0 or a negative errno (setsockopt())
 * @arg:	passed to @set
 *
 * After an ENOBUFS for a size above xnu_sockbuf_limit(@maxsockbuf), that
 * limit is tried next (the pre-14.4 rule above); after any other ENOBUFS
 * the size is halved, down to XNU_SOCKBUF_FLOOR. Any other error stops at
 * once.
 *
 * Return: the size set (<= @want), or the negative errno of the last try.
 */
int xnu_sockbuf_fit(int want, uint64_t maxsockbuf,
		    int (*set)(void *arg, int bytes), void *arg);

/**
 * xnu_recv_frame() - a frame's length and flags from what recvmsg_x()
 * reported for it
 * @pkt:	the frame's buffer; len and flags are set
 * @datalen:	the message's msg_datalen
 * @msg_trunc:	whether its msg_flags hold MSG_TRUNC
 * @cap:	room in @pkt's data[]; the message had @cap bytes there and one
 *		more byte of scratch in a second iovec
 *
 * From macOS 14 (xnu-10002) recvmsg_x() takes soreceive_m_list(): a cut
 * datagram sets MSG_TRUNC only in a flags word local to the call, never in
 * the msghdr_x, and msg_datalen counts the bytes copied. Macs 12 and 13
 * (xnu-8019, xnu-8796) receive one datagram at a time and do set
 * MSG_TRUNC. With the scratch byte a datagram longer than @cap copies
 * @cap + 1 bytes, so msg_datalen > @cap flags it on every kernel.
 */
void xnu_recv_frame(struct pkt *pkt, size_t datalen, bool msg_trunc,
		    uint32_t cap);

/**
 * xnu_sendmsg_x_emsgsize() - how many datagrams a sendmsg_x() that failed
 * with EMSGSIZE had sent
 * @pkts:	the batch, in order
 * @n:		its length
 * @sndbuf:	the socket's SO_SNDBUF, read after the failure
 *
 * The only EMSGSIZE for a unix datagram is sosendcheck()'s "atomic &&
 * resid > so_snd.sb_hiwat" (bsd/kern/uipc_socket.c), and getsockopt
 * (SO_SNDBUF) reads sb_hiwat for a datagram socket. Macs 12 and 13
 * (xnu-8019, xnu-8796 sendmsg_x()) send one datagram at a time and, after
 * some were sent, return -1/EMSGSIZE rather than the count (EMSGSIZE is
 * not among the errors they forgive); from xnu-10002 sendit_x() stops
 * before the oversize datagram and returns the count, and EMSGSIZE only
 * for the first. Either way the datagrams before the first one longer
 * than @sndbuf went out.
 *
 * Return: that count (>= 1), or -EMSGSIZE when it is 0 (the first datagram
 * is refused) or when no datagram explains the error.
 */
int xnu_sendmsg_x_emsgsize(struct pkt *const *pkts, unsigned n, int sndbuf);

/**
 * xnu_send_errno() - what dgram_io_send() reports for the errno of a failed
 * sendmsg_x()
 * @err:	errno
 *
 * When the peer of a connected unix datagram socket closes, unp_detach()
 * calls unp_drop(ECONNRESET) on it (bsd/kern/uipc_usrreq.c): the first send
 * after returns ECONNRESET, the later ones EDESTADDRREQ (sosendcheck(): no
 * longer connected, no address given). Both mean the peer is gone.
 *
 * Return: -EAGAIN for EWOULDBLOCK, -ENOTCONN for EDESTADDRREQ, else -@err.
 */
int xnu_send_errno(int err);

/* Signals a poller found pending when it attached their EVFILT_SIGNAL. */
#define XNU_SIG_BACKLOG_MAX 8
struct xnu_sig_backlog {
	uint64_t tags[XNU_SIG_BACKLOG_MAX];
	unsigned n;
};

/**
 * xnu_sig_backlog_note() - remember @tag if @signo is already pending
 * @b:		backlog
 * @pending:	sigpending() right after the EVFILT_SIGNAL knote was added
 * @signo:	the signal just registered
 * @tag:	its tag
 *
 * XNU's EVFILT_SIGNAL counts only signals generated after it attached
 * (kern_sig.c filt_sigattach(): "edge-triggered events can't have fired
 * before we attached"), where Linux's signalfd reports a pending one. A
 * SIGTERM that came while the helper was still starting would otherwise
 * never be seen.
 *
 * Return: true if it was pending and is noted (the caller then consumes
 * it), false if not pending or the backlog is full.
 */
bool xnu_sig_backlog_note(struct xnu_sig_backlog *b, const sigset_t *pending,
			  int signo, uint64_t tag);

/**
 * xnu_sig_backlog_take() - report noted signals, oldest first
 * @b:		backlog
 * @ev:		events to fill (POLLER_IN with the tag)
 * @max:	room in @ev
 *
 * Return: events stored; those that did not fit stay for the next call.
 */
int xnu_sig_backlog_take(struct xnu_sig_backlog *b, struct poller_event *ev,
			 int max);

/**
 * xnu_proc_exited() - whether a process EVFILT_PROC refused with ESRCH has
 * exited (is a zombie) rather than not existing
 * @kill_err:	errno of kill(pid, 0) made after the refusal, 0 if it
 *		succeeded
 *
 * filt_procattach() (bsd/kern/kern_event.c) fails with ESRCH when
 * proc_find() does, and proc_find() no longer finds a process that has
 * exited but is not reaped. kill() (kern_sig.c) looks such a process up in
 * the zombie list and succeeds (POSIX), so success, or EPERM for a pid
 * already reused, means the watched process has exited.
 *
 * Return: true if it exited, false if there is no such process.
 */
bool xnu_proc_exited(int kill_err);

#endif
