/* SPDX-License-Identifier: Apache-2.0 */
/* privdrop.c - whom to run as (--user/--group, SUDO_UID/SUDO_GID, the real
 * ids), and the one-way drop from root to them, checked afterwards. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "privdrop.h"

#include "errmsg.h"
#include "privdrop_os.h"

/* Parsing ids relies on both types being unsigned, as they are on Linux
 * and macOS: then (uid_t)-1 is the largest value. */
_Static_assert((uid_t)-1 > 0, "uid_t must be unsigned");
_Static_assert((gid_t)-1 > 0, "gid_t must be unsigned");

/* The largest usable ids: (uid_t)-1 means "leave unchanged" to setresuid()
 * and chown(), so a target of 4294967295 would silently keep root. */
#define PRIVDROP_UID_MAX ((unsigned long long)(uid_t)-1 - 1)
#define PRIVDROP_GID_MAX ((unsigned long long)(gid_t)-1 - 1)

/*
 * Where an id came from, for messages: @name is "--user" or "SUDO_UID",
 * @kind "uid" or "gid", @fix what to do about a bad value.
 */
struct privdrop_src {
	const char *name;
	bool env;
	const char *kind;
	unsigned long long max;
	const char *fix;
};

static const struct privdrop_src privdrop_user_src = {
    "--user", false, "uid", PRIVDROP_UID_MAX,
    "pass a user name or a decimal uid"};
static const struct privdrop_src privdrop_group_src = {
    "--group", false, "gid", PRIVDROP_GID_MAX,
    "pass a group name or a decimal gid"};
static const struct privdrop_src privdrop_sudo_uid_src = {
    "SUDO_UID", true, "uid", PRIVDROP_UID_MAX,
    "fix or unset SUDO_UID, or pass --user"};
static const struct privdrop_src privdrop_sudo_gid_src = {
    "SUDO_GID", true, "gid", PRIVDROP_GID_MAX,
    "fix or unset SUDO_GID, or pass --group"};

/*
 * Parse @s as a plain decimal id no larger than @src->max. strtoul() is
 * not used because it takes blanks, a sign (and wraps "-1" to the
 * largest value) and, with base 0, octal and hex.
 */
static int privdrop_parse_id(const struct privdrop_src *src, const char *s,
			     unsigned long long *out, char *err, size_t errlen)
{
	/* Env values are shown as NAME='v', option values as --opt 'v'. */
	const char *sep = src->env ? "=" : " ";
	unsigned long long v = 0;
	const char *why = NULL;
	int rc = -EINVAL;

	if (*s == '\0')
		why = "is empty, not a number";
	else if (*s == '-' || *s == '+')
		why = "has a sign, not a plain decimal number";
	for (const char *p = s; why == NULL && *p != '\0'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (*p < '0' || *p > '9') {
			why = "is not a number";
		} else if (v > (src->max - d) / 10) {
			why = "is out of range";
			rc = -ERANGE;
		} else {
			v = v * 10 + d;
		}
	}
	if (why == NULL) {
		*out = v;
		return 0;
	}
	if (rc == -ERANGE)
		return errmsg_fail(
		    err, errlen, rc, "%s%s'%s' %s (the largest %s is %llu); %s",
		    src->name, sep, s, why, src->kind, src->max, src->fix);
	return errmsg_fail(err, errlen, rc, "%s%s'%s' %s; %s", src->name, sep,
			   s, why, src->fix);
}

/*
 * Whether an option value is meant as an id rather than a name: all
 * digits, or empty or signed, which can only be a mistyped number (user
 * and group names do not start with a sign and are never empty).
 */
static bool privdrop_is_id(const char *s)
{
	if (*s == '\0' || *s == '-' || *s == '+')
		return true;
	return strspn(s, "0123456789") == strlen(s);
}

/*
 * getpwnam() and getgrnam() return NULL both for "no such name" and for a
 * failed lookup; only the errno tells them apart, and the "not found"
 * errnos vary by NSS module (getpwnam(3) lists these).
 */
