/* SPDX-License-Identifier: Apache-2.0 */
/* peer_watch.h - does the other end of a connected unix datagram socket
 * still exist? A datagram socket has no end of file, and on Linux a peer
 * that closes raises no event at all, so the supervisor asks the kernel
 * from time to time: sock_diag on Linux (peer_watch_linux.c), getpeername()
 * on macOS (peer_watch_darwin.c), where a closing peer raises no event
 * either. */
#ifndef VMNET_HELPER_PEER_WATCH_H
#define VMNET_HELPER_PEER_WATCH_H

struct peer_watch;

/**
 * peer_watch_open() - prepare to ask about @fd's peer
 * @fd:		connected AF_UNIX datagram socket; not owned, must outlive
 *		the watch
 * @pwp:	on success, the watch
 *
 * Open it before dropping privileges: it may open a kernel channel.
 *
 * Return: 0, -ENOMEM, or the negative errno that makes asking impossible
 * here (e.g. -EPROTONOSUPPORT: a Linux kernel without unix sock_diag).
 */
int peer_watch_open(int fd, struct peer_watch **pwp);

/**
 * peer_watch_check() - whether the peer is still there; does not block
 * @pw:	watch
 *
 * Safe to call from one thread while others send and receive on the fd.
 *
 * Return: 1 there, 0 gone (closed, or never connected), or a negative
 * errno when the kernel could not say.
 */
int peer_watch_check(struct peer_watch *pw);

/**
 * peer_watch_close() - free the watch
 * @pw:	watch, or NULL
 */
void peer_watch_close(struct peer_watch *pw);

#endif
