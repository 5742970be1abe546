/* SPDX-License-Identifier: Apache-2.0 */
/* host_expose_linux.c - --expose on Linux: nftables DNAT rules kept by the
 * "expose keeper", a child the helper forks while it is still root.
 *
 * Why a process: nfnetlink checks CAP_NET_ADMIN of the task that sends,
 * at the time it sends, besides that of the socket's opener
 * (net/netlink/af_netlink.c, __netlink_ns_capable(); nfnetlink_rcv()
 * asks netlink_net_capable()), and the helper drops every capability for
 * good before the guest's address is known. So the keeper, forked before
 * the drop, keeps CAP_NET_ADMIN alone and does nothing but this:
 *
 *   1. reserve each host port: a TCP or UDP socket bound to it, never
 *      listening. A port in use fails here (EADDRINUSE), and no other
 *      program, nor another helper, takes it while the rules point at
 *      the guest (locally made connections are redirected before any
 *      socket is looked up, so the reserved socket sees none of them);
 *   2. create table ip vmnet-helper-PID with NFT_TABLE_F_OWNER and two
 *      nat chains (expose_nft.h): the kernel deletes an owned table when
 *      its netlink socket closes, so the rules end with the keeper on any
 *      exit, SIGKILL included; the keeper ends with the helper
 *      (PR_SET_PDEATHSIG, and the end of file on its socket);
 *   3. drop to the helper's uid with CAP_NET_ADMIN alone, no_new_privs;
 *   4. serve requests on a SOCK_SEQPACKET socketpair: "point the rules at
 *      this guest address" (one batch: flush, add), answered with a
 *      status and a one-line message; "bye" deletes the table and exits.
 *
 * The helper's side is one write() and one read() per request, which its
 * sandbox allows (cli/vmnet-helper/linux/sandbox_linux.c).
 */
#include "host.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errmsg.h"
#include "expose_nft.h"
#include "expose_plan.h"

/* How long the helper waits for the keeper's answer: the kernel answers a
 * batch while it is sent, so only a stopped keeper takes this long. */
#define KEEPER_ANSWER_S 5

/* Room for the keeper's one-line messages. */
#define KEEPER_MSG_MAX 400

enum keeper_op { KEEPER_SET_GUEST = 1, KEEPER_BYE = 2 };

struct keeper_request {
	uint32_t op;
	uint32_t ipv4; /* network order */
};

struct keeper_reply {
	int32_t status; /* 0 or a negative errno */
	char msg[KEEPER_MSG_MAX];
};

struct host_expose {
	int fd; /* the helper's end of the socketpair */
	pid_t pid;
	const struct host_config *cfg;
};

/* The keeper's own state. */
struct keeper {
	const struct host_config *cfg;
	int ch; /* its end of the socketpair */
	int nl; /* NETLINK_NETFILTER */
	uint32_t seq;
	char table[EXPOSE_NFT_TABLE_MAX];
	uint8_t batch[EXPOSE_NFT_BATCH_MAX];
};

/* The option as typed, for messages: "--expose 192.168.1.10:8080:80/udp". */
static const char *spec(const struct host_expose_rule *r, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN + 1] = "";

	if (r->host_address.s_addr != INADDR_ANY) {
		inet_ntop(AF_INET, &r->host_address, a, sizeof(a) - 1);
		strcat(a, ":");
	}
	snprintf(buf, len, "--expose %s%u:%u%s", a, r->host_port, r->guest_port,
		 r->proto == HOST_EXPOSE_UDP ? "/udp" : "");
	return buf;
}

