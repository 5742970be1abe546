/* SPDX-License-Identifier: Apache-2.0 */
/* baseline_fwd.c - the suite's baseline: the simplest forwarder a user
 * could write between a unix datagram socket and a TAP device, one thread
 * and one poll loop.
 *
 * Usage: baseline-fwd (--fd FD | --socket PATH) (--tap NAME [--mtu N] |
 *                     --host-fd FD) [--batch N]
 *
 * Socket to TAP: recvmmsg() a batch, then one write() per frame (a TAP
 * takes one frame per write). TAP to socket: read() frames until the TAP
 * is empty or a batch is full, then sendmmsg() the batch, blocking while
 * the VM's receive queue is full, so nothing is dropped here. With
 * --host-fd the host side is a second unix datagram socket (VM to VM) and
 * both directions are recvmmsg() then sendmmsg(). It sizes its
 * socket buffers like vmnet-helper (4 MiB each way) so the two meet the
 * same kernel queues. Once the TAP is up it prints {"tap_name":"NAME"} on
 * stdout ({"host_fd":N} with --host-fd), the readiness signal the load
 * tool waits for; SIGTERM or SIGINT
 * ends it with status 0. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BATCH_MAX 256
#define SOCK_BUF  (4 << 20)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what, int e)
{
	fprintf(stderr, "ERROR baseline-fwd: %s: %s\n", what, strerror(e));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"ERROR baseline-fwd: usage: baseline-fwd (--fd FD | --socket "
		"PATH) (--tap NAME [--mtu N] | --host-fd FD) [--batch N]\n");
	exit(1);
}

/* Create TAP @name, set its MTU if @mtu > 0 and bring it up. */
static int tap_open(const char *name, int mtu)
{
	struct ifreq ifr;
	int fd, ctl;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die("opening /dev/net/tun (run as root)", errno);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die("TUNSETIFF", errno);
	ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ctl < 0)
		die("socket(AF_INET)", errno);
	if (mtu > 0) {
		ifr.ifr_mtu = mtu;
		if (ioctl(ctl, SIOCSIFMTU, &ifr) < 0)
			die("setting the TAP's MTU", errno);
	}
	if (ioctl(ctl, SIOCGIFFLAGS, &ifr) < 0)
		die("SIOCGIFFLAGS", errno);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(ctl, SIOCSIFFLAGS, &ifr) < 0)
		die("bringing the TAP up", errno);
	close(ctl);
	return fd;
}

static void size_buffers(int fd)
{
	int v = SOCK_BUF;

	/* The FORCE variants pass net.core.[rw]mem_max as root, as the
	 * helper's do while it still has CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

/* Bind @path and connect to the first sender, as the helper does; the
 * sender's first datagram is a frame: forward it to @tapfd. */
static int socket_serve(const char *path, int tapfd, uint8_t *buf, size_t cap)
{
	struct sockaddr_un me = {.sun_family = AF_UNIX}, peer;
	socklen_t plen = sizeof(peer);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket(AF_UNIX)", errno);
	snprintf(me.sun_path, sizeof(me.sun_path), "%s", path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0)
		die("binding --socket", errno);
	size_buffers(fd);
	printf("{\"socket\":\"%s\"}\n", path);
	fflush(stdout);
	ssize_t n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&peer, &plen);
	if (n < 0)
		die("waiting for the client", errno);
	if (write(tapfd, buf, (size_t)n) < 0)
		fprintf(stderr, "baseline-fwd: first frame dropped: %s\n",
			strerror(errno));
	if (connect(fd, (struct sockaddr *)&peer, plen) < 0)
		die("connecting to the client", errno);
	return fd;
}

/* sendmmsg() all @n messages, blocking while the receiver is full. */
static void send_all(int fd, struct mmsghdr *m, int n)
{
	for (int i = 0; i < n;) {
		int r = sendmmsg(fd, m + i, (unsigned)(n - i), 0);

		if (r < 0) {
			if (errno == EINTR && !stop)
				continue;
			if (errno == EINTR)
				return;
			die("sendmmsg", errno);
		}
		i += r;
	}
}

/* --host-fd: recvmmsg() a batch from either socket, sendmmsg() it to the
 * other, in one poll loop. */
