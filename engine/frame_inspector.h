/* SPDX-License-Identifier: Apache-2.0 */
/* frame_inspector.h - a hook that sees every batch of good frames a port
 * reads (port.h), before they cross to the other side: how the guest-address
 * learner (engine/guest/) watches traffic without a copy or a lock. */
#ifndef VMNET_HELPER_FRAME_INSPECTOR_H
#define VMNET_HELPER_FRAME_INSPECTOR_H

#include "pool.h"

/*
 * The engine calls an inspector, when one is configured for a direction,
 * on the worker thread that read the batch, after the bad frames are
 * dropped and before the batch goes on the ring: so it runs on one thread
 * only, and may keep state there without atomics. With none configured
 * the port pays one predictable branch per batch and nothing per frame.
 *
 * An inspector observes: it must not change, keep or reorder the frames,
 * and must not block (it runs on the packet path). Embed the struct in
 * your own and find it again with container_of-style arithmetic.
 */
struct frame_inspector {
	/**
	 * inspect() - look at one batch
	 * @fi:		this inspector
	 * @pkts:	the batch's frames, each at least an Ethernet header
	 * @n:		how many, at least 1
	 */
	void (*inspect)(struct frame_inspector *fi, struct pkt *const *pkts,
			unsigned n);
};

#endif
