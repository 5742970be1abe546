/* SPDX-License-Identifier: Apache-2.0 */
/* test_perf_frame.c - the benchmark suite's own checks (perf/suite/frame.h):
 * a frame that was dropped, reordered, duplicated or damaged on the way
 * must be counted as such, or no figure of the suite can be trusted. */
#include <criterion/criterion.h>
#include <string.h>

#include "frame.h"

static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t mac_b[6] = {2, 0, 0, 0, 0, 2};

/* Sizes on every side of the 8-byte word grid, up to the largest. */
static const uint32_t sizes[] = {48,  49,  55,	 56,   60,   64,
				 100, 512, 1514, 9000, 65535};

static uint8_t tmpl_buf[FRAME_MAX_LEN], frame[FRAME_MAX_LEN];

static void make(struct frame_tmpl *t, uint32_t len, uint16_t flow,
		 uint64_t seq)
{
	cr_assert_eq(frame_template_init(t, tmpl_buf, len, flow, mac_a, mac_b),
		     0);
	memcpy(frame, tmpl_buf, len);
	frame_stamp(t, frame, seq);
}

static enum frame_verdict check(size_t len, uint16_t *flow, uint64_t *seq)
{
	return frame_check(frame, len, flow, seq);
}

Test(perf_frame, stamped_frames_pass_with_their_flow_and_sequence)
{
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		struct frame_tmpl t;
		uint16_t flow = 0;
		uint64_t seq = 0;

		make(&t, sizes[i], 7, 0x0123456789abcdefull);
		cr_assert_eq(check(sizes[i], &flow, &seq), FRAME_OK, "size %u",
			     sizes[i]);
		cr_assert_eq(flow, 7);
		cr_assert_eq(seq, 0x0123456789abcdefull);
	}
}

Test(perf_frame, stamping_over_an_earlier_frame_is_the_same_as_fresh)
{
	struct frame_tmpl t;
	uint16_t flow;
	uint64_t seq;

	make(&t, 1514, 1, 5);
	frame_stamp(&t, frame, 6); /* the send buffers are reused */
	cr_assert_eq(check(1514, &flow, &seq), FRAME_OK);
	cr_assert_eq(seq, 6);
}

Test(perf_frame, template_refuses_lengths_out_of_range)
{
	struct frame_tmpl t;

	cr_assert_eq(frame_template_init(&t, tmpl_buf, FRAME_MIN_LEN - 1, 1,
					 mac_a, mac_b),
		     -1);
	cr_assert_eq(frame_template_init(&t, tmpl_buf, FRAME_MAX_LEN + 1, 1,
					 mac_a, mac_b),
		     -1);
}

