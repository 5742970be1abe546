/* SPDX-License-Identifier: Apache-2.0 */
/* privdrop_os.c - the privilege drop's platform steps on macOS, which has
 * no setresuid(), setresgid() or call that reads the saved ids. */
#include "privdrop_os.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"

/*
 * setgid() and setuid() called as root set the real, effective and saved
 * id (setuid(2)); setegid() and seteuid() after them only confirm the
 * effective id. privdrop.c checks the outcome.
 */
int privdrop_os_set_ids(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	const char *step;
	unsigned id = (unsigned)gid;
	int e;

	step = "setgid";
	if (setgid(gid) != 0)
		goto fail;
	step = "setegid";
	if (setegid(gid) != 0)
		goto fail;
	step = "setuid";
	id = (unsigned)uid;
	if (setuid(uid) != 0)
		goto fail;
	step = "seteuid";
	if (seteuid(uid) != 0)
		goto fail;
	return 0;
fail:
	e = errno;
	return errmsg_fail(err, errlen, -e, "%s(%u): %s", step, id,
			   strerror(e));
}

/* No call reads them: the seteuid(0)/setegid(0) checks in privdrop.c
 * stand in, as they succeed whenever the saved id is 0. */
int privdrop_os_saved_ids(uid_t *suid, gid_t *sgid)
{
	(void)suid;
	(void)sgid;
	return -ENOSYS;
}

/*
 * With _DARWIN_C_SOURCE, macOS's <unistd.h> binds getgroups() to a libc
 * variant that reports the user's groups from the directory service, not
 * the list setgroups() set (getgroups(2) says so), which would make the
 * check after the drop both fail and prove nothing. The plain libSystem
 * symbol is the system call, so we bind to it by name.
 */
int privdrop_os_getgroups(int size, gid_t *list)
{
	extern int privdrop_sys_getgroups(int, gid_t *) __asm__("_getgroups");

	return privdrop_sys_getgroups(size, list);
}