/* Step 1: bind every host port. Return: 0 or -errno with @msg. */
static int reserve_ports(const struct host_config *cfg, char *msg, size_t len)
{
	for (unsigned i = 0; i < cfg->expose_count; i++) {
		const struct host_expose_rule *r = &cfg->expose[i];
		bool udp = r->proto == HOST_EXPOSE_UDP;
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_port = htons(r->host_port),
					 .sin_addr = r->host_address};
		char s[64], name[32];
		int e;
		/* No SO_REUSEADDR: with it Linux lets two sockets that do
		 * not listen bind one port, and a second helper would not
		 * see the first's reservation. */
		int fd =
		    socket(AF_INET,
			   (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);

		/* IP_FREEBIND: ADDR may be given to the host later, as the
		 * TAP's own address is, once the helper has made the TAP. */
		if (fd >= 0 && r->host_address.s_addr != INADDR_ANY)
			(void)setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &(int){1},
					 sizeof(int));
		if (fd >= 0 &&
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			continue; /* kept open, bound, until the keeper exits */
		e = errno;
		spec(r, s, sizeof(s));
		expose_rule_name(r, name, sizeof(name));
		if (e == EADDRINUSE)
			errmsg_format(msg, len,
				      "%s: host port %s is in use on this "
				      "host; choose another",
				      s, name);
		else if (e == EADDRNOTAVAIL)
			errmsg_format(msg, len,
				      "%s: the host address is not one of "
				      "this host's; pass one of its addresses "
				      "(ip address) or leave it out",
				      s);
		else if (e == EACCES || e == EPERM)
			errmsg_format(msg, len,
				      "%s: reserving host port %s is not "
				      "permitted: run as root or with "
				      "CAP_NET_BIND_SERVICE",
				      s, name);
		else
			errmsg_format(msg, len,
				      "%s: cannot reserve host port %s: %s", s,
				      name, strerror(e));
		return -e;
	}
	return 0;
}

/*
 * Send a batch and read every answer: the kernel processes a batch while
 * it is sent and queues its answers before sendmsg() returns
 * (nfnetlink_rcv_batch() runs in the sender's context), so they are read
 * without waiting. Return: 0, or the first error with @bad_seq set.
 */
static int transact(struct keeper *k, int len, uint32_t *bad_seq)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	uint8_t buf[8192];
	int err = 0;

	if (sendto(k->nl, k->batch, (size_t)len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) != len)
		return -errno;
	for (;;) {
		ssize_t n = recv(k->nl, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? err : -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf;
		     NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_type != NLMSG_ERROR || e->error == 0 ||
			    err)
				continue;
			err = e->error;
			*bad_seq = h->nlmsg_seq;
		}
	}
}

/* What a netlink error from nf_tables means to the user. */
static const char *nft_reason(int err)
{
	switch (-err) {
	case EPERM:
		return "not permitted: run as root or with CAP_NET_ADMIN";
	case ENOENT:
	case EOPNOTSUPP:
		return "the kernel lacks nf_tables NAT (CONFIG_NFT_NAT, "
		       "nft_chain_nat, nft_fib_ipv4) or is older than 5.12 "
		       "(owned tables)";
	case EEXIST:
		return "a table of that name exists already";
	default:
		return strerror(-err);
	}
}

/* Step 2. Return: 0 or -errno with @msg. */
static int create_table(struct keeper *k, char *msg, size_t len)
{
	uint32_t first = k->seq, bad = 0;
	int n =
	    expose_nft_table_batch(k->table, first, k->batch, sizeof(k->batch));
	int r;

	k->seq += 5;
	k->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (k->nl < 0) {
		r = -errno;
		return errmsg_fail(msg, len, r,
				   "--expose: cannot open the netfilter "
				   "netlink socket: %s%s",
				   strerror(-r),
				   r == -EPROTONOSUPPORT
				       ? " (the kernel has no nfnetlink)"
				       : "");
	}
	r = n < 0 ? -EMSGSIZE : transact(k, n, &bad);
	if (r)
		return errmsg_fail(msg, len, r,
				   "--expose: cannot create nftables table ip "
				   "%s%s: %s",
				   k->table,
				   bad > first + 1 ? " (its nat chains)" : "",
				   nft_reason(r));
	return 0;
}

/* Step 3: uid @uid with CAP_NET_ADMIN alone, for good. Return: 0 or
 * -errno with @msg. */
