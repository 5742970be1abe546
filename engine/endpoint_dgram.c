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
	bool filter;		   /* flag frames not from client */
	char client[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
};

/* The path of @sa (length @len) as a string in @out. */
static void path_of(const struct sockaddr_un *sa, socklen_t len, char *out,
		    size_t outlen)
{
	const size_t off = offsetof(struct sockaddr_un, sun_path);
	size_t n = len > off ? len - off : 0;

	if (n > outlen - 1)
		n = outlen - 1;
	/* Lengths may or may not count the NUL: compare as strings. */
	memcpy(out, sa->sun_path, n);
	out[n] = '\0';
}

static bool from_client(const struct endpoint_dgram *d, unsigned i)
{
	char path[sizeof(d->client)];
	socklen_t len;
	const struct sockaddr_un *sa = dgram_io_source(d->io, i, &len);

	if (!sa || len == 0)
		return false; /* unbound senders are never the client */
	path_of(sa, len, path, sizeof(path));
	return strcmp(path, d->client) == 0;
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
		path_of(client, client_len, d->client, sizeof(d->client));
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