static int socket_to_socket(int a, int b, int batch)
{
	static uint8_t bufs[BATCH_MAX][65536];
	struct mmsghdr m[BATCH_MAX];
	struct iovec iov[BATCH_MAX];

	for (int i = 0; i < BATCH_MAX; i++) {
		iov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
		memset(&m[i], 0, sizeof(m[i]));
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	while (!stop) {
		struct pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll", errno);
		}
		for (int s = 0; s < 2; s++) {
			int from = s ? b : a, to = s ? a : b, n;

			if (p[s].revents & (POLLERR | POLLHUP))
				return 0; /* a peer went away */
			if (!(p[s].revents & POLLIN))
				continue;
			for (int i = 0; i < batch; i++)
				iov[i].iov_len = sizeof(bufs[i]);
			n = recvmmsg(from, m, (unsigned)batch, MSG_DONTWAIT,
				     NULL);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				die("recvmmsg", errno);
			for (int i = 0; i < n; i++)
				iov[i].iov_len = m[i].msg_len;
			if (n > 0)
				send_all(to, m, n);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t bufs[2][BATCH_MAX][65536];
	struct mmsghdr rx[BATCH_MAX], tx[BATCH_MAX];
	struct iovec rx_iov[BATCH_MAX], tx_iov[BATCH_MAX];
	const char *tap = NULL, *path = NULL;
	int sock = -1, tapfd, mtu = 0, batch = 64, host_fd = -1;
	struct sigaction sa;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--fd") == 0)
			sock = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--socket") == 0)
			path = argv[i + 1];
		else if (strcmp(argv[i], "--tap") == 0)
			tap = argv[i + 1];
		else if (strcmp(argv[i], "--mtu") == 0)
			mtu = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--host-fd") == 0)
			host_fd = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--batch") == 0)
			batch = atoi(argv[i + 1]);
		else
			usage();
	}
	if (argc % 2 == 0 || (!tap) == (host_fd < 0) || (sock < 0) == !path ||
	    batch < 1 || batch > BATCH_MAX)
		usage();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (host_fd >= 0) {
		/* VM to VM: the host side is a socket like the VM's. */
		size_buffers(host_fd);
		size_buffers(sock);
		printf("{\"host_fd\":%d}\n", host_fd);
		fflush(stdout);
		return socket_to_socket(sock, host_fd, batch);
	}
	tapfd = tap_open(tap, mtu);
	if (path) {
		sock =
		    socket_serve(path, tapfd, bufs[0][0], sizeof(bufs[0][0]));
	} else {
		size_buffers(sock);
		printf("{\"tap_name\":\"%s\"}\n", tap);
		fflush(stdout);
	}
	for (int i = 0; i < BATCH_MAX; i++) {
		rx_iov[i] = (struct iovec){bufs[0][i], sizeof(bufs[0][i])};
		tx_iov[i] = (struct iovec){bufs[1][i], 0};
		memset(&rx[i], 0, sizeof(rx[i]));
		memset(&tx[i], 0, sizeof(tx[i]));
		rx[i].msg_hdr.msg_iov = &rx_iov[i];
		rx[i].msg_hdr.msg_iovlen = 1;
		tx[i].msg_hdr.msg_iov = &tx_iov[i];
		tx[i].msg_hdr.msg_iovlen = 1;
	}

	while (!stop) {
		struct pollfd p[2] = {{sock, POLLIN, 0}, {tapfd, POLLIN, 0}};
		int n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll", errno);
		}
		if (p[0].revents & (POLLERR | POLLHUP))
			break; /* the VM went away */
		if (p[0].revents & POLLIN) {
			n = recvmmsg(sock, rx, (unsigned)batch, MSG_DONTWAIT,
				     NULL);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				die("recvmmsg", errno);
			for (int i = 0; i < n; i++)
				if (write(tapfd, bufs[0][i], rx[i].msg_len) < 0)
					break; /* TAP refused: dropped */
		}
		if (p[1].revents & POLLIN) {
			int got = 0;

			while (got < batch) {
				ssize_t r = read(tapfd, bufs[1][got],
						 sizeof(bufs[1][got]));
				if (r < 0)
					break; /* EAGAIN: the TAP is empty */
				tx_iov[got++].iov_len = (size_t)r;
			}
			for (int i = 0; i < got; i += n) {
				n = sendmmsg(sock, tx + i, (unsigned)(got - i),
					     0);
				if (n < 0) {
					if (errno == EINTR && !stop) {
						n = 0;
						continue;
					}
					if (errno == EINTR)
						break;
					die("sendmmsg", errno);
				}
			}
		}
	}
	return 0;
}
