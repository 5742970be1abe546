/* SPDX-License-Identifier: Apache-2.0 */
/* options_sizing.c - --batch-size, --ring-size and --enable-tso to the
 * sizes the engine runs with, within the engine's memory limit. */
#include "options_sizing.h"

#include <stdio.h>

#include "engine.h"
#include "errmsg.h"
#include "host.h"

uint32_t options_max_frame(const struct options *o,
			   enum options_platform platform)
{
	if (!o->host.enable_tso)
		return HOST_FRAME_DEFAULT;
	return platform == OPTIONS_PLATFORM_DARWIN ? HOST_TSO_FRAME_MAX_DARWIN
						   : HOST_TSO_FRAME_MAX_LINUX;
}

static size_t mib_up(size_t bytes)
{
	return (bytes + ((size_t)1 << 20) - 1) >> 20;
}

/* What was typed that set the sizes, for a message: "--ring-size '2048'
 * with --batch-size '256' and --enable-tso". */
static void typed_sizes(const struct options *o, const struct options_typed *t,
			char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s%s%s%s", t->ring ? "--ring-size '" : "",
		 t->ring ? t->ring : "", t->ring ? "'" : "",
		 t->ring && t->batch ? " with " : "",
		 t->batch ? "--batch-size '" : "", t->batch ? t->batch : "",
		 t->batch ? "'" : "",
		 o->host.enable_tso ? (t->ring || t->batch ? " and --enable-tso"
							   : "--enable-tso")
				    : "");
}

int options_size_datapath(struct options *o, const struct options_typed *t,
			  enum options_platform platform, char *err,
			  size_t errlen)
{
	bool tso = o->host.enable_tso;
	const char *dflt =
	    tso ? "the default with --enable-tso" : "the default";
	unsigned batch = o->batch_size, ring = o->ring_size;
	uint32_t frame = options_max_frame(o, platform);
	char typed[160];
	size_t need;

	if (batch == 0)
		batch = tso ? ENGINE_TSO_BATCH_DEFAULT : ENGINE_BATCH_DEFAULT;
	if (ring == 0) {
		ring = tso ? ENGINE_TSO_RING_DEFAULT : ENGINE_RING_DEFAULT;
		while (ring < batch)
			ring <<= 1;
	} else if (ring < batch) {
		return errmsg_fail(
		    err, errlen, -1,
		    "--ring-size '%s' is smaller than the batch size "
		    "%u%s%s%s; pass a ring size of at least %u or a "
		    "smaller --batch-size",
		    t->ring, batch, t->batch ? " (--batch-size '" : " (",
		    t->batch ? t->batch : dflt, t->batch ? "')" : ")", batch);
	}

	need = engine_memory_needed(batch, ring, frame);
	if (need > ENGINE_MEMORY_MAX) {
		unsigned fits = ring;

		/* The largest ring that fits; a ring of one batch always
		 * does (256 buffers of 64 KiB: 107 MiB). */
		while (fits > batch && fits > 16 &&
		       engine_memory_needed(batch, fits, frame) >
			   ENGINE_MEMORY_MAX)
			fits >>= 1;
		typed_sizes(o, t, typed, sizeof(typed));
		return errmsg_fail(
		    err, errlen, -1,
		    "%s would take %zu MiB of packet buffers (2 pools of "
		    "%u frames of up to %u bytes), more than the %zu MiB "
		    "one helper may take; pass --ring-size %u or less",
		    typed, mib_up(need), ring + 2 * batch, (unsigned)frame,
		    mib_up(ENGINE_MEMORY_MAX), fits);
	}
	o->batch_size = batch;
	o->ring_size = ring;
	o->host.max_batch = batch;
	return 0;
}
