/* SPDX-License-Identifier: Apache-2.0 */
/* test_run_args.c - vmnet-run's command line (args.c): what is its own,
 * what goes to the helper, and --help; test_vmnet_run.c runs the program
 * itself. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/vmnet-run/args.h"

#define MAXV 16

/* ---- the command line ---- */

struct split_case {
	const char *argv[MAXV];
	const char *helper[MAXV]; /* helper options left, in order */
	const char *command[MAXV];
	unsigned stop_timeout;
};

static int count(const char *const *v)
{
	int n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

/* Parse @argv (NULL-terminated) for @platform; the caller frees. */
static int parse(struct run_args *a, const char *const *argv,
		 enum options_platform platform, char *err, size_t errlen)
{
	return run_args_parse(a, count(argv), (char *const *)argv, platform,
			      err, errlen);
}

Test(vmnet_run_args, splits_at_the_first_double_dash_and_takes_out_its_own)
{
	static const struct split_case cases[] = {
	    {{"vmnet-run", "--tap", "t0", "--", "qemu", "-m", "1G", NULL},
	     {"--tap", "t0", NULL},
	     {"qemu", "-m", "1G", NULL},
	     5},
	    /* A second "--" belongs to COMMAND. */
	    {{"vmnet-run", "--", "sh", "--", "x", NULL},
	     {NULL},
	     {"sh", "--", "x", NULL},
	     5},
	    /* Options after "--" are COMMAND's, even ours. */
	    {{"vmnet-run", "--", "c", "--stop-timeout", "9", "--help", NULL},
	     {NULL},
	     {"c", "--stop-timeout", "9", "--help", NULL},
	     5},
	    {{"vmnet-run", "--stop-timeout", "3", "--tap", "t0", "--", "c",
	      NULL},
	     {"--tap", "t0", NULL},
	     {"c", NULL},
	     3},
	    {{"vmnet-run", "--tap", "t0", "--stop-timeout=12", "-v", "--", "c",
	      NULL},
	     {"--tap", "t0", "-v", NULL},
	     {"c", NULL},
	     12},
	    /* Given twice, the last one counts, as for getopt. */
	    {{"vmnet-run", "--stop-timeout", "1", "--stop-timeout", "3600",
	      "--", "c", NULL},
	     {NULL},
	     {"c", NULL},
	     3600},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct split_case *c = &cases[i];
		struct run_args a;
		char err[RUN_ERR_MAX];
		int r = parse(&a, c->argv, OPTIONS_PLATFORM_LINUX, err,
			      sizeof(err));

		cr_assert_eq(r, 0, "case %zu: %s", i, err);
		cr_assert_eq(a.action, RUN_START, "case %zu", i);
		cr_assert_eq(a.stop_timeout, c->stop_timeout, "case %zu: %u", i,
			     a.stop_timeout);
		cr_assert_eq(a.nics[0].nhelper_opts, count(c->helper),
			     "case %zu", i);
		for (int j = 0; c->helper[j]; j++)
			cr_assert_str_eq(a.nics[0].helper_opts[j], c->helper[j],
					 "case %zu option %d", i, j);
		cr_assert_null(a.nics[0].helper_opts[a.nics[0].nhelper_opts],
			       "case %zu", i);
		cr_assert_eq(count((const char *const *)a.command),
			     count(c->command), "case %zu", i);
		for (int j = 0; c->command[j]; j++)
			cr_assert_str_eq(a.command[j], c->command[j],
					 "case %zu word %d", i, j);
		run_args_free(&a);
	}
}

Test(vmnet_run_args, helper_options_are_parsed_with_fd_3)
{
	static const char *const argv[] = {
	    "vmnet-run", "--enable-tso", "-v", "--tap", "t0", "--", "c", NULL};
	struct run_args a;
	char err[RUN_ERR_MAX];

	cr_assert_eq(parse(&a, argv, OPTIONS_PLATFORM_LINUX, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(a.nics[0].opts.fd, RUN_HELPER_FD);
	cr_assert(a.nics[0].opts.host.enable_tso);
	cr_assert(a.nics[0].opts.verbose);
	cr_assert_str_eq(a.nics[0].opts.host.tap, "t0");
	run_args_free(&a);
}

Test(vmnet_run_args, nic_starts_the_options_of_one_more_nic)
{
	static const char *const argv[] = {
	    "vmnet-run", "--tap", "a", "--stop-timeout", "7",
	    "--nic",	 "--tap", "b", "--enable-tso",	 "--nic",
	    "--",	 "qemu",  NULL};
	struct run_args a;
	char err[RUN_ERR_MAX];

	cr_assert_eq(parse(&a, argv, OPTIONS_PLATFORM_LINUX, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(a.nnics, 3);
	cr_assert_eq(a.stop_timeout, 7, "taken out of any NIC's options");
	cr_assert_eq(a.nics[0].nhelper_opts, 2);
	cr_assert_str_eq(a.nics[0].opts.host.tap, "a");
	cr_assert_not(a.nics[0].opts.host.enable_tso);
	cr_assert_str_eq(a.nics[1].opts.host.tap, "b");
	cr_assert(a.nics[1].opts.host.enable_tso);
	/* A trailing --nic: one more NIC, with the defaults. */
	cr_assert_eq(a.nics[2].nhelper_opts, 0);
	cr_assert_null(a.nics[2].helper_opts[0]);
	cr_assert_null(a.nics[2].opts.host.tap);
	for (unsigned k = 0; k < 3; k++)
		cr_assert_eq(a.nics[k].opts.fd, RUN_HELPER_FD);
	cr_assert_str_eq(a.command[0], "qemu");
	char **v = run_helper_argv(&a.nics[1], (const char *const[]){NULL},
				   "/x/vmnet-helper");
	cr_assert_not_null(v);
	static const char *const want[] = {
	    "/x/vmnet-helper", "--tap", "b", "--enable-tso", "--fd", "3", NULL};
	for (int i = 0; want[i]; i++)
		cr_assert_str_eq(v[i], want[i], "word %d", i);
	cr_assert_null(v[6]);
	free(v);
	run_args_free(&a);
}

Test(vmnet_run_args, help_in_any_nic_is_help)
{
	static const char *const argv[] = {"vmnet-run", "--tap",  "a",
					   "--nic",	"--help", NULL};
	struct run_args a;
	char err[RUN_ERR_MAX];

	cr_assert_eq(parse(&a, argv, OPTIONS_PLATFORM_LINUX, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(a.action, RUN_HELP);
	run_args_free(&a);
}

Test(vmnet_run_args, leaves_argv_as_it_was)
{
	/* getopt moves "stray" behind the options of the array it gets. */
	const char *argv[] = {"vmnet-run", "stray", "--tap", "t0",
			      "--",	   "c",	    NULL};
	const char *copy[sizeof(argv) / sizeof(argv[0])];
	struct run_args a;
	char err[RUN_ERR_MAX];

	memcpy(copy, argv, sizeof(argv));
	cr_assert_eq(parse(&a, argv, OPTIONS_PLATFORM_LINUX, err, sizeof(err)),
		     -1);
	run_args_free(&a);
	for (size_t i = 0; i < sizeof(argv) / sizeof(argv[0]); i++)
		cr_assert_eq(argv[i], copy[i], "argv[%zu] moved", i);
}

struct refusal {
	enum options_platform platform;
	const char *argv[MAXV];
	const char *want; /* in the message */
};

Test(vmnet_run_args, refuses_bad_command_lines_with_one_line)
{
	static const struct refusal cases[] = {
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", NULL},
	     "no command specified"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--tap", "t0", NULL},
	     "no command specified: put the VM's command after '--'"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--tap", "t0", "--", NULL},
	     "no command specified"},
	    /* Without "--", the helper's complaint about -m would mislead. */
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "qemu", "-m", "1G", NULL},
	     "no command specified"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--fd", "5", "--", "c", NULL},
	     "--fd/--socket: vmnet-run connects the helper itself, its fd 3 to "
	     "COMMAND's fd 4; drop --fd 5"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "-f5", "--", "c", NULL},
	     "--fd/--socket: vmnet-run connects the helper itself"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--fd=3", "--tap", "t0", "--", "c", NULL},
	     "drop --fd 3"},
	    {OPTIONS_PLATFORM_LINUX, {"vmnet-run", "--fd", "3", NULL}, "--fd/"},
	    {OPTIONS_PLATFORM_DARWIN,
	     {"vmnet-run", "--socket", "/tmp/s", "--", "c", NULL},
	     "--fd/--socket: vmnet-run connects the helper itself, its fd 3 to "
	     "COMMAND's fd 4; drop --socket '/tmp/s'"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "-s", "/tmp/s", "--", "c", NULL},
	     "drop --socket '/tmp/s'"},
	    /* Both: the helper's own message, with the user's values. */
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--fd", "5", "--socket", "/x", "--", "c", NULL},
	     "--fd 5 and --socket '/x' cannot be used together"},
	    /* Our "--fd 3" must not become --tap's missing value. */
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--tap", "--", "c", NULL},
	     "--tap needs an argument: --tap NAME"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--pid", "77", "--", "c", NULL},
	     "--pid: vmnet-run stops the helper itself when COMMAND exits; "
	     "drop --pid 77"},
	    {OPTIONS_PLATFORM_DARWIN,
	     {"vmnet-run", "--list-shared-interfaces", "--", "c", NULL},
	     "run vmnet-helper --list-shared-interfaces"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--operation-mode", "nope", "--", "c", NULL},
	     "--operation-mode is only available on macOS"},
	    {OPTIONS_PLATFORM_DARWIN,
	     {"vmnet-run", "--operation-mode", "nope", "--", "c", NULL},
	     "invalid --operation-mode 'nope'"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--tap", "t0", "stray", "--", "c", NULL},
	     "unexpected argument 'stray'"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--batch-size", "0", "--", "c", NULL},
	     "invalid --batch-size '0'"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--stop-timeout", "0", "--", "c", NULL},
	     "invalid --stop-timeout '0': out of range"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--stop-timeout", "3601", "--", "c", NULL},
	     "invalid --stop-timeout '3601': out of range"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--stop-timeout=99999999999999999999999", "--", "c",
	      NULL},
	     "out of range"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--stop-timeout", "-1", "--", "c", NULL},
	     "invalid --stop-timeout '-1': not a whole number of seconds"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--stop-timeout", "1.5", "--", "c", NULL},
	     "not a whole number"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--stop-timeout=", "--", "c", NULL},
	     "invalid --stop-timeout '': empty"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--stop-timeout", "--", "c", NULL},
	     "--stop-timeout needs an argument"},
	    /* A value's newline must not break the line. */
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--stop-timeout", "1\nERROR fake", "--", "c", NULL},
	     "'1\\x0aERROR fake'"},
	    /* NICs: a leading --nic would add a NIC of defaults. */
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--nic", "--tap", "a", "--", "c", NULL},
	     "--nic before any option"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--tap", "a", "--nic", "--tap", "a", "--", "c",
	      NULL},
	     "NIC 0 and NIC 1 both have --tap a; give each NIC its own TAP"},
	    {OPTIONS_PLATFORM_DARWIN,
	     {"vmnet-run", "-i", "6f1d3a52-4f8e-4c1b-9d2e-2b7c4a9e0f11",
	      "--nic", "-i", "6F1D3A52-4F8E-4C1B-9D2E-2B7C4A9E0F11", "--", "c",
	      NULL},
	     "both have --interface-id 6f1d3a52-4f8e-4c1b-9d2e-2b7c4a9e0f11"},
	    /* Each NIC's options are checked, and the NIC named. */
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--tap", "a", "--nic", "--batch-size", "0", "--",
	      "c", NULL},
	     "NIC 1: invalid --batch-size '0'"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "--tap", "a", "--nic", "--fd", "7", "--", "c", NULL},
	     "its fd 3 to COMMAND's fd 5; drop --fd 7 and use fd 5"},
	    {OPTIONS_PLATFORM_LINUX,
	     {"vmnet-run", "-v", "--nic", "--nic", "--nic", "--nic", "--nic",
	      "--nic", "--nic", "--nic", "--", "c", NULL},
	     "at most 8 NICs, COMMAND's fds 4 to 11"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct refusal *c = &cases[i];
		struct run_args a;
		char err[RUN_ERR_MAX];
		int r = parse(&a, c->argv, c->platform, err, sizeof(err));

		cr_assert_eq(r, -1, "case %zu (%s ...) accepted", i,
			     c->argv[1] ? c->argv[1] : "");
		cr_assert(strstr(err, c->want), "case %zu: '%s' not in '%s'", i,
			  c->want, err);
		cr_assert_null(strchr(err, '\n'), "case %zu: two lines: %s", i,
			       err);
		run_args_free(&a);
	}
}

