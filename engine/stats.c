/* SPDX-License-Identifier: Apache-2.0 */
/* stats.c - the counters as one JSON object, compatible with
 * vmnet-helper's "[stats]" line. */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include "engine.h"
#include "json_writer.h"

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

int engine_format_stats(const struct engine_stats *s, char *buf, size_t len)
{
	struct json_writer w;
	char time[48];

	format_time(time, sizeof(time));
	json_begin(&w, buf, len);
	json_add_string(&w, "time", time);
	/* vmnet-helper's "fast" counts batch calls on the VM socket:
	 * sends (with retries) towards the VM, receives from it. */
	add_direction(&w, "host", &s->host_to_vm,
		      s->host_to_vm.batches + s->host_to_vm.retries);
	add_direction(&w, "vm", &s->vm_to_host, s->vm_to_host.read_batches);
	json_begin_object(&w, "wakeups");
	json_add_u64(&w, "host", s->host_wakeups);
	json_add_u64(&w, "socket", s->socket_wakeups);
	json_end_object(&w);
	return json_end(&w);
}
