/* SPDX-License-Identifier: Apache-2.0 */
/* endpoint_dgram.c - an endpoint over a connected unix datagram socket. */
#include "endpoint_dgram.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "dgram_io.h"

struct endpoint_dgram {
	struct endpoint ep; /* first: the engine sees only this */
	struct dgram_io *io;
};

static int dgram_read(struct endpoint *ep, struct pkt **pkts, unsigned n)
{
	struct endpoint_dgram *d = (struct endpoint_dgram *)ep;

	return dgram_io_recv(d->io, pkts, n, ep->max_frame);
}

static int dgram_write(struct endpoint *ep, struct pkt *const *pkts, unsigned n)
{
	struct endpoint_dgram *d = (struct endpoint_dgram *)ep;

	return dgram_io_send(d->io, pkts, n);
}

static void dgram_close(struct endpoint *ep)
{
	struct endpoint_dgram *d = (struct endpoint_dgram *)ep;

	dgram_io_destroy(d->io);
	close(ep->fd);
	free(d);
}

static const struct endpoint_ops dgram_ops = {
    .read_batch = dgram_read,
    .write_batch = dgram_write,
    .set_notify = NULL,
    .close = dgram_close,
};

int endpoint_dgram_open(int fd, const char *name, uint32_t max_frame,
			unsigned max_batch, struct endpoint **epp)
{
	struct endpoint_dgram *d;
	int flags, r;

	*epp = NULL;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	r = dgram_io_create(fd, max_batch, 0, &d->io);
	if (r) {
		free(d);
		return r;
	}
	d->ep.ops = &dgram_ops;
	d->ep.name = name;
	d->ep.fd = fd;
	d->ep.max_frame = max_frame;
	*epp = &d->ep;
	return 0;
}
