/* SPDX-License-Identifier: Apache-2.0 */
/* args.c - the vmnet-run command line (see args.h). */
#include "cli/vmnet-run/args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"

#define STOP_TIMEOUT_OPT "--stop-timeout"
#define STOP_TIMEOUT_HINT                                                      \
	"pass a number of seconds from 1 to 3600, e.g. --stop-timeout 5"
_Static_assert(RUN_STOP_TIMEOUT_MAX == 3600, "update STOP_TIMEOUT_HINT");

/* What vmnet-run adds to the helper's options. Not const: argv arrays
 * are char *[], though nothing writes to them. */
static char fd_opt[] = "--fd";
static char fd_val[] = "3";
_Static_assert(RUN_HELPER_FD == 3, "update fd_val");

/* First macOS whose vmnet.framework works without root. */
#define MACOS_NO_ROOT_MAJOR 26

/* A whole decimal number from 1 to RUN_STOP_TIMEOUT_MAX: no sign, no
 * blanks, nothing after. */
static int parse_stop_timeout(const char *s, unsigned *out, char *err,
			      size_t errlen)
{
	unsigned long v = 0;

	if (*s == '\0')
		return errmsg_fail(err, errlen, -1,
				   "invalid --stop-timeout '': empty; %s",
				   STOP_TIMEOUT_HINT);
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return errmsg_fail(
			    err, errlen, -1,
			    "invalid --stop-timeout '%s': not a whole "
			    "number of seconds; %s",
			    s, STOP_TIMEOUT_HINT);
		/* Past the maximum it stays past it, without overflow. */
		if (v <= RUN_STOP_TIMEOUT_MAX)
			v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < 1 || v > RUN_STOP_TIMEOUT_MAX)
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --stop-timeout '%s': out of range (a "
		    "process always gets SIGTERM and at least a second "
		    "to stop); %s",
		    s, STOP_TIMEOUT_HINT);
	*out = (unsigned)v;
	return 0;
}

/*
 * Split argv[1..end) into the NICs' helper options at each --nic, taking
 * out --stop-timeout and its value wherever it is. Only the exact names
 * count: the helper has no option they could abbreviate, and a value such
 * as "--tap --stop-timeout" is not worth guessing at.
 */
static int take_own_options(struct run_args *a, int end, char *const argv[],
			    char *err, size_t errlen)
{
	const size_t n = strlen(STOP_TIMEOUT_OPT);
	struct run_nic *nic = &a->nics[0];

	a->nnics = 1;
	for (int i = 1; i < end; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, STOP_TIMEOUT_OPT) == 0) {
			if (i + 1 >= end)
				return errmsg_fail(
				    err, errlen, -1,
				    "--stop-timeout needs an argument: "
				    "--stop-timeout SECONDS");
			if (parse_stop_timeout(argv[++i], &a->stop_timeout, err,
					       errlen) < 0)
				return -1;
			continue;
		}
		if (strncmp(arg, STOP_TIMEOUT_OPT, n) == 0 && arg[n] == '=') {
			if (parse_stop_timeout(arg + n + 1, &a->stop_timeout,
					       err, errlen) < 0)
				return -1;
			continue;
		}
		if (strcmp(arg, RUN_NIC_OPT) == 0) {
			if (a->nnics == 1 && nic->nhelper_opts == 0)
				return errmsg_fail(
				    err, errlen, -1,
				    "--nic before any option: the options "
				    "before the first --nic are the first "
				    "NIC's and each --nic starts one more, so "
				    "this would add a first NIC of defaults; "
				    "drop the first --nic, e.g. vmnet-run "
				    "--tap tap0 --nic --tap tap1 -- COMMAND");
			if (a->nnics == RUN_NICS_MAX)
				return errmsg_fail(
				    err, errlen, -1,
				    "--nic: at most %d NICs, COMMAND's fds "
				    "%d to %d; drop one",
				    RUN_NICS_MAX, RUN_COMMAND_FD,
				    RUN_COMMAND_FD + RUN_NICS_MAX - 1);
			nic = &a->nics[a->nnics++];
			continue;
		}
		if (nic->helper_opts == NULL) {
			nic->helper_opts =
			    calloc((size_t)end + 1, sizeof(char *));
			if (nic->helper_opts == NULL)
				return errmsg_fail(err, errlen, -1,
						   "out of memory");
		}
		nic->helper_opts[nic->nhelper_opts++] = argv[i];
	}
	/* Every NIC's list is a list, empty or not. */
	for (unsigned k = 0; k < a->nnics; k++)
		if (a->nics[k].helper_opts == NULL) {
			a->nics[k].helper_opts = calloc(1, sizeof(char *));
			if (a->nics[k].helper_opts == NULL)
				return errmsg_fail(err, errlen, -1,
						   "out of memory");
		}
	return 0;
}

