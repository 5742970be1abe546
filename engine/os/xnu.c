/* SPDX-License-Identifier: Apache-2.0 */
/* xnu.c - the macOS backends' decisions on XNU's answers (see xnu.h). */
#include "xnu.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

int xnu_sockbuf_limit(uint64_t maxsockbuf)
{
	uint64_t cc = maxsockbuf * XNU_MCLBYTES / (XNU_MSIZE + XNU_MCLBYTES);

	return cc > INT_MAX ? INT_MAX : (int)cc;
}

int xnu_sockbuf_fit(int want, uint64_t maxsockbuf,
		    int (*set)(void *arg, int bytes), void *arg)
{
	int limit = maxsockbuf ? xnu_sockbuf_limit(maxsockbuf) : 0;
	int size = want;

	for (;;) {
		int r = set(arg, size);

		if (r != -ENOBUFS)
			return r ? r : size;
		if (limit > 0 && size > limit)
			size = limit;
		else if (size / 2 >= XNU_SOCKBUF_FLOOR)
			size /= 2;
		else
			return r;
	}
}

void xnu_recv_frame(struct pkt *pkt, size_t datalen, bool msg_trunc,
		    uint32_t cap)
{
	pkt->len = datalen < cap ? (uint32_t)datalen : cap;
	pkt->flags = msg_trunc || datalen > cap ? PKT_F_TRUNCATED : 0;
}

int xnu_sendmsg_x_emsgsize(struct pkt *const *pkts, unsigned n, int sndbuf)
{
	for (unsigned i = 0; i < n; i++)
		if (sndbuf >= 0 && pkts[i]->len > (uint32_t)sndbuf)
			return i > 0 ? (int)i : -EMSGSIZE;
	return -EMSGSIZE;
}

int xnu_send_errno(int err)
{
	if (err == EWOULDBLOCK)
		return -EAGAIN;
	if (err == EDESTADDRREQ)
		return -ENOTCONN;
	return -err;
}

bool xnu_sig_backlog_note(struct xnu_sig_backlog *b, const sigset_t *pending,
			  int signo, uint64_t tag)
{
	if (sigismember(pending, signo) != 1 || b->n >= XNU_SIG_BACKLOG_MAX)
		return false;
	b->tags[b->n++] = tag;
	return true;
}

int xnu_sig_backlog_take(struct xnu_sig_backlog *b, struct poller_event *ev,
			 int max)
{
	unsigned k = max < 0 ? 0 : (unsigned)max;

	if (k > b->n)
		k = b->n;
	for (unsigned i = 0; i < k; i++) {
		ev[i].tag = b->tags[i];
		ev[i].events = POLLER_IN;
	}
	memmove(b->tags, b->tags + k, (b->n - k) * sizeof(b->tags[0]));
	b->n -= k;
	return (int)k;
}

bool xnu_proc_exited(int kill_err)
{
	return kill_err == 0 || kill_err == EPERM;
}
