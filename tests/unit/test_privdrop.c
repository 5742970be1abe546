/* SPDX-License-Identifier: Apache-2.0 */
/* test_privdrop.c - whom the helper runs as, and that dropping root is
 * complete and permanent, read back from /proc/self/status. */
#include <criterion/criterion.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privdrop.h"

#define NOBODY 65534 /* nobody and nogroup on Debian */

/* ---- privdrop_resolve(): a pure decision, no root needed ---- */

/* Inputs: user, group, SUDO_UID, SUDO_GID, real uid, real gid. */
struct resolve_in {
	const char *user, *group, *sudo_uid, *sudo_gid;
	uid_t real_uid;
	gid_t real_gid;
};

/* Expected: uid, gid, drop, source, gid_source. */
struct resolve_want {
	uid_t uid;
	gid_t gid;
	bool drop;
	const char *source, *gid_source;
};

static const struct resolve_case {
	const char *what;
	struct resolve_in in;
	struct resolve_want want;
} resolve_ok[] = {
    {
	"plain root, no sudo: no one to drop to",
	{NULL, NULL, NULL, NULL, 0, 0},
	{0, 0, false, "real uid", "real gid"},
    },
    {
	"not root: the real ids",
	{NULL, NULL, NULL, NULL, 1000, 100},
	{1000, 100, true, "real uid", "real gid"},
    },
    {
	"sudo: SUDO_UID and SUDO_GID",
	{NULL, NULL, "1000", "1000", 0, 0},
	{1000, 1000, true, "SUDO_UID", "SUDO_GID"},
    },
    {
	"sudo from root: SUDO_UID=0 means no drop",
	{NULL, NULL, "0", "0", 0, 0},
	{0, 0, false, "SUDO_UID", "SUDO_GID"},
    },
    {
	"SUDO_UID without SUDO_GID: the real gid",
	{NULL, NULL, "1000", NULL, 0, 7},
	{1000, 7, true, "SUDO_UID", "real gid"},
    },
    {
	"--user by name takes its primary group",
	{"nobody", NULL, NULL, NULL, 0, 0},
	{NOBODY, NOBODY, true, "--user", "--user's primary group"},
    },
    {
	"SUDO_GID beats --user's primary group",
	{"nobody", NULL, "0", "1000", 0, 0},
	{NOBODY, 1000, true, "--user", "SUDO_GID"},
    },
    {
	"--user by number has no primary group",
	{"65534", NULL, NULL, NULL, 0, 0},
	{NOBODY, 0, true, "--user", "real gid"},
    },
    {
	"--user root: no drop",
	{"root", NULL, NULL, NULL, 0, 0},
	{0, 0, false, "--user", "--user's primary group"},
    },
    {
	"--user 0 beats SUDO_UID=0: no drop",
	{"0", NULL, "0", "1000", 0, 0},
	{0, 1000, false, "--user", "SUDO_GID"},
    },
    {
	"--group by name beats SUDO_GID",
	{NULL, "nogroup", "0", "1000", 0, 0},
	{0, NOBODY, false, "SUDO_UID", "--group"},
    },
    {
	"--group by number",
	{NULL, "27", "0", "1000", 0, 0},
	{0, 27, false, "SUDO_UID", "--group"},
    },
    {
	"a sudo user may name themselves",
	{"1000", NULL, "1000", "1000", 0, 0},
	{1000, 1000, true, "--user", "SUDO_GID"},
    },
    {
	"a sudo user may name their primary group",
	{NULL, "nogroup", "65534", "100", 0, 0},
	{NOBODY, NOBODY, true, "SUDO_UID", "--group"},
    },
    {
	"not root: the sudo rule does not apply",
	{"nobody", NULL, "1000", "1000", 1000, 1000},
	{NOBODY, 1000, true, "--user", "SUDO_GID"},
    },
    {
	"--user and --group beat SUDO_* of root",
	{"1000", "1000", "0", "2000", 0, 0},
	{1000, 1000, true, "--user", "--group"},
    },
    {
	"not root: options hide malformed SUDO_* (never read)",
	{"1000", "5", "abc", "-1", 1000, 1000},
	{1000, 5, true, "--user", "--group"},
    },
    {
	"largest id",
	{NULL, NULL, "4294967294", "4294967294", 0, 0},
	{4294967294u, 4294967294u, true, "SUDO_UID", "SUDO_GID"},
    },
    {
	"leading zeros are still decimal",
	{"0001000", "010", NULL, NULL, 0, 0},
	{1000, 10, true, "--user", "--group"},
    },
};

