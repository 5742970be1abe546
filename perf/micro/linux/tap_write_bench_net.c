/* SPDX-License-Identifier: Apache-2.0 */
/* tap_write_bench_net.c - the receiving side: the private namespace with
 * its TAP, and the UDP socket and reader thread that drain kind udp. */
#include "tap_write_bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmnet/linux/tap_device.h"

/* ---- the UDP receiver ---- */

/* Udp RcvbufErrors of our namespace: datagrams dropped because the
 * reader's socket buffer was full. -1 if unreadable. */
long long udp_rcvbuf_errors(void)
{
	char names[1024], vals[1024];
	long long ret = -1;
	FILE *f = fopen("/proc/self/net/snmp", "r");

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f)) {
		char *sn, *sv, *n, *v;

		if (strncmp(names, "Udp: ", 5) || !fgets(vals, sizeof(vals), f))
			continue;
		n = strtok_r(names, " \n", &sn);
		v = strtok_r(vals, " \n", &sv);
		while (n && v) {
			if (!strcmp(n, "RcvbufErrors"))
				ret = strtoll(v, NULL, 10);
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
		}
		break;
	}
	fclose(f);
	return ret;
}

static void *reader_main(void *arg)
{
	struct bench *b = arg;
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	unsigned char *bufs = malloc((size_t)RX_BATCH * RX_BUF);

	if (!bufs) {
		b->reader_what = "allocating its buffers";
		atomic_store_explicit(&b->reader_err, ENOMEM,
				      memory_order_release);
		return NULL;
	}
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < RX_BATCH; i++) {
		iov[i] = (struct iovec){bufs + (size_t)i * RX_BUF, RX_BUF};
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	/* The socket's SO_RCVTIMEO wakes us to look at stop. */
	while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
		int n =
		    recvmmsg(b->udp_fd, msgs, RX_BATCH, MSG_WAITFORONE, NULL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			b->reader_what = "recvmmsg";
			atomic_store_explicit(&b->reader_err, errno,
					      memory_order_release);
			break;
		}
		atomic_fetch_add_explicit(&b->received, (uint64_t)n,
					  memory_order_relaxed);
	}
	free(bufs);
	return NULL;
}

/* The reader's count once it stops changing: everything the TAP delivered
 * is then read (tun delivers inside write(), so nothing is on the way).
 * Gives up after 2 s and returns what it has. */
uint64_t udp_settle(struct bench *b)
{
	const struct timespec tick = {0, 5 * 1000 * 1000};
	uint64_t last =
	    atomic_load_explicit(&b->received, memory_order_relaxed);

	for (int i = 0, quiet = 0; i < 400 && quiet < 3; i++) {
		uint64_t now;

		nanosleep(&tick, NULL);
		now = atomic_load_explicit(&b->received, memory_order_relaxed);
		quiet = now == last ? quiet + 1 : 0;
		last = now;
	}
	return last;
}

void udp_start(struct bench *b)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(UDP_PORT)};
	struct timeval tv = {0, 50 * 1000};
	int sz = RX_SOCKBUF, r;
	pthread_attr_t attr;
	cpu_set_t set;

	b->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (b->udp_fd < 0)
		fatal("UDP socket for the reader: %s", strerror(errno));
	/* FORCE: we are root, and the namespace's rmem_max is small. */
	if (setsockopt(b->udp_fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) <
	    0)
		fatal("SO_RCVBUFFORCE %d on the UDP socket: %s", sz,
		      strerror(errno));
	if (setsockopt(b->udp_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		fatal("SO_RCVTIMEO on the UDP socket: %s", strerror(errno));
	inet_pton(AF_INET, "10.99.0.1", &sa.sin_addr);
	if (bind(b->udp_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fatal("bind UDP 10.99.0.1:%d: %s", UDP_PORT, strerror(errno));

	CPU_ZERO(&set);
	CPU_SET(b->o.reader_cpu, &set);
	if ((r = pthread_attr_init(&attr)) ||
	    (r = pthread_attr_setaffinity_np(&attr, sizeof(set), &set)) ||
	    (r = pthread_create(&b->reader, &attr, reader_main, b)))
		fatal("starting the UDP reader on CPU %d: %s", b->o.reader_cpu,
		      strerror(r));
	pthread_attr_destroy(&attr);
	b->reader_started = true;
	if ((r = pthread_getcpuclockid(b->reader, &b->reader_clock)))
		fatal("pthread_getcpuclockid(reader): %s", strerror(r));
}

/* ---- network namespace and TAP ---- */

static void ifreq_for(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

static void if_up(int ctl, const char *name)
{
	struct ifreq ifr;

	ifreq_for(&ifr, name);
	if (ioctl(ctl, SIOCGIFFLAGS, &ifr) < 0)
		fatal("SIOCGIFFLAGS %s: %s", name, strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(ctl, SIOCSIFFLAGS, &ifr) < 0)
		fatal("bringing %s up (SIOCSIFFLAGS): %s", name,
		      strerror(errno));
}

static void if_set_ipv4(int ctl, const char *name, unsigned long req,
			const char *reqname, const char *addr)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct ifreq ifr;

	ifreq_for(&ifr, name);
	inet_pton(AF_INET, addr, &sa.sin_addr);
	memcpy(&ifr.ifr_addr, &sa, sizeof(sa));
	if (ioctl(ctl, req, &ifr) < 0)
		fatal("%s %s on %s: %s", reqname, addr, name, strerror(errno));
}

void net_setup(struct bench *b)
{
	struct host_config cfg = {0}; /* no TSO, no bridge: just up */
	struct host_info info;
	char real[IFNAMSIZ], err[256];
	struct ifreq ifr;
	int ctl;

	if (unshare(CLONE_NEWNET) < 0)
		fatal("unshare(CLONE_NEWNET) for a private network namespace: "
		      "%s (in a container, it needs CAP_SYS_ADMIN)",
		      strerror(errno));
	ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ctl < 0)
		fatal("control socket in the new namespace: %s",
		      strerror(errno));
	if_up(ctl, "lo");

	/* As the helper opens it: nonblocking, IFF_TAP | IFF_NO_PI. */
	b->tap_fd = tap_attach(TAP_NAME, real, err, sizeof(err));
	if (b->tap_fd < 0)
		fatal("%s", err);
	if (tap_configure(&cfg, TAP_NAME, 0, &info, err, sizeof(err)))
		fatal("%s", err);
	if_set_ipv4(ctl, TAP_NAME, SIOCSIFADDR, "SIOCSIFADDR", "10.99.0.1");
	if_set_ipv4(ctl, TAP_NAME, SIOCSIFNETMASK, "SIOCSIFNETMASK",
		    "255.255.255.0");
	ifreq_for(&ifr, TAP_NAME);
	if (ioctl(ctl, SIOCGIFHWADDR, &ifr) < 0)
		fatal("SIOCGIFHWADDR %s: %s", TAP_NAME, strerror(errno));
	memcpy(b->tap_mac, ifr.ifr_hwaddr.sa_data, 6);
	close(ctl);
}
