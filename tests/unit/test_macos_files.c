/* SPDX-License-Identifier: Apache-2.0 */
/* test_macos_files.c - the files shipped for macOS installs, checked with
 * the tools that read them: the sudoers rule vmnet-run needs before macOS
 * 26 (visudo, cvtsudoers) and the entitlements vmnet-helper is signed with
 * (Python's plistlib). */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "cli/vmnet-run/exit.h"

#define ENTITLEMENTS "cli/vmnet-helper/darwin/vmnet-helper.entitlements"

/* Skip unless @tool is installed; return @rel's path in the tree. */
static const char *need(const char *rel, const char *tool)
{
	const char *path = child_source_file(rel);
	char cmd[256];

	cr_assert_eq(access(path, R_OK), 0, "%s does not ship", path);
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	if (system(cmd) != 0)
		cr_skip_test("%s is not installed (.ci/install-deps installs "
			     "it)",
			     tool);
	return path;
}

/* Run @cmd; return its exit status, its stdout in @out. */
static int run(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;
	int status;

	cr_assert_not_null(f, "popen %s", cmd);
	while (out && n + 1 < len) {
		size_t got = fread(out + n, 1, len - 1 - n, f);

		if (got == 0)
			break;
		n += got;
	}
	if (out)
		out[n] = '\0';
	status = pclose(f);
	cr_assert(WIFEXITED(status), "%s did not exit", cmd);
	return WEXITSTATUS(status);
}

Test(macos_files, sudoers_rule_parses)
{
	const char *path = need(RUN_SUDOERS_RULE, "visudo");
	char cmd[4200], out[1024];

	snprintf(cmd, sizeof(cmd), "visudo -cf '%s' 2>&1", path);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0, "visudo refuses %s: %s",
		     path, out);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	cr_assert(json_object_object_get_ex(o, key, &v), "no \"%s\" in %s", key,
		  json_object_to_json_string(o));
	return v;
}

static json_object *only(json_object *array)
{
	cr_assert(json_object_is_type(array, json_type_array));
	cr_assert_eq(json_object_array_length(array), 1, "not one item: %s",
		     json_object_to_json_string(array));
	return json_object_array_get_idx(array, 0);
}

static const char *str(json_object *o, const char *key)
{
	return json_object_get_string(get(o, key));
}

Test(macos_files, sudoers_rule_lets_exactly_the_helper_close_from)
{
	const char *path = need(RUN_SUDOERS_RULE, "cvtsudoers");
	static char out[16384];
	json_object *root, *alias, *spec, *cmnd, *opt;
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "cvtsudoers -f json '%s'", path);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0);
	root = json_tokener_parse(out);
	cr_assert_not_null(root, "cvtsudoers printed no JSON: %s", out);

	/* One command: the helper, by absolute path. */
	alias = only(get(get(root, "Command_Aliases"), "VMNET_HELPER"));
	cr_assert_eq(str(alias, "command")[0], '/');
	cr_assert(strstr(str(alias, "command"), "/vmnet-helper"));

	/* closefrom_override for that command only (-C is refused
	 * without it), not for everything the user runs. */
	json_object *def = only(get(root, "Defaults"));
	cr_assert_str_eq(str(only(get(def, "Binding")), "cmndalias"),
			 "VMNET_HELPER");
	opt = only(get(def, "Options"));
	cr_assert(json_object_get_boolean(get(opt, "closefrom_override")));

	/* As root, without a password (vmnet-run passes
	 * --non-interactive), and nothing else. */
	spec = only(get(only(get(root, "User_Specs")), "Cmnd_Specs"));
	cr_assert_str_eq(str(only(get(spec, "runasusers")), "username"),
			 "root");
	opt = only(get(spec, "Options"));
	cr_assert_not(json_object_get_boolean(get(opt, "authenticate")));
	cmnd = only(get(spec, "Commands"));
	cr_assert_str_eq(str(cmnd, "cmndalias"), "VMNET_HELPER");
	json_object_put(root);
}

Test(macos_files, entitlements_grant_virtualization_only)
{
	/* plistlib parses it as codesign will; the one key macOS 26 wants
	 * for vmnet without root, set to true. */
	static const char script[] =
	    "import plistlib, sys\n"
	    "with open(sys.argv[1], \"rb\") as f:\n"
	    "    d = plistlib.load(f)\n"
	    "want = {\"com.apple.security.virtualization\": True}\n"
	    "sys.exit(0 if d == want else \"not %r: %r\" % (want, d))";
	const char *path = need(ENTITLEMENTS, "python3");
	char cmd[4200], out[1024];

	snprintf(cmd, sizeof(cmd), "python3 -c '%s' '%s' 2>&1", script, path);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0, "%s: %s", path, out);
}
