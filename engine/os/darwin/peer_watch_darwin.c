/* SPDX-License-Identifier: Apache-2.0 */
/* peer_watch_darwin.c - whether a unix datagram socket's peer still exists,
 * on macOS. */
#include "peer_watch.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

/*
 * When the peer of a connected datagram socket closes, XNU's unp_detach()
 * calls unp_drop(ECONNRESET) on our socket (bsd/kern/uipc_usrreq.c,
 * xnu-8019 to xnu-11417): it sets so_error = ECONNRESET, and
 * unp_disconnect() only clears SS_ISCONNECTED for a datagram socket
 * (soisdisconnected() is for streams). Nothing wakes a reader, no kqueue
 * event fires and there is no end of file: a worker learns of it only at
 * its next receive or send (ECONNRESET once). So this check, polled every
 * 250 ms by the supervisor, is what notices a quiet VM going away:
 * getpeername() fails with ENOTCONN once SS_ISCONNECTED is clear
 * (uipc_syscalls.c getpeername()), EINVAL once the socket is shut down
 * both ways. Not run here (macOS code is only compiled on the Linux CI);
 * see docs/vmnet-helper.md.
 */

struct peer_watch {
	int fd;
};

int peer_watch_open(int fd, struct peer_watch **pwp)
{
	struct peer_watch *pw = calloc(1, sizeof(*pw));

	*pwp = NULL;
	if (!pw)
		return -ENOMEM;
	pw->fd = fd;
	*pwp = pw;
	return 0;
}

int peer_watch_check(struct peer_watch *pw)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);

	if (getpeername(pw->fd, (struct sockaddr *)&sa, &len) == 0)
		return 1;
	if (errno == ENOTCONN || errno == EINVAL)
		return 0;
	return -errno;
}

void peer_watch_close(struct peer_watch *pw)
{
	free(pw);
}
