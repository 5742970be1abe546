/* SPDX-License-Identifier: Apache-2.0 */
/* privdrop_os.h - the three steps of the privilege drop that differ by
 * platform (linux/privdrop_os.c, darwin/privdrop_os.c); privdrop.c does the
 * rest, the same everywhere. */
#ifndef VMNET_HELPER_PRIVDROP_OS_H
#define VMNET_HELPER_PRIVDROP_OS_H

#include <stddef.h>
#include <sys/types.h>

/**
 * privdrop_os_set_ids() - set the real, effective and saved gid, then uid
 * @uid:	the uid
 * @gid:	the gid
 * @err:	on failure, the call that failed and why
 * @errlen:	room in @err
 *
 * Called as root, after the supplementary groups are set; the caller
 * checks the outcome (privdrop.c privdrop_verify()).
 *
 * Return: 0, or the negative errno of the call that failed.
 */
int privdrop_os_set_ids(uid_t uid, gid_t gid, char *err, size_t errlen);

/**
 * privdrop_os_saved_ids() - read the saved uid and gid
 * @suid:	the saved uid
 * @sgid:	the saved gid
 *
 * Return: 0, -ENOSYS where the platform has no call that reads them (the
 * caller's seteuid(0) and setegid(0) checks stand in), or another negative
 * errno.
 */
int privdrop_os_saved_ids(uid_t *suid, gid_t *sgid);

/**
 * privdrop_os_getgroups() - getgroups() as the kernel holds the list
 * @size:	room in @list, or 0 to count
 * @list:	the groups
 *
 * Return: as getgroups(2).
 */
int privdrop_os_getgroups(int size, gid_t *list);

#endif
