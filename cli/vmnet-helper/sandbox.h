/* SPDX-License-Identifier: Apache-2.0 */
/* sandbox.h - confine vmnet-helper once its host interface is open and its
 * privileges are dropped, so that a VM that takes over the helper through a
 * bug in frame handling gains as little as the platform allows. */
#ifndef VMNET_HELPER_SANDBOX_H
#define VMNET_HELPER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/* Room for any message or summary the functions below write. */
#define SANDBOX_MSG_MAX 256

/**
 * sandbox_before_privdrop() - give up, while root still may, what the
 * privilege drop itself leaves behind
 * @err:	one-line message on failure
 * @errlen:	room in @err
 *
 * Linux: empties the capability bounding set and the inheritable and
 * ambient sets, so no later execve() can hand a capability back.
 * Emptying the bounding set needs CAP_SETPCAP in the effective set, which
 * the setresuid() away from uid 0 clears (capabilities(7), "Effect of user
 * ID changes on capabilities"), so this must run before privdrop_apply();
 * it leaves the effective and permitted sets alone, which the drop still
 * needs (CAP_SETGID, CAP_SETUID). macOS has no capability sets: nothing to
 * do.
 *
 * Return: 0 when done, 1 when there was nothing this process may drop
 * (Linux without CAP_SETPCAP, i.e. not started as root; macOS), or a
 * negative errno with @err filled.
 */
int sandbox_before_privdrop(char *err, size_t errlen);

/* What sandbox_enter()'s filter allows beyond the helper's plain calls. */
enum sandbox_allow {
	SANDBOX_STREAM = 1u << 0,    /* --stream */
	SANDBOX_NEW_FILES = 1u << 1, /* --address-file */
};

/**
 * sandbox_enter() - confine the process for the rest of its life
 * @filter:	also restrict the system calls (false: --no-sandbox)
 * @allow:	with @filter, what the filter also lets through, any of
 *		SANDBOX_STREAM (the VM's socket is a stream, --stream:
 *		listening, accepting, sendmsg(), a unix stream socket) and
 *		SANDBOX_NEW_FILES (the helper creates files and renames them
 *		into place: --address-file, cli/common/owned_file.c), or 0
 * @what:	on success, one line saying what is now in place, for the log
 * @whatlen:	room in @what
 * @err:	one-line message on failure, naming the step and the way out
 * @errlen:	room in @err
 *
 * Call it after privdrop_apply() and before the engine starts, with the
 * host interface open. Linux: sets no_new_privs, then, with @filter,
 * installs on every thread a seccomp filter that allows only the system
 * calls the running helper makes and kills the whole process (SIGSYS) on
 * any other (docs/security.md lists them and how they were measured);
 * SANDBOX_NEW_FILES adds open() only to create a new file write-only
 * (O_CREAT | O_EXCL, so no existing file is opened, for reading or
 * writing) and rename().
 * macOS: forbids new processes (RLIMIT_NPROC 0) once the helper runs as
 * another user than root; see darwin/sandbox_darwin.c for what else the
 * platform offers and why it is not used.
 *
 * Return: 0, or a negative errno with @err filled; the caller must treat a
 * failure as fatal, since the helper would run less confined than the
 * user was told.
 */
int sandbox_enter(bool filter, unsigned allow, char *what, size_t whatlen,
		  char *err, size_t errlen);

#endif