Test(privdrop_resolve, picks_ids_by_precedence)
{
	for (size_t i = 0; i < sizeof(resolve_ok) / sizeof(resolve_ok[0]);
	     i++) {
		const struct resolve_case *c = &resolve_ok[i];
		struct privdrop_target t;
		char err[PRIVDROP_ERR_MAX] = "";
		int rc;

		rc = privdrop_resolve(c->in.user, c->in.group, c->in.sudo_uid,
				      c->in.sudo_gid, c->in.real_uid,
				      c->in.real_gid, &t, err, sizeof(err));
		cr_expect_eq(rc, 0, "%s: rc %d: %s", c->what, rc, err);
		if (rc != 0)
			continue;
		cr_expect_eq(t.uid, c->want.uid, "%s: uid %u, want %u", c->what,
			     (unsigned)t.uid, (unsigned)c->want.uid);
		cr_expect_eq(t.gid, c->want.gid, "%s: gid %u, want %u", c->what,
			     (unsigned)t.gid, (unsigned)c->want.gid);
		cr_expect_eq(t.drop, c->want.drop, "%s: drop %d", c->what,
			     t.drop);
		cr_expect_str_eq(t.source, c->want.source, "%s: source %s",
				 c->what, t.source);
		cr_expect_str_eq(t.gid_source, c->want.gid_source,
				 "%s: gid_source %s", c->what, t.gid_source);
	}
}

struct resolve_error {
	const char *user, *group, *sudo_uid, *sudo_gid;
	int rc;
	const char *msg; /* the whole message, or its start if it ends "..." */
};

