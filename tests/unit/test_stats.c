/* SPDX-License-Identifier: Apache-2.0 */
/* test_stats.c - the live stats line (stats.h): the counters unchanged,
 * the CPU time so far, and the rates between two samples, read back with
 * json-c. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "log.h"
#include "stats.h"

static json_object *get(json_object *o, const char *path)
{
	char key[64];
	const char *dot;
	json_object *v = o;

	while (path) {
		dot = strchr(path, '.');
		snprintf(key, sizeof(key), "%.*s",
			 dot ? (int)(dot - path) : (int)strlen(path), path);
		cr_assert(json_object_object_get_ex(v, key, &v), "no \"%s\"",
			  key);
		path = dot ? dot + 1 : NULL;
	}
	return v;
}

static double num(json_object *o, const char *path)
{
	return json_object_get_double(get(o, path));
}

static json_object *parse(const char *buf)
{
	json_object *o = json_tokener_parse(buf);

	cr_assert_not_null(o, "not JSON: %s", buf);
	return o;
}

/* Two samples 2 s apart: 4000 frames and 750 MB towards the VM, 7 of them
 * dropped; 2000 frames back; the host worker 0.4 s of CPU, the socket
 * worker 0.6 s, the process 1.1 s. */
static void two_samples(struct stats_sample *a, struct stats_sample *b)
{
	memset(a, 0, sizeof(*a));
	a->mono_ns = 5000000000u;
	a->process_cpu_ns = 100000000u;
	a->s.host_to_vm.packets = 10;
	a->s.host_to_vm.bytes = 640;
	a->s.vm_to_host.packets = 5;
	a->s.host_cpu_ns = 1000000u;
	*b = *a;
	b->mono_ns += 2000000000u;
	b->process_cpu_ns += 1100000000u;
	b->s.host_to_vm.packets += 4000;
	b->s.host_to_vm.bytes += 750000000u;
	b->s.host_to_vm.drop_stalled = 4;
	b->s.host_to_vm.drop_link_down = 3;
	b->s.vm_to_host.packets += 2000;
	b->s.vm_to_host.bytes = 128000;
	b->s.host_cpu_ns += 400000000u;
	b->s.socket_cpu_ns += 600000000u;
}

Test(stats, interval_gives_rates_drops_and_cpu_percent_per_thread)
{
	struct stats_sample a, b;
	char buf[2048];
	json_object *o;

	two_samples(&a, &b);
	cr_assert_gt(stats_format_since(&b, &a, buf, sizeof(buf)), 0);
	o = parse(buf);
	cr_expect_float_eq(num(o, "interval.seconds"), 2.0, 1e-9);
	cr_expect_eq(num(o, "interval.host.packets"), 4000);
	cr_expect_eq(num(o, "interval.host.bytes"), 750000000);
	cr_expect_eq(num(o, "interval.host.drops"), 7);
	cr_expect_eq(num(o, "interval.host.packets_per_second"), 2000);
	cr_expect_eq(num(o, "interval.host.bytes_per_second"), 375000000);
	cr_expect_eq(num(o, "interval.vm.packets"), 2000);
	cr_expect_eq(num(o, "interval.vm.bytes_per_second"), 64000);
	cr_expect_eq(num(o, "interval.vm.drops"), 0);
	cr_expect_float_eq(num(o, "interval.cpu_percent.host"), 20.0, 1e-9);
	cr_expect_float_eq(num(o, "interval.cpu_percent.socket"), 30.0, 1e-9);
	cr_expect_float_eq(num(o, "interval.cpu_percent.other"), 5.0, 1e-9);
	cr_expect_float_eq(num(o, "interval.cpu_percent.total"), 55.0, 1e-9);
	cr_expect_eq(num(o, "cpu_ns.host"), 401000000);
	cr_expect_eq(num(o, "cpu_ns.socket"), 600000000);
	cr_expect_eq(num(o, "cpu_ns.total"), 1200000000);
	json_object_put(o);
}

