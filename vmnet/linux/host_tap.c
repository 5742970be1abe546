/* SPDX-License-Identifier: Apache-2.0 */
/* host_tap.c - the host side on Linux: a TAP device, optionally a bridge port,
 * as an endpoint the engine reads and writes. */
#include "host.h"

#include "errmsg.h"
#include "log.h"
#include "tap_uring.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/*
 * How it works
 *
 * host_open() opens /dev/net/tun and binds the fd to a TAP device with
 * TUNSETIFF: a new one (named by --tap, or tapN chosen by the kernel), or an
 * existing persistent one of that name. It then sets the MTU (TSO only),
 * makes the TAP a port of --bridge if given, and brings it up. All of this
 * needs CAP_NET_ADMIN; the fd keeps working after the helper drops it.
 *
 * The fd carries plain Ethernet frames, one per read() or write(), with no
 * packet-information prefix (IFF_NO_PI) and no virtio-net header, because
 * the VM side carries plain Ethernet frames too. So TSO is done with a large
 * MTU rather than with vnet headers and kernel segmentation offload: the
 * kernel segments anything bigger before it hands us a frame, so frames are
 * at most MTU + 14 bytes both ways (writes of bigger frames are accepted,
 * and the stack may drop them).
 *
 * A TAP created here disappears when the fd is closed; an existing
 * persistent TAP stays, with the MTU, bridge and up state we gave it.
 */

#define TAP_ETH_HLEN 14
/* tun.c caps a TAP's MTU at 65535 minus its Ethernet header, so 64 KiB
 * frames need this MTU and the largest frame is exactly 65535 bytes. */
#define TAP_TSO_MTU (65535 - TAP_ETH_HLEN)

struct host_tap {
	struct endpoint ep; /* first: the engine sees only this */
	char name[IFNAMSIZ];
	struct tap_uring *uring; /* batch writes, or NULL: write() each */
};

/* Errors that say the TAP is gone. Deleting it makes reads and writes fail
 * with EBADFD (and epoll report EPOLLERR, so a sleeping worker wakes); the
 * rest are for a driver or namespace going away. The engine treats -EPIPE
 * as "peer gone" and stops cleanly. */
static bool tap_gone(int err)
{
	return err == EBADFD || err == ENXIO || err == ENODEV ||
	       err == ENETDOWN;
}

/*
 * One frame per read. tun copies what fits and returns the bytes copied, so
 * a longer frame would be cut without a word; the byte of @spare after the
 * buffer turns that into a length of max_frame + 1, which we flag. With
 * max_frame = MTU + 14 the kernel should never send more (it segments
 * before a TAP without vnet headers), but a VLAN tag added on the way out,
 * or an MTU raised by hand after start, would.
 */
static int tap_read(struct endpoint *ep, struct pkt **pkts, unsigned n)
{
	unsigned char spare;
	unsigned i = 0;

	while (i < n) {
		struct pkt *p = pkts[i];
		struct iovec iov[2] = {
		    {.iov_base = p->data, .iov_len = ep->max_frame},
		    {.iov_base = &spare, .iov_len = 1},
		};
		ssize_t r = readv(ep->fd, iov, 2);

		if (r < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			if (i > 0)
				return (int)i;
			if (e == EAGAIN)
				return -EAGAIN;
			/* tun reads do not fail with EIO today; if one
			 * does, the device is no use to us either. */
			return tap_gone(e) || e == EIO ? -EPIPE : -e;
		}
		if ((size_t)r > ep->max_frame) {
			p->len = ep->max_frame;
			p->flags = PKT_F_TRUNCATED;
		} else {
			p->len = (uint32_t)r;
			p->flags = 0;
		}
		i++;
	}
	return (int)i;
}

/* TAP has no batch write: one io_uring submission per batch where the
 * kernel allows it (tap_uring.c), else one write() per frame. tun accepts or
 * drops a frame at once (its socket send buffer is unlimited), so EAGAIN is
 * unexpected but handled. */
