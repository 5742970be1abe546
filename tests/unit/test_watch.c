/* SPDX-License-Identifier: Apache-2.0 */
/* test_watch.c - peer_watch (is the VM's end of a datagram socket still
 * there?), proc_watch (--pid), and the engine stopping on either. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "endpoint_dgram.h"
#include "engine.h"
#include "peer_watch.h"
#include "proc_watch.h"

static int watch_check_of(int fd)
{
	struct peer_watch *pw;
	int r = peer_watch_open(fd, &pw);

	cr_assert_eq(r, 0, "peer_watch_open: %s", strerror(-r));
	r = peer_watch_check(pw);
	peer_watch_close(pw);
	return r;
}

Test(peer_watch, socketpair_peer_is_there_until_it_closes)
{
	struct peer_watch *pw;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	cr_assert_eq(peer_watch_open(sv[0], &pw), 0);
	cr_assert_eq(peer_watch_check(pw), 1);
	cr_assert_eq(peer_watch_check(pw), 1, "asking twice changes nothing");
	close(sv[1]);
	cr_assert_eq(peer_watch_check(pw), 0, "closed peer still seen");
	peer_watch_close(pw);
	close(sv[0]);
}

Test(peer_watch, unconnected_socket_has_no_peer)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(watch_check_of(fd), 0);
	close(fd);
}

Test(peer_watch, connected_path_client_is_seen_and_its_close_too)
{
	char dir[] = "/tmp/vmh-watch-XXXXXX";
	struct sockaddr_un srv = {.sun_family = AF_UNIX};
	struct sockaddr_un cli = {.sun_family = AF_UNIX};
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	int c = socket(AF_UNIX, SOCK_DGRAM, 0);

	cr_assert_not_null(mkdtemp(dir));
	snprintf(srv.sun_path, sizeof(srv.sun_path), "%s/s", dir);
	snprintf(cli.sun_path, sizeof(cli.sun_path), "%s/c", dir);
	cr_assert_eq(bind(s, (struct sockaddr *)&srv, sizeof(srv)), 0);
	cr_assert_eq(bind(c, (struct sockaddr *)&cli, sizeof(cli)), 0);
	/* As --socket serves a client: the helper connects to it. */
	cr_assert_eq(connect(s, (struct sockaddr *)&cli, sizeof(cli)), 0);
	cr_assert_eq(watch_check_of(s), 1);
	close(c);
	cr_assert_eq(watch_check_of(s), 0);
	close(s);
	unlink(srv.sun_path);
	unlink(cli.sun_path);
	rmdir(dir);
}

static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

Test(proc_watch, fd_becomes_readable_when_the_process_exits)
{
	int fd, status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	cr_assert_eq(proc_watch_open(pid, &fd), 0);
	cr_assert_not(readable(fd), "readable while the process runs");
	kill(pid, SIGKILL);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	cr_assert_eq(poll(&p, 1, 10000), 1, "no event after the exit");
	waitpid(pid, &status, 0);
	close(fd);
}

Test(proc_watch, exited_process_not_yet_reaped_is_readable_at_once)
{
	siginfo_t info;
	int fd, status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	/* Wait for the exit but leave the zombie (WNOWAIT). */
	memset(&info, 0, sizeof(info));
	cr_assert_eq(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
	cr_assert_eq(proc_watch_open(pid, &fd), 0, "a zombie is not ESRCH");
	cr_assert(readable(fd), "a zombie has exited: readable at once");
	close(fd);
	waitpid(pid, &status, 0);
}

Test(proc_watch, missing_process_is_esrch)
{
	int fd, status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	waitpid(pid, &status, 0); /* reaped: the pid is free now */
	cr_assert_eq(proc_watch_open(pid, &fd), -ESRCH);
	cr_assert_eq(fd, -1);
}

/* The engine between two socketpairs; each test decides what stops it. */
struct watched_engine {
	struct endpoint *ep[2];
	int app[2];
	struct engine *engine;
};

static void engine_up(struct watched_engine *w, struct engine_config *cfg)
{
	char err[160] = "";

	for (int i = 0; i < 2; i++) {
		int sv[2];

		cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
		w->app[i] = sv[0];
		cr_assert_eq(endpoint_dgram_open(sv[1], "t", 1514, cfg->batch,
						 &w->ep[i]),
			     0);
	}
	cr_assert_eq(engine_create(cfg, w->ep[0], w->ep[1], &w->engine, err,
				   sizeof(err)),
		     0, "%s", err);
}

static void engine_down(struct watched_engine *w)
{
	engine_destroy(w->engine);
	for (int i = 0; i < 2; i++) {
		endpoint_close(w->ep[i]);
		close(w->app[i]);
	}
}

static int asked;

static int vm_gone_on_third_ask(void *arg)
{
	(void)arg;
	return ++asked < 3;
}

Test(engine_watch, stops_when_vm_alive_says_gone, .timeout = 60)
{
	struct watched_engine w;
	struct engine_config cfg;

	engine_config_defaults(&cfg);
	cfg.vm_alive = vm_gone_on_third_ask;
	cfg.vm_check_ms = 5;
	engine_up(&w, &cfg);
	cr_assert_eq(engine_run(w.engine), ENGINE_EXIT_VM_GONE);
	cr_assert_eq(asked, 3);
	cr_assert(strstr(engine_exit_message(w.engine), "VM closed"), "%s",
		  engine_exit_message(w.engine));
	engine_down(&w);
}

Test(engine_watch, stops_when_exit_fd_fires, .timeout = 60)
{
	struct watched_engine w;
	struct engine_config cfg;
	int pipefd[2];

	cr_assert_eq(pipe(pipefd), 0);
	engine_config_defaults(&cfg);
	cfg.exit_fd = pipefd[0];
	cfg.exit_why = "process 42 exited";
	engine_up(&w, &cfg);
	/* Ready before the run starts: registration must still see it. */
	cr_assert_eq(write(pipefd[1], "x", 1), 1);
	cr_assert_eq(engine_run(w.engine), ENGINE_EXIT_WATCHED);
	cr_assert_str_eq(engine_exit_message(w.engine), "process 42 exited");
	engine_down(&w);
	close(pipefd[0]);
	close(pipefd[1]);
}
