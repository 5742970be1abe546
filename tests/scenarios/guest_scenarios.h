/* SPDX-License-Identifier: Apache-2.0 */
/* guest_scenarios.h - the guest-address learner in a running engine, read
 * while both workers write it; shared by the Criterion tests and the
 * ThreadSanitizer runner (see stress.h for why). */
#ifndef VMNET_HELPER_GUEST_SCENARIOS_H
#define VMNET_HELPER_GUEST_SCENARIOS_H

#include "stress.h"

/**
 * scenario_guest_learning() - the guest changes its IPv4 address (ARP and
 * a lease) and takes a new IPv6 one every round while the test thread
 * reads the learner: no read is torn (every IPv6 slot one whole address,
 * the MAC the guest's, the IPv4 one that was sent), and once every frame
 * is through the last round's addresses are what is known
 * @rounds:	rounds, 3 frames each
 *
 * Return: the verdict.
 */
struct stress_result scenario_guest_learning(unsigned rounds);

extern const struct stress_case guest_cases[];
extern const unsigned guest_case_count;

#endif