static int tap_write(struct endpoint *ep, struct pkt *const *pkts, unsigned n)
{
	struct host_tap *t = (struct host_tap *)ep;
	unsigned i = 0;

	if (t->uring)
		return tap_uring_write(t->uring, pkts, n, tap_gone);

	while (i < n) {
		ssize_t r = write(ep->fd, pkts[i]->data, pkts[i]->len);

		if (r < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			if (i > 0)
				return (int)i;
			if (e == EAGAIN)
				return -EAGAIN;
			/* Shorter than an Ethernet header, or too big to
			 * build an skb from: only this frame is bad. EIO
			 * means the TAP is down (set down by hand; a
			 * deleted TAP gives EBADFD): like an unplugged
			 * cable it loses frames, so drop them one by one
			 * and keep going until it is up again. */
			if (e == EINVAL || e == EMSGSIZE || e == EIO)
				return -EMSGSIZE;
			if (e == ENOBUFS || e == ENOMEM)
				return -ENOBUFS;
			return tap_gone(e) ? -EPIPE : -e;
		}
		i++;
	}
	return (int)i;
}

static void tap_close(struct endpoint *ep)
{
	struct host_tap *t = (struct host_tap *)ep;

	tap_uring_close(t->uring);
	close(ep->fd);
	free(t);
}

static const struct endpoint_ops tap_ops = {
    .read_batch = tap_read,
    .write_batch = tap_write,
    .set_notify = NULL,
    .close = tap_close,
};

