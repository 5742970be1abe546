/* SPDX-License-Identifier: Apache-2.0 */
/* frame_filter.h - a hook that may drop frames a port reads (port.h)
 * before they cross to the other side: how the guard (engine/guard/)
 * enforces the VM's MAC and addresses and the destinations it may reach. */
#ifndef VMNET_HELPER_FRAME_FILTER_H
#define VMNET_HELPER_FRAME_FILTER_H

#include "counters.h"
#include "pool.h"

/*
 * The engine calls a filter, when one is configured for a direction, on
 * the worker thread that read the batch, after the bad frames are dropped
 * (frame_ok() in port.c) and before the inspector: so it runs on one
 * thread only and may keep state there without atomics, and an inspector
 * never sees a frame the filter dropped. With none configured the port
 * pays one predictable branch per batch and nothing per frame.
 *
 * A filter must not change the frames it keeps, keep a reference to any,
 * allocate, lock, log or block: it runs on the packet path.
 */
struct frame_filter {
	/**
	 * filter() - keep the frames that may cross, in their order
	 * @ff:		this filter
	 * @pkts:	the batch, each frame at least an Ethernet header; on
	 *		return its first (return value) entries are the kept
	 *		frames, in the order they came
	 * @n:		how many, at least 1
	 * @rejected:	room for @n; gets the frames dropped (their buffers
	 *		go back to the port's stash, not to any pool)
	 * @c:		the port's counters: each drop is counted here, by
	 *		reason (counters.h), by the calling worker
	 *
	 * Return: how many were kept; n minus that went to @rejected.
	 */
	unsigned (*filter)(struct frame_filter *ff, struct pkt **pkts,
			   unsigned n, struct pkt **rejected,
			   struct counters_in *c);
};

#endif
