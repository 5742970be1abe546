/* SPDX-License-Identifier: Apache-2.0 */
/* stats.c - the counters as one JSON object, compatible with
 * vmnet-helper's "[stats]" line, and the live line's CPU times and rates
 * (stats.h). */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "engine.h"
#include "json_writer.h"
#include "stats.h"

/* Local time, milliseconds and UTC offset, like Python's isoformat(). */
static void format_time(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	char date[32], zone[8];

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm); /* +hhmm */
	snprintf(buf, len, "%s.%03d%.3s:%s", date, (int)(tv.tv_usec / 1000),
		 zone, zone + 3);
}

/* vmnet-helper's five keys first, in its order, then ours. */
static void add_direction(struct json_writer *w, const char *name,
			  const struct direction_stats *d, uint64_t fast)
{
	json_begin_object(w, name);
	json_add_u64(w, "packets", d->packets);
	json_add_u64(w, "bytes", d->bytes);
	json_add_u64(w, "drops", direction_drops(d));
	json_add_u64(w, "fast", fast);
	json_add_u64(w, "slow", 0);
	json_add_u64(w, "batches", d->batches);
	json_add_u64(w, "read_packets", d->read_packets);
	json_add_u64(w, "read_batches", d->read_batches);
	json_add_u64(w, "retries", d->retries);
	json_add_u64(w, "drop_runt", d->drop_runt);
	json_add_u64(w, "drop_truncated", d->drop_truncated);
	json_add_u64(w, "drop_vfkt", d->drop_vfkt);
	json_add_u64(w, "drop_foreign", d->drop_foreign);
	json_add_u64(w, "drop_guard_mac", d->drop_guard_mac);
	json_add_u64(w, "drop_guard_ip", d->drop_guard_ip);
	json_add_u64(w, "drop_guard_dst", d->drop_guard_dst);
	json_add_u64(w, "drop_guard_vlan", d->drop_guard_vlan);
	json_add_u64(w, "drop_too_big", d->drop_too_big);
	json_add_u64(w, "drop_link_down", d->drop_link_down);
	json_add_u64(w, "drop_unsent", d->drop_unsent);
	json_add_u64(w, "drop_stalled", d->drop_stalled);
	json_add_u64(w, "drop_shutdown", d->drop_shutdown);
	json_add_u64(w, "drop_unanswerable", d->drop_unanswerable);
	json_end_object(w);
}

static void sum_direction(struct direction_stats *sum,
			  const struct direction_stats *d)
{
	sum->packets += d->packets;
	sum->bytes += d->bytes;
	sum->batches += d->batches;
	sum->read_packets += d->read_packets;
	sum->read_bytes += d->read_bytes;
	sum->read_batches += d->read_batches;
	sum->retries += d->retries;
	sum->drop_runt += d->drop_runt;
	sum->drop_truncated += d->drop_truncated;
	sum->drop_vfkt += d->drop_vfkt;
	sum->drop_foreign += d->drop_foreign;
	sum->drop_guard_mac += d->drop_guard_mac;
	sum->drop_guard_ip += d->drop_guard_ip;
	sum->drop_guard_dst += d->drop_guard_dst;
	sum->drop_guard_vlan += d->drop_guard_vlan;
	sum->drop_too_big += d->drop_too_big;
	sum->drop_link_down += d->drop_link_down;
	sum->drop_unsent += d->drop_unsent;
	sum->drop_stalled += d->drop_stalled;
	sum->drop_shutdown += d->drop_shutdown;
	sum->drop_unanswerable += d->drop_unanswerable;
}

void engine_stats_add(struct engine_stats *sum, const struct engine_stats *s)
{
	sum_direction(&sum->host_to_vm, &s->host_to_vm);
	sum_direction(&sum->vm_to_host, &s->vm_to_host);
	sum->host_wakeups += s->host_wakeups;
	sum->socket_wakeups += s->socket_wakeups;
	sum->host_cpu_ns += s->host_cpu_ns;
	sum->socket_cpu_ns += s->socket_cpu_ns;
}