static int keep_net_admin(uid_t uid, gid_t gid, bool drop, char *msg,
			  size_t len)
{
	struct __user_cap_header_struct h = {.version =
						 _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};
	const char *step = "PR_CAPBSET_DROP";

	/* While root: dropping from the bounding set takes CAP_SETPCAP. */
	for (int cap = 0; cap <= 63; cap++)
		if (cap != CAP_NET_ADMIN && prctl(PR_CAPBSET_DROP, cap) < 0 &&
		    errno == EINVAL)
			break; /* past the kernel's last capability */
	if (drop) {
		step = "setgroups, setresgid, setresuid";
		if (prctl(PR_SET_KEEPCAPS, 1) < 0 || setgroups(1, &gid) < 0 ||
		    setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			goto fail;
	}
	step = "capset";
	d[0].effective = d[0].permitted = 1u << CAP_NET_ADMIN;
	if (syscall(SYS_capset, &h, d) < 0)
		goto fail;
	step = "PR_SET_NO_NEW_PRIVS";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 0) < 0)
		goto fail;
	/* As privdrop_apply() does: prove root cannot come back. */
	if (drop && (setuid(0) == 0 || seteuid(0) == 0))
		return errmsg_fail(msg, len, -EPERM,
				   "--expose: the keeper regained uid 0 after "
				   "dropping it; refusing to run");
	return 0;
fail:
	return errmsg_fail(msg, len, -errno,
			   "--expose: the keeper cannot drop to uid %u with "
			   "CAP_NET_ADMIN alone (%s): %s",
			   (unsigned)uid, step, strerror(errno));
}

static void reply(int ch, int status, const char *msg)
{
	struct keeper_reply rep = {.status = status};

	snprintf(rep.msg, sizeof(rep.msg), "%s", msg);
	(void)!write(ch, &rep, sizeof(rep));
}

/* Step 4, one request: point every rule at @guest. */
static int set_guest(struct keeper *k, struct in_addr guest, char *msg,
		     size_t len)
{
	const struct host_config *c = k->cfg;
	uint32_t first = k->seq, bad = 0;
	int n =
	    expose_nft_rules_batch(k->table, c->expose, c->expose_count, guest,
				   first, k->batch, sizeof(k->batch));
	int r = n < 0 ? -EMSGSIZE : transact(k, n, &bad);
	int i;
	char s[64], a[INET_ADDRSTRLEN];

	k->seq += 4 + 2 * c->expose_count;
	if (!r)
		return 0;
	i = expose_nft_rule_of_seq(bad, first, c->expose_count);
	inet_ntop(AF_INET, &guest, a, sizeof(a));
	if (i < 0)
		return errmsg_fail(msg, len, r,
				   "--expose: cannot replace the rules of "
				   "table ip %s: %s",
				   k->table, nft_reason(r));
	return errmsg_fail(msg, len, r, "%s: cannot forward to %s: %s",
			   spec(&c->expose[i], s, sizeof(s)), a, nft_reason(r));
}

/* A helper taken over by its guest could name any address: never one of
 * the host's loopback, and nothing that is not one host's unicast
 * address. 0 is the request to remove the rules. Return: 0 or -EINVAL
 * with @msg. */
static int guest_address_ok(uint32_t ipv4, char *msg, size_t len)
{
	uint32_t a = ntohl(ipv4);
	char s[INET_ADDRSTRLEN];

	if (a == 0 || ((a >> 24) != 0 && (a >> 24) != 127 && (a >> 28) < 14 &&
		       a != 0xffffffffu))
		return 0;
	inet_ntop(AF_INET, &ipv4, s, sizeof(s));
	return errmsg_fail(msg, len, -EINVAL,
			   "--expose: %s is not an address a guest can have "
			   "(loopback, multicast or reserved); the rules stay "
			   "as they were",
			   s);
}

static void keeper_run(struct keeper *k, uid_t uid, gid_t gid, bool drop)
{
	char msg[KEEPER_MSG_MAX] = "";
	struct keeper_request req;
	int r;

	r = reserve_ports(k->cfg, msg, sizeof(msg));
	if (!r)
		r = create_table(k, msg, sizeof(msg));
	if (!r)
		r = keep_net_admin(uid, gid, drop, msg, sizeof(msg));
	reply(k->ch, r, msg);
	if (r)
		return;
	while (read(k->ch, &req, sizeof(req)) == (ssize_t)sizeof(req) &&
	       req.op == KEEPER_SET_GUEST) {
		msg[0] = '\0';
		r = guest_address_ok(req.ipv4, msg, sizeof(msg));
		if (!r)
			r = set_guest(k, (struct in_addr){req.ipv4}, msg,
				      sizeof(msg));
		reply(k->ch, r, msg);
	}
	/* The table goes with the socket, now: before the answer, so a
	 * helper that has it knows the rules are gone. */
	close(k->nl);
	reply(k->ch, 0, "");
}

