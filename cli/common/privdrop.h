/* SPDX-License-Identifier: Apache-2.0 */
/* privdrop.h - choose whom to run as once the host interface is open, and
 * drop root for good: groups, then gid, then uid, then prove it stuck. */
#ifndef VMNET_HELPER_PRIVDROP_H
#define VMNET_HELPER_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Room for any message privdrop_resolve() or privdrop_apply() writes. */
#define PRIVDROP_ERR_MAX 256

/*
 * Whom to become. The source strings are static, for log lines such as
 * "dropping privileges to uid 1000 (SUDO_UID) gid 1000 (SUDO_GID)".
 */
struct privdrop_target {
	uid_t uid;
	gid_t gid;
	/* False when the target uid is 0: there is no one to drop to, and
	 * privdrop_apply() leaves the process as it is. */
	bool drop;
	const char *source;	/* of uid: "--user", "SUDO_UID", "real uid" */
	const char *gid_source; /* "--group", "SUDO_GID", "--user's primary
				   group", "real gid" */
};

/**
 * privdrop_resolve() - decide which uid and gid to run as
 * @user:	--user value, a name or a decimal uid; NULL if not given
 * @group:	--group value, a name or a decimal gid; NULL if not given
 * @sudo_uid:	getenv("SUDO_UID"), or NULL
 * @sudo_gid:	getenv("SUDO_GID"), or NULL
 * @real_uid:	getuid() of the caller
 * @real_gid:	getgid() of the caller
 * @t:		filled in on success, untouched on failure
 * @err:	one-line message on failure, naming the value and its source
 * @errlen:	size of @err
 *
 * The uid is --user if given, else SUDO_UID if set, else @real_uid. The
 * gid is --group if given, else SUDO_GID if set, else the primary group
 * of the user named by --user (a numeric --user has none), else
 * @real_gid. A value of only digits is an id; anything else is a name,
 * looked up with getpwnam() or getgrnam(). Ids are plain decimal: no
 * sign, no blanks, no junk, and never (uid_t)-1, which the set*id calls
 * read as "leave unchanged". An empty or malformed SUDO_UID or SUDO_GID is
 * an error, not a reason to fall back. Reads no environment itself.
 *
 * Root reached through sudo by another user (@real_uid 0, @sudo_uid set
 * and not 0) may drop only to that user: a --user naming anyone else, or
 * a --group that is neither @sudo_gid nor one the user belongs to, fails
 * with -EPERM, so a sudoers rule admitting the helper does not admit root.
 *
 * Return: 0; -EINVAL for a malformed number, -ERANGE for one too large,
 * -ENOENT for an unknown name, -EPERM for an id sudo's caller may not
 * take, or the negative errno of a failed lookup.
 */
int privdrop_resolve(const char *user, const char *group, const char *sudo_uid,
		     const char *sudo_gid, uid_t real_uid, gid_t real_gid,
		     struct privdrop_target *t, char *err, size_t errlen);

/**
 * privdrop_keep_reason() - why a process running as root keeps root with
 * @t, for the warning it logs
 * @t:	from privdrop_resolve(), with @t->drop false
 *
 * Return: a sentence naming where the uid 0 came from: --user, SUDO_UID
 * (sudo run by root), or neither being set.
 */
const char *privdrop_keep_reason(const struct privdrop_target *t);

/**
 * privdrop_apply() - become @t for good, if running as root
 * @t:		from privdrop_resolve()
 * @err:	one-line message on failure, naming the step
 * @errlen:	size of @err
 *
 * Does nothing and returns 0 when geteuid() is not 0 (nothing to drop;
 * the caller logs that) or when @t->drop is false (the caller warns that
 * it keeps running as root). Otherwise sets the supplementary groups to
 * just @t->gid, then the real, effective and saved gid, then the real,
 * effective and saved uid; then checks every id it can read and that
 * setuid(0), seteuid(0) and, unless @t->gid is 0, setgid(0) and
 * setegid(0) all fail. Call it before starting threads: Linux keeps ids
 * per thread (glibc makes every thread follow, as long as it can signal
 * them), and a macOS thread that called pthread_setugid_np() keeps its
 * own; with one thread there is nothing to miss.
 *
 * Return: 0, or a negative errno (-EPERM when a check fails); every
 * failure must be fatal, since the process may be partly dropped, or, if
 * a check found root could be regained, root again.
 */
int privdrop_apply(const struct privdrop_target *t, char *err, size_t errlen);

#endif
