/* SPDX-License-Identifier: Apache-2.0 */
/* test_owned_file.c - files in directories others may write (owned_file.c)
 * and the pidfile on top of them (pidfile.c): nothing followed, blocked on
 * or given away; locked once; removed only while still ours. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "owned_file.h"
#include "pidfile.h"
#include "testutil.h"

static char dir[64], path[128], victim[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vmh-owned-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/helper.pid", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
}

static void teardown(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(pidfile, .init = setup, .fini = teardown);
TestSuite(owned_file, .init = setup, .fini = teardown);

Test(pidfile, written_locked_and_removed)
{
	struct pidfile p;
	char err[256] = "", buf[64], want[32];

	cr_assert_eq(
	    pidfile_lock(&p, path, (uid_t)-1, (gid_t)-1, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(pidfile_write(&p, 4242, err, sizeof(err)), 0, "%s", err);
	test_read_file(path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%d\n", 4242);
	cr_assert_str_eq(buf, want);
	pidfile_remove(&p);
	cr_assert_neq(access(path, F_OK), 0, "still there after remove");
}

Test(pidfile, a_second_holder_fails_naming_the_first)
{
	struct pidfile a, b;
	char err[256] = "";

	cr_assert_eq(
	    pidfile_lock(&a, path, (uid_t)-1, (gid_t)-1, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(pidfile_write(&a, 777, err, sizeof(err)), 0);
	/* flock(2) locks belong to the open file description, so a second
	 * open in the same process conflicts as another process would. */
	cr_assert_eq(
	    pidfile_lock(&b, path, (uid_t)-1, (gid_t)-1, err, sizeof(err)),
	    -EWOULDBLOCK);
	cr_assert(strstr(err, "is in use: helper 777 holds it"), "%s", err);
	pidfile_remove(&b); /* the failed one removes nothing */
	cr_assert_eq(access(path, F_OK), 0, "the holder's file was removed");
	pidfile_remove(&a);
	cr_assert_eq(
	    pidfile_lock(&b, path, (uid_t)-1, (gid_t)-1, err, sizeof(err)), 0,
	    "free again: %s", err);
	pidfile_remove(&b);
}

Test(pidfile, longer_stale_pid_leaves_no_tail)
{
	struct pidfile p;
	char err[256] = "", buf[64];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "123456789\n", 10), 10);
	close(fd);
	cr_assert_eq(
	    pidfile_lock(&p, path, (uid_t)-1, (gid_t)-1, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(pidfile_write(&p, 42, err, sizeof(err)), 0);
	test_read_file(path, buf, sizeof(buf));
	cr_assert_str_eq(buf, "42\n");
	pidfile_remove(&p);
}

Test(pidfile, symlink_is_never_followed)
{
	struct pidfile p;
	char err[256] = "", buf[64];
	int fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0640);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "secret\n", 7), 7);
	close(fd);
	cr_assert_eq(symlink(victim, path), 0);
	cr_assert_eq(
	    pidfile_lock(&p, path, (uid_t)-1, (gid_t)-1, err, sizeof(err)),
	    -ELOOP);
	cr_assert(strstr(err, "is a symbolic link"), "%s", err);
	test_read_file(victim, buf, sizeof(buf));
	cr_assert_str_eq(buf, "secret\n");
}

Test(pidfile, fifo_is_refused_without_hanging, .timeout = 10)
{
	struct pidfile p;
	char err[256] = "";

	cr_assert_eq(mkfifo(path, 0666), 0);
	cr_assert_eq(
	    pidfile_lock(&p, path, (uid_t)-1, (gid_t)-1, err, sizeof(err)),
	    -EINVAL);
	cr_assert(strstr(err, "is a pipe, not a regular file"), "%s", err);
}

Test(pidfile, a_file_put_in_its_place_is_left_alone)
{
	struct pidfile p;
	char err[256] = "";

	cr_assert_eq(
	    pidfile_lock(&p, path, (uid_t)-1, (gid_t)-1, err, sizeof(err)), 0,
	    "%s", err);
	int fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(rename(victim, path), 0);
	pidfile_remove(&p);
	cr_assert_eq(access(path, F_OK), 0, "someone else's file was removed");
}

Test(pidfile, refused_where_the_dropped_user_could_not_remove_it)
{
	struct pidfile p;
	char err[256] = "";

	cr_assert_eq(chmod(dir, 0755), 0);
	/* The directory is root's (or the test user's): uid 65534 cannot
	 * write it. */
	cr_assert_eq(pidfile_lock(&p, path, 65534, 65534, err, sizeof(err)),
		     -EACCES);
	cr_assert(strstr(err, "could not remove it at exit"), "%s", err);
	cr_assert_neq(access(path, F_OK), 0, "created anyway");
}

Test(owned_file, replace_is_whole_and_replaces_a_link_instead_of_writing_it)
{
	struct owned_file f;
	char err[256] = "", buf[64], tmp[160];
	int fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0640);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "secret\n", 7), 7);
	close(fd);
	cr_assert_eq(symlink(victim, path), 0);
	/* A temporary file left by a crash, as a link too. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	cr_assert_eq(symlink(victim, tmp), 0);

	cr_assert_eq(owned_file_replace(&f, path, "--address-file", "one\n", 4,
					err, sizeof(err)),
		     0, "%s", err);
	test_read_file(path, buf, sizeof(buf));
	cr_assert_str_eq(buf, "one\n");
	test_read_file(victim, buf, sizeof(buf));
	cr_assert_str_eq(buf, "secret\n", "written through a link");
	cr_assert_neq(access(tmp, F_OK), 0, "the temporary file stayed");

	cr_assert_eq(owned_file_replace(&f, path, "--address-file", "two\n", 4,
					err, sizeof(err)),
		     0, "%s", err);
	test_read_file(path, buf, sizeof(buf));
	cr_assert_str_eq(buf, "two\n");
	owned_file_remove(&f);
	cr_assert_neq(access(path, F_OK), 0);
}