static const struct resolve_error resolve_bad[] = {
    {NULL, NULL, "abc", NULL, -EINVAL,
     "SUDO_UID='abc' is not a number; fix or unset SUDO_UID, or pass --user"},
    {NULL, NULL, "", NULL, -EINVAL, "SUDO_UID='' is empty, not a number; ..."},
    {NULL, NULL, "-1", NULL, -EINVAL,
     "SUDO_UID='-1' has a sign, not a plain decimal number; ..."},
    {NULL, NULL, "+1000", NULL, -EINVAL, "SUDO_UID='+1000' has a sign..."},
    {NULL, NULL, " 1000", NULL, -EINVAL, "SUDO_UID=' 1000' is not a number..."},
    {NULL, NULL, "1000 ", NULL, -EINVAL, "SUDO_UID='1000 ' is not a number..."},
    {NULL, NULL, "1000x", NULL, -EINVAL, "SUDO_UID='1000x' is not a number..."},
    {NULL, NULL, "0x10", NULL, -EINVAL, "SUDO_UID='0x10' is not a number..."},
    {NULL, NULL, "4294967295", NULL, -ERANGE,
     "SUDO_UID='4294967295' is out of range (the largest uid is 4294967294); "
     "fix or unset SUDO_UID, or pass --user"},
    {NULL, NULL, "4294967296", NULL, -ERANGE,
     "SUDO_UID='4294967296' is out of range..."},
    {NULL, NULL, "99999999999999999999999", NULL, -ERANGE,
     "SUDO_UID='99999999999999999999999' is out of range..."},
    {NULL, NULL, "1000", "abc", -EINVAL,
     "SUDO_GID='abc' is not a number; fix or unset SUDO_GID, or pass --group"},
    {NULL, NULL, "1000", "4294967295", -ERANGE,
     "SUDO_GID='4294967295' is out of range (the largest gid is "
     "4294967294)..."},
    {NULL, NULL, "1\n2", NULL, -EINVAL,
     "SUDO_UID='1\\x0a2' is not a number..."},
    {"", NULL, NULL, NULL, -EINVAL,
     "--user '' is empty, not a number; pass a user name or a decimal uid"},
    {"-1", NULL, NULL, NULL, -EINVAL, "--user '-1' has a sign..."},
    {"4294967296", NULL, NULL, NULL, -ERANGE,
     "--user '4294967296' is out of range (the largest uid is 4294967294)..."},
    {"no-such-user-xyz", NULL, NULL, NULL, -ENOENT,
     "--user 'no-such-user-xyz': no such user; pass a user name or a decimal "
     "uid"},
    {NULL, "no-such-group-xyz", NULL, NULL, -ENOENT,
     "--group 'no-such-group-xyz': no such group; pass a group name or a "
     "decimal gid"},
    {NULL, "-5", NULL, NULL, -EINVAL, "--group '-5' has a sign..."},
    {NULL, "", NULL, NULL, -EINVAL, "--group '' is empty..."},
    /* Root through sudo from uid 1000: only as that user (privdrop.c). */
    {"root", NULL, "1000", "1000", -EPERM,
     "--user 'root': sudo was run by uid 1000, who may run the helper only "
     "as themselves; drop --user, or run it from a root shell without "
     "SUDO_UID"},
    {"0", NULL, "1000", NULL, -EPERM, "--user '0': sudo was run by uid..."},
    {"nobody", NULL, "1000", NULL, -EPERM,
     "--user 'nobody': sudo was run by uid 1000, who may..."},
    {NULL, "0", "1000", "1000", -EPERM,
     "--group '0': sudo was run by uid 1000, who is not in group 0; pass "
     "one of their groups, or drop --group"},
    {"root", NULL, "abc", NULL, -EINVAL, "SUDO_UID='abc' is not a number..."},
};

/* Root is kept for uid 0: the warning must name where the 0 came from. */
Test(privdrop_resolve, keep_reason_names_the_source_of_uid_0)
{
	static const struct {
		const char *user, *sudo_uid, *want;
	} cases[] = {
	    {"root", NULL, "--user names uid 0"},
	    {"0", "0", "--user names uid 0"},
	    {NULL, "0", "SUDO_UID is 0 (sudo run by root)"},
	    {NULL, NULL, "no SUDO_UID and no --user"},
	};
	struct privdrop_target t;
	char err[PRIVDROP_ERR_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(privdrop_resolve(cases[i].user, NULL,
					      cases[i].sudo_uid, NULL, 0, 0, &t,
					      err, sizeof(err)),
			     0, "%s", err);
		cr_assert_not(t.drop);
		cr_expect(strstr(privdrop_keep_reason(&t), cases[i].want),
			  "case %zu: '%s'", i, privdrop_keep_reason(&t));
	}
}

Test(privdrop_resolve, rejects_bad_ids_and_unknown_names)
{
	for (size_t i = 0; i < sizeof(resolve_bad) / sizeof(resolve_bad[0]);
	     i++) {
		const struct resolve_error *c = &resolve_bad[i];
		struct privdrop_target t, before;
		char err[PRIVDROP_ERR_MAX] = "";
		size_t len = strlen(c->msg);
		int rc;

		/* On failure @t must be left as it was. */
		memset(&t, 0xa5, sizeof(t));
		before = t;
		rc = privdrop_resolve(c->user, c->group, c->sudo_uid,
				      c->sudo_gid, 0, 0, &t, err, sizeof(err));
		cr_expect_eq(rc, c->rc, "%s: rc %d, want %d (%s)", c->msg, rc,
			     c->rc, err);
		if (len > 3 && strcmp(c->msg + len - 3, "...") == 0)
			cr_expect(strncmp(err, c->msg, len - 3) == 0,
				  "got '%s', want '%s'", err, c->msg);
		else
			cr_expect_str_eq(err, c->msg);
		cr_expect(strchr(err, '\n') == NULL, "'%s' spans lines", err);
		cr_expect(memcmp(&t, &before, sizeof(t)) == 0,
			  "%s: target written on failure", c->msg);
	}
}