/*
 * options_parse() on "vmnet-helper" + @extra (NULL or a NULL-terminated
 * list) + @nic's helper options. @extra goes first so that it cannot
 * become the value of an option the user left without one ("--tap"
 * "--fd"), and a message about a user's --fd quotes the user's value.
 * getopt reorders what it is given, so it gets a copy and nic->helper_opts
 * keeps the order the user typed.
 */
static int parse_helper(const struct run_nic *nic, struct options *o,
			char *const *extra, enum options_platform platform,
			char *err, size_t errlen)
{
	static char prog[] = "vmnet-helper";
	size_t nextra = 0;
	char **v;
	int r;

	while (extra != NULL && extra[nextra] != NULL)
		nextra++;
	v = calloc((size_t)nic->nhelper_opts + nextra + 2, sizeof(char *));
	if (v == NULL)
		return errmsg_fail(err, errlen, -1, "out of memory");
	v[0] = prog;
	for (size_t i = 0; i < nextra; i++)
		v[1 + i] = extra[i];
	memcpy(v + 1 + nextra, nic->helper_opts,
	       (size_t)nic->nhelper_opts * sizeof(char *));
	r = options_parse(o, 1 + nic->nhelper_opts + (int)nextra, v, platform,
			  err, errlen);
	free(v);
	return r;
}

/*
 * One NIC's helper options alone. options_parse() fails on them with
 * "missing --fd or --socket" unless the user gave one, so success here
 * means either --help / --version / --list-shared-interfaces, or a --fd or
 * --socket to refuse. On failure every other error comes back the same
 * from the parse with "--fd 3" in front (getopt meets the user's options
 * in the same order), so nothing is lost by ignoring it here. Both --fd
 * and --socket fail both parses; the helper's message about the pair then
 * stands.
 *
 * Return: 1 to go on, 0 when @a->action is settled, -1 with @err.
 */
static int check_alone(struct run_args *a, unsigned k,
		       enum options_platform platform, char *err, size_t errlen)
{
	const unsigned fd = RUN_COMMAND_FD + k;
	struct options o;
	char ignored[OPTIONS_ERR_MAX];

	if (parse_helper(&a->nics[k], &o, NULL, platform, ignored,
			 sizeof(ignored)) < 0)
		return 1;
	switch (o.action) {
	case OPTIONS_HELP:
		a->action = RUN_HELP;
		return 0;
	case OPTIONS_VERSION:
		a->action = RUN_VERSION;
		return 0;
	case OPTIONS_LIST_SHARED_INTERFACES:
		return errmsg_fail(
		    err, errlen, -1,
		    "--list-shared-interfaces: vmnet-run starts a VM; "
		    "run vmnet-helper --list-shared-interfaces to list "
		    "the interfaces");
	case OPTIONS_RUN:
		break;
	}
	if (o.fd >= 0)
		return errmsg_fail(
		    err, errlen, -1,
		    "--fd/--socket: vmnet-run connects the helper "
		    "itself, its fd %d to COMMAND's fd %u; drop --fd "
		    "%d and use fd %u in COMMAND",
		    RUN_HELPER_FD, fd, o.fd, fd);
	return errmsg_fail(
	    err, errlen, -1,
	    "--fd/--socket: vmnet-run connects the helper itself, its "
	    "fd %d to COMMAND's fd %u; drop --socket '%s' and use fd "
	    "%u in COMMAND",
	    RUN_HELPER_FD, fd, o.socket_path ? o.socket_path : "", fd);
}

/* Two NICs on one TAP, or with one interface id (so one MAC), cannot
 * both work: say which. */
static int check_distinct(const struct run_args *a, char *err, size_t errlen)
{
	for (unsigned i = 0; i < a->nnics; i++)
		for (unsigned j = i + 1; j < a->nnics; j++) {
			const struct host_config *x = &a->nics[i].opts.host;
			const struct host_config *y = &a->nics[j].opts.host;

			if (x->tap && y->tap && strcmp(x->tap, y->tap) == 0)
				return errmsg_fail(
				    err, errlen, -1,
				    "--nic: NIC %u and NIC %u both have --tap "
				    "%s; give each NIC its own TAP",
				    i, j, x->tap);
			if (x->interface_id_given && y->interface_id_given &&
			    memcmp(x->interface_id, y->interface_id,
				   sizeof(x->interface_id)) == 0)
				return errmsg_fail(
				    err, errlen, -1,
				    "--nic: NIC %u and NIC %u both have "
				    "--interface-id %s, so one MAC address; "
				    "give each NIC its own",
				    i, j, a->nics[i].opts.interface_id_str);
		}
	return 0;
}