struct action_case {
	const char *argv[MAXV];
	enum run_action want;
};

Test(vmnet_run_args, help_and_version_act_with_or_without_a_command)
{
	static const struct action_case cases[] = {
	    {{"vmnet-run", "-h", NULL}, RUN_HELP},
	    {{"vmnet-run", "--help", "--", "c", NULL}, RUN_HELP},
	    {{"vmnet-run", "--tap", "t0", "--help", NULL}, RUN_HELP},
	    {{"vmnet-run", "--stop-timeout", "2", "-h", NULL}, RUN_HELP},
	    {{"vmnet-run", "--version", NULL}, RUN_VERSION},
	    {{"vmnet-run", "--tap", "t0", "--version", "--", "c", NULL},
	     RUN_VERSION},
	    /* After "--" they are COMMAND's. */
	    {{"vmnet-run", "--", "c", "--help", NULL}, RUN_START},
	    {{"vmnet-run", "--", "c", "--version", NULL}, RUN_START},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run_args a;
		char err[RUN_ERR_MAX];
		int r = parse(&a, cases[i].argv, OPTIONS_PLATFORM_LINUX, err,
			      sizeof(err));

		cr_assert_eq(r, 0, "case %zu: %s", i, err);
		cr_assert_eq(a.action, cases[i].want, "case %zu: action %d", i,
			     a.action);
		run_args_free(&a);
	}
}