static bool privdrop_not_found(int e)
{
	return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM;
}

/* getpwnam() or getgrnam() of @s (a @what: "user" or "group") found
 * nothing, with errno @e: not there, or the lookup itself failed. */
static int privdrop_lookup_failed(const struct privdrop_src *src,
				  const char *what, const char *s, int e,
				  char *err, size_t errlen)
{
	if (privdrop_not_found(e))
		return errmsg_fail(err, errlen, -ENOENT,
				   "%s '%s': no such %s; %s", src->name, s,
				   what, src->fix);
	return errmsg_fail(err, errlen, -e,
			   "%s '%s': looking up the %s failed: %s", src->name,
			   s, what, strerror(e));
}

/* --user: a uid, or a name whose uid and primary gid we take. */
static int privdrop_user(const char *s, uid_t *uid, bool *has_gid, gid_t *gid,
			 char *err, size_t errlen)
{
	const struct privdrop_src *src = &privdrop_user_src;
	unsigned long long v;
	struct passwd *pw;
	int rc;

	if (privdrop_is_id(s)) {
		rc = privdrop_parse_id(src, s, &v, err, errlen);
		if (rc == 0)
			*uid = (uid_t)v;
		return rc;
	}
	errno = 0;
	pw = getpwnam(s);
	if (pw == NULL)
		return privdrop_lookup_failed(src, "user", s, errno, err,
					      errlen);
	/* pw points into static storage: copy out before any other lookup. */
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	*has_gid = true;
	return 0;
}

/* --group: a gid or a group name. */
static int privdrop_group(const char *s, gid_t *gid, char *err, size_t errlen)
{
	const struct privdrop_src *src = &privdrop_group_src;
	unsigned long long v;
	struct group *gr;
	int rc;

	if (privdrop_is_id(s)) {
		rc = privdrop_parse_id(src, s, &v, err, errlen);
		if (rc == 0)
			*gid = (gid_t)v;
		return rc;
	}
	errno = 0;
	gr = getgrnam(s);
	if (gr == NULL)
		return privdrop_lookup_failed(src, "group", s, errno, err,
					      errlen);
	*gid = gr->gr_gid;
	return 0;
}

/* Is the user @uid in group @gid: as their primary group, or listed as a
 * member in the group database? */
static bool privdrop_in_group(uid_t uid, gid_t gid)
{
	char name[256];
	struct passwd *pw = getpwuid(uid);
	struct group *gr;

	if (pw == NULL)
		return false;
	if (pw->pw_gid == gid)
		return true;
	/* pw and gr share no storage, but copy the name before the next
	 * lookup all the same, as getpwnam(3) asks. */
	snprintf(name, sizeof(name), "%s", pw->pw_name);
	gr = getgrgid(gid);
	for (char **m = gr ? gr->gr_mem : NULL; m && *m; m++)
		if (strcmp(*m, name) == 0)
			return true;
	return false;
}

/*
 * Under sudo, whoever the sudoers rule admits runs the helper as root, and
 * sudo gives the helper the options they typed. If --user and --group
 * could name anyone, `sudo vmnet-helper --user root` would keep root for a
 * user the rule meant to admit only to the helper. So when root came
 * through sudo from a user other than root (SUDO_UID set and not 0), the
 * helper drops to that user only, and to their own groups. sudo sets
 * SUDO_UID itself (sudoers(5), "Command environment"), and a user cannot
 * override it unless the rule grants SETENV, which ours does not.
 */
static int privdrop_sudo_check(const struct privdrop_target *r,
			       const char *user, const char *group,
			       uid_t caller, gid_t caller_gid, char *err,
			       size_t errlen)
{
	if (user != NULL && r->uid != caller)
		return errmsg_fail(err, errlen, -EPERM,
				   "--user '%s': sudo was run by uid %u, who "
				   "may run the helper only as themselves; "
				   "drop --user, or run it from a root shell "
				   "without SUDO_UID",
				   user, (unsigned)caller);
	if (group != NULL && r->gid != caller_gid &&
	    !privdrop_in_group(caller, r->gid))
		return errmsg_fail(err, errlen, -EPERM,
				   "--group '%s': sudo was run by uid %u, who "
				   "is not in group %u; pass one of their "
				   "groups, or drop --group",
				   group, (unsigned)caller, (unsigned)r->gid);
	return 0;
}

