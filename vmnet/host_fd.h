/* SPDX-License-Identifier: Apache-2.0 */
/* host_fd.h - the host side as an inherited unix datagram socket
 * (--host-fd): one frame per datagram, as on the VM's side, so two helpers'
 * host sockets joined by a socketpair are a cable between two VMs. Plain
 * C over the engine's datagram endpoint, the same on both platforms. */
#ifndef VMNET_HELPER_HOST_FD_H
#define VMNET_HELPER_HOST_FD_H

#include <stddef.h>

#include "host.h"

/* The sizes it reports: the TAP's (vmnet/linux/host_tap.c), so a guest
 * configured for one works on the other; with TSO the largest frame is
 * 65535 bytes, as a TAP's, and the MTU is that less the Ethernet header. */
#define HOST_FD_MTU	 1500u
#define HOST_FD_TSO_MTU	 (65535u - 14u)
#define HOST_FD_ETH_HLEN 14u

/**
 * host_fd_open() - make @fd the host side
 * @cfg:	--interface-id (the MAC, as the TAP derives it), --enable-tso
 *		(the frame size) and the batch; the TAP and vmnet fields are
 *		not used
 * @fd:		connected SOCK_DGRAM unix socket, checked by the caller
 *		(vm_socket_check_fd()); owned from now on, closed by
 *		endpoint_close()
 * @epp:	on success, the endpoint, named "host socket"
 * @info:	on success, the facts for the JSON line: the MAC, the
 *		interface id, the MTU and the largest frame, the batch
 * @err:	on failure, one line naming what failed
 * @errlen:	room in @err
 *
 * Needs no privilege. A datagram socket whose peer is gone raises no
 * event: the caller watches it (peer_watch.h), as it does the VM's.
 *
 * Return: 0 or a negative errno; on failure @fd is not closed.
 */
int host_fd_open(const struct host_config *cfg, int fd, struct endpoint **epp,
		 struct host_info *info, char *err, size_t errlen);

#endif
