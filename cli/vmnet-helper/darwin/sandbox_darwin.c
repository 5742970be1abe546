/* SPDX-License-Identifier: Apache-2.0 */
/* sandbox_darwin.c - after the privilege drop on macOS: no new processes,
 * and why the rest of what XNU offers is not used. */
#include "cli/vmnet-helper/sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "errmsg.h"

/*
 * What macOS allows a process that must keep talking to vmnet and to its
 * socket, once vmnet is started and root is dropped:
 *
 * - No new processes: RLIMIT_NPROC 0. XNU's fork1() (bsd/kern/kern_fork.c)
 *   counts the processes of the caller's real uid and fails with EAGAIN
 *   when a non-root uid would pass the soft limit; posix_spawn() makes its
 *   child through the same fork1() (bsd/kern/kern_exec.c), so fork(),
 *   vfork() and posix_spawn() all fail, and only root may raise a hard
 *   limit again (dosetrlimit(), bsd/kern/kern_resource.c). Threads are not
 *   counted, so vmnet's dispatch queues and the engine's workers are not
 *   affected. Root is exempt from the check: a helper that keeps running
 *   as root gets nothing from it.
 *
 * - Not Seatbelt (sandbox_init(3)). Its documented form takes only the
 *   named profiles with SANDBOX_NAMED ("all other values are reserved",
 *   <sandbox.h>, deprecated since 10.8); kSBXProfileNoNetwork would forbid
 *   the VM's unix socket, and Apple's vmnet documentation says that "a
 *   sandboxed user space process must have the com.apple.vm.networking
 *   entitlement in order to use vmnet API" - which the helper does not
 *   have (it starts vmnet as root, or on macOS 26 with
 *   com.apple.security.virtualization), so a sandboxed helper could lose
 *   its interface in a way no test here can see. Custom profiles are an
 *   undocumented format.
 *
 * - XNU has no capability sets to empty and no no_new_privs: an exec() in
 *   place of the helper cannot be refused, only new processes.
 */

int sandbox_before_privdrop(char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return 1; /* no capability sets on XNU */
}

int sandbox_enter(bool filter, unsigned allow, char *what, size_t whatlen,
		  char *err, size_t errlen)
{
	const struct rlimit none = {0, 0};

	/* No system call filter on macOS; RLIMIT_NPROC leaves sockets and
	 * files alone. */
	(void)allow;
	if (!filter) {
		snprintf(what, whatlen, "new processes allowed (--no-sandbox)");
		return 0;
	}
	/* Root: no drop target, so RLIMIT_NPROC would not bind (macOS 26
	 * runs the helper as its caller from the start). */
	if (getuid() == 0) {
		snprintf(what, whatlen,
			 "none: running as root, which RLIMIT_NPROC does not "
			 "bind");
		return 0;
	}
	if (setrlimit(RLIMIT_NPROC, &none) != 0)
		return errmsg_fail(err, errlen, -errno,
				   "setrlimit(RLIMIT_NPROC, 0): %s; pass "
				   "--no-sandbox to run without it",
				   strerror(errno));
	snprintf(what, whatlen,
		 "no new processes (RLIMIT_NPROC 0); macOS offers no "
		 "system call filter the helper can use with vmnet");
	return 0;
}
