/* SPDX-License-Identifier: Apache-2.0 */
/* endpoint_dgram.c - an endpoint over a connected unix datagram socket. */
#include "endpoint_dgram.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dgram_io.h"

struct endpoint_dgram {
	struct endpoint ep; /* first: the engine sees only this */
	struct dgram_io *io;
	bool filter;	   /* flag frames not from client */
	size_t client_len; /* strlen(client) */
	char client[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
};

/* Length of @sa's path (length @len): address lengths may or may not count
 * the terminating NUL, so the path ends at the first NUL or at @len. */
static size_t path_len(const struct sockaddr_un *sa, socklen_t len)
{
	const size_t off = offsetof(struct sockaddr_un, sun_path);

	return len > off ? strnlen(sa->sun_path, len - off) : 0;
}

/* Per frame in --socket mode, so no copy: a length and a memcmp. */
static bool from_client(const struct endpoint_dgram *d, unsigned i)
{
	socklen_t len;
	const struct sockaddr_un *sa = dgram_io_source(d->io, i, &len);

	if (!sa || len == 0)
		return false; /* unbound senders are never the client */
	return path_len(sa, len) == d->client_len &&
	       memcmp(sa->sun_path, d->client, d->client_len) == 0;
}

static int dgram_read(struct endpoint *ep, struct pkt **pkts, unsigned n)
{
	struct endpoint_dgram *d = (struct endpoint_dgram *)ep;
	int r = dgram_io_recv(d->io, pkts, n, ep->max_frame);

	if (d->filter)
		for (int i = 0; i < r; i++)
			if (!from_client(d, (unsigned)i))
				pkts[i]->flags |= PKT_F_FOREIGN;
	return r;
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

static int open_dgram(int fd, const char *name, uint32_t max_frame,
		      unsigned max_batch, const struct sockaddr_un *client,
		      socklen_t client_len, struct endpoint **epp)
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
	r = dgram_io_create(fd, max_batch, client != NULL, &d->io);
	if (r) {
		free(d);
		return r;
	}
	if (client) {
		d->filter = true;
		d->client_len = path_len(client, client_len);
		memcpy(d->client, client->sun_path, d->client_len);
	}
	d->ep.ops = &dgram_ops;
	d->ep.name = name;
	d->ep.fd = fd;
	d->ep.max_frame = max_frame;
	*epp = &d->ep;
	return 0;
}

int endpoint_dgram_open(int fd, const char *name, uint32_t max_frame,
			unsigned max_batch, struct endpoint **epp)
{
	return open_dgram(fd, name, max_frame, max_batch, NULL, 0, epp);
}

int endpoint_dgram_open_client(int fd, const char *name, uint32_t max_frame,
			       unsigned max_batch,
			       const struct sockaddr_un *client,
			       socklen_t client_len, struct endpoint **epp)
{
	if (!client)
		return -EINVAL;
	return open_dgram(fd, name, max_frame, max_batch, client, client_len,
			  epp);
}
