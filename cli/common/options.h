/* SPDX-License-Identifier: Apache-2.0 */
/* options.h - the vmnet-helper command line: parse and validate argv into
 * struct options, and the --help text; no I/O besides the help. */
#ifndef VMNET_HELPER_OPTIONS_H
#define VMNET_HELPER_OPTIONS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "guard.h"
#include "host.h"

/* Room for any message options_parse() writes; longer ones are cut. */
#define OPTIONS_ERR_MAX 512

/* Length of a UUID in its 8-4-4-4-12 text form, without the NUL. */
#define OPTIONS_UUID_STRLEN 36

/* Whose rules to apply: each platform refuses the other's options. */
enum options_platform {
	OPTIONS_PLATFORM_LINUX,
	OPTIONS_PLATFORM_DARWIN,
};

/* What to do. HELP, VERSION and LIST act as soon as they are seen. */
enum options_action {
	OPTIONS_RUN,
	OPTIONS_HELP,
	OPTIONS_VERSION,
	OPTIONS_LIST_SHARED_INTERFACES,
};

/*
 * The parsed command line. Strings point into the argv given to
 * options_parse() and live as long as it does.
 */
struct options {
	enum options_action action;

	/* The VM's socket: exactly one of these is set for OPTIONS_RUN. */
	int fd;			 /* -1: not given */
	const char *socket_path; /* NULL: not given */
	/* --stream: each frame after its 4-byte big-endian length on a
	 * stream socket (QEMU's -netdev stream, socket_vmnet's clients);
	 * false: one frame per datagram. */
	bool socket_stream;

	/* --host-fd: an inherited unix datagram socket is the host side
	 * (host_fd_open()), in place of vmnet or a TAP; -1: not given. */
	int host_fd;

	/*
	 * The host interface, as host_open() takes it: every --interface-id,
	 * --enable-tso, macOS (vmnet) and Linux (TAP) option lands here, and
	 * max_batch is the batch size below. NULL strings: not given; mode
	 * HOST_MODE_SHARED by default; addresses_given once all three
	 * addresses are.
	 */
	struct host_config host;
	char interface_id_str[OPTIONS_UUID_STRLEN + 1]; /* lower case */
	bool operation_mode_given;
	bool start_address_given, end_address_given, subnet_mask_given;

	/* The engine. */
	int host_cpu, socket_cpu; /* -1: not pinned */
	unsigned workers;	  /* 1 or 2, 0: auto (engine_config.workers) */
	unsigned batch_size;	  /* the sizes to run with: as given, or */
	unsigned ring_size;	  /* the defaults (options_sizing.h) */

	/* Process. */
	const char *user;	 /* name or uid to run as, NULL: default */
	const char *group;	 /* name or gid to run as, NULL: default */
	pid_t pid;		 /* exit when this process exits, 0: none */
	unsigned stats_interval; /* seconds between stats, 0: off */
	bool no_sandbox;	 /* no system call filter after start */
	bool verbose;
	const char *pidfile;	  /* --pidfile PATH, NULL: none */
	const char *address_file; /* --address-file PATH, NULL: none */
	bool learn_addresses;	  /* learn the guest's addresses (also on
				     with --address-file) */

	/* Expose: --expose's rules are in host.expose (host.h), as both
	 * platforms' port forwarding takes them. */
	/* Guard (options_guard.h, docs/guard.md): what frames from the VM
	 * may carry; no rule set: no guard. guard_mac_from_host: plain
	 * --enforce-mac, the MAC the host side reports (the JSON line's),
	 * known once it has started. */
	struct guard_config guard;
	bool guard_mac_from_host;

	/* --interface-id was given with --network or a network of the
	 * helper's own, where vmnet ignores it. */
	bool warn_interface_id_ignored;
};

/**
 * options_parse() - parse and validate a vmnet-helper command line
 * @o:		filled with the result (defaults for what is not given)
 * @argc:	number of arguments, argv[0] included
 * @argv:	the arguments; getopt may reorder them
 * @platform:	whose rules apply (options_build_platform() in the program)
 * @err:	on failure, one line saying what is wrong and what to pass
 *		instead; no newline and no "ERROR " prefix
 * @errlen:	room in @err, OPTIONS_ERR_MAX is always enough
 *
 * Options are read in order, as vmnet-helper does: --help, --version and
 * --list-shared-interfaces return at once with o->action set and the
 * rest ignored. Rules between options are checked after the last one.
 * Reads no environment and keeps no state, so it can be called any
 * number of times in one process.
 *
 * Return: 0, or -1 with @err filled.
 */
int options_parse(struct options *o, int argc, char *const argv[],
		  enum options_platform platform, char *err, size_t errlen);

/**
 * options_build_platform() - the platform this binary was built for
 *
 * The one place the platform is chosen, by the Makefile: tests pass
 * either value to options_parse() on any build.
 *
 * Return: OPTIONS_PLATFORM_DARWIN on macOS (darwin/options_platform.c),
 * OPTIONS_PLATFORM_LINUX on Linux (linux/options_platform.c).
 */
enum options_platform options_build_platform(void);

/**
 * options_usage() - write the --help text
 * @out:	where to write it (vmnet-helper writes it to stdout: it is
 *		what was asked for; errors go to stderr)
 * @prog:	program name for the usage line, usually argv[0]
 * @platform:	the platform the text is for; options of the other one are
 *		listed too, marked as theirs
 */
void options_usage(FILE *out, const char *prog, enum options_platform platform);

#endif
