/* SPDX-License-Identifier: Apache-2.0 */
/* counters.h - per-port packet counters, written by the port's worker only
 * and read by the supervisor for stats. */
#ifndef VMNET_HELPER_COUNTERS_H
#define VMNET_HELPER_COUNTERS_H

#include <stdatomic.h>
#include <stdint.h>

/* Frames a worker reads from its endpoint: the entry of one direction. */
struct counters_in {
	_Atomic uint64_t packets; /* frames read, good or bad */
	_Atomic uint64_t bytes;
	_Atomic uint64_t batches;	 /* read calls that returned frames */
	_Atomic uint64_t drop_runt;	 /* shorter than an Ethernet header */
	_Atomic uint64_t drop_truncated; /* longer than the max frame */
	_Atomic uint64_t drop_vfkt; /* vfkit/krunkit's 4-byte "VFKT" hello */
	_Atomic uint64_t
	    drop_foreign; /* from a sender that is not the client */
	/* Dropped by the guard (engine/guard/, docs/guard.md). */
	_Atomic uint64_t drop_guard_mac;  /* source MAC not the VM's */
	_Atomic uint64_t drop_guard_ip;	  /* source address not the VM's */
	_Atomic uint64_t drop_guard_dst;  /* destination blocked */
	_Atomic uint64_t drop_guard_vlan; /* VLAN-tagged: cannot be checked */
};

/* Frames a worker writes to its endpoint: the exit of the other direction. */
struct counters_out {
	_Atomic uint64_t packets; /* frames written */
	_Atomic uint64_t bytes;
	_Atomic uint64_t batches; /* write calls that wrote frames */
	_Atomic uint64_t retries; /* write calls refused (EAGAIN, ENOBUFS) */
	_Atomic uint64_t drop_too_big;	 /* refused for good (-EMSGSIZE) */
	_Atomic uint64_t drop_link_down; /* the host link is down (-ENETDOWN) */
	_Atomic uint64_t drop_unsent;  /* taken in a batch, not sent (UNSENT) */
	_Atomic uint64_t drop_stalled; /* waited past the write deadline */
	/* Still on the ring or in the pending batch when the engine
	 * stopped; added by the supervisor after the join. */
	_Atomic uint64_t drop_shutdown;
};

struct counters {
	struct counters_in in;
	struct counters_out out;
};

/**
 * counter_add() - add @n to a counter owned by the calling thread
 * @c:	counter
 * @n:	amount
 *
 * A relaxed load and store, not an atomic read-modify-write: only the owner
 * writes, so no increment can be lost, and on every target both compile to
 * plain moves. Readers on other threads see a recent value, never a torn
 * one, which is all statistics need.
 */
static inline void counter_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/**
 * counter_get() - read a counter from any thread
 * @c:	counter
 *
 * Return: its value; relaxed, see counter_add().
 */
static inline uint64_t counter_get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

#endif