int privdrop_resolve(const char *user, const char *group, const char *sudo_uid,
		     const char *sudo_gid, uid_t real_uid, gid_t real_gid,
		     struct privdrop_target *t, char *err, size_t errlen)
{
	struct privdrop_target r = {0};
	bool has_user_gid = false;
	gid_t user_gid = 0;
	unsigned long long v;
	int rc;

	if (user != NULL) {
		rc = privdrop_user(user, &r.uid, &has_user_gid, &user_gid, err,
				   errlen);
		if (rc != 0)
			return rc;
		r.source = "--user";
	} else if (sudo_uid != NULL) {
		rc = privdrop_parse_id(&privdrop_sudo_uid_src, sudo_uid, &v,
				       err, errlen);
		if (rc != 0)
			return rc;
		r.uid = (uid_t)v;
		r.source = "SUDO_UID";
	} else {
		r.uid = real_uid;
		r.source = "real uid";
	}

	if (group != NULL) {
		rc = privdrop_group(group, &r.gid, err, errlen);
		if (rc != 0)
			return rc;
		r.gid_source = "--group";
	} else if (sudo_gid != NULL) {
		rc = privdrop_parse_id(&privdrop_sudo_gid_src, sudo_gid, &v,
				       err, errlen);
		if (rc != 0)
			return rc;
		r.gid = (gid_t)v;
		r.gid_source = "SUDO_GID";
	} else if (has_user_gid) {
		r.gid = user_gid;
		r.gid_source = "--user's primary group";
	} else {
		r.gid = real_gid;
		r.gid_source = "real gid";
	}

	if (real_uid == 0 && sudo_uid != NULL && (user || group)) {
		unsigned long long caller, caller_gid = (gid_t)-1;

		rc = privdrop_parse_id(&privdrop_sudo_uid_src, sudo_uid,
				       &caller, err, errlen);
		if (rc == 0 && sudo_gid != NULL)
			rc = privdrop_parse_id(&privdrop_sudo_gid_src, sudo_gid,
					       &caller_gid, err, errlen);
		if (rc == 0 && caller != 0)
			rc =
			    privdrop_sudo_check(&r, user, group, (uid_t)caller,
						(gid_t)caller_gid, err, errlen);
		if (rc != 0)
			return rc;
	}

	/* Dropping to uid 0 would keep every privilege: say so instead. */
	r.drop = r.uid != 0;
	*t = r;
	return 0;
}

/* Fail with -EPERM unless @got is @want: "getuid() is 0, not 1000". */
static int privdrop_expect(const char *what, unsigned got, unsigned want,
			   char *err, size_t errlen)
{
	if (got == want)
		return 0;
	return errmsg_fail(err, errlen, -EPERM,
			   "after the drop %s is %u, not %u", what, got, want);
}

/*
 * Prove the drop happened and is permanent: every id we can read is the
 * target, the only group left is the target gid, and no way back to root
 * works. A check that finds root reachable is as fatal as a failed call.
 */
