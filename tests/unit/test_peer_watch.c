/* SPDX-License-Identifier: Apache-2.0 */
/* test_peer_watch.c - is the other end of a datagram socket still there:
 * a socketpair, an unconnected socket, a --socket client by its path. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "peer_watch.h"
#include "testutil.h"

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

/* `ip netns exec NS vmnet-helper --fd 3`: the socketpair was made in the
 * caller's namespace, and the helper runs in another. */
Test(peer_watch, socketpair_from_another_netns_is_watched_too)
{
	struct peer_watch *pw;
	int sv[2], r;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	test_need_private_netns();
	r = peer_watch_open(sv[0], &pw);
	cr_assert_eq(r, 0, "peer_watch_open: %s", strerror(-r));
	cr_assert_eq(peer_watch_check(pw), 1);
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