static void tap_ifreq(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

static int tap_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t r = getrandom(p, len, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/*
 * The VM's MAC from its interface id: the top 48 bits of the id's 64-bit
 * FNV-1a hash, made locally administered (bit 1 of the first octet set) and
 * unicast (bit 0 clear). The same id gives the same MAC on every run and
 * host, so a VM keeps its DHCP lease and neighbour entries.
 */
static void tap_mac_from_id(const unsigned char id[16], unsigned char mac[6])
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (int i = 0; i < 16; i++) {
		h ^= id[i];
		h *= UINT64_C(0x100000001b3);
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (unsigned char)(h >> (56 - 8 * i));
	mac[0] = (unsigned char)((mac[0] & 0xfc) | 0x02);
}

static void tap_format_uuid(const unsigned char id[16], char out[37])
{
	char *p = out;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		p += sprintf(p, "%02x", id[i]);
	}
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

/* The ifindex of @ifindex's master device (0 if none), from rtnetlink: no
 * ioctl reports it, and sysfs shows the namespace sysfs was mounted in,
 * not ours. */
static int tap_master_index(int ifindex)
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

static int tap_set_mtu(int ctl, const char *tap, int mtu, char *err,
		       size_t errlen)
{
	struct ifreq ifr;
	int e;

	tap_ifreq(&ifr, tap);
	ifr.ifr_mtu = mtu;
	if (ioctl(ctl, SIOCSIFMTU, &ifr) == 0)
		return 0;
	e = errno;
	errmsg_format(err, errlen, "setting MTU %d on TAP '%s' for TSO: %s",
		      mtu, tap, strerror(e));
	return -e;
}

static int tap_get_mtu(int ctl, const char *tap, uint32_t *mtu, char *err,
		       size_t errlen)
{
	struct ifreq ifr;
	int e;

	tap_ifreq(&ifr, tap);
	e = ioctl(ctl, SIOCGIFMTU, &ifr) < 0 ? errno : 0;
	if (!e && ifr.ifr_mtu > 0) {
		*mtu = (uint32_t)ifr.ifr_mtu;
		return 0;
	}
	if (!e)
		e = EINVAL;
	errmsg_format(err, errlen, "reading the MTU of TAP '%s': %s", tap,
		      strerror(e));
	return -e;
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

/* Open /dev/net/tun and bind it to the TAP @name ("" for tapN), creating
 * it unless a persistent one exists; @real gets the device's name. */
static int tap_attach(const char *name, char real[IFNAMSIZ], char *err,
		      size_t errlen)
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

/* Everything host_open() reports except the endpoint-independent MAC and
 * id, which the caller fills first. */
static int tap_configure(const struct host_config *cfg, const char *tap,
			 unsigned bridge_index, struct host_info *info,
			 char *err, size_t errlen)
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
		r = tap_set_mtu(ctl, tap, TAP_TSO_MTU, err, errlen);
		if (r)
			goto out;
	}
	if (cfg->bridge) {
		r = tap_enslave(ctl, tap, cfg->bridge, bridge_index, err,
				errlen);
		if (r)
			goto out;
		snprintf(info->bridge, sizeof(info->bridge), "%s", cfg->bridge);
		tap_bridge_ipv4(ctl, cfg->bridge, info);
	}
	r = tap_set_up(ctl, tap, err, errlen);
	if (r)
		goto out;
	/* Read back rather than assume: an existing TAP keeps the MTU it was
	 * given, and this is the MTU frames are cut to. */
	r = tap_get_mtu(ctl, tap, &info->mtu, err, errlen);
out:
	close(ctl);
	return r;
}

/* io_uring where it works; VMNET_TAP_WRITE=write asks for one write() per
 * frame instead, to compare the two (docs/vmnet-helper.md). */
static void open_batch_writer(struct host_tap *t, unsigned max_batch)
{
	const char *choice = getenv("VMNET_TAP_WRITE");
	int r;

	if (choice && strcmp(choice, "write") == 0) {
		log_info("[host] %s: one write() per frame "
			 "(VMNET_TAP_WRITE=write)",
			 t->name);
		return;
	}
	r = tap_uring_open(t->ep.fd, max_batch ? max_batch : 1, &t->uring);
	if (r)
		log_info("[host] %s: io_uring unavailable (%s): one write() "
			 "per frame",
			 t->name, strerror(-r));
	else
		log_debug("[host] %s: frames written with io_uring, one "
			  "submission per batch",
			  t->name);
}

int host_open(const struct host_config *cfg, struct endpoint **epp,
	      struct host_info *info, char *err, size_t errlen)
{
	const char *name = cfg->tap ? cfg->tap : "";
	unsigned char id[16], mac[6];
	unsigned bridge_index = 0;
	struct host_tap *t;
	int fd, r;

	*epp = NULL;
	memset(info, 0, sizeof(*info));
	if (strlen(name) >= IFNAMSIZ) {
		errmsg_format(err, errlen,
			      "--tap '%s' is too long: at most %d characters",
			      name, IFNAMSIZ - 1);
		return -EINVAL;
	}
	if (cfg->bridge) {
		if (strlen(cfg->bridge) >= IFNAMSIZ) {
			errmsg_format(err, errlen,
				      "--bridge '%s' is too long: at most %d "
				      "characters",
				      cfg->bridge, IFNAMSIZ - 1);
			return -EINVAL;
		}
		/* Checked before the TAP exists, so a typo leaves nothing
		 * behind. */
		bridge_index = if_nametoindex(cfg->bridge);
		if (!bridge_index) {
			errmsg_format(
			    err, errlen,
			    "bridge '%s' does not exist: create it with "
			    "'ip link add %s type bridge'",
			    cfg->bridge, cfg->bridge);
			return -ENODEV;
		}
	}

	/* Without an id, make a random v4 UUID so there is always one to
	 * report; passing it back as the id gives the same MAC again. */
	if (cfg->interface_id_given) {
		memcpy(id, cfg->interface_id, sizeof(id));
	} else {
		r = tap_random(id, sizeof(id));
		if (r) {
			errmsg_format(err, errlen, "getrandom: %s",
				      strerror(-r));
			return r;
		}
		id[6] = (unsigned char)((id[6] & 0x0f) | 0x40);
		id[8] = (unsigned char)((id[8] & 0x3f) | 0x80);
	}
	tap_format_uuid(id, info->interface_id);
	tap_mac_from_id(id, mac);
	snprintf(info->mac_address, sizeof(info->mac_address),
		 "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);

	t = calloc(1, sizeof(*t));
	if (!t) {
		errmsg_format(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fd = tap_attach(name, t->name, err, errlen);
	if (fd < 0) {
		free(t);
		return fd;
	}
	r = tap_configure(cfg, t->name, bridge_index, info, err, errlen);
	if (r) {
		/* A TAP we created goes away with the fd. */
		close(fd);
		free(t);
		memset(info, 0, sizeof(*info));
		return r;
	}

	snprintf(info->tap_name, sizeof(info->tap_name), "%s", t->name);
	info->max_packet_size = info->mtu + TAP_ETH_HLEN;
	info->read_max_packets = cfg->max_batch;
	info->write_max_packets = cfg->max_batch;

	t->ep.ops = &tap_ops;
	t->ep.name = t->name;
	t->ep.fd = fd;
	t->ep.max_frame = info->max_packet_size;
	open_batch_writer(t, cfg->max_batch);
	*epp = &t->ep;
	return 0;
}

int host_list_shared_interfaces(FILE *out, char *err, size_t errlen)
{
	(void)out;
	errmsg_format(err, errlen,
		      "listing shared interfaces is for bridged mode, which is "
		      "macOS only; on Linux attach the TAP to a bridge with "
		      "--bridge");
	return -ENOTSUP;
}
