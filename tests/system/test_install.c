/* SPDX-License-Identifier: Apache-2.0 */
/* test_install.c - make install lays out the tree docs/install.md shows and
 * make uninstall takes it all back; the shipped launchd job and systemd
 * unit are read by their own formats' parsers and checkers, and the unit's
 * command lines, run as systemd would run them, serve a VM socket on a TAP
 * on a bridge. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <json-c/json.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "options.h"
#include "testutil.h"

/* The environment make must not inherit from the make running the tests:
 * its jobserver and its command-line variables (O=, CC=, SAN=). */
static char *const clean_make_env[] = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL",
				       "MAKEOVERRIDES", NULL};

/* child_run() without the outer make's variables, failing the test when
 * @argv cannot start. */
static int run(struct child *c, char *const argv[], int timeout_ms)
{
	int r = child_run(c, argv, clean_make_env, timeout_ms);

	cr_assert_geq(r, -1, "cannot run %s: %s", argv[0], strerror(-r));
	return r;
}

/* The build folder of this test binary: make install takes its programs. */
static const char *build_dir(void)
{
	static char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", child_program("vmnet-helper"));
	*strrchr(dir, '/') = '\0';
	return dir;
}

/* make -C SRC O=BUILD TARGET VAR=VALUE...; fails the test if make does. */
static void make(const char *target, const char *var1, const char *var2)
{
	static struct child c;
	char o[PATH_MAX + 8], *src = strdup(child_source_file("."));
	char *argv[] = {"make",		"-s",	      "-C",	    src, o,
			(char *)target, (char *)var1, (char *)var2, NULL};
	int st;

	snprintf(o, sizeof(o), "O=%s", build_dir());
	st = run(&c, argv, 300000);
	cr_assert_eq(st, 0, "make %s %s %s (status %d):\n%s%s", target,
		     var1 ? var1 : "", var2 ? var2 : "", st, c.out, c.err);
	free(src);
}

static char *temp_dir(void)
{
	char tmpl[] = "/tmp/vmnet-helper-install.XXXXXX";
	char *d = mkdtemp(tmpl);

	cr_assert_not_null(d, "mkdtemp");
	/* Others (the user the helper drops to) may need to walk through. */
	chmod(d, 0755);
	return strdup(d);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Every file below @root, as "/path" lines, sorted by find. */
static void files_below(const char *root, char *out, size_t len)
{
	char cmd[PATH_MAX + 128];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && find . ! -type d | sed 's|^\\.||' | LC_ALL=C sort",
		 root);
	p = popen(cmd, "r");
	cr_assert_not_null(p, "popen find");
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	pclose(p);
}

/* The ```text install-tree block of docs/install.md, sorted. */
static void documented_tree(char *out, size_t len)
{
	char cmd[PATH_MAX + 256];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd),
		 "sed -n '/^```text install-tree$/,/^```$/p' '%s' | "
		 "grep '^/' | LC_ALL=C sort",
		 child_source_file("docs/install.md"));
	p = popen(cmd, "r");
	cr_assert_not_null(p, "popen sed");
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	pclose(p);
}

Test(install, lays_out_the_tree_docs_install_md_shows, .timeout = 600)
{
	char *stage = temp_dir(), destdir[PATH_MAX + 16];
	static char got[16384], want[16384];

	snprintf(destdir, sizeof(destdir), "DESTDIR=%s", stage);
	make("install", destdir, "PREFIX=/usr/local");
	files_below(stage, got, sizeof(got));
	documented_tree(want, sizeof(want));
	cr_expect_gt(strlen(want), 0, "docs/install.md has no install-tree");
	cr_expect_str_eq(got, want,
			 "make install DESTDIR=... wrote:\n%s\ndocs/install.md "
			 "shows:\n%s",
			 got, want);

	make("uninstall", destdir, "PREFIX=/usr/local");
	files_below(stage, got, sizeof(got));
	cr_expect_str_eq(got, "", "make uninstall left:\n%s", got);
	remove_tree(stage);
	free(stage);
}

/* A whole prefix of ours (macOS's /opt/vmnet-helper) goes entirely. */
Test(install, uninstall_removes_a_prefix_of_its_own, .timeout = 600)
{
	char *stage = temp_dir(), destdir[PATH_MAX + 16], prefix[PATH_MAX];
	struct stat st;

	snprintf(destdir, sizeof(destdir), "DESTDIR=%s", stage);
	make("install", destdir, "PREFIX=/opt/vmnet-helper");
	snprintf(prefix, sizeof(prefix), "%s/opt/vmnet-helper/bin/vmnet-run",
		 stage);
	cr_expect_eq(stat(prefix, &st), 0, "no %s", prefix);
	cr_expect(st.st_mode & S_IXUSR, "%s is not executable", prefix);
	make("uninstall", destdir, "PREFIX=/opt/vmnet-helper");
	snprintf(prefix, sizeof(prefix), "%s/opt/vmnet-helper", stage);
	cr_expect_neq(stat(prefix, &st), 0, "make uninstall left %s", prefix);
	remove_tree(stage);
	free(stage);
}

