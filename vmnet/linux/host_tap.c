/* SPDX-License-Identifier: Apache-2.0 */
/* host_tap.c - the host side on Linux: a TAP device, optionally a bridge port,
 * as an endpoint the engine reads and writes. */
#include "host.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"
#include "host_identity.h"
#include "log.h"
#include "tap_device.h"
#include "tap_uring.h"

/*
 * How it works
 *
 * host_open() opens /dev/net/tun and binds the fd to a TAP device with
 * TUNSETIFF: a new one (named by --tap, or tapN chosen by the kernel), or an
 * existing persistent one of that name. It then sets the MTU (TSO only),
 * makes the TAP a port of --bridge if given (lowering its MTU to the
 * bridge's, which a VXLAN port may have lowered: tap_device.c), and brings
 * it up. All of this
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

struct host_tap {
	struct endpoint ep; /* first: the engine sees only this */
	char name[IFNAMSIZ];
	struct tap_uring *uring; /* batch I/O, or NULL: a call per frame */
	bool uring_read;	 /* reads through it too */
	bool uring_write;	 /* writes through it too */
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
 * a longer frame would be cut without a word; asking for the spare byte
 * every buffer has beyond max_frame (POOL_SPARE) turns that into a length
 * of max_frame + 1, which we flag. With max_frame = MTU + 14 the kernel
 * should never send more (it segments before a TAP without vnet headers),
 * but a VLAN tag added on the way out, or an MTU raised by hand after
 * start, would. A plain read() rather than readv() with a second iovec for
 * that byte: the kernel then has no iovec array to copy in and check per
 * frame.
 */
static int tap_read(struct endpoint *ep, struct pkt **pkts, unsigned n)
{
	struct host_tap *t = (struct host_tap *)ep;
	unsigned i = 0;

	if (t->uring_read)
		return tap_uring_read(t->uring, pkts, n,
				      ep->max_frame + POOL_SPARE, tap_gone);

	while (i < n) {
		struct pkt *p = pkts[i];
		ssize_t r = read(ep->fd, p->data, ep->max_frame + POOL_SPARE);

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

	if (t->uring_write)
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
			 * build an skb from: only this frame is bad. */
			if (e == EINVAL || e == EMSGSIZE)
				return -EMSGSIZE;
			/* EIO: the TAP is down (set down by hand; a
			 * deleted TAP gives EBADFD). Like an unplugged
			 * cable it loses frames: each is dropped and
			 * counted apart, until it is up again. */
			if (e == EIO)
				return -ENETDOWN;
			if (e == ENOBUFS || e == ENOMEM)
				return -ENOBUFS;
			return tap_gone(e) ? -EPIPE : -e;
		}
		i++;
	}
	return (int)i;
}

/* The engine's pools: registered with io_uring, so that reads and writes
 * use fixed buffers. */
static int tap_use_buffers(struct endpoint *ep,
			   const struct endpoint_region *regions, unsigned n)
{
	struct host_tap *t = (struct host_tap *)ep;
	struct iovec iov[2];

	if (!t->uring)
		return 0;
	if (n > 2)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		iov[i] = (struct iovec){regions[i].base, regions[i].len};
	return tap_uring_use_buffers(t->uring, n ? iov : NULL, n);
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
    .use_buffers = tap_use_buffers,
    .close = tap_close,
};

/* Whether the environment variable @var asks for @value. */
static bool env_is(const char *var, const char *value)
{
	const char *v = getenv(var);

	return v && strcmp(v, value) == 0;
}

/* io_uring where it works; VMNET_TAP_WRITE=write and VMNET_TAP_READ=read
 * ask for one call per frame instead, to compare (docs/vmnet-helper.md). */
static void open_batch_io(struct host_tap *t, unsigned max_batch)
{
	bool per_frame_write = env_is("VMNET_TAP_WRITE", "write");
	bool per_frame_read = env_is("VMNET_TAP_READ", "read");
	int r;

	if (per_frame_write)
		log_info("[host] %s: one write() per frame "
			 "(VMNET_TAP_WRITE=write)",
			 t->name);
	if (per_frame_read)
		log_info("[host] %s: one read() per frame "
			 "(VMNET_TAP_READ=read)",
			 t->name);
	if (per_frame_write && per_frame_read)
		return;
	r = tap_uring_open(t->ep.fd, max_batch ? max_batch : 1, &t->uring);
	if (r) {
		log_info("[host] %s: io_uring unavailable (%s): one read() or "
			 "write() per frame",
			 t->name, strerror(-r));
		return;
	}
	t->uring_read = !per_frame_read;
	t->uring_write = !per_frame_write;
	log_debug("[host] %s: frames read and written with io_uring, one "
		  "submission per batch",
		  t->name);
}

int host_open(const struct host_config *cfg, struct endpoint **epp,
	      struct host_info *info, char *err, size_t errlen)
{
	const char *name = cfg->tap ? cfg->tap : "";
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

	r = host_identity(cfg, info, err, errlen);
	if (r)
		return r;

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
	open_batch_io(t, cfg->max_batch);
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
