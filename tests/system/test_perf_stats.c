/* SPDX-License-Identifier: Apache-2.0 */
/* test_perf_stats.c - perf/stats/: the table and the plot made from a
 * helper's stats lines, with this helper's per-interval rates and with the
 * cumulative counters alone (the public vmnet-helper's lines). */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"

/* Two lines of this helper, the second with a rate of 2000 frames/s and
 * 3 Gbit/s towards the VM, and a line at exit; noise around them. */
static const char OURS[] =
    "INFO  [main] running vmnet-helper v1.0.0-dev on Linux 6.1\n"
    "INFO  [stats] {\"time\":\"2026-12-01T10:00:01.000+00:00\","
    "\"host\":{\"packets\":10,\"bytes\":640,\"drops\":0},"
    "\"vm\":{\"packets\":5,\"bytes\":320,\"drops\":0},"
    "\"cpu_ns\":{\"host\":1000000,\"socket\":2000000,"
    "\"total\":3000000},"
    "\"interval\":{\"seconds\":0.5,"
    "\"host\":{\"packets\":10,\"bytes\":640,\"drops\":0,"
    "\"packets_per_second\":20,\"bytes_per_second\":1280},"
    "\"vm\":{\"packets\":5,\"bytes\":320,\"drops\":0,"
    "\"packets_per_second\":10,\"bytes_per_second\":640},"
    "\"cpu_percent\":{\"host\":0.2,\"socket\":0.4,\"other\":0,"
    "\"total\":0.6}}}\n"
    "WARN  [main] something unrelated {\"host\":1}\n"
    "INFO  [stats] {\"time\":\"2026-12-01T10:00:03.000+00:00\","
    "\"host\":{\"packets\":4010,\"bytes\":750000640,\"drops\":7},"
    "\"vm\":{\"packets\":2005,\"bytes\":128320,\"drops\":0},"
    "\"cpu_ns\":{\"host\":401000000,\"socket\":602000000,"
    "\"total\":1013000000},"
    "\"interval\":{\"seconds\":2,"
    "\"host\":{\"packets\":4000,\"bytes\":750000000,\"drops\":7,"
    "\"packets_per_second\":2000,\"bytes_per_second\":375000000},"
    "\"vm\":{\"packets\":2000,\"bytes\":128000,\"drops\":0,"
    "\"packets_per_second\":1000,\"bytes_per_second\":64000},"
    "\"cpu_percent\":{\"host\":20,\"socket\":30,\"other\":0.1,"
    "\"total\":50.5}}}\n"
    "INFO  [main] final counters {\"time\":\"2026-12-01T10:00:03.100+00:00\","
    "\"host\":{\"packets\":4010,\"bytes\":750000640,\"drops\":7},"
    "\"vm\":{\"packets\":2005,\"bytes\":128320,\"drops\":0}}\n";

/* The public vmnet-helper's lines: cumulative counters and time only. */
static const char THEIRS[] =
    "INFO  [stats] {\"time\":\"2026-12-01T10:00:00.000+01:00\","
    "\"host\":{\"packets\":100,\"bytes\":1000,\"drops\":0,\"fast\":1,"
    "\"slow\":0},\"vm\":{\"packets\":0,\"bytes\":0,\"drops\":0,\"fast\":0,"
    "\"slow\":0}}\n"
    "INFO  [stats] {\"time\":\"2026-12-01T10:00:04.000+01:00\","
    "\"host\":{\"packets\":8100,\"bytes\":4001000,\"drops\":3,\"fast\":9,"
    "\"slow\":0},\"vm\":{\"packets\":400,\"bytes\":40000,\"drops\":0,"
    "\"fast\":4,\"slow\":0}}\n"
    /* A new --socket client's engine: its counters start over. */
    "INFO  [stats] {\"time\":\"2026-12-01T10:00:05.000+01:00\","
    "\"host\":{\"packets\":5,\"bytes\":50,\"drops\":0},"
    "\"vm\":{\"packets\":1,\"bytes\":10,\"drops\":0}}\n";

static const char *python(void)
{
	/* Debian's, which has python3-matplotlib; another python3 first on
	 * PATH (pyenv, a venv) may not. */
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3"
						     : "python3";
}

