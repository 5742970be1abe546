/* SPDX-License-Identifier: Apache-2.0 */
/* privdrop_os.c - the privilege drop's platform steps on Linux: setresgid()
 * and setresuid(), which set all three ids at once or fail, and
 * getresuid()/getresgid(), which read them back. */
#include "privdrop_os.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"

int privdrop_os_set_ids(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	int e;

	if (setresgid(gid, gid, gid) != 0) {
		e = errno;
		return errmsg_fail(err, errlen, -e, "setresgid(%u): %s",
				   (unsigned)gid, strerror(e));
	}
	if (setresuid(uid, uid, uid) != 0) {
		e = errno;
		return errmsg_fail(err, errlen, -e, "setresuid(%u): %s",
				   (unsigned)uid, strerror(e));
	}
	return 0;
}

int privdrop_os_saved_ids(uid_t *suid, gid_t *sgid)
{
	uid_t ruid, euid;
	gid_t rgid, egid;

	if (getresuid(&ruid, &euid, suid) != 0 ||
	    getresgid(&rgid, &egid, sgid) != 0)
		return -errno;
	return 0;
}

int privdrop_os_getgroups(int size, gid_t *list)
{
	return getgroups(size, list);
}
