/* SPDX-License-Identifier: Apache-2.0 */
/* engine_scenarios.h - the engine between two socketpairs, driven by peer
 * threads that check every frame; shared by the Criterion tests and the
 * ThreadSanitizer runner (see stress.h for why). */
#ifndef VMNET_HELPER_ENGINE_SCENARIOS_H
#define VMNET_HELPER_ENGINE_SCENARIOS_H

#include "stress.h"

/**
 * scenario_both_directions() - frames flow both ways at once; every one
 * arrives intact, in order, none lost (a generous write wait rules drops
 * out)
 * @frames:	frames each way
 *
 * Return: the verdict.
 */
struct stress_result scenario_both_directions(unsigned frames);

/**
 * scenario_stalled_reader() - one side stops reading while the other
 * floods it; the engine neither deadlocks nor loses track: sent ==
 * delivered + counted drops, exactly, and the other direction keeps moving
 * @stall_host:	1 stalls the host side's reader, 0 the VM side's
 *
 * Return: the verdict.
 */
struct stress_result scenario_stalled_reader(unsigned stall_host);

/**
 * scenario_signal_during_flood() - SIGTERM while frames flood both ways:
 * the engine reports ENGINE_EXIT_SIGNAL and joins its workers
 * @signo:	SIGTERM or SIGINT
 *
 * Return: the verdict.
 */
struct stress_result scenario_signal_during_flood(unsigned signo);

/**
 * scenario_peer_close() - one side's peer closes its socket: the engine
 * stops by itself and says which side went away
 * @host_side:	1 closes the host side's peer, 0 the VM's
 *
 * Return: the verdict.
 */
struct stress_result scenario_peer_close(unsigned host_side);

/**
 * scenario_bad_frames() - runts, the "VFKT" hello, empty and oversized
 * datagrams are dropped and counted by reason; good frames around them
 * pass
 * @from_host:	1 sends them from the host side, 0 from the VM side
 *
 * Return: the verdict.
 */
struct stress_result scenario_bad_frames(unsigned from_host);

/**
 * scenario_stream_both_directions() - scenario_both_directions() with the
 * VM on a stream socket, each frame after its 4-byte length
 * @frames:	frames each way
 *
 * Return: the verdict.
 */
struct stress_result scenario_stream_both_directions(unsigned frames);

/**
 * scenario_stream_client_breaks_framing() - a stream client sends three
 * frames, then breaks the framing: the three arrive, the bad record is one
 * drop_truncated, and the engine ends that client (ENGINE_EXIT_VM_GONE)
 * @how:	0: a length one over the max frame; 1: it leaves in the middle
 *		of a record
 *
 * Return: the verdict.
 */
struct stress_result scenario_stream_client_breaks_framing(unsigned how);

/**
 * scenario_set_workers() - run the scenarios below with this many engine
 * worker threads (engine_config.workers); 2 until set
 * @workers:	1 (one worker serves both endpoints) or 2
 */
void scenario_set_workers(unsigned workers);

extern const struct stress_case engine_cases[];
extern const unsigned engine_case_count;

#endif
