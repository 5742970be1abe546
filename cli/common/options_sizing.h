/* SPDX-License-Identifier: Apache-2.0 */
/* options_sizing.h - the batch and ring sizes the engine runs with, and
 * the memory they take: decided once, by the parser. */
#ifndef VMNET_HELPER_OPTIONS_SIZING_H
#define VMNET_HELPER_OPTIONS_SIZING_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "options_values.h"

/**
 * options_size_datapath() - settle the batch and ring size, and check them
 * @o:		the options read; gets the sizes to run with in batch_size,
 *		ring_size and host.max_batch
 * @t:		the values as typed, for the messages
 * @platform:	whose host interface: its largest TSO frame
 * @err:	the message naming what was typed and what to pass instead
 * @errlen:	room in @err
 *
 * A size not given takes the engine's default, or with --enable-tso the
 * smaller TSO default (64 KiB buffers); a ring size not given holds at
 * least one batch (the next power of two). The ring must hold a batch,
 * and the memory engine_memory_needed() computes for the sizes and the
 * largest frame the options allow must stay within ENGINE_MEMORY_MAX.
 * The caller gives the engine these sizes as they are, so what passes
 * here is what engine_create() accepts.
 *
 * Return: 0, or -1 with @err filled.
 */
int options_size_datapath(struct options *o, const struct options_typed *t,
			  enum options_platform platform, char *err,
			  size_t errlen);

/**
 * options_max_frame() - the largest frame the host interface gives with
 * these options, as sized before it starts
 * @o:		the options
 * @platform:	whose host interface
 *
 * Return: HOST_FRAME_DEFAULT, or the platform's largest TSO frame.
 */
uint32_t options_max_frame(const struct options *o,
			   enum options_platform platform);

#endif
