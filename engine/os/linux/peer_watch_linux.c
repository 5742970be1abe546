/* SPDX-License-Identifier: Apache-2.0 */
/* peer_watch_linux.c - ask the kernel's unix sock_diag whether a datagram
 * socket's peer still exists. */
#include "peer_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

/*
 * Why sock_diag: when one end of a unix datagram pair closes, the other end
 * gets no event, no error and no end of file; only its next send fails. But
 * the kernel knows: a closed socket is orphaned, so its inode number reads
 * as 0, and UNIX_DIAG_PEER of our socket then reports peer inode 0 (checked
 * on Linux 6.18: tests/unit/test_watch.c). The query needs no privilege.
 */

struct peer_watch {
	int nl;		  /* NETLINK_SOCK_DIAG socket */
	unsigned int ino; /* our socket's inode number */
	unsigned int seq;
};

/*
 * sock_diag answers only about the sockets of the asker's own network
 * namespace, and the socket may live in another: a socketpair made before
 * `ip netns exec NS vmnet-helper --fd 3` is the helper's, yet its
 * namespace is the caller's, so asking from the helper's gives ENOENT.
 * Then ask from the socket's namespace: SIOCGSKNS (Linux 4.9,
 * net/socket.c sock_ioctl(): CAP_NET_ADMIN over that namespace) opens it,
 * and a netlink socket made by a thread while it is setns()'d there
 * (CAP_SYS_ADMIN) stays bound to it when the thread returns. So only
 * while the helper still has root, which is when peer_watch.h says to
 * open the watch. Return: the netlink socket, or a negative errno.
 */
static int netlink_in_netns_of(int fd)
{
	int ns = ioctl(fd, SIOCGSKNS);
	if (ns < 0)
		return -errno;
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		int e = -errno;
		close(ns);
		return e;
	}
	int nl = -EPERM;
	if (setns(ns, CLONE_NEWNET) == 0) {
		nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			    NETLINK_SOCK_DIAG);
		if (nl < 0)
			nl = -errno;
		/* Back where this thread was: everything else it does (the
		 * TAP above all) belongs to that namespace. Failing here,
		 * with the right just used, cannot be survived safely. */
		if (setns(self, CLONE_NEWNET) != 0) {
			fprintf(stderr,
				"peer_watch: cannot return to the "
				"helper's network namespace: %s\n",
				strerror(errno));
			abort();
		}
	} else {
		nl = -errno;
	}
	close(ns);
	close(self);
	return nl;
}

int peer_watch_open(int fd, struct peer_watch **pwp)
{
	/* A reply is made while our request is sent, so it is queued by the
	 * time we read; the timeout only guards against a kernel that never
	 * answers. */
	struct timeval tv = {.tv_sec = 1};
	struct peer_watch *pw;
	struct stat st;

	*pwp = NULL;
	if (fstat(fd, &st) < 0)
		return -errno;
	pw = calloc(1, sizeof(*pw));
	if (!pw)
		return -ENOMEM;
	pw->ino = (unsigned int)st.st_ino;
	pw->nl =
	    socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (pw->nl < 0) {
		int e = errno;
		free(pw);
		return -e;
	}
	setsockopt(pw->nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* One query now: it loads the unix_diag module if it must, and
	 * shows whether asking works at all on this kernel. */
	int r = peer_watch_check(pw);
	if (r == -ENOENT) {
		int nl = netlink_in_netns_of(fd);

		if (nl >= 0) {
			close(pw->nl);
			pw->nl = nl;
			setsockopt(pw->nl, SOL_SOCKET, SO_RCVTIMEO, &tv,
				   sizeof(tv));
			r = peer_watch_check(pw);
		}
	}
	if (r < 0) {
		peer_watch_close(pw);
		return r;
	}
	*pwp = pw;
	return 0;
}

/* Find UNIX_DIAG_PEER in one reply; 0 when absent (no peer). */
static unsigned int reply_peer(const struct nlmsghdr *h)
{
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	const struct rtattr *a = (const struct rtattr *)(m + 1);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));

	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == UNIX_DIAG_PEER &&
		    RTA_PAYLOAD(a) >= sizeof(unsigned int)) {
			unsigned int ino;

			memcpy(&ino, RTA_DATA(a), sizeof(ino));
			return ino;
		}
	return 0;
}

int peer_watch_check(struct peer_watch *pw)
{
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req;
	union {
		struct nlmsghdr h;
		char buf[1024];
	} reply;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = ++pw->seq;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = ~0u;
	req.r.udiag_ino = pw->ino;
	req.r.udiag_show = UDIAG_SHOW_PEER;
	req.r.udiag_cookie[0] = req.r.udiag_cookie[1] = ~0u; /* any */

	if (send(pw->nl, &req, sizeof(req), 0) < 0)
		return -errno;
	for (;;) {
		n = recv(pw->nl, &reply, sizeof(reply), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!NLMSG_OK(&reply.h, (unsigned int)n))
			return -EBADMSG;
		/* A late reply to an earlier query (after a timeout):
		 * skip it. */
		if (reply.h.nlmsg_seq != pw->seq)
			continue;
		break;
	}
	if (reply.h.nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(&reply.h);
		return e->error < 0 ? e->error : -EPROTO;
	}
	if (reply.h.nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return -EBADMSG;
	return reply_peer(&reply.h) != 0;
}

void peer_watch_close(struct peer_watch *pw)
{
	if (!pw)
		return;
	close(pw->nl);
	free(pw);
}
