/* SPDX-License-Identifier: Apache-2.0 */
/* dgram_io.h - batch send and receive on a nonblocking unix datagram
 * socket: recvmmsg/sendmmsg on Linux (dgram_io_linux.c), the private
 * recvmsg_x/sendmsg_x on macOS (dgram_io_darwin.c). */
#ifndef VMNET_HELPER_DGRAM_IO_H
#define VMNET_HELPER_DGRAM_IO_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "pool.h"

/* Most datagrams per call; the macOS kernel clamps to 256 as well (100
 * on macOS 12 and 13: kern.ipc.maxrecvmsgx / maxsendmsgx). */
#define DGRAM_IO_BATCH_MAX 256

struct dgram_io;

/**
 * dgram_io_size_buffers() - size a unix datagram socket's buffers so that
 * @rcvbuf bytes of datagrams can queue towards it and from it
 * @fd:		socket
 * @rcvbuf:	bytes to let queue, e.g. 4 MiB
 *
 * The kernels count queued datagrams differently. macOS charges them to
 * the receiver's SO_RCVBUF, and the sender's SO_SNDBUF only caps one
 * datagram: 65 KiB, as vmnet-helper sets it, admits a 65550-byte TSO
 * frame. Linux charges them to the sender's SO_SNDBUF, so there a 65 KiB
 * send buffer lets only ~40 frames be in flight and bursts are dropped;
 * the send buffer gets @rcvbuf too. Linux caps both at net.core.wmem_max
 * and rmem_max unless the caller has CAP_NET_ADMIN (SO_*BUFFORCE is tried
 * first), so the sizes are the best the caller may have. macOS before 14.4
 * refuses a size above about 7.1 MiB (kern.ipc.maxsockbuf's default 8 MiB
 * less mbuf overhead) with ENOBUFS instead of capping it; the largest size
 * it takes is set instead and logged (xnu_sockbuf_fit()).
 *
 * Return: 0, or the negative errno of a size that could not be set at
 * all (the caller may warn; the socket still works).
 */
int dgram_io_size_buffers(int fd, int rcvbuf);

/**
 * dgram_io_create() - prepare batch I/O on @fd
 * @fd:		nonblocking SOCK_DGRAM socket; not owned
 * @max_batch:	largest batch any call will pass, 1 to DGRAM_IO_BATCH_MAX
 * @want_source: if non-zero, dgram_io_recv() records each datagram's sender
 *		(for a bound, unconnected socket that must tell clients apart)
 * @iop:	on success, the new object
 *
 * All per-call arrays (message headers, iovecs, addresses) are allocated
 * here, once. Receiving and sending use separate arrays, so one thread may
 * call dgram_io_recv() while another calls dgram_io_send() on the same
 * object; two threads must not both receive, or both send, at once.
 *
 * Return: 0, -EINVAL, -ENOMEM.
 */
int dgram_io_create(int fd, unsigned max_batch, int want_source,
		    struct dgram_io **iop);

/**
 * dgram_io_destroy() - free @io; does not close the fd
 * @io:	object, or NULL
 */
void dgram_io_destroy(struct dgram_io *io);

/**
 * dgram_io_recv() - receive up to @n datagrams, one per buffer
 * @io:		object
 * @pkts:	buffers; each gets its datagram in data[], its length in len,
 *		and flags 0 or PKT_F_TRUNCATED
 * @n:		buffers offered, 1 to max_batch
 * @cap:	room in each buffer's data[]
 *
 * Never blocks. A truncated datagram is still returned (flagged), so the
 * caller can count it as a bad frame.
 *
 * Return: datagrams received (>= 1), -EAGAIN when there are none, -EINVAL
 * for @n out of range, or another negative errno (ECONNREFUSED, ENOTCONN,
 * ...) when the socket failed; -ECONNRESET also when the socket can
 * receive no more (macOS: shut down for reading). A closed peer raises no
 * event on either kernel: on macOS the first receive (or send) after it
 * returns -ECONNRESET once, then receive returns -EAGAIN as on Linux;
 * dgram_io_send() sees it, and peer_watch.h can ask the kernel.
 */
int dgram_io_recv(struct dgram_io *io, struct pkt **pkts, unsigned n,
		  uint32_t cap);

/**
 * dgram_io_source() - sender of datagram @i of the last dgram_io_recv()
 * @io:		object created with want_source
 * @i:		index in that batch
 * @len:	on return, the address length (0 for an unbound sender)
 *
 * Return: the address, valid until the next dgram_io_recv(); NULL (and
 * *@len 0) if @io has no want_source or @i is beyond that batch.
 */
const struct sockaddr_un *dgram_io_source(const struct dgram_io *io, unsigned i,
					  socklen_t *len);

/**
 * dgram_io_send() - send up to @n buffers, one datagram each, in order
 * @io:		object; the socket must be connected
 * @pkts:	buffers; data[0 .. len) of each is sent
 * @n:		how many, 1 to max_batch
 *
 * Never blocks. Stops at the first datagram the kernel refuses; the caller
 * resubmits from there.
 *
 * Return: datagrams sent (>= 1), or the negative errno that refused the
 * first one: -EAGAIN (socket buffer full; also Linux's answer when the
 * peer's queue is full), -ENOBUFS (macOS: peer's queue full; no event will
 * say when it drains), -EMSGSIZE (this datagram can never be sent),
 * -ECONNREFUSED / -ECONNRESET / -ENOTCONN / -EPIPE (the peer is gone),
 * -EINVAL (@n out of range), ...
 */
int dgram_io_send(struct dgram_io *io, struct pkt *const *pkts, unsigned n);

#endif
