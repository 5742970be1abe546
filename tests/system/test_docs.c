/* SPDX-License-Identifier: Apache-2.0 */
/* test_docs.c - the docs cannot rot: the man pages name exactly the options
 * --help names and lint clean, every command block of the docs is run
 * (Linux, as root, each in a namespace of its own) or parsed by the
 * programs' own parsers (macOS), and the README's first commands are the
 * ones CI runs. tests/scripts/doc_blocks.py finds the blocks. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "cli/vmnet-run/args.h"
#include "options.h"

#define NAMES_MAX 64

/* Option names as "name" for --name and "x=name" for -x, --name. */
struct names {
	char *v[NAMES_MAX];
	int n;
};

static void names_add(struct names *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return;
	cr_assert_lt(s->n, NAMES_MAX, "more than %d option names", NAMES_MAX);
	s->v[s->n++] = strdup(name);
}

static void names_free(struct names *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

static bool names_has(const struct names *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return true;
	return false;
}

/* Every line of @text that matches @pattern adds "SHORT=LONG" or "LONG"
 * from its groups @short_group and @long_group. */
static void collect(struct names *s, const char *text, const char *pattern,
		    int short_group, int long_group)
{
	regex_t re;
	regmatch_t m[6];
	char *copy = strdup(text), *save = NULL;

	cr_assert_eq(regcomp(&re, pattern, REG_EXTENDED), 0, "%s", pattern);
	for (char *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[96];

		if (regexec(&re, line, 6, m, 0) != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s",
			 (int)(m[long_group].rm_eo - m[long_group].rm_so),
			 line + m[long_group].rm_so);
		names_add(s, name);
		if (m[short_group].rm_so >= 0) {
			char both[100];

			snprintf(both, sizeof(both), "%c=%s",
				 line[m[short_group].rm_so], name);
			names_add(s, both);
		}
	}
	regfree(&re);
	free(copy);
}

/* child_run(), failing the test when @argv cannot start. */
static int run(struct child *c, char *const argv[], int timeout_ms)
{
	int r = child_run(c, argv, NULL, timeout_ms);

	cr_assert_geq(r, -1, "cannot run %s: %s", argv[0], strerror(-r));
	return r;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[1 << 18];
	size_t n;

	cr_assert_not_null(f, "cannot open %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strdup(buf);
}

static void help_matches_man(const char *program)
{
	static struct child c;
	struct names help = {0}, man = {0};
	char man_path[256], *page;
	char *argv[] = {(char *)child_program(program), "--help", NULL};

	cr_assert_eq(run(&c, argv, 10000), 0, "%s --help failed", program);
	/* --help goes to stderr today and to stdout once issue 10 lands:
	 * read both. */
	collect(&help, c.out, "^ +(-([A-Za-z]), )?--([a-z][a-z0-9-]*)", 2, 3);
	collect(&help, c.err, "^ +(-([A-Za-z]), )?--([a-z][a-z0-9-]*)", 2, 3);
	snprintf(man_path, sizeof(man_path), "docs/man/%s.1", program);
	page = read_file(child_source_file(man_path));
	collect(&man, page,
		"^\\.It Fl (([A-Za-z]) , Fl )?\\\\-([a-z][a-z0-9-]*)", 2, 3);
	free(page);

	cr_assert_gt(help.n, 2, "no options found in %s --help", program);
	for (int i = 0; i < help.n; i++)
		cr_expect(names_has(&man, help.v[i]),
			  "%s --help names %s%s, which %s lacks (add an .It "
			  "Fl entry)",
			  program, strchr(help.v[i], '=') ? "-" : "--",
			  help.v[i], man_path);
	for (int i = 0; i < man.n; i++)
		cr_expect(names_has(&help, man.v[i]),
			  "%s documents %s%s, which %s --help does not name",
			  man_path, strchr(man.v[i], '=') ? "-" : "--",
			  man.v[i], program);
	names_free(&help);
	names_free(&man);
}

Test(docs, vmnet_helper_man_page_names_exactly_the_options_of_help)
{
	help_matches_man("vmnet-helper");
}

Test(docs, vmnet_run_man_page_names_exactly_the_options_of_help)
{
	help_matches_man("vmnet-run");
}

/* mandoc's STYLE level also reports manuals this machine lacks, so the
 * bar is WARNING: what is wrong in the page itself. */
Test(docs, man_pages_are_clean_under_mandoc_lint_and_groff_ww)
{
	static struct child c;
	const char *pages[] = {"docs/man/vmnet-helper.1",
			       "docs/man/vmnet-run.1"};

	if (access("/usr/bin/mandoc", X_OK) != 0 ||
	    access("/usr/bin/groff", X_OK) != 0)
		cr_skip_test("needs mandoc and groff (apt-get install mandoc "
			     "groff; .ci/install-deps does)");
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		char *page = strdup(child_source_file(pages[i]));
		char *lint[] = {"mandoc",  "-T", "lint", "-W",
				"warning", page, NULL};
		char *groff[] = {"groff", "-ww", "-mdoc", "-Tutf8",
				 "-z",	  page,	 NULL};
		int st;

		st = run(&c, lint, 10000);
		cr_expect(st == 0 && c.out_len == 0 && c.err_len == 0,
			  "mandoc -T lint -W warning %s (status %d):\n%s%s",
			  pages[i], st, c.out, c.err);
		st = run(&c, groff, 10000);
		cr_expect(st == 0 && c.err_len == 0,
			  "groff -ww %s (status %d):\n%s", pages[i], st, c.err);
		free(page);
	}
}

/* The JSON doc_blocks.py prints for @args (after the script and SRC). */
static struct json_object *doc_blocks_json(const char *verb, const char *kind)
{
	static struct child c;
	char *src = strdup(child_source_file("."));
	char *argv[] = {
	    "python3",
	    (char *)child_source_file("tests/scripts/doc_blocks.py"),
	    (char *)verb,
	    (char *)kind,
	    src,
	    NULL};
	struct json_object *j;

	argv[1] = strdup(argv[1]);
	if (strcmp(verb, "blocks") == 0) { /* blocks SRC KIND */
		argv[3] = src;
		argv[4] = (char *)kind;
	}
	cr_assert_eq(run(&c, argv, 30000), 0, "doc_blocks.py %s failed:\n%s",
		     verb, c.err);
	cr_assert_lt(c.out_len, sizeof(c.out) - 1, "doc_blocks.py: too much");
	j = json_tokener_parse(c.out);
	cr_assert_not_null(j, "doc_blocks.py printed no JSON:\n%s", c.out);
	free(argv[1]);
	free(src);
	return j;
}

/* Parse every command of @kind as a vmnet-helper or vmnet-run line for
 * @platform. Return: how many were parsed. */
static int parse_commands(const char *kind, enum options_platform platform)
{
	struct json_object *all = doc_blocks_json("commands", kind);
	size_t n = json_object_array_length(all);

	for (size_t i = 0; i < n; i++) {
		struct json_object *cmd = json_object_array_get_idx(all, i);
		struct json_object *jf, *jl, *jp, *ja;
		char err[RUN_ERR_MAX] = "";
		char *argv[128];
		int argc = 0, r;

		json_object_object_get_ex(cmd, "file", &jf);
		json_object_object_get_ex(cmd, "line", &jl);
		json_object_object_get_ex(cmd, "program", &jp);
		json_object_object_get_ex(cmd, "args", &ja);
		argv[argc++] = strdup(json_object_get_string(jp));
		for (size_t k = 0;
		     k < json_object_array_length(ja) && argc < 127; k++)
			argv[argc++] = strdup(json_object_get_string(
			    json_object_array_get_idx(ja, k)));
		argv[argc] = NULL;
		if (strcmp(argv[0], "vmnet-run") == 0) {
			struct run_args a;

			r = run_args_parse(&a, argc, argv, platform, err,
					   sizeof(err));
			run_args_free(&a);
		} else {
			struct options o;

			r = options_parse(&o, argc, argv, platform, err,
					  sizeof(err));
		}
		cr_expect_eq(r, 0, "%s, block at line %d: %s refuses it: %s",
			     json_object_get_string(jf),
			     json_object_get_int(jl), argv[0], err);
		for (int k = 0; k < argc; k++)
			free(argv[k]);
	}
	json_object_put(all);
	return (int)n;
}

Test(docs, macos_command_lines_parse_with_the_macos_rules)
{
	cr_assert_gt(parse_commands("macos-parse", OPTIONS_PLATFORM_DARWIN), 3,
		     "hardly any macOS command line found in the docs");
}

/* They also run, below, where root is; this finds a bad option anywhere. */
Test(docs, linux_command_lines_parse_with_the_linux_rules)
{
	cr_assert_geq(parse_commands("linux-test", OPTIONS_PLATFORM_LINUX), 3,
		      "hardly any Linux command line found in the docs");
}

/* Lines that need what the test machine has not (a running systemd). */
Test(docs, linux_lines_that_cannot_run_here_parse_with_the_linux_rules)
{
	cr_assert_geq(parse_commands("linux-parse", OPTIONS_PLATFORM_LINUX), 0);
}

Test(docs, every_command_block_says_how_it_is_tested)
{
	static struct child c;
	char *argv[] = {
	    "python3", strdup(child_source_file("tests/scripts/doc_blocks.py")),
	    "unmarked", strdup(child_source_file(".")), NULL};

	cr_expect_eq(run(&c, argv, 30000), 0, "%s%s", c.out, c.err);
	free(argv[1]);
	free(argv[3]);
}

static void run_blocks(const char *kind, int timeout_ms)
{
	static struct child c;
	char bindir[512];
	char *argv[] = {
	    "python3",
	    strdup(child_source_file("tests/scripts/doc_blocks.py")),
	    "run",
	    (char *)kind,
	    strdup(child_source_file(".")),
	    bindir,
	    NULL};
	int st;

	snprintf(bindir, sizeof(bindir), "%s", child_program("vmnet-helper"));
	*strrchr(bindir, '/') = '\0';
	st = run(&c, argv, timeout_ms);
	if (st == 77)
		cr_skip_test("%s blocks: %s", kind, c.err);
	cr_expect_eq(st, 0, "%s blocks (status %d):\n%s%s", kind, st, c.out,
		     c.err);
	free(argv[1]);
	free(argv[4]);
}

Test(docs, every_linux_block_runs_in_a_namespace_of_its_own, .timeout = 900)
{
	run_blocks("linux-test", 880000);
}

/* README's install steps, as typed in the clone; installs go to a
 * temporary DESTDIR. */
Test(docs, every_source_tree_block_runs, .timeout = 900)
{
	run_blocks("source-test", 880000);
}

/* The README's first commands: the test one is .ci/run's, word for word. */
Test(docs, readme_starts_with_the_commands_ci_runs)
{
	struct json_object *blocks = doc_blocks_json("blocks", "ci");
	char *ci = read_file(child_source_file(".ci/run"));
	char *readme = read_file(child_source_file("README.md"));
	char *last, *end;
	bool found = false;

	/* .ci/run's last line is the command. */
	end = ci + strlen(ci);
	while (end > ci && end[-1] == '\n')
		*--end = '\0';
	last = strrchr(ci, '\n');
	last = last ? last + 1 : ci;
	cr_assert_gt(json_object_array_length(blocks), 0,
		     "README.md has no ```sh ci block");
	for (size_t i = 0; i < json_object_array_length(blocks); i++) {
		struct json_object *b = json_object_array_get_idx(blocks, i);
		struct json_object *text, *file;

		json_object_object_get_ex(b, "text", &text);
		json_object_object_get_ex(b, "file", &file);
		cr_expect_str_eq(json_object_get_string(file), "README.md");
		if (strstr(json_object_get_string(text), last))
			found = true;
	}
	cr_expect(found, "no README ci block holds .ci/run's command '%s'",
		  last);
	/* First: no other fenced block comes before them. */
	cr_expect(strstr(readme, "```") == strstr(readme, "```sh ci"),
		  "README.md: the ci commands must be its first code block");
	cr_expect_not_null(strstr(readme, "bash .ci/install-deps && make demo"),
			   "README.md lost the demo command");
	json_object_put(blocks);
	free(ci);
	free(readme);
}
