/* SPDX-License-Identifier: Apache-2.0 */
/* guard_scenarios.h - the guard in a running engine while DHCP ACKs move
 * the VM's allowed address: the lease and the learned MAC cross between
 * the workers; shared by the Criterion tests and the ThreadSanitizer
 * runner (see stress.h for why). */
#ifndef VMNET_HELPER_GUARD_SCENARIOS_H
#define VMNET_HELPER_GUARD_SCENARIOS_H

#include "stress.h"

/**
 * scenario_guard_lease_moves() - --enforce-mac=learn, --enforce-ip and a
 * --block rule; every round a DHCP ACK from the host side gives the VM a
 * new address while it sends from the old and the new one
 * @workers:	engine worker threads, 1 or 2
 *
 * What it can assert, given that the ACK and the VM's frames race:
 * frames the VM sends before it has received the round's ACK may be
 * judged by either lease, but each is delivered or counted as
 * drop_guard_ip, and once one from the new address is delivered no later
 * one from the old address is (the socket worker never goes back to an
 * older lease). Frames it sends after it received the ACK are judged by
 * the new lease, exactly: the guard stores the lease before the ACK goes
 * on the ring the socket worker takes it from (guard.h). (The next round's
 * ACK goes only once the last of them came through: else it could
 * overtake them, and they would be judged by the lease after theirs.) An
 * ACK to another MAC changes nothing. At the end read == delivered + the
 * guard's drops, each drop counter exact. VMH_GUARD_SCENARIO_VERBOSE in the
 * environment prints how the window's races went (to stderr).
 *
 * Return: the verdict.
 */
struct stress_result scenario_guard_lease_moves(unsigned workers);

extern const struct stress_case guard_cases[];
extern const unsigned guard_case_count;

#endif