struct argv_case {
	const char *argv[MAXV];
	const char *prefix[MAXV];
	const char *want[MAXV];
};

Test(vmnet_run_args, helper_argv_is_prefix_helper_options_then_fd_3)
{
	static const struct argv_case cases[] = {
	    {{"vmnet-run", "--tap", "t0", "--stop-timeout", "2", "-v", "--",
	      "c", NULL},
	     {NULL},
	     {"/opt/vmnet-helper/bin/vmnet-helper", "--tap", "t0", "-v", "--fd",
	      "3", NULL}},
	    {{"vmnet-run", "--", "c", NULL},
	     {"sudo", "--non-interactive", "--close-from=4", NULL},
	     {"sudo", "--non-interactive", "--close-from=4",
	      "/opt/vmnet-helper/bin/vmnet-helper", "--fd", "3", NULL}},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run_args a;
		char err[RUN_ERR_MAX];
		char **v;

		cr_assert_eq(parse(&a, cases[i].argv, OPTIONS_PLATFORM_LINUX,
				   err, sizeof(err)),
			     0, "case %zu: %s", i, err);
		v = run_helper_argv(&a.nics[0], cases[i].prefix,
				    "/opt/vmnet-helper/bin/vmnet-helper");
		cr_assert_not_null(v);
		for (int j = 0; cases[i].want[j]; j++) {
			cr_assert_not_null(v[j], "case %zu: ends at %d", i, j);
			cr_assert_str_eq(v[j], cases[i].want[j],
					 "case %zu word %d", i, j);
		}
		cr_assert_null(v[count(cases[i].want)], "case %zu: longer", i);
		free(v);
		run_args_free(&a);
	}
}

