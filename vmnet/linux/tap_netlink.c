/* SPDX-License-Identifier: Apache-2.0 */
/* tap_netlink.c - ask rtnetlink (RTM_GETLINK) for a device's master. */
#include "tap_netlink.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The ifindex of @ifindex's master device (0 if none), from rtnetlink: no
 * ioctl reports it, and sysfs shows the namespace sysfs was mounted in,
 * not ours. */
int tap_master_index(int ifindex)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
	    .nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
	    .nh.nlmsg_type = RTM_GETLINK,
	    .nh.nlmsg_flags = NLM_F_REQUEST,
	    .nh.nlmsg_seq = 1,
	    .ifi.ifi_family = AF_UNSPEC,
	    .ifi.ifi_index = ifindex,
	};
	_Alignas(struct nlmsghdr) char buf[32768];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct rtattr *rta;
	int fd, attrlen, ret = -EPROTO;
	ssize_t r;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		ret = -errno;
		goto out;
	}
	do {
		r = recv(fd, buf, sizeof(buf), 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		ret = -errno;
		goto out;
	}
	if ((size_t)r < sizeof(*nh) || nh->nlmsg_len > (size_t)r)
		goto out;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nh);

		ret = e->error ? e->error : -EPROTO;
		goto out;
	}
	if (nh->nlmsg_type != RTM_NEWLINK)
		goto out;
	ret = 0;
	rta = IFLA_RTA(NLMSG_DATA(nh));
	attrlen = (int)IFLA_PAYLOAD(nh);
	for (; RTA_OK(rta, attrlen); rta = RTA_NEXT(rta, attrlen)) {
		if (rta->rta_type == IFLA_MASTER &&
		    RTA_PAYLOAD(rta) >= sizeof(uint32_t)) {
			uint32_t master;

			memcpy(&master, RTA_DATA(rta), sizeof(master));
			ret = (int)master;
		}
	}
out:
	close(fd);
	return ret;
}