Test(perf_frame, every_single_bit_flip_is_damage)
{
	/* Every bit of a short frame and of one across the word grid. */
	static const uint32_t lens[] = {64, 1514};

	for (size_t k = 0; k < 2; k++) {
		uint32_t len = lens[k];
		struct frame_tmpl t;

		make(&t, len, 3, 42);
		for (uint32_t bit = 0; bit < len * 8; bit++) {
			uint16_t flow;
			uint64_t seq;
			enum frame_verdict v;

			frame[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			v = check(len, &flow, &seq);
			/* The EtherType bytes make it someone else's. */
			if (bit / 8 == 12 || bit / 8 == 13)
				cr_assert_eq(v, FRAME_FOREIGN, "bit %u", bit);
			else if (bit / 8 >= 12)
				cr_assert_eq(v, FRAME_DAMAGED,
					     "len %u bit %u passed", len, bit);
			frame[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		cr_assert_eq(check(len, &(uint16_t){0}, &(uint64_t){0}),
			     FRAME_OK);
	}
}

Test(perf_frame, mac_addresses_are_covered_too)
{
	struct frame_tmpl t;

	make(&t, 64, 3, 1);
	frame[0] ^= 0x80;
	cr_assert_eq(check(64, &(uint16_t){0}, &(uint64_t){0}), FRAME_DAMAGED);
}

Test(perf_frame, truncated_or_padded_frames_are_damage)
{
	struct frame_tmpl t;
	uint16_t flow;
	uint64_t seq;

	make(&t, 1514, 1, 9);
	cr_assert_eq(check(1513, &flow, &seq), FRAME_DAMAGED);
	cr_assert_eq(check(1000, &flow, &seq), FRAME_DAMAGED);
	cr_assert_eq(check(40, &flow, &seq), FRAME_DAMAGED);
	frame[1514] = 0;
	cr_assert_eq(check(1515, &flow, &seq), FRAME_DAMAGED);
}

Test(perf_frame, swapped_words_are_damage)
{
	struct frame_tmpl t;
	uint8_t w[8];

	make(&t, 1514, 1, 9);
	memcpy(w, frame + 64, 8);
	memcpy(frame + 64, frame + 72, 8);
	memcpy(frame + 72, w, 8);
	cr_assert_eq(check(1514, &(uint16_t){0}, &(uint64_t){0}),
		     FRAME_DAMAGED);
}

Test(perf_frame, a_header_on_another_frames_payload_is_damage)
{
	struct frame_tmpl t;
	uint8_t other[1514];

	make(&t, 1514, 1, 100);
	memcpy(other, frame, sizeof(other));
	frame_stamp(&t, frame, 101);
	/* frame 101's header and checksum, frame 100's payload */
	memcpy(frame + FRAME_HDR_LEN, other + FRAME_HDR_LEN,
	       sizeof(other) - FRAME_HDR_LEN);
	cr_assert_eq(check(1514, &(uint16_t){0}, &(uint64_t){0}),
		     FRAME_DAMAGED);
}

Test(perf_frame, other_ethertypes_are_foreign_not_damage)
{
	memset(frame, 0, 64);
	frame[12] = 0x08; /* IPv4 */
	cr_assert_eq(check(64, &(uint16_t){0}, &(uint64_t){0}), FRAME_FOREIGN);
	cr_assert_eq(check(10, &(uint16_t){0}, &(uint64_t){0}), FRAME_FOREIGN);
}

/* ---- the sequence tracker ---- */

static struct seq_tracker trk;

static void see_all(const uint64_t *seqs, size_t n)
{
	seq_tracker_init(&trk);
	for (size_t i = 0; i < n; i++)
		seq_tracker_see(&trk, seqs[i]);
}

Test(perf_seq, in_order_is_clean)
{
	seq_tracker_init(&trk);
	for (uint64_t s = 0; s < 3 * SEQ_WINDOW + 5; s++)
		seq_tracker_see(&trk, s);
	cr_assert(seq_tracker_clean(&trk, 3 * SEQ_WINDOW + 5));
	cr_assert_eq(seq_tracker_lost(&trk, 3 * SEQ_WINDOW + 5), 0);
	cr_assert_eq(trk.reordered + trk.duplicated + trk.late, 0);
}

Test(perf_seq, a_dropped_frame_is_lost)
{
	static const uint64_t s[] = {0, 1, 2, 4, 5};

	see_all(s, 5);
	cr_assert_eq(seq_tracker_lost(&trk, 6), 1);
	cr_assert_not(seq_tracker_clean(&trk, 6));
	cr_assert_eq(trk.reordered, 0);
}

Test(perf_seq, a_dropped_last_frame_is_lost)
{
	static const uint64_t s[] = {0, 1, 2};

	see_all(s, 3);
	cr_assert_eq(seq_tracker_lost(&trk, 4), 1);
	cr_assert_not(seq_tracker_clean(&trk, 4));
}

Test(perf_seq, a_late_frame_is_reordered_not_lost)
{
	static const uint64_t s[] = {0, 2, 1, 3};

	see_all(s, 4);
	cr_assert_eq(trk.reordered, 1);
	cr_assert_eq(trk.duplicated, 0);
	cr_assert_eq(seq_tracker_lost(&trk, 4), 0);
	cr_assert_not(seq_tracker_clean(&trk, 4));
}

Test(perf_seq, a_repeated_frame_is_duplicated)
{
	static const uint64_t s[] = {0, 1, 1, 2};

	see_all(s, 4);
	cr_assert_eq(trk.duplicated, 1);
	cr_assert_eq(trk.reordered, 0);
	cr_assert_eq(seq_tracker_lost(&trk, 3), 0);
	cr_assert_not(seq_tracker_clean(&trk, 3));
}

Test(perf_seq, an_old_duplicate_is_told_from_reordering)
{
	static const uint64_t s[] = {0, 1, 2, 3, 4, 5, 2};

	see_all(s, 7);
	cr_assert_eq(trk.duplicated, 1);
	cr_assert_eq(trk.reordered, 0);
}

Test(perf_seq, the_window_forgets_old_numbers_after_a_jump)
{
	/* A gap wider than the window, then the numbers in it: each is one
	 * frame that came late, none a duplicate of a number the bitmap
	 * held for the window before. */
	seq_tracker_init(&trk);
	seq_tracker_see(&trk, 0);
	seq_tracker_see(&trk, SEQ_WINDOW + 10);
	seq_tracker_see(&trk, SEQ_WINDOW + 5);
	cr_assert_eq(trk.duplicated, 0);
	cr_assert_eq(trk.reordered, 1);
	seq_tracker_see(&trk, 3); /* older than the window */
	cr_assert_eq(trk.late, 1);
	cr_assert_not(seq_tracker_clean(&trk, SEQ_WINDOW + 11));
}

Test(perf_seq, a_window_wide_gap_clears_bits_in_place)
{
	/* Numbers one window apart share a bit: after the jump the bit
	 * must describe the new number, not the old one. */
	seq_tracker_init(&trk);
	for (uint64_t s = 0; s < 10; s++)
		seq_tracker_see(&trk, s);
	seq_tracker_see(&trk, SEQ_WINDOW + 20);
	seq_tracker_see(&trk, SEQ_WINDOW + 4); /* same bit as 4 */
	cr_assert_eq(trk.duplicated, 0);
	cr_assert_eq(trk.reordered, 1);
}