Test(vmnet_run_args, helper_is_looked_for_beside_vmnet_run)
{
	static const struct {
		const char *self;
		size_t len;
		int r;
		const char *want;
	} cases[] = {
	    {"/usr/local/bin/vmnet-run", 64, 0, "/usr/local/bin/vmnet-helper"},
	    {"/vmnet-run", 64, 0, "/vmnet-helper"},
	    {"vmnet-run", 64, -EINVAL, NULL},
	    /* "/a/" and "vmnet-helper" and the NUL: 16 bytes. */
	    {"/a/vmnet-run", 16, 0, "/a/vmnet-helper"},
	    {"/a/vmnet-run", 15, -ENAMETOOLONG, NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];
		int r = run_helper_path(cases[i].self, buf, cases[i].len);

		cr_assert_eq(r, cases[i].r, "case %zu: %d", i, r);
		if (cases[i].want)
			cr_assert_str_eq(buf, cases[i].want, "case %zu", i);
	}
}

Test(vmnet_run_args, sudo_only_for_a_user_before_macos_26)
{
	static const struct {
		unsigned euid;
		const char *version;
		bool want;
	} cases[] = {
	    {501, "15.6.1", true}, {501, "14.0", true},	 {501, "9.9", true},
	    {501, "26.0", false},  {501, "26", false},	 {501, "27.1", false},
	    {501, "100.0", false}, {0, "15.6.1", false}, {0, NULL, false},
	    {501, NULL, true},	   {501, "", true},	 {501, "x26", true},
	    {501, "25.9.9", true}, {501, "260", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(run_needs_sudo(cases[i].euid, cases[i].version),
			     cases[i].want, "case %zu: euid %u version %s", i,
			     cases[i].euid,
			     cases[i].version ? cases[i].version : "(null)");
}

Test(vmnet_run_args, usage_names_the_own_option_environment_and_helper_help)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *want[] = {
	    "Usage: vmnet-run [OPTION]... [--nic OPTION...]... -- COMMAND",
	    "--nic",
	    "VMNET_NIC_COUNT=N",
	    "VMNET_FD_K",
	    "--stop-timeout SECONDS",
	    "Default: 5.",
	    "VMNET_FD=4",
	    "VMNET_HELPER_JSON=",
	    "VMNET_HELPER_PID=",
	    "(vmnet-helper --help lists them)",
	    "sudo --non-interactive --close-from=4",
	    "128+N"};

	cr_assert_not_null(f);
	run_usage(f, "vmnet-run");
	fclose(f);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert(strstr(text, want[i]), "no '%s' in:\n%s", want[i],
			  text);
	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");

		cr_assert_leq(n, 80, "line over 80 columns: %.*s", (int)n,
			      line);
		line += n + (line[n] == '\n');
	}
	free(text);
}
