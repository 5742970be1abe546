/* SPDX-License-Identifier: Apache-2.0 */
/* tap_device.c - set up the TAP device: /dev/net/tun and TUNSETIFF, the MTU,
 * the bridge port and the up state, with errors that say what to do. */
#include "tap_device.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errmsg.h"
#include "log.h"
#include "tap_netlink.h"

static void tap_ifreq(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

/* The bridge's IPv4 address and netmask, if it has one: the VM's gateway
 * and subnet. Empty strings otherwise. */
static void tap_bridge_ipv4(int ctl, const char *bridge, struct host_info *info)
{
	struct in_addr addr, mask, end;
	struct ifreq ifr;
	uint32_t a, m, last;

	tap_ifreq(&ifr, bridge);
	if (ioctl(ctl, SIOCGIFADDR, &ifr) < 0)
		return;
	addr = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr;
	tap_ifreq(&ifr, bridge);
	if (ioctl(ctl, SIOCGIFNETMASK, &ifr) < 0)
		return;
	mask = ((struct sockaddr_in *)&ifr.ifr_netmask)->sin_addr;

	a = ntohl(addr.s_addr);
	m = ntohl(mask.s_addr);
	last = (a & m) | ~m;
	/* The last usable host is the one before broadcast; a /31 or /32
	 * has no broadcast address to skip. */
	if (~m >= 2)
		last--;
	end.s_addr = htonl(last);

	inet_ntop(AF_INET, &addr, info->start_address,
		  sizeof(info->start_address));
	inet_ntop(AF_INET, &mask, info->subnet_mask, sizeof(info->subnet_mask));
	inet_ntop(AF_INET, &end, info->end_address, sizeof(info->end_address));
}

/* Make the TAP a port of the bridge. A TAP that already is one (a
 * persistent TAP set up beforehand) is fine; a port of another bridge is
 * not. */
static int tap_enslave(int ctl, const char *tap, const char *bridge,
		       unsigned bridge_index, char *err, size_t errlen)
{
	struct ifreq ifr;
	int tap_index, e, master;

	tap_index = (int)if_nametoindex(tap);
	if (!tap_index) {
		e = errno;
		errmsg_format(err, errlen,
			      "TAP '%s': cannot find its index: %s", tap,
			      strerror(e));
		return -e;
	}
	tap_ifreq(&ifr, bridge);
	ifr.ifr_ifindex = tap_index;
	if (ioctl(ctl, SIOCBRADDIF, &ifr) == 0)
		return 0;
	e = errno;
	if (e == EOPNOTSUPP) {
		errmsg_format(
		    err, errlen,
		    "'%s' is not a bridge: create one with 'ip link add "
		    "NAME type bridge' and pass it to --bridge",
		    bridge);
		return -e;
	}
	if (e == EBUSY) {
		master = tap_master_index(tap_index);
		if (master == (int)bridge_index)
			return 0;
		errmsg_format(
		    err, errlen,
		    "TAP '%s' is already a port of another device: run "
		    "'ip link set %s nomaster' or use another TAP",
		    tap, tap);
		return -e;
	}
	errmsg_format(err, errlen, "adding TAP '%s' to bridge '%s': %s", tap,
		      bridge, strerror(e));
	return -e;
}

/* @why finishes the error message: "for TSO", "to match bridge 'br0'". */
static int tap_set_mtu(int ctl, const char *tap, int mtu, const char *why,
		       char *err, size_t errlen)
{
	struct ifreq ifr;
	int e;

	tap_ifreq(&ifr, tap);
	ifr.ifr_mtu = mtu;
	if (ioctl(ctl, SIOCSIFMTU, &ifr) == 0)
		return 0;
	e = errno;
	errmsg_format(err, errlen, "setting MTU %d on TAP '%s' %s: %s", mtu,
		      tap, why, strerror(e));
	return -e;
}

/* The MTU of device @name (the TAP, or its bridge). */
static int tap_get_mtu(int ctl, const char *name, uint32_t *mtu, char *err,
		       size_t errlen)
{
	struct ifreq ifr;
	int e;

	tap_ifreq(&ifr, name);
	e = ioctl(ctl, SIOCGIFMTU, &ifr) < 0 ? errno : 0;
	if (!e && ifr.ifr_mtu > 0) {
		*mtu = (uint32_t)ifr.ifr_mtu;
		return 0;
	}
	if (!e)
		e = EINVAL;
	errmsg_format(err, errlen, "reading the MTU of '%s': %s", name,
		      strerror(e));
	return -e;
}

/*
 * A bridge forwards a frame to a port only if it fits that port's MTU
 * (br_forward.c: br_dev_queue_push_xmit() drops it when
 * is_skb_forwardable() says no), and no counter of the VM's shows that.
 * Unless its MTU was set by hand, the bridge takes the smallest MTU of its
 * ports (br_if.c, br_mtu_auto_adjust()), so after the TAP joins, the
 * bridge's MTU is the largest frame every port takes: a VXLAN port lowers
 * it by its 50 bytes of outer headers (1450 over a 1500 underlay). The TAP
 * keeps its own 1500, so a VM told 1500 would send frames the bridge drops
 * in silence. So the TAP is lowered to the bridge's MTU, which the JSON
 * line then reports, and longer frames from the VM are counted where the
 * helper reads them (drop_truncated). Read once, at start: a port added
 * later with a smaller MTU is not seen.
 */
static int tap_fit_bridge_mtu(int ctl, const char *tap, const char *bridge,
			      bool tso, char *err, size_t errlen)
{
	uint32_t tap_mtu, bridge_mtu;
	char why[48];
	int r;

	r = tap_get_mtu(ctl, tap, &tap_mtu, err, errlen);
	if (!r)
		r = tap_get_mtu(ctl, bridge, &bridge_mtu, err, errlen);
	if (r || bridge_mtu >= tap_mtu)
		return r;
	snprintf(why, sizeof(why), "to match bridge '%s'", bridge);
	r = tap_set_mtu(ctl, tap, (int)bridge_mtu, why, err, errlen);
	if (r)
		return r;
	log_info("[host] TAP '%s': MTU %u, lowered from %u to match bridge "
		 "'%s' (its smallest port); longer frames from the VM are "
		 "dropped and counted (drop_truncated)",
		 tap, bridge_mtu, tap_mtu, bridge);
	if (tso)
		log_info("[host] --enable-tso: for 64 KiB frames give every "
			 "port of bridge '%s' MTU %d",
			 bridge, TAP_TSO_MTU);
	return 0;
}

static int tap_set_up(int ctl, const char *tap, char *err, size_t errlen)
{
	struct ifreq ifr;
	int e;

	tap_ifreq(&ifr, tap);
	if (ioctl(ctl, SIOCGIFFLAGS, &ifr) == 0) {
		if (ifr.ifr_flags & IFF_UP)
			return 0;
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(ctl, SIOCSIFFLAGS, &ifr) == 0)
			return 0;
	}
	e = errno;
	errmsg_format(err, errlen, "bringing TAP '%s' up: %s", tap,
		      strerror(e));
	return -e;
}