Test(privdrop_resolve, cuts_long_messages_and_accepts_no_buffer)
{
	struct privdrop_target t;
	char err[8];

	memset(err, 'x', sizeof(err));
	cr_expect_eq(privdrop_resolve(NULL, NULL, "abc", NULL, 0, 0, &t, err,
				      sizeof(err)),
		     -EINVAL);
	cr_expect_str_eq(err, "SUDO_UI");
	cr_expect_eq(
	    privdrop_resolve(NULL, NULL, "abc", NULL, 0, 0, &t, NULL, 0),
	    -EINVAL);
}

/* ---- privdrop_apply(): root only, each test in its own process ---- */

/* The credentials as the kernel reports them, all four of each kind. */
struct creds {
	unsigned uid[4], gid[4]; /* real, effective, saved, filesystem */
	unsigned groups[64];
	int ngroups;
};

static void read_creds(struct creds *c)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[1024];
	int seen = 0;

	cr_assert_not_null(f, "/proc/self/status: %s", strerror(errno));
	memset(c, 0, sizeof(*c));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Uid:", 4) == 0) {
			cr_assert_eq(sscanf(line + 4, "%u %u %u %u", &c->uid[0],
					    &c->uid[1], &c->uid[2], &c->uid[3]),
				     4, "bad line: %s", line);
			seen |= 1;
		} else if (strncmp(line, "Gid:", 4) == 0) {
			cr_assert_eq(sscanf(line + 4, "%u %u %u %u", &c->gid[0],
					    &c->gid[1], &c->gid[2], &c->gid[3]),
				     4, "bad line: %s", line);
			seen |= 2;
		} else if (strncmp(line, "Groups:", 7) == 0) {
			char *p = line + 7, *end;

			for (;;) {
				unsigned long g = strtoul(p, &end, 10);

				if (end == p)
					break;
				cr_assert_lt(c->ngroups, 64);
				c->groups[c->ngroups++] = (unsigned)g;
				p = end;
			}
			seen |= 4;
		}
	}
	fclose(f);
	cr_assert_eq(seen, 7, "/proc/self/status lacks Uid, Gid or Groups");
}

/* All four uids and gids are @uid and @gid; no group but @gid. */
static void expect_creds(unsigned uid, unsigned gid)
{
	static const char *const kind[] = {"real", "effective", "saved",
					   "filesystem"};
	struct creds c;

	read_creds(&c);
	for (int i = 0; i < 4; i++) {
		cr_expect_eq(c.uid[i], uid, "%s uid %u, want %u", kind[i],
			     c.uid[i], uid);
		cr_expect_eq(c.gid[i], gid, "%s gid %u, want %u", kind[i],
			     c.gid[i], gid);
	}
	cr_expect_leq(c.ngroups, 1, "%d supplementary groups left", c.ngroups);
	if (c.ngroups == 1)
		cr_expect_eq(c.groups[0], gid, "group %u left", c.groups[0]);
}

/* Every way back to root (uid or gid 0) must fail with EPERM. */
static void expect_no_way_back(void)
{
	gid_t zero = 0;

	errno = 0;
	cr_expect_eq(setuid(0), -1, "setuid(0) succeeded");
	cr_expect_eq(errno, EPERM, "setuid(0): %s", strerror(errno));
	errno = 0;
	cr_expect_eq(seteuid(0), -1, "seteuid(0) succeeded");
	cr_expect_eq(errno, EPERM, "seteuid(0): %s", strerror(errno));
	errno = 0;
	cr_expect_eq(setgid(0), -1, "setgid(0) succeeded");
	cr_expect_eq(errno, EPERM, "setgid(0): %s", strerror(errno));
	errno = 0;
	cr_expect_eq(setgroups(1, &zero), -1, "setgroups([0]) succeeded");
	cr_expect_eq(errno, EPERM, "setgroups: %s", strerror(errno));
}

