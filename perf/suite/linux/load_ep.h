/* SPDX-License-Identifier: Apache-2.0 */
/* load_ep.h - the load tool's kinds of endpoint: a unix datagram socket
 * (the VM's side of a forwarder, or both ends of the limit's socketpair),
 * a unix stream socket with each frame after its 4-byte big-endian length
 * (the VM's side of a forwarder given --stream), and a TAP seen from the
 * host (AF_PACKET: a TPACKET_V3 ring to receive, batched sendmmsg() to
 * inject). All send and receive in batches. */
#ifndef VMH_PERF_LOAD_EP_H
#define VMH_PERF_LOAD_EP_H

#include <linux/if_packet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum load_ep_kind { EP_SOCK, EP_PACKET, EP_VDE, EP_STREAM };

struct load_ep {
	enum load_ep_kind kind;
	int rx_fd, tx_fd; /* the same fd for a socket */
	unsigned batch;
	/* receiving into buffers (EP_SOCK, EP_VDE) */
	size_t rx_cap;
	uint8_t *rx_bufs;
	struct mmsghdr *rx_msgs;
	struct iovec *rx_iov;
	/* receiving from the ring (EP_PACKET) */
	uint8_t *ring;
	size_t block_size, ring_bytes;
	unsigned nblocks, cur;
	struct sockaddr_ll to; /* where injected frames go */
	void *vde;	       /* VDECONN *, EP_VDE */
	/* EP_STREAM: bytes read and not yet cut into frames, and the rest
	 * of a record the kernel took only part of, sent before any other */
	size_t rx_len;
	uint8_t *tx_tail;
	size_t tx_tail_len, tx_tail_off;
	struct iovec *tx_iov;
	uint64_t rx_calls, tx_calls;
};

/* Called for each frame received; @truncated when the buffer cut it. */
typedef void (*load_frame_fn)(void *arg, const uint8_t *p, size_t len,
			      bool truncated);

/**
 * load_ep_sock() - an endpoint on unix datagram socket @fd (made
 * non-blocking here)
 * @e:         the endpoint
 * @fd:        a connected unix datagram socket
 * @max_frame: the largest frame to receive
 * @batch:     frames per receive call
 *
 * Return: 0, or -errno.
 */
int load_ep_sock(struct load_ep *e, int fd, size_t max_frame, unsigned batch);

/**
 * load_ep_stream() - an endpoint on unix stream socket @fd (made
 * non-blocking here), each frame after its length as a 4-byte big-endian
 * number
 * @e:         the endpoint
 * @fd:        a connected unix stream socket
 * @max_frame: the largest frame to receive
 * @batch:     frames per send call
 *
 * A batch is sent with one sendmsg(); the part of a record the kernel did
 * not take is kept and sent first next time, so records never interleave.
 * A received length above @max_frame cannot be resynchronised: it is an
 * error (-EPROTO).
 *
 * Return: 0, or -errno.
 */
int load_ep_stream(struct load_ep *e, int fd, size_t max_frame, unsigned batch);

/**
 * load_ep_packet() - an endpoint on the host side of TAP @ifname
 * @e:         the endpoint
 * @ifname:    the TAP, in this network namespace
 * @max_frame: the largest frame to receive
 * @window:    frames the sender keeps in flight (sizes the ring)
 * @batch:     frames per send call
 * @err:       the reason on failure
 * @errlen:    its size
 *
 * The ring's blocks are small (a few dozen frames), because a TPACKET_V3
 * block is handed to user space only when it is full or its timer
 * expires: big blocks would hold a closed-loop sender's whole window.
 *
 * Return: 0, or -errno with @err set.
 */
int load_ep_packet(struct load_ep *e, const char *ifname, size_t max_frame,
		   unsigned window, unsigned batch, char *err, size_t errlen);

/**
 * load_ep_vde() - an endpoint plugged into VDE switch @path (libvdeplug)
 * @e:         the endpoint
 * @path:      the switch's control socket directory
 * @max_frame: the largest frame to receive
 * @batch:     frames per receive call
 * @err:       the reason on failure
 * @errlen:    its size
 *
 * Return: 0, or -errno with @err set (-ENOSYS if built without
 * libvdeplug).
 */
int load_ep_vde(struct load_ep *e, const char *path, size_t max_frame,
		unsigned batch, char *err, size_t errlen);

/**
 * load_ep_prepare() - aim @n send messages at @e (the TAP's address)
 * @e:    the endpoint
 * @msgs: messages whose iovecs the caller owns
 * @n:    how many
 */
void load_ep_prepare(struct load_ep *e, struct mmsghdr *msgs, unsigned n);

/**
 * load_ep_send() - send up to @n frames without blocking
 * @e:    the endpoint
 * @msgs: the frames (prepared with load_ep_prepare())
 * @n:    how many
 *
 * Return: frames sent (0 when the kernel has no room: wait for POLLOUT on
 * e->tx_fd), or -errno.
 */
int load_ep_send(struct load_ep *e, struct mmsghdr *msgs, unsigned n);

/**
 * load_ep_recv() - hand every frame waiting (up to a batch or the ring's
 * ready blocks) to @fn, without blocking
 * @e:   the endpoint
 * @fn:  called per frame
 * @arg: its first argument
 *
 * Return: frames handled (0 if none), or -errno.
 */
int load_ep_recv(struct load_ep *e, load_frame_fn fn, void *arg);

/**
 * load_ep_ring_drops() - frames the kernel dropped because the ring was
 * full (PACKET_STATISTICS; reading resets it)
 * @e: an EP_PACKET endpoint
 *
 * Return: the count, 0 for other kinds.
 */
uint64_t load_ep_ring_drops(struct load_ep *e);

/**
 * load_ep_close() - close the endpoint's descriptors and free its buffers
 * @e: the endpoint
 */
void load_ep_close(struct load_ep *e);

#endif
