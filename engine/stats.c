/* SPDX-License-Identifier: Apache-2.0 */
/* stats.c - the counters as one JSON object, compatible with
 * vmnet-helper's "[stats]" line. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include "engine.h"

struct out {
	char *buf;
	size_t len, used;
	int overflow;
};

static void put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->used)
		o->overflow = 1;
	else
		o->used += (size_t)n;
}

/* Local time, milliseconds and UTC offset, like Python's isoformat(). */
static void put_time(struct out *o)
{
	struct timeval tv;
	struct tm tm;
	char date[32], zone[8];

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm); /* +hhmm */
	put(o, "\"time\":\"%s.%03d%.3s:%s\"", date, (int)(tv.tv_usec / 1000),
	    zone, zone + 3);
}

static void put_direction(struct out *o, const char *name,
			  const struct direction_stats *d, uint64_t fast)
{
	uint64_t drops = direction_drops(d);

	put(o,
	    "\"%s\":{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
	    ",\"drops\":%" PRIu64 ",\"fast\":%" PRIu64 ",\"slow\":0"
	    ",\"batches\":%" PRIu64 ",\"read_packets\":%" PRIu64
	    ",\"read_batches\":%" PRIu64 ",\"retries\":%" PRIu64
	    ",\"drop_runt\":%" PRIu64 ",\"drop_over_mtu\":%" PRIu64
	    ",\"drop_vfkt\":%" PRIu64 ",\"drop_foreign\":%" PRIu64
	    ",\"drop_too_big\":%" PRIu64 ",\"drop_stalled\":%" PRIu64
	    ",\"drop_shutdown\":%" PRIu64 ",\"drop_unanswerable\":%" PRIu64 "}",
	    name, d->packets, d->bytes, drops, fast, d->batches,
	    d->read_packets, d->read_batches, d->retries, d->drop_runt,
	    d->drop_over_mtu, d->drop_vfkt, d->drop_foreign, d->drop_too_big,
	    d->drop_stalled, d->drop_shutdown, d->drop_unanswerable);
}

static void add_direction(struct direction_stats *sum,
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
	sum->drop_over_mtu += d->drop_over_mtu;
	sum->drop_vfkt += d->drop_vfkt;
	sum->drop_foreign += d->drop_foreign;
	sum->drop_too_big += d->drop_too_big;
	sum->drop_stalled += d->drop_stalled;
	sum->drop_shutdown += d->drop_shutdown;
	sum->drop_unanswerable += d->drop_unanswerable;
}

void engine_stats_add(struct engine_stats *sum, const struct engine_stats *s)
{
	add_direction(&sum->host_to_vm, &s->host_to_vm);
	add_direction(&sum->vm_to_host, &s->vm_to_host);
	sum->host_wakeups += s->host_wakeups;
	sum->socket_wakeups += s->socket_wakeups;
	sum->host_cpu_ns += s->host_cpu_ns;
	sum->socket_cpu_ns += s->socket_cpu_ns;
}

int engine_format_stats(const struct engine_stats *s, char *buf, size_t len)
{
	struct out o = {buf, len, 0, 0};

	if (!len)
		return -1;
	put(&o, "{");
	put_time(&o);
	/* vmnet-helper's "fast" counts batch calls on the VM socket:
	 * sends (with retries) towards the VM, receives from it. */
	put(&o, ",");
	put_direction(&o, "host", &s->host_to_vm,
		      s->host_to_vm.batches + s->host_to_vm.retries);
	put(&o, ",");
	put_direction(&o, "vm", &s->vm_to_host, s->vm_to_host.read_batches);
	put(&o, ",\"wakeups\":{\"host\":%" PRIu64 ",\"socket\":%" PRIu64 "}}",
	    s->host_wakeups, s->socket_wakeups);
	return o.overflow ? -1 : (int)o.used;
}