/* Install into a real prefix (no DESTDIR): the example files then name
 * programs that are there. Return: the prefix, to remove_tree(). */
static char *install_prefix(void)
{
	char *prefix = temp_dir(), var[PATH_MAX + 16];

	snprintf(var, sizeof(var), "PREFIX=%s", prefix);
	make("install", var, NULL);
	return prefix;
}

static char *slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f, "cannot open %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(install, example_files_name_the_installed_programs, .timeout = 600)
{
	char *prefix = install_prefix(), path[PATH_MAX], want[PATH_MAX + 32];
	const char *files[] = {
	    "lib/systemd/system/vmnet-helper@.service",
	    "share/doc/vmnet-helper/examples/systemd/vmnet-helper@.service",
	    ("share/doc/vmnet-helper/examples/launchd/"
	     "local.vmnet-helper.vm1.plist"),
	};

	snprintf(want, sizeof(want), "%s/bin/vmnet-helper", prefix);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *text;

		snprintf(path, sizeof(path), "%s/%s", prefix, files[i]);
		text = slurp(path);
		cr_expect_not_null(strstr(text, want), "%s does not name %s",
				   files[i], want);
		cr_expect_null(strstr(text, "/usr/local/bin/"),
			       "%s still names /usr/local/bin", files[i]);
		cr_expect_null(strstr(text, "/opt/vmnet-helper/bin/"),
			       "%s still names /opt/vmnet-helper/bin",
			       files[i]);
	}
	remove_tree(prefix);
	free(prefix);
}

Test(service_files, launchd_job_is_a_valid_plist_keeping_a_socket_helper)
{
	static struct child c;
	char *file = strdup(child_source_file(
	    "docs/examples/launchd/local.vmnet-helper.vm1.plist"));
	char *argv[] = {
	    "python3",
	    strdup(child_source_file("tests/scripts/service_files.py")),
	    "plist", file, NULL};
	struct json_object *j, *args, *v;
	char *pargv[32], err[OPTIONS_ERR_MAX];
	struct options o;
	int n = 0, st;

	st = run(&c, argv, 30000);
	cr_assert_eq(st, 0, "plistlib refuses %s:\n%s", file, c.err);
	j = json_tokener_parse(c.out);
	cr_assert_not_null(j);
	cr_assert(json_object_object_get_ex(j, "Label", &v));
	cr_expect_str_eq(json_object_get_string(v), "local.vmnet-helper.vm1");
	cr_assert(json_object_object_get_ex(j, "KeepAlive", &v));
	cr_expect(json_object_get_boolean(v), "KeepAlive is not true");
	cr_assert(json_object_object_get_ex(j, "RunAtLoad", &v));
	cr_expect(json_object_get_boolean(v), "RunAtLoad is not true");
	cr_assert(json_object_object_get_ex(j, "ProgramArguments", &args));
	for (size_t i = 0; i < json_object_array_length(args) && n < 31; i++)
		pargv[n++] = strdup(
		    json_object_get_string(json_object_array_get_idx(args, i)));
	pargv[n] = NULL;
	cr_expect_str_eq(pargv[0], "/opt/vmnet-helper/bin/vmnet-helper");
	cr_expect_eq(options_parse(&o, n, pargv, OPTIONS_PLATFORM_DARWIN, err,
				   sizeof(err)),
		     0, "the job's helper line fails on macOS: %s", err);
	cr_expect_not_null(o.socket_path, "the job's helper has no --socket");
	cr_expect(o.host.interface_id_given,
		  "no --interface-id: a new MAC each "
		  "start");
	cr_expect_not_null(o.user, "no --user: a root job would stay root");
	for (int i = 0; i < n; i++)
		free(pargv[i]);
	json_object_put(j);
	free(argv[1]);
	free(file);
}

Test(service_files, systemd_unit_passes_systemd_analyze_verify, .timeout = 600)
{
	static struct child c;
	char *prefix, unit[PATH_MAX], inst[PATH_MAX], manpath[PATH_MAX + 16];
	int st;

	if (access("/usr/bin/systemd-analyze", X_OK) != 0)
		cr_skip_test("no systemd-analyze (apt-get install systemd)");
	prefix = install_prefix();
	snprintf(unit, sizeof(unit),
		 "%s/lib/systemd/system/vmnet-helper@.service", prefix);
	snprintf(inst, sizeof(inst),
		 "%s/lib/systemd/system/vmnet-helper@vm1.service", prefix);
	cr_assert_eq(symlink(unit, inst), 0, "symlink %s", inst);
	/* verify also looks up Documentation=man:vmnet-helper(1). */
	snprintf(manpath, sizeof(manpath), "MANPATH=%s/share/man", prefix);
	{
		char *argv[] = {"/usr/bin/systemd-analyze", "verify", inst,
				NULL};
		char *env[] = {manpath, "MAKEFLAGS", NULL};

		cr_assert_eq(child_start(&c, argv, env, NULL, 0), 0);
		st = child_wait_exit(&c, 60000);
	}
	cr_expect(st == 0 && c.err_len == 0 && c.out_len == 0,
		  "systemd-analyze verify (status %d):\n%s%s", st, c.out,
		  c.err);
	remove_tree(prefix);
	free(prefix);
}

