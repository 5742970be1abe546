/* SPDX-License-Identifier: Apache-2.0 */
/* peer_watch_darwin.c - whether a unix datagram socket's peer still exists,
 * on macOS. */
#include "peer_watch.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

/*
 * XNU disconnects a datagram socket whose peer closes (unp_drop with
 * ECONNRESET), which wakes a reader with end of file, so the socket worker
 * normally notices first. This check is the belt to that: a disconnected
 * socket has no peer name. Not run here (macOS code is only compiled on the
 * Linux CI); see docs/vmnet-helper.md.
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