static void need_root(void)
{
	if (geteuid() != 0) {
		/* cr_skip_test's reason is shown only with --verbose. */
		fprintf(stderr,
			"privdrop: skipping, needs root to change ids "
			"(euid %u)\n",
			(unsigned)geteuid());
		cr_skip_test("needs root to change ids (euid %u)",
			     (unsigned)geteuid());
	}
}

/* Give root some supplementary groups, so the drop has to clear them. */
static void add_groups(void)
{
	static const gid_t groups[] = {4, 24, 27}; /* adm, cdrom, sudo */
	struct creds c;

	cr_assert_eq(setgroups(3, groups), 0, "setgroups: %s", strerror(errno));
	read_creds(&c);
	cr_assert_eq(c.ngroups, 3);
}

static void resolve(const char *user, const char *group, const char *sudo_uid,
		    const char *sudo_gid, struct privdrop_target *t)
{
	char err[PRIVDROP_ERR_MAX] = "";

	cr_assert_eq(privdrop_resolve(user, group, sudo_uid, sudo_gid, getuid(),
				      getgid(), t, err, sizeof(err)),
		     0, "resolve: %s", err);
}

Test(privdrop_apply, drops_groups_and_every_id_for_good)
{
	struct privdrop_target t;
	char err[PRIVDROP_ERR_MAX] = "";

	need_root();
	add_groups();
	resolve("65534", "65534", NULL, NULL, &t);
	cr_assert_eq(privdrop_apply(&t, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(err, "");
	expect_creds(NOBODY, NOBODY);
	expect_no_way_back();
}

Test(privdrop_apply, drops_to_sudo_caller)
{
	struct privdrop_target t;
	char err[PRIVDROP_ERR_MAX] = "";

	need_root();
	add_groups();
	resolve(NULL, NULL, "1000", "1000", &t);
	cr_assert_eq(privdrop_apply(&t, err, sizeof(err)), 0, "%s", err);
	expect_creds(1000, 1000);
	expect_no_way_back();
}

Test(privdrop_apply, drops_uid_with_group_root)
{
	struct privdrop_target t;
	char err[PRIVDROP_ERR_MAX] = "";

	/* gid 0 is allowed; only the uid checks can prove anything then. */
	need_root();
	add_groups();
	resolve("nobody", "0", NULL, NULL, &t);
	cr_assert_eq(privdrop_apply(&t, err, sizeof(err)), 0, "%s", err);
	expect_creds(NOBODY, 0);
	errno = 0;
	cr_expect_eq(setuid(0), -1);
	cr_expect_eq(errno, EPERM);
	cr_expect_eq(seteuid(0), -1);
}

Test(privdrop_apply, root_without_target_is_left_alone)
{
	struct privdrop_target t;
	struct creds before, after;
	char err[PRIVDROP_ERR_MAX] = "";

	need_root();
	add_groups();
	resolve(NULL, NULL, NULL, NULL, &t);
	cr_assert_not(t.drop);
	read_creds(&before);
	cr_assert_eq(privdrop_apply(&t, err, sizeof(err)), 0, "%s", err);
	read_creds(&after);
	cr_expect(memcmp(&before, &after, sizeof(before)) == 0, "ids changed");
	cr_expect_eq(geteuid(), 0);
}

Test(privdrop_apply, not_root_is_left_alone)
{
	const gid_t nogroup = NOBODY;
	struct privdrop_target t;
	struct creds before, after;
	char err[PRIVDROP_ERR_MAX] = "";

	need_root();
	cr_assert_eq(setgroups(1, &nogroup), 0);
	cr_assert_eq(setresgid(NOBODY, NOBODY, NOBODY), 0);
	cr_assert_eq(setresuid(NOBODY, NOBODY, NOBODY), 0);
	resolve(NULL, NULL, "1000", "1000", &t);
	cr_assert(t.drop);
	read_creds(&before);
	cr_assert_eq(privdrop_apply(&t, err, sizeof(err)), 0, "%s", err);
	read_creds(&after);
	cr_expect(memcmp(&before, &after, sizeof(before)) == 0, "ids changed");
	expect_creds(NOBODY, NOBODY);
}

/*
 * The failure tests change capabilities and securebits, which Linux keeps
 * per thread. Criterion's worker has threads of its own, and glibc makes
 * every thread follow a set*id() call and aborts if they disagree; so
 * these tests run privdrop_apply() in a forked child, which has one
 * thread, and get its result back through a pipe.
 */
struct child_result {
	int prepare_errno; /* 0, or why @prepare failed */
	int rc;
	char err[PRIVDROP_ERR_MAX];
};

static void apply_in_child(int (*prepare)(void),
			   const struct privdrop_target *t,
			   struct child_result *r)
{
	int fds[2], status;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0, "pipe: %s", strerror(errno));
	pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct child_result c = {0};

		close(fds[0]);
		c.prepare_errno = prepare();
		if (c.prepare_errno == 0)
			c.rc = privdrop_apply(t, c.err, sizeof(c.err));
		_exit(write(fds[1], &c, sizeof(c)) == sizeof(c) ? 0 : 1);
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], r, sizeof(*r)), (ssize_t)sizeof(*r),
		     "no result from the child");
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "child status %#x", status);
	cr_assert_eq(r->prepare_errno, 0, "preparing the child: %s",
		     strerror(r->prepare_errno));
}