/* engine_format_stats()'s members, in its order. */
static void add_counters(struct json_writer *w, const struct engine_stats *s)
{
	char time[48];

	format_time(time, sizeof(time));
	json_add_string(w, "time", time);
	/* vmnet-helper's "fast" counts batch calls on the VM socket:
	 * sends (with retries) towards the VM, receives from it. */
	add_direction(w, "host", &s->host_to_vm,
		      s->host_to_vm.batches + s->host_to_vm.retries);
	add_direction(w, "vm", &s->vm_to_host, s->vm_to_host.read_batches);
	json_begin_object(w, "wakeups");
	json_add_u64(w, "host", s->host_wakeups);
	json_add_u64(w, "socket", s->socket_wakeups);
	json_end_object(w);
}

int engine_format_stats(const struct engine_stats *s, char *buf, size_t len)
{
	struct json_writer w;

	json_begin(&w, buf, len);
	add_counters(&w, s);
	return json_end(&w);
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void stats_sample_take(struct stats_sample *out, const struct engine_stats *s)
{
	memset(out, 0, sizeof(*out));
	if (s)
		out->s = *s;
	out->mono_ns = clock_ns(CLOCK_MONOTONIC);
	/* POSIX's process CPU clock: user + system of every thread, those
	 * that have ended too (Linux: kernel/time/posix-cpu-timers.c; macOS
	 * 10.12 and later, clock_gettime(3): "the amount of CPU (in user- or
	 * kernel-mode) used by the calling process"). The Linux sandbox
	 * allows clock_gettime() (cli/vmnet-helper/linux/sandbox_linux.c). */
	out->process_cpu_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

/* b - a, or 0 if the counter went back (it cannot within one engine). */
static uint64_t since(uint64_t b, uint64_t a)
{
	return b > a ? b - a : 0;
}

static void add_interval_direction(struct json_writer *w, const char *name,
				   const struct direction_stats *now,
				   const struct direction_stats *prev,
				   double secs)
{
	uint64_t packets = since(now->packets, prev->packets);
	uint64_t bytes = since(now->bytes, prev->bytes);

	json_begin_object(w, name);
	json_add_u64(w, "packets", packets);
	json_add_u64(w, "bytes", bytes);
	json_add_u64(w, "drops",
		     since(direction_drops(now), direction_drops(prev)));
	json_add_fixed(w, "packets_per_second", (double)packets / secs, 0);
	json_add_fixed(w, "bytes_per_second", (double)bytes / secs, 0);
	json_end_object(w);
}

/* CPU time over the interval as % of one core. */
static double percent(uint64_t ns, double secs)
{
	return 100.0 * (double)ns / 1e9 / secs;
}

static void add_interval(struct json_writer *w, const struct stats_sample *now,
			 const struct stats_sample *prev)
{
	double secs = (double)since(now->mono_ns, prev->mono_ns) / 1e9;
	uint64_t host = since(now->s.host_cpu_ns, prev->s.host_cpu_ns);
	uint64_t sock = since(now->s.socket_cpu_ns, prev->s.socket_cpu_ns);
	uint64_t total = since(now->process_cpu_ns, prev->process_cpu_ns);

	/* Two lines in the same microsecond (SIGUSR1 right after the
	 * timer): no rate rather than a division by zero. */
	if (secs < 1e-6)
		return;
	json_begin_object(w, "interval");
	json_add_fixed(w, "seconds", secs, 3);
	add_interval_direction(w, "host", &now->s.host_to_vm,
			       &prev->s.host_to_vm, secs);
	add_interval_direction(w, "vm", &now->s.vm_to_host, &prev->s.vm_to_host,
			       secs);
	json_begin_object(w, "cpu_percent");
	json_add_fixed(w, "host", percent(host, secs), 1);
	json_add_fixed(w, "socket", percent(sock, secs), 1);
	/* The clocks are read one after the other, so the workers' may be a
	 * little ahead of the process's. */
	json_add_fixed(w, "other", percent(since(total, host + sock), secs), 1);
	json_add_fixed(w, "total", percent(total, secs), 1);
	json_end_object(w);
	json_end_object(w);
}

int stats_format_since(const struct stats_sample *now,
		       const struct stats_sample *prev, char *buf, size_t len)
{
	struct json_writer w;

	json_begin(&w, buf, len);
	add_counters(&w, &now->s);
	json_begin_object(&w, "cpu_ns");
	json_add_u64(&w, "host", now->s.host_cpu_ns);
	json_add_u64(&w, "socket", now->s.socket_cpu_ns);
	json_add_u64(&w, "total", now->process_cpu_ns);
	json_end_object(&w);
	if (prev)
		add_interval(&w, now, prev);
	return json_end(&w);
}
