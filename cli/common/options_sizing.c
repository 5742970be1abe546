/* SPDX-License-Identifier: Apache-2.0 */
/* options_sizing.c - --batch-size, --ring-size and --enable-tso to the
 * sizes the engine runs with, within the engine's memory limit. */
#include "options_sizing.h"

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

int options_size_datapath(struct options *o, const struct options_typed *t,
			  enum options_platform platform, char *err,
			  size_t errlen)
{
	bool tso = o->host.enable_tso;
	const char *dflt =
	    tso ? "the default with --enable-tso" : "the default";
	unsigned batch = o->batch_size, ring = o->ring_size;

	(void)platform;

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

	o->batch_size = batch;
	o->ring_size = ring;
	o->host.max_batch = batch;
	return 0;
}
