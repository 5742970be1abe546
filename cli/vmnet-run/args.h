/* SPDX-License-Identifier: Apache-2.0 */
/* args.h - the vmnet-run command line: split it at "--", take out
 * vmnet-run's own options, check the helper's with options_parse(), build
 * the helper's argv; and the --help text. Pure: no I/O besides the help. */
#ifndef VMNET_HELPER_RUN_ARGS_H
#define VMNET_HELPER_RUN_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "options.h"

/* The socketpair's ends: the helper's --fd, and COMMAND's (QEMU's
 * "local.str=4"). Fixed, as in the reference vmnet-run. With several NICs
 * each helper has its own socketpair, its end as fd 3 in its own process,
 * and COMMAND gets NIC i's end as fd RUN_COMMAND_FD + i. */
#define RUN_HELPER_FD  3
#define RUN_COMMAND_FD 4

/* NICs one vmnet-run gives COMMAND (--nic); COMMAND's fds 4 to 11. */
#define RUN_NICS_MAX 8
#define RUN_NIC_OPT  "--nic"

/* --stop-timeout: seconds between SIGTERM and SIGKILL. */
#define RUN_STOP_TIMEOUT_DEFAULT 5
#define RUN_STOP_TIMEOUT_MAX	 3600

/* Room for any message run_args_parse() writes. */
#define RUN_ERR_MAX (OPTIONS_ERR_MAX + 128)

enum run_action {
	RUN_START,   /* start the helper and COMMAND */
	RUN_HELP,    /* print run_usage() and exit 0 */
	RUN_VERSION, /* print the version and exit 0 */
};

/* One NIC: the options of its helper. */
struct run_nic {
	char **helper_opts; /* as typed, NULL-terminated */
	int nhelper_opts;
	/* The helper options as the helper will parse them, "--fd 3"
	 * added: vmnet-run reads verbose and enable_tso. */
	struct options opts;
};

/*
 * The parsed command line. Strings point into the argv given to
 * run_args_parse(); the arrays are owned (run_args_free()).
 */
struct run_args {
	enum run_action action;
	unsigned stop_timeout; /* seconds, 1 to RUN_STOP_TIMEOUT_MAX */
	/* One per NIC, in order: the options before the first --nic, then
	 * those after each --nic. */
	struct run_nic nics[RUN_NICS_MAX];
	unsigned nnics;
	bool verbose;	/* -v given to any NIC */
	char **command; /* COMMAND and its arguments, NULL-terminated */
};

/**
 * run_args_parse() - parse and check a vmnet-run command line
 * @a:		filled in; call run_args_free() whatever the result
 * @argc:	number of arguments, argv[0] included
 * @argv:	vmnet-run [OPTION]... [--nic OPTION...]... -- COMMAND [ARG]...;
 *		not modified
 * @platform:	whose helper rules apply (options_build_platform())
 * @err:	on failure, one line saying what is wrong and what to do; no
 *		"ERROR " or "vmnet-run: " prefix
 * @errlen:	room in @err, RUN_ERR_MAX is always enough
 *
 * Everything before the first "--" is options: vmnet-run's own
 * --stop-timeout (exact name, "--stop-timeout N" or "--stop-timeout=N",
 * anywhere) is taken out; the rest are the helpers' options, the first
 * NIC's up to the first --nic and each further NIC's after its --nic, at
 * most RUN_NICS_MAX NICs. Each NIC's must pass options_parse() as the
 * helper's options with "--fd 3" added. --fd and --socket (vmnet-run
 * connects the helpers itself), --pid and --list-shared-interfaces are
 * refused, and so are two NICs on one --tap or one --interface-id, and a
 * --nic before any option (it would add a first NIC of defaults). --help
 * and --version act as they do in the helper, command or not. Everything
 * after the "--" is COMMAND, a second "--" included.
 *
 * Return: 0, or -1 with @err filled (nothing may be started then).
 */
int run_args_parse(struct run_args *a, int argc, char *const argv[],
		   enum options_platform platform, char *err, size_t errlen);

/**
 * run_args_free() - free what run_args_parse() allocated
 * @a:	parsed or failed arguments; zeroed
 */
void run_args_free(struct run_args *a);

/**
 * run_helper_argv() - the argv vmnet-run executes for one NIC's helper
 * @nic:	the NIC, from a parsed command line
 * @prefix:	words before the helper's path (sudo on old macOS, see
 *		run_platform_helper_prefix()), NULL-terminated
 * @helper:	the helper's path (run_helper_path())
 *
 * [prefix...] helper [helper options...] --fd 3
 *
 * Return: a NULL-terminated array to free() (not its strings, which point
 * into @prefix, @helper and @nic), or NULL when out of memory.
 */
char **run_helper_argv(const struct run_nic *nic, const char *const *prefix,
		       const char *helper);

/**
 * run_helper_path() - the vmnet-helper beside an executable
 * @self_exe:	absolute path of vmnet-run (self_exe_path())
 * @buf:	output
 * @len:	room in @buf
 *
 * Return: 0, -EINVAL when @self_exe has no directory, -ENAMETOOLONG.
 */
int run_helper_path(const char *self_exe, char *buf, size_t len);

/**
 * run_needs_sudo() - whether vmnet-run must start the helper through sudo
 * on macOS
 * @euid:		vmnet-run's effective uid
 * @macos_version:	kern.osproductversion, e.g. "15.6.1", or NULL when
 *			unknown
 *
 * vmnet.framework needs root before macOS 26. An unknown or unreadable
 * version counts as old: sudo works there, and is merely needless on 26.
 *
 * Return: true when not root and the major version is below 26.
 */
bool run_needs_sudo(unsigned euid, const char *macos_version);

/**
 * run_usage() - write vmnet-run's --help text
 * @out:	where to write it (vmnet-run writes it to stdout, as the
 *		helper does: it is what was asked for, not an error)
 * @prog:	program name for the usage line
 */
void run_usage(FILE *out, const char *prog);

#endif
