/* SPDX-License-Identifier: Apache-2.0 */
/* load_child.c - the forwarder vmh-load measures: started with its sockets
 * at fd 3 and 4, waited for until it is ready, stopped at the end. */
#include "load_child.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "load_util.h"

#define CHILD_FD      3
#define CHILD_HOST_FD 4

/* In the child: put @fd at @target, inherited (not close-on-exec). The
 * caller has moved both fds above the targets, so none is overwritten. */
static void child_place_fd(int fd, int target)
{
	if (fd >= 0)
		dup2(fd, target);
}

void load_child_start(struct load_child *ch, char **cmd, int vm_fd, int host_fd,
		      const char *log)
{
	int out[2], in[2], logfd;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(in, O_CLOEXEC) < 0)
		load_fail("pipe: %s", strerror(errno));
	logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (logfd < 0)
		load_fail("opening --log '%s': %s", log, strerror(errno));
	ch->pid = fork();
	if (ch->pid < 0)
		load_fail("fork: %s", strerror(errno));
	if (ch->pid == 0) {
		/* The forwarder must not outlive the tool, whatever ends it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(logfd, 2);
		/* Above 10 first, so placing one cannot clobber the other
		 * (dup2 leaves the copies inheritable). */
		if (vm_fd >= 0)
			vm_fd = fcntl(vm_fd, F_DUPFD_CLOEXEC, 10);
		if (host_fd >= 0)
			host_fd = fcntl(host_fd, F_DUPFD_CLOEXEC, 10);
		child_place_fd(vm_fd, CHILD_FD);
		child_place_fd(host_fd, CHILD_HOST_FD);
		execvp(cmd[0], cmd);
		fprintf(stderr, "ERROR vmh-load: exec '%s': %s\n", cmd[0],
			strerror(errno));
		_exit(127);
	}
	load_child_pid = ch->pid;
	close(out[1]);
	close(in[0]);
	close(logfd);
	ch->out = out[0];
	ch->stdin_w = in[1];
	ch->pidfd = (int)syscall(SYS_pidfd_open, ch->pid, 0);
}

/* Wait for the forwarder's first line on stdout. */
void load_child_wait_line(struct load_child *ch)
{
	uint64_t deadline = load_now_ns() + READY_NS;
	size_t len = 0;

	while (len < sizeof(ch->line) - 1) {
		struct pollfd p = {ch->out, POLLIN, 0};
		uint64_t t = load_now_ns();
		ssize_t r;

		if (t >= deadline)
			load_fail(
			    "the forwarder printed no line within 10 s; see "
			    "its log");
		if (poll(&p, 1, (int)((deadline - t) / 1000000 + 1)) <= 0)
			continue;
		r = read(ch->out, ch->line + len, 1);
		if (r <= 0)
			load_fail(
			    "the forwarder exited before it was ready; see "
			    "its log");
		if (ch->line[len] == '\n')
			break;
		len++;
	}
	ch->line[len] = '\0';
}

static bool tap_is_up(const char *name)
{
	struct ifreq ifr;
	int ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool up;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	up = ctl >= 0 && ioctl(ctl, SIOCGIFFLAGS, &ifr) == 0 &&
	     (ifr.ifr_flags & IFF_UP);
	if (ctl >= 0)
		close(ctl);
	return up;
}

/* Bring @name up if it is down (vde_switch leaves its TAP down). */
static void tap_set_up(const char *name)
{
	struct ifreq ifr;
	int ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ctl < 0 || ioctl(ctl, SIOCGIFFLAGS, &ifr) < 0)
		load_fail("reading TAP '%s': %s", name, strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(ctl, SIOCSIFFLAGS, &ifr) < 0)
		load_fail("bringing TAP '%s' up: %s", name, strerror(errno));
	close(ctl);
}

/* For forwarders that print nothing (socat, vde_switch): poll for the TAP
 * every 10 ms, bounded (there is no event to wait on), and bring it up. */
void load_child_wait_tap(struct load_child *ch, const char *tap)
{
	uint64_t deadline = load_now_ns() + READY_NS;

	while (if_nametoindex(tap) == 0) {
		int st;

		if (waitpid(ch->pid, &st, WNOHANG) == ch->pid)
			load_fail(
			    "the forwarder exited before its TAP '%s' came up; "
			    "see its log",
			    tap);
		if (load_now_ns() >= deadline)
			load_fail("TAP '%s' did not come up within 10 s", tap);
		poll(NULL, 0, 10);
	}
	if (!tap_is_up(tap))
		tap_set_up(tap);
}

/* Stop the forwarder: SIGTERM, then SIGKILL after 5 s. Return: its wait
 * status. */
int load_child_stop(struct load_child *ch)
{
	int st = 0;

	kill(ch->pid, SIGTERM);
	if (ch->pidfd >= 0) {
		struct pollfd p = {ch->pidfd, POLLIN, 0};

		if (poll(&p, 1, 5000) == 0)
			kill(ch->pid, SIGKILL);
	}
	while (waitpid(ch->pid, &st, 0) < 0 && errno == EINTR)
		;
	load_child_pid = -1;
	return st;
}