int tap_attach(const char *name, char real[IFNAMSIZ], char *err, size_t errlen)
{
	const char *shown = name[0] ? name : "tapN";
	struct ifreq ifr;
	int fd, e;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT || e == ENODEV || e == ENXIO)
			errmsg_format(err, errlen,
				      "no /dev/net/tun: load the tun module "
				      "(modprobe tun)");
		else if (e == EACCES || e == EPERM)
			errmsg_format(
			    err, errlen,
			    "opening /dev/net/tun for TAP '%s': %s: run "
			    "as root (the helper drops privileges after "
			    "start)",
			    shown, strerror(e));
		else
			errmsg_format(err, errlen, "opening /dev/net/tun: %s",
				      strerror(e));
		return -e;
	}
	tap_ifreq(&ifr, name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		if (e == EPERM)
			errmsg_format(
			    err, errlen,
			    "opening TAP '%s' needs CAP_NET_ADMIN: run as "
			    "root (the helper drops privileges after "
			    "start)",
			    shown);
		else if (e == EBUSY)
			errmsg_format(
			    err, errlen,
			    "TAP '%s' is in use by another process (%s): "
			    "stop it or choose another --tap",
			    shown, strerror(e));
		else if (e == EINVAL && name[0])
			errmsg_format(
			    err, errlen,
			    "'%s' exists and is not a TAP device (%s): "
			    "choose another --tap",
			    name, strerror(e));
		else
			errmsg_format(err, errlen, "opening TAP '%s': %s",
				      shown, strerror(e));
		close(fd);
		return -e;
	}
	memcpy(real, ifr.ifr_name, IFNAMSIZ);
	real[IFNAMSIZ - 1] = '\0';
	return fd;
}

int tap_configure(const struct host_config *cfg, const char *tap,
		  unsigned bridge_index, struct host_info *info, char *err,
		  size_t errlen)
{
	int ctl, r;

	ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ctl < 0) {
		r = -errno;
		errmsg_format(err, errlen, "control socket for TAP '%s': %s",
			      tap, strerror(-r));
		return r;
	}
	if (cfg->enable_tso) {
		r = tap_set_mtu(ctl, tap, TAP_TSO_MTU, "for TSO", err, errlen);
		if (r)
			goto out;
	}
	if (cfg->bridge) {
		r = tap_enslave(ctl, tap, cfg->bridge, bridge_index, err,
				errlen);
		if (!r)
			r = tap_fit_bridge_mtu(ctl, tap, cfg->bridge,
					       cfg->enable_tso, err, errlen);
		if (r)
			goto out;
		snprintf(info->bridge, sizeof(info->bridge), "%s", cfg->bridge);
		tap_bridge_ipv4(ctl, cfg->bridge, info);
	}
	r = tap_set_up(ctl, tap, err, errlen);
	if (r)
		goto out;
	/* Read back rather than assume: an existing TAP keeps the MTU it was
	 * given (lowered to its bridge's, above), and this is the MTU frames
	 * are cut to and the JSON line reports. */
	r = tap_get_mtu(ctl, tap, &info->mtu, err, errlen);
out:
	close(ctl);
	return r;
}
