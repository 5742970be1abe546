/* SPDX-License-Identifier: Apache-2.0 */
/* stress.h - two-thread scenarios, shared by the Criterion tests and the
 * ThreadSanitizer runner (Criterion cannot start under TSan: its BoxFort
 * arena cannot find address space beside TSan's shadow mappings). */
#ifndef VMNET_HELPER_STRESS_H
#define VMNET_HELPER_STRESS_H

#include <stdint.h>

struct stress_result {
	int ok;
	char why[256]; /* what went wrong, when !ok */
};

/* Verdicts: stress_fail() formats the explanation. */
struct stress_result stress_pass(void);
struct stress_result stress_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/**
 * stress_items() - how many items a two-thread scenario moves
 *
 * 50 million in a plain build. Under ThreadSanitizer atomics are one to two
 * orders of magnitude slower, so there the same scenarios move 4 million:
 * still far more interleavings than the tool needs to see every race.
 * TEST_STRESS_ITEMS in the environment overrides both.
 *
 * Return: the number of items.
 */
uint64_t stress_items(void);

/**
 * stress_ring() - move stress_items() sequence numbers through a ring
 * @burst:	items per enqueue and per dequeue call, 1 to 256
 *
 * The consumer checks each item is the next expected one: a loss, a
 * duplicate or a reordering is reported with the first wrong value.
 *
 * Return: the verdict.
 */
struct stress_result stress_ring(unsigned burst);

/**
 * stress_pool() - move stress_items() frames through a pool and a ring
 * @burst:	buffers per call on both threads, 1 to 256
 *
 * The filler writes each frame's length and every byte from its sequence
 * number; the emptier checks them all and gives the buffer back.
 *
 * Return: the verdict.
 */
struct stress_result stress_pool(unsigned burst);

struct stress_case {
	const char *name;
	struct stress_result (*run)(unsigned burst);
	unsigned burst;
};

/* Every scenario, for runners that take them all. */
extern const struct stress_case stress_cases[];
extern const unsigned stress_case_count;

#endif