int run_args_parse(struct run_args *a, int argc, char *const argv[],
		   enum options_platform platform, char *err, size_t errlen)
{
	char *const with_fd[] = {fd_opt, fd_val, NULL};
	int dashes = argc;
	int r;

	memset(a, 0, sizeof(*a));
	a->action = RUN_START;
	a->stop_timeout = RUN_STOP_TIMEOUT_DEFAULT;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			dashes = i;
			break;
		}
	}
	if (take_own_options(a, dashes, argv, err, errlen) < 0)
		return -1;
	for (unsigned k = 0; k < a->nnics; k++) {
		r = check_alone(a, k, platform, err, errlen);
		if (r <= 0)
			return r;
	}
	/* Before the helper's own errors: "vmnet-run qemu -m 1G" lacks the
	 * "--", and "unknown option '-m'" would only mislead. */
	if (dashes + 1 >= argc)
		return errmsg_fail(
		    err, errlen, -1,
		    "no command specified: put the VM's command after "
		    "'--', e.g. vmnet-run --tap tap0 -- "
		    "qemu-system-x86_64 ...; see vmnet-run --help");
	for (unsigned k = 0; k < a->nnics; k++) {
		struct run_nic *nic = &a->nics[k];
		char why[OPTIONS_ERR_MAX];

		if (parse_helper(nic, &nic->opts, with_fd, platform,
				 a->nnics > 1 ? why : err,
				 a->nnics > 1 ? sizeof(why) : errlen) < 0) {
			if (a->nnics > 1)
				errmsg_format(err, errlen, "NIC %u: %s", k,
					      why);
			return -1;
		}
		if (nic->opts.host_fd >= 0)
			return errmsg_fail(
			    err, errlen, -1,
			    "--host-fd: vmnet-run passes each helper its "
			    "VM's socket and no other fd; to join two VMs, run "
			    "two vmnet-helpers with --fd and --host-fd "
			    "yourself (docs/vmnet-helper.md, \"VM to VM\"); "
			    "drop --host-fd %d",
			    nic->opts.host_fd);
		if (nic->opts.pid != 0)
			return errmsg_fail(
			    err, errlen, -1,
			    "--pid: vmnet-run stops the helper itself when "
			    "COMMAND exits; drop --pid %d",
			    (int)nic->opts.pid);
		a->verbose |= nic->opts.verbose;
	}
	if (check_distinct(a, err, errlen) < 0)
		return -1;
	a->command = (char **)&argv[dashes + 1];
	return 0;
}

void run_args_free(struct run_args *a)
{
	for (unsigned k = 0; k < RUN_NICS_MAX; k++)
		free(a->nics[k].helper_opts);
	memset(a, 0, sizeof(*a));
}

char **run_helper_argv(const struct run_nic *a, const char *const *prefix,
		       const char *helper)
{
	size_t nprefix = 0, n = 0;
	char **v;

	while (prefix[nprefix] != NULL)
		nprefix++;
	v = calloc(nprefix + 1 + (size_t)a->nhelper_opts + 3, sizeof(char *));
	if (v == NULL)
		return NULL;
	/* exec takes char *const[]: the strings are never written to. */
	for (size_t i = 0; i < nprefix; i++)
		v[n++] = (char *)prefix[i];
	v[n++] = (char *)helper;
	for (int i = 0; i < a->nhelper_opts; i++)
		v[n++] = a->helper_opts[i];
	v[n++] = fd_opt;
	v[n++] = fd_val;
	v[n] = NULL;
	return v;
}

int run_helper_path(const char *self_exe, char *buf, size_t len)
{
	static const char name[] = "vmnet-helper";
	const char *slash = strrchr(self_exe, '/');
	size_t dir;

	if (slash == NULL)
		return -EINVAL;
	dir = (size_t)(slash - self_exe) + 1; /* keeps the '/' */
	if (dir + sizeof(name) > len)
		return -ENAMETOOLONG;
	memcpy(buf, self_exe, dir);
	memcpy(buf + dir, name, sizeof(name));
	return 0;
}

bool run_needs_sudo(unsigned euid, const char *macos_version)
{
	unsigned long major = 0;
	const char *p = macos_version;

	if (euid == 0)
		return false;
	if (p == NULL || *p < '0' || *p > '9')
		return true;
	for (; *p >= '0' && *p <= '9' && major < MACOS_NO_ROOT_MAJOR; p++)
		major = major * 10 + (unsigned long)(*p - '0');
	return major < MACOS_NO_ROOT_MAJOR;
}