static char *write_log(const char *text)
{
	char *path = strdup("/tmp/vmh-stats-XXXXXX");
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Run a perf/stats script on @log; its exit status, output in @c. */
static int run_script(struct child *c, const char *script, const char *a1,
		      const char *a2, const char *a3)
{
	char *path = strdup(child_source_file(script));
	char *argv[] = {(char *)python(), path,	      (char *)a1,
			(char *)a2,	  (char *)a3, NULL};
	int st;

	cr_assert_eq(child_start(c, argv, NULL, NULL, 0), 0);
	st = child_wait_exit(c, 60000);
	free(path);
	return st;
}

/* The rows stats_table.py --json prints for @text, summary last. */
static struct json_object *table_rows(const char *text)
{
	static struct child c;
	char *log = write_log(text);
	struct json_object *rows = json_object_new_array();
	char *save = NULL;

	cr_assert_eq(
	    run_script(&c, "perf/stats/stats_table.py", "--json", log, NULL), 0,
	    "stats_table.py --json failed:\n%s", c.err);
	for (char *l = strtok_r(c.out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		struct json_object *j = json_tokener_parse(l);

		cr_assert_not_null(j, "not JSON: %s", l);
		json_object_array_add(rows, j);
	}
	unlink(log);
	free(log);
	return rows;
}

static double num(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x = NULL, *y = NULL;

	cr_assert(json_object_object_get_ex(o, a, &x), "no %s", a);
	if (!b)
		return json_object_get_double(x);
	cr_assert(json_object_object_get_ex(x, b, &y), "no %s.%s", a, b);
	return json_object_get_double(y);
}

static void assert_near(double got, double want, const char *what)
{
	cr_assert(got > want - 1e-6 * (1 + want) &&
		      got < want + 1e-6 * (1 + want),
		  "%s: %g, want %g", what, got, want);
}

Test(perf_stats, table_takes_the_helpers_own_interval_rates)
{
	struct json_object *rows = table_rows(OURS);
	struct json_object *r, *cpu, *sum;

	/* Both [stats] lines carry an interval; the final line has none
	 * and follows one at 0.1 s with no new frames. */
	cr_assert_eq(json_object_array_length(rows), 4);
	r = json_object_array_get_idx(rows, 1);
	assert_near(num(r, "seconds", NULL), 2, "seconds");
	assert_near(num(r, "host", "pps"), 2000, "host pps");
	assert_near(num(r, "host", "gbps"), 3.0, "host Gbit/s");
	assert_near(num(r, "host", "drops"), 7, "host drops");
	assert_near(num(r, "vm", "pps"), 1000, "vm pps");
	cr_assert(json_object_object_get_ex(r, "cpu", &cpu));
	assert_near(num(cpu, "host", NULL), 20, "host worker %");
	assert_near(num(cpu, "socket", NULL), 30, "socket worker %");
	assert_near(num(cpu, "other", NULL), 0.1, "other %");
	assert_near(num(cpu, "total", NULL), 50.5, "total %");

	sum = json_object_array_get_idx(rows, 3);
	/* 2.6 s: 4010 frames towards the VM, 2005 back. */
	assert_near(num(sum, "seconds", NULL), 2.6, "summary seconds");
	assert_near(num(sum, "host", "pps"), 4010 / 2.6, "summary host pps");
	assert_near(num(sum, "vm", "pps"), 2005 / 2.6, "summary vm pps");
	/* CPU weighted by time over the 2.5 s that say it: (0.6 * 0.5 +
	 * 50.5 * 2) / 2.5 = 40.52 %, i.e. 1.013 CPU s for 6015 frames. */
	assert_near(num(sum, "cpu", "total"), 40.52, "summary total %");
	assert_near(num(sum, "cpu_s_per_mframe", NULL), 1.013 / 6015 * 1e6,
		    "CPU s per Mframe");
	json_object_put(rows);
}

Test(perf_stats, table_derives_rates_from_vmnet_helpers_counters)
{
	struct json_object *rows = table_rows(THEIRS);
	struct json_object *r, *cpu = NULL;

	/* 2 lines make 1 interval; the third starts over. */
	cr_assert_eq(json_object_array_length(rows), 2);
	r = json_object_array_get_idx(rows, 0);
	assert_near(num(r, "seconds", NULL), 4, "seconds");
	assert_near(num(r, "host", "pps"), 2000, "host pps");
	assert_near(num(r, "host", "gbps"), 4000000 * 8 / 4 / 1e9,
		    "host Gbit/s");
	assert_near(num(r, "host", "drops"), 3, "host drops");
	assert_near(num(r, "vm", "pps"), 100, "vm pps");
	cr_assert(json_object_object_get_ex(r, "cpu", &cpu));
	cr_assert_null(cpu, "their lines say no CPU");
	json_object_put(rows);
}

Test(perf_stats, table_prints_a_readable_row_per_interval)
{
	struct child c;
	char *log = write_log(OURS);

	cr_assert_eq(
	    run_script(&c, "perf/stats/stats_table.py", log, NULL, NULL), 0,
	    "%s", c.err);
	cr_assert_not_null(strstr(c.out, "host->VM pps"), "%s", c.out);
	/* The second interval: 2000 pps, 3.000 Gbit/s, CPU 20/30/0.1/50.5. */
	cr_assert_not_null(strstr(c.out, "2026-12-01T10:00:03.000   2.00 |"),
			   "%s", c.out);
	cr_assert_not_null(strstr(c.out, "2000    3.000 |"), "%s", c.out);
	cr_assert_not_null(strstr(c.out, "20.0   30.0    0.1   50.5"), "%s",
			   c.out);
	cr_assert_not_null(strstr(c.out, "CPU: 168.412 s per million"), "%s",
			   c.out);
	unlink(log);
	free(log);
}

Test(perf_stats, table_says_when_there_is_nothing_to_show)
{
	struct child c;
	char *log = write_log("INFO  [main] running vmnet-helper\n");

	cr_assert_eq(
	    run_script(&c, "perf/stats/stats_table.py", log, NULL, NULL), 1);
	cr_assert_not_null(strstr(c.err, "--stats-interval"), "%s", c.err);
	unlink(log);
	free(log);
}

Test(perf_stats, plot_draws_the_lines_as_a_png)
{
	struct child c;
	char *log = write_log(OURS);
	char png[] = "/tmp/vmh-stats-plot-XXXXXX";
	unsigned char head[8] = {0};
	FILE *f;
	int fd = mkstemp(png);

	cr_assert_geq(fd, 0);
	close(fd);
	if (system("/usr/bin/python3 -c 'import matplotlib' 2>/dev/null") !=
	    0) {
		unlink(png);
		cr_skip_test("no python3-matplotlib for /usr/bin/python3: "
			     "apt-get install python3-matplotlib");
	}
	cr_assert_eq(run_script(&c, "perf/stats/stats_plot.py", "-o", png, log),
		     0, "stats_plot.py failed:\n%s", c.err);
	cr_assert_not_null(strstr(c.out, "3 intervals"), "%s", c.out);
	f = fopen(png, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(head, 1, sizeof(head), f), sizeof(head));
	fclose(f);
	cr_assert_eq(memcmp(head, "\x89PNG\r\n\x1a\n", 8), 0, "not a PNG");
	unlink(png);
	unlink(log);
	free(log);
}