Test(stats, keeps_every_key_of_the_plain_line_in_its_order)
{
	struct stats_sample a, b;
	char live[2048], plain[2048];

	two_samples(&a, &b);
	cr_assert_gt(stats_format_since(&b, &a, live, sizeof(live)), 0);
	cr_assert_gt(engine_format_stats(&b.s, plain, sizeof(plain)), 0);
	/* The same object up to its last brace, past the time (which moves
	 * between the two calls), then ours. */
	const char *lp = strstr(live, "\"host\":"),
		   *pp = strstr(plain, "\"host\":");
	size_t n = strlen(pp) - 1;

	cr_assert(lp && pp);
	cr_assert_eq(strncmp(lp, pp, n), 0, "live: %s\nplain: %s", live, plain);
	cr_assert_eq(strncmp(lp + n, ",\"cpu_ns\":{", 11), 0, "%s", lp + n);
}

Test(stats, no_interval_without_a_sample_before_or_time_between)
{
	struct stats_sample a, b;
	char buf[2048];

	two_samples(&a, &b);
	cr_assert_gt(stats_format_since(&b, NULL, buf, sizeof(buf)), 0);
	cr_expect_null(strstr(buf, "\"interval\""), "%s", buf);
	cr_expect_not_null(strstr(buf, "\"cpu_ns\""), "%s", buf);
	b.mono_ns = a.mono_ns;
	cr_assert_gt(stats_format_since(&b, &a, buf, sizeof(buf)), 0);
	cr_expect_null(strstr(buf, "\"interval\""), "%s", buf);
}

Test(stats, counters_that_went_back_give_zero_not_a_wrapped_rate)
{
	struct stats_sample a, b;
	char buf[2048];
	json_object *o;

	two_samples(&a, &b);
	/* The workers' clocks read after the process's: a little ahead. */
	b.process_cpu_ns = a.process_cpu_ns + 900000000u;
	cr_assert_gt(stats_format_since(&a, &b, buf, sizeof(buf)), 0);
	cr_expect_null(strstr(buf, "\"interval\""), "time went back: %s", buf);
	a.mono_ns = b.mono_ns + 1000000000u;
	cr_assert_gt(stats_format_since(&a, &b, buf, sizeof(buf)), 0);
	o = parse(buf);
	cr_expect_eq(num(o, "interval.host.packets"), 0);
	cr_expect_eq(num(o, "interval.host.packets_per_second"), 0);
	json_object_put(o);
	two_samples(&a, &b);
	b.process_cpu_ns = a.process_cpu_ns + 900000000u;
	cr_assert_gt(stats_format_since(&b, &a, buf, sizeof(buf)), 0);
	o = parse(buf);
	cr_expect_eq(num(o, "interval.cpu_percent.other"), 0, "%s", buf);
	json_object_put(o);
}

Test(stats, sample_takes_the_clocks_and_copies_the_counters)
{
	struct stats_sample a, b;
	struct engine_stats s;
	volatile unsigned long spin = 0;

	memset(&s, 0, sizeof(s));
	s.vm_to_host.packets = 42;
	stats_sample_take(&a, NULL);
	/* Enough CPU for the process clock to move, at any resolution. */
	while (spin < 50000000ul)
		spin = spin + 1;
	stats_sample_take(&b, &s);
	cr_expect_eq(a.s.vm_to_host.packets, 0);
	cr_expect_eq(b.s.vm_to_host.packets, 42);
	cr_expect_gt(b.mono_ns, a.mono_ns);
	cr_expect_gt(b.process_cpu_ns, a.process_cpu_ns);
}

Test(stats, too_small_a_buffer_gives_no_line)
{
	struct stats_sample a, b;
	char buf[2048];
	int n;

	two_samples(&a, &b);
	n = stats_format_since(&b, &a, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_expect_eq(stats_format_since(&b, &a, buf, (size_t)n), -1);
	cr_expect_eq(stats_format_since(&b, &a, buf, (size_t)n + 1), n);
}

/* Every counter at its largest, the rates too: the line still fits in one
 * log line after its prefix, so no reader ever gets it cut. */
Test(stats, largest_line_fits_in_a_log_line)
{
	struct stats_sample a, b;
	char buf[LOG_LINE_MAX];
	const char prefix[] = "INFO  [stats] ";
	int n;

	memset(&a, 0, sizeof(a));
	memset(&b, 0xff, sizeof(b));
	a.mono_ns = b.mono_ns - 1000; /* 1 us: the largest rates */
	n = stats_format_since(&b, &a, buf, sizeof(buf));
	cr_assert_gt(n, 0, "does not fit in %d bytes", LOG_LINE_MAX);
	cr_expect_lt((size_t)n + strlen(prefix) + 1, (size_t)LOG_LINE_MAX,
		     "%d bytes", n);
	json_object_put(parse(buf));
}
