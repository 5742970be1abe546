/* SPDX-License-Identifier: Apache-2.0 */
/* owned_file.h - files the helper makes in directories others may write
 * (--socket's PATH.lock, --pidfile, --address-file): opened without
 * following anything, regular files only, created exclusively, given away
 * only when this process made them, removed only while the path still
 * names them. */
#ifndef VMNET_HELPER_OWNED_FILE_H
#define VMNET_HELPER_OWNED_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * The helper may run as root (sudo) in a directory its caller owns, so
 * nothing at a path is trusted: a symbolic link there could point at
 * /etc/shadow, a FIFO would block an open, a hard link could make a chown
 * give away anything. Every open here is O_NOFOLLOW | O_NONBLOCK, what was
 * opened is checked with fstat() (never a stat() of the path before), a
 * missing file is created with O_EXCL (which also refuses a dangling
 * link), and fchown() acts on the inode just opened.
 */

struct owned_file {
	const char *path; /* the caller's; must outlive the struct */
	int fd;		  /* -1 when closed */
	struct stat st;	  /* what fd is: removed only while path names it */
	bool created;	  /* this process made the file */
};

/**
 * owned_file_open() - open or create a regular file at @path, 0600
 * @f:		filled; f->fd is -1 on failure
 * @path:	the path; kept in @f
 * @what:	the option it comes from, e.g. "--pidfile", for messages
 * @writable:	open it read-write (else read-only, enough for a lock)
 * @uid:	give a file this call created to @uid (the user the helper
 *		drops to), or (uid_t)-1 to leave it; a file that was there
 *		already is never given away
 * @gid:	and to @gid
 * @err:	on failure, one line naming the path, the cause and the fix
 * @errlen:	room in @err
 *
 * Return: 0, or a negative errno (-ELOOP for a symbolic link, -EINVAL for
 * something that is not a regular file).
 */
int owned_file_open(struct owned_file *f, const char *path, const char *what,
		    bool writable, uid_t uid, gid_t gid, char *err,
		    size_t errlen);

/**
 * owned_file_remove() - remove the file if @f->path still names it, and
 * close it
 * @f:	opened with owned_file_open() or owned_file_replace(), or with
 *	fd -1 and a zero st (nothing happens)
 *
 * Whoever can write the directory may have put something else at the path
 * since; that is left alone.
 */
void owned_file_remove(struct owned_file *f);

/**
 * owned_file_replace() - give @path new contents at once: written to
 * PATH.tmp (created exclusively), then renamed over @path
 * @f:		on success, path, st and fd -1 (the file is closed), so
 *		owned_file_remove() removes it at exit; unchanged on failure
 * @path:	the path
 * @what:	the option, for messages
 * @data:	the contents
 * @len:	their length
 * @err:	on failure, one line
 * @errlen:	room in @err
 *
 * A reader sees the old contents or the new, never a part. rename(2)
 * replaces what is at @path without following it, so a link planted there
 * is replaced, not written through. A PATH.tmp left by a crash is removed
 * first (unlink() never follows either).
 *
 * Return: 0 or a negative errno.
 */
int owned_file_replace(struct owned_file *f, const char *path, const char *what,
		       const void *data, size_t len, char *err, size_t errlen);

/**
 * owned_file_dir_writable_by() - whether @uid, with group @gid and no other,
 * may create and remove files in @path's directory, by its mode bits
 * @path:	a file's path
 * @uid:	the user the helper drops to
 * @gid:	its group
 *
 * Asked while still root, so that a directory the user cannot write fails
 * before anything starts, not at exit, where the file could then not be
 * removed. ACLs are not read.
 *
 * Return: true if it may (or the directory cannot be examined: the open
 * that follows names that problem).
 */
bool owned_file_dir_writable_by(const char *path, uid_t uid, gid_t gid);

/**
 * owned_file_kind() - what a file mode is, for messages
 * @m:	st_mode
 *
 * Return: e.g. "a regular file", "a pipe", "a directory".
 */
const char *owned_file_kind(mode_t m);

#endif