int host_expose_open(const struct host_config *cfg, uid_t uid, gid_t gid,
		     bool drop, struct host_expose **xp, char *err,
		     size_t errlen)
{
	static struct keeper k; /* the child's, in its copy of memory */
	struct timeval tv = {.tv_sec = KEEPER_ANSWER_S};
	struct keeper_reply rep;
	struct host_expose *x;
	pid_t helper = getpid();
	int sv[2];

	*xp = NULL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return errmsg_fail(err, errlen, -ENOMEM,
				   "--expose: out of memory");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		int r = -errno;

		free(x);
		return errmsg_fail(err, errlen, r, "--expose: socketpair: %s",
				   strerror(-r));
	}
	x->pid = fork();
	if (x->pid == 0) {
		/* The keeper. Die with the helper, even by SIGKILL; the
		 * signals the helper blocked (signals_take()) stay blocked,
		 * so a Ctrl-C or a SIGUSR1 sent to the process group does
		 * not end it before the helper. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != helper)
			_exit(1);
		/* Named for ps and top: it is not the helper. */
		(void)prctl(PR_SET_NAME, "vmnet-expose");
		/* Nothing of the helper's: its lock files, VM socket and
		 * TAP must close when the helper closes them. */
		if (sv[1] > 3)
			close_range(3, (unsigned)sv[1] - 1, 0);
		close_range((unsigned)sv[1] + 1, ~0u, 0);
		k.cfg = cfg;
		k.ch = sv[1];
		k.nl = -1;
		k.seq = 1;
		expose_nft_table_name((long)helper, k.table, sizeof(k.table));
		keeper_run(&k, uid, gid, drop);
		_exit(0);
	}
	close(sv[1]);
	if (x->pid < 0) {
		int r = -errno;

		close(sv[0]);
		free(x);
		return errmsg_fail(err, errlen, r,
				   "--expose: cannot start the keeper: %s",
				   strerror(-r));
	}
	x->fd = sv[0];
	x->cfg = cfg;
	(void)setsockopt(x->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t n = read(x->fd, &rep, sizeof(rep));
	if (n != (ssize_t)sizeof(rep) || rep.status) {
		int r = n == (ssize_t)sizeof(rep) ? rep.status : -EPIPE;

		if (n == (ssize_t)sizeof(rep))
			errmsg_format(err, errlen, "%s", rep.msg);
		else
			errmsg_format(err, errlen,
				      "--expose: the keeper (pid %d) exited "
				      "before it was ready",
				      (int)x->pid);
		close(x->fd);
		(void)waitpid(x->pid, NULL, 0);
		free(x);
		return r;
	}
	*xp = x;
	return 0;
}

int host_expose_set_guest(struct host_expose *x, struct endpoint *host,
			  struct in_addr guest, char *err, size_t errlen)
{
	struct keeper_request req = {.op = KEEPER_SET_GUEST,
				     .ipv4 = guest.s_addr};
	struct keeper_reply rep;

	(void)host;
	errno = 0;
	if (write(x->fd, &req, sizeof(req)) != (ssize_t)sizeof(req) ||
	    read(x->fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		return errmsg_fail(err, errlen, -EPIPE,
				   "--expose: the keeper (pid %d) is gone, and "
				   "its rules with it: %s",
				   (int)x->pid,
				   errno ? strerror(errno) : "end of file");
	if (rep.status)
		errmsg_format(err, errlen, "%s", rep.msg);
	return rep.status;
}

void host_expose_close(struct host_expose *x)
{
	struct keeper_request req = {.op = KEEPER_BYE};
	struct keeper_reply rep;

	if (!x)
		return;
	/* Its answer comes once the table is gone. */
	if (write(x->fd, &req, sizeof(req)) == (ssize_t)sizeof(req))
		(void)!read(x->fd, &rep, sizeof(rep));
	close(x->fd);
	free(x);
}