static int privdrop_verify(const struct privdrop_target *t, char *err,
			   size_t errlen)
{
	uid_t suid;
	gid_t sgid, g;
	int rc, n;

	if ((rc = privdrop_expect("getuid()", getuid(), t->uid, err, errlen)) !=
		0 ||
	    (rc = privdrop_expect("geteuid()", geteuid(), t->uid, err,
				  errlen)) != 0 ||
	    (rc = privdrop_expect("getgid()", getgid(), t->gid, err, errlen)) !=
		0 ||
	    (rc = privdrop_expect("getegid()", getegid(), t->gid, err,
				  errlen)) != 0)
		return rc;

	rc = privdrop_os_saved_ids(&suid, &sgid);
	if (rc == 0) {
		if ((rc = privdrop_expect("the saved uid", suid, t->uid, err,
					  errlen)) != 0 ||
		    (rc = privdrop_expect("the saved gid", sgid, t->gid, err,
					  errlen)) != 0)
			return rc;
	} else if (rc != -ENOSYS) {
		return errmsg_fail(err, errlen, rc,
				   "reading the saved ids after the drop: "
				   "%s",
				   strerror(-rc));
	}

	/* Count first: only 0 or 1 groups are expected, so one slot will do
	 * and there is no need for an NGROUPS_MAX-sized array. */
	n = privdrop_os_getgroups(0, NULL);
	if (n < 0 || (n == 1 && privdrop_os_getgroups(1, &g) != 1)) {
		int e = errno;

		return errmsg_fail(err, errlen, -e, "getgroups: %s",
				   strerror(e));
	}
	if (n > 1)
		return errmsg_fail(err, errlen, -EPERM,
				   "after the drop the process still has %d "
				   "supplementary groups, expected only gid "
				   "%u",
				   n, (unsigned)t->gid);
	if (n == 1 && g != t->gid)
		return errmsg_fail(err, errlen, -EPERM,
				   "after the drop the process still has "
				   "supplementary group %u, expected only "
				   "gid %u",
				   (unsigned)g, (unsigned)t->gid);

	/* The real proof: if any of these succeeds, the process is root (or
	 * group root) again, and the caller must exit rather than go on. */
	if (setuid(0) == 0)
		return errmsg_fail(err, errlen, -EPERM,
				   "setuid(0) succeeded after dropping to "
				   "uid %u: root can be regained",
				   (unsigned)t->uid);
	if (seteuid(0) == 0)
		return errmsg_fail(err, errlen, -EPERM,
				   "seteuid(0) succeeded after dropping to "
				   "uid %u: root can be regained",
				   (unsigned)t->uid);
	/* With a target gid of 0 these would succeed and prove nothing. */
	if (t->gid != 0 && setgid(0) == 0)
		return errmsg_fail(err, errlen, -EPERM,
				   "setgid(0) succeeded after dropping to "
				   "gid %u: group root can be regained",
				   (unsigned)t->gid);
	if (t->gid != 0 && setegid(0) == 0)
		return errmsg_fail(err, errlen, -EPERM,
				   "setegid(0) succeeded after dropping to "
				   "gid %u: group root can be regained",
				   (unsigned)t->gid);
	return 0;
}

const char *privdrop_keep_reason(const struct privdrop_target *t)
{
	if (strcmp(t->source, "--user") == 0)
		return "--user names uid 0, so there is no one to drop "
		       "privileges to";
	if (strcmp(t->source, "SUDO_UID") == 0)
		return "SUDO_UID is 0 (sudo run by root), so there is no one "
		       "to drop privileges to; pass --user to pick one";
	return "no SUDO_UID and no --user to drop privileges to";
}

int privdrop_apply(const struct privdrop_target *t, char *err, size_t errlen)
{
	int rc;

	if (geteuid() != 0 || !t->drop)
		return 0;

	/*
	 * Supplementary groups first, while we still may: root's groups
	 * would otherwise survive the drop (vmnet-helper's gap). One entry,
	 * the target gid, rather than setgroups(0, NULL): on macOS and the
	 * BSDs the group list and the effective gid are entwined, and an
	 * empty list is not portable, while [gid] means the same everywhere
	 * and gives no group beyond the one we run as. Not initgroups(): the
	 * helper needs none of the user's groups, and a numeric --user may
	 * have no passwd entry.
	 */
	if (setgroups(1, &t->gid) != 0) {
		int e = errno;

		return errmsg_fail(err, errlen, -e, "setgroups(1, [%u]): %s",
				   (unsigned)t->gid, strerror(e));
	}
	/* Then gid, then uid: once the uid is not 0, the gid can't change. */
	rc = privdrop_os_set_ids(t->uid, t->gid, err, errlen);
	if (rc != 0)
		return rc;
	return privdrop_verify(t, err, errlen);
}