/* Run @argv with the test's namespace; return its exit status. */
static int run_plain(char *const argv[])
{
	static struct child c;
	int st = run(&c, argv, 30000);

	cr_expect_eq(st, 0, "%s (status %d): %s", argv[0], st, c.err);
	return st;
}

static char **json_argv(struct json_object *a)
{
	size_t n = json_object_array_length(a);
	char **v = calloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = strdup(
		    json_object_get_string(json_object_array_get_idx(a, i)));
	return v;
}

static void argv_free(char **v)
{
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

/* As root, in a namespace: the unit's ExecStartPre and ExecStart with the
 * example vm1.conf (its user replaced by one this machine has) make the
 * socket's folder, open the TAP on the bridge, drop to the user, bind the
 * socket as that user, print the JSON line; SIGTERM stops it with 0 and
 * removes the socket. */
Test(service_files, systemd_unit_serves_a_socket_on_a_tap_on_a_bridge,
     .timeout = 120)
{
	static struct child c, helper;
	char *runtime, conf_user[64], sock[PATH_MAX + 16], rtdir[PATH_MAX];
	struct json_object *j, *pre, *start;
	struct passwd *pw = getpwnam("nobody");
	struct stat st;
	char **argv;

	test_need_private_netns();
	cr_assert_not_null(pw, "no user nobody");
	runtime = temp_dir();
	snprintf(conf_user, sizeof(conf_user), "VMNET_USER=nobody");
	{
		char *args[] = {
		    "python3",
		    strdup(child_source_file("tests/scripts/service_files.py")),
		    "unit-exec",
		    strdup(child_source_file(
			"docs/examples/systemd/vmnet-helper@.service")),
		    strdup(child_source_file("docs/examples/systemd/vm1.conf")),
		    "vm1",
		    runtime,
		    conf_user,
		    NULL};

		cr_assert_eq(run(&c, args, 30000), 0, "%s", c.err);
		free(args[1]);
		free(args[3]);
		free(args[4]);
	}
	j = json_tokener_parse(c.out);
	cr_assert_not_null(j);
	cr_assert(json_object_object_get_ex(j, "pre", &pre));
	cr_assert(json_object_object_get_ex(j, "start", &start));

	/* What systemd does before ExecStartPre: RuntimeDirectory=. */
	snprintf(rtdir, sizeof(rtdir), "%s/vmnet-helper", runtime);
	cr_assert_eq(mkdir(rtdir, 0755), 0);
	snprintf(rtdir, sizeof(rtdir), "%s/vmnet-helper/vm1", runtime);
	cr_assert_eq(mkdir(rtdir, 0700), 0);
	{
		char *br[] = {"ip",   "link",	"add", "br0",
			      "type", "bridge", NULL};
		char *up[] = {"ip", "link", "set", "br0", "up", NULL};

		run_plain(br);
		run_plain(up);
	}
	for (size_t i = 0; i < json_object_array_length(pre); i++) {
		argv = json_argv(json_object_array_get_idx(pre, i));
		cr_assert_eq(run_plain(argv), 0);
		argv_free(argv);
	}
	argv = json_argv(start);
	/* The unit names the installed helper; run the one built here. */
	cr_assert_not_null(strstr(argv[0], "/vmnet-helper"));
	free(argv[0]);
	argv[0] = strdup(child_program("vmnet-helper"));
	cr_assert_eq(child_start(&helper, argv, NULL, NULL, 0), 0);
	cr_assert(child_wait_for(&helper, true, "}\n", 10000),
		  "no JSON line:\n%s", helper.err);
	cr_expect_not_null(strstr(helper.out, "\"tap_name\":\"tap-vm1\""), "%s",
			   helper.out);
	cr_expect_not_null(strstr(helper.out, "\"bridge\":\"br0\""), "%s",
			   helper.out);
	snprintf(sock, sizeof(sock), "%s/vmnet.sock", rtdir);
	cr_assert_eq(lstat(sock, &st), 0, "no socket at %s", sock);
	cr_expect(S_ISSOCK(st.st_mode), "%s is not a socket", sock);
	cr_expect_eq(st.st_uid, pw->pw_uid, "the socket is not nobody's");
	kill(helper.pid, SIGTERM);
	cr_expect_eq(child_wait_exit(&helper, 10000), 0, "%s", helper.err);
	cr_expect_neq(lstat(sock, &st), 0, "the socket was left behind");
	argv_free(argv);
	json_object_put(j);
	remove_tree(runtime);
	free(runtime);
}