/* Take capability @cap out of this thread's permitted and effective sets;
 * return 0 or an errno. */
static int drop_cap(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) != 0)
		return errno;
	d[cap / 32].permitted &= ~(1u << (cap % 32));
	d[cap / 32].effective &= ~(1u << (cap % 32));
	if (syscall(SYS_capset, &h, d) != 0)
		return errno;
	return 0;
}

static int drop_cap_setuid(void)
{
	return drop_cap(CAP_SETUID);
}

static int drop_cap_setgid(void)
{
	return drop_cap(CAP_SETGID);
}

/* Keep every capability across the change of uid, CAP_SETUID included,
 * so setuid(0) works afterwards: the case the final checks exist for. */
static int keep_caps_across_setuid(void)
{
	if (prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP, 0, 0, 0) != 0)
		return errno;
	return 0;
}

Test(privdrop_apply, names_the_step_that_failed)
{
	struct privdrop_target t;
	struct child_result r;

	/* Root that may change groups but not uids: the uid step fails. */
	need_root();
	resolve("65534", "65534", NULL, NULL, &t);
	apply_in_child(drop_cap_setuid, &t, &r);
	cr_expect_eq(r.rc, -EPERM);
	cr_expect_str_eq(r.err, "setresuid(65534): Operation not permitted");
}

Test(privdrop_apply, names_setgroups_when_it_fails)
{
	struct privdrop_target t;
	struct child_result r;

	need_root();
	resolve(NULL, NULL, "1000", "1000", &t);
	apply_in_child(drop_cap_setgid, &t, &r);
	cr_expect_eq(r.rc, -EPERM);
	cr_expect_str_eq(r.err,
			 "setgroups(1, [1000]): Operation not permitted");
}

Test(privdrop_apply, refuses_when_root_can_be_regained)
{
	struct privdrop_target t;
	struct child_result r;

	need_root();
	resolve("65534", "65534", NULL, NULL, &t);
	apply_in_child(keep_caps_across_setuid, &t, &r);
	cr_expect_eq(r.rc, -EPERM);
	cr_expect_str_eq(r.err, "setuid(0) succeeded after dropping to uid "
				"65534: root can be regained");
}
