/* SPDX-License-Identifier: Apache-2.0 */
/* host_fd.c - the host side as an inherited unix datagram socket. */
#include "host_fd.h"

#include <stdio.h>
#include <string.h>

#include "endpoint_dgram.h"
#include "errmsg.h"
#include "host_identity.h"

int host_fd_open(const struct host_config *cfg, int fd, struct endpoint **epp,
		 struct host_info *info, char *err, size_t errlen)
{
	int r;

	*epp = NULL;
	memset(info, 0, sizeof(*info));
	r = host_identity(cfg, info, err, errlen);
	if (r)
		return r;
	info->mtu = cfg->enable_tso ? HOST_FD_TSO_MTU : HOST_FD_MTU;
	info->max_packet_size = info->mtu + HOST_FD_ETH_HLEN;
	info->read_max_packets = cfg->max_batch;
	info->write_max_packets = cfg->max_batch;
	r = endpoint_dgram_open(fd, "host socket", info->max_packet_size,
				cfg->max_batch, epp);
	if (r) {
		errmsg_format(err, errlen, "--host-fd %d: %s", fd,
			      strerror(-r));
		memset(info, 0, sizeof(*info));
	}
	return r;
}