void run_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [OPTION]... [--nic OPTION...]... -- COMMAND "
		"[ARG]...\n",
		prog);
	fputs(
	    "\n"
	    "Runs vmnet-helper and COMMAND (a VM: QEMU, say) joined by a unix "
	    "datagram\n"
	    "socketpair: the helper gets its end as fd 3, COMMAND the other "
	    "end as fd 4,\n"
	    "e.g. qemu-system-x86_64 -netdev "
	    "dgram,id=net0,local.type=fd,local.str=4.\n"
	    "With the helper's --stream the socketpair is a stream one, each "
	    "frame after\n"
	    "its 4-byte length, e.g. -netdev socket,id=net0,fd=4.\n"
	    "With --nic, one helper per NIC, each on a socketpair of its own: "
	    "COMMAND\n"
	    "gets NIC 0's end as fd 4, NIC 1's as fd 5, and so on. COMMAND "
	    "starts once\n"
	    "every helper is ready; when any one of them exits, vmnet-run "
	    "stops the\n"
	    "others and exits.\n"
	    "\n"
	    "Options:\n"
	    "  Any of vmnet-helper's options (vmnet-helper --help lists them), "
	    "checked\n"
	    "  before anything starts, except --fd, --socket and --host-fd "
	    "(vmnet-run\n"
	    "  passes --fd 3 itself), --pid and --list-shared-interfaces. -v "
	    "also shows\n"
	    "  vmnet-run's DEBUG lines.\n"
	    "      --nic                   The options after it are one more "
	    "NIC's (up to\n"
	    "                              8): those before the first --nic "
	    "are NIC 0's,\n"
	    "                              e.g. --tap tap0 --nic --tap tap1. "
	    "No two NICs\n"
	    "                              on one --tap or with one "
	    "--interface-id.\n"
	    "      --stop-timeout SECONDS\n"
	    "                              After SIGTERM, how long a helper or "
	    "COMMAND\n"
	    "                              may take to exit before SIGKILL, 1 "
	    "to 3600.\n"
	    "                              Default: 5.\n"
	    "      --version               Print the version and commit, and "
	    "exit.\n"
	    "  -h, --help                  Print this help, and exit.\n"
	    "\n"
	    "COMMAND's environment, besides vmnet-run's own:\n"
	    "  VMNET_FD=4                  Its end of NIC 0's socketpair.\n"
	    "  VMNET_HELPER_JSON=LINE      NIC 0's helper's JSON line (MAC "
	    "address, MTU,\n"
	    "                              ...), also logged on stderr; never "
	    "printed on\n"
	    "                              stdout.\n"
	    "  VMNET_HELPER_PID=PID        NIC 0's helper's process id (sudo's "
	    "where sudo\n"
	    "                              starts it).\n"
	    "  VMNET_NIC_COUNT=N           How many NICs.\n"
	    "  VMNET_FD_K, VMNET_HELPER_JSON_K, VMNET_HELPER_PID_K\n"
	    "                              The same for NIC K, from 0 to N-1.\n"
	    "\n"
	    "The helper:\n"
	    "  The vmnet-helper in the directory of the running vmnet-run "
	    "(links resolved),\n"
	    "  whatever argv[0] says. On macOS before 26, when not root, it "
	    "runs as\n"
	    "  'sudo --non-interactive --close-from=4 vmnet-helper ...'. Its "
	    "logs share\n"
	    "  vmnet-run's stderr; vmnet-run's own lines are tagged [runner].\n"
	    "\n"
	    "Signals and exit status:\n"
	    "  SIGTERM, SIGINT, SIGHUP and SIGQUIT are forwarded to all, "
	    "SIGUSR1 to the\n"
	    "  helpers, which log their stats lines. To stop a process, "
	    "vmnet-run sends\n"
	    "  SIGTERM, then SIGKILL after --stop-timeout seconds, and it "
	    "always waits for\n"
	    "  all before it exits. It exits with:\n"
	    "    COMMAND's status (128+N if signal N killed it) when COMMAND "
	    "exits first\n"
	    "      or closes its end of a helper's socket first (a VM that "
	    "powers off),\n"
	    "      or after a forwarded stop signal;\n"
	    "    1 when a helper exits first, or fails before it is ready "
	    "(COMMAND is\n"
	    "      then not started), or on a bad option;\n"
	    "    128+N when signal N arrives before the helpers are ready;\n"
	    "    127 or 126 when COMMAND is not found or cannot be run; "
	    "nothing starts.\n",
	    out);
}
