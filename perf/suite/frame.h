/* SPDX-License-Identifier: Apache-2.0 */
/* frame.h - the benchmark suite's test frames and their checks: every frame
 * carries a flow id, a sequence number and a checksum over all its bytes;
 * the sequence tracker counts what a flow lost, reordered or duplicated.
 *
 * Layout (offsets in bytes; multi-byte fields in host order, since sender
 * and receiver are the same machine):
 *   0  destination MAC   6  source MAC   12 EtherType 0x88b5 (local
 *      experimental, IEEE 802: no stack on the path consumes it)
 *   14 flow (u16)   16 sequence (u64)   24 length of the frame (u32)
 *   28 magic (u32)  32 checksum (u64)   40 payload: a pattern fixed per
 *      flow and length, except one word near the end (the "tail word",
 *      sequence ^ FRAME_TAIL_MAGIC), so a frame cut short, or a payload
 *      glued to another frame's header, fails the check.
 *
 * The checksum is a position-weighted sum of the frame's 64-bit words,
 * sum(w[i] * (2i + 1)) mod 2^64, the last partial word zero-padded and the
 * checksum word itself counted as zero. Every weight is odd, so flipping
 * any bit changes the sum; moving a word changes its weight. Because the
 * sum is linear, a sender builds a template once and then writes three
 * words per frame (sequence, tail word, checksum) without reading the rest:
 * the cost of sending does not grow with the frame, while the receiver
 * reads every byte. */
#ifndef VMH_PERF_FRAME_H
#define VMH_PERF_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_ETHERTYPE	 0x88b5
#define FRAME_MAGIC	 UINT32_C(0x564d4850) /* "VMHP" */
#define FRAME_TAIL_MAGIC UINT64_C(0x5eedf00dcafe1234)
#define FRAME_HDR_LEN	 40
/* The header plus one tail word. */
#define FRAME_MIN_LEN 48
#define FRAME_MAX_LEN 65535

/* Offsets of the fields described above. */
#define FRAME_OFF_FLOW	14
#define FRAME_OFF_SEQ	16
#define FRAME_OFF_LEN	24
#define FRAME_OFF_MAGIC 28
#define FRAME_OFF_CHECK 32

/* One flow's frames of one length: the bytes every frame shares, and the
 * checksum of those bytes with the sequence and tail word zero. */
struct frame_tmpl {
	const uint8_t *bytes; /* the template frame, len bytes */
	uint32_t len;
	uint16_t flow;
	uint32_t tail_off; /* offset of the tail word, a multiple of 8 */
	uint64_t base;	   /* checksum of the template */
};

/**
 * frame_template_init() - fill @buf with the template of @flow's frames
 * @t:    the template, for frame_stamp()
 * @buf:  @len bytes to hold the template frame; must outlive @t
 * @len:  frame length, FRAME_MIN_LEN to FRAME_MAX_LEN
 * @flow: flow id carried by every frame
 * @dst:  destination MAC
 * @src:  source MAC
 *
 * Return: 0, or -1 if @len is out of range.
 */
int frame_template_init(struct frame_tmpl *t, uint8_t *buf, uint32_t len,
			uint16_t flow, const uint8_t dst[6],
			const uint8_t src[6]);

/**
 * frame_stamp() - turn a copy of the template into frame number @seq
 * @t:     the template @frame was copied from
 * @frame: t->len bytes holding a copy of the template (or of any frame
 *         stamped from it: only the per-frame words are rewritten)
 * @seq:   the sequence number
 */
void frame_stamp(const struct frame_tmpl *t, uint8_t *frame, uint64_t seq);

/**
 * frame_checksum() - the checksum of @len bytes as defined above
 * @p:   the frame
 * @len: its length
 *
 * Return: the weighted sum, with the checksum word counted as zero.
 */
uint64_t frame_checksum(const uint8_t *p, size_t len);

enum frame_verdict {
	FRAME_OK,
	FRAME_FOREIGN, /* not one of ours: another EtherType */
	FRAME_DAMAGED, /* ours, but a field, a byte or the length is wrong */
};

/**
 * frame_check() - check every byte of a received frame
 * @p:    the frame as received
 * @len:  its length as received
 * @flow: the flow id, when FRAME_OK
 * @seq:  the sequence number, when FRAME_OK
 *
 * Return: FRAME_OK, FRAME_FOREIGN or FRAME_DAMAGED.
 */
enum frame_verdict frame_check(const uint8_t *p, size_t len, uint16_t *flow,
			       uint64_t *seq);

/* The last SEQ_WINDOW sequence numbers are remembered one bit each: far
 * more than any sender keeps in flight, so reordering is told from
 * duplication; a frame older than that is counted as late. */
#define SEQ_WINDOW 65536

struct seq_tracker {
	uint64_t next;	    /* one past the highest sequence seen */
	uint64_t unique;    /* distinct frames received */
	uint64_t reordered; /* arrived after a higher sequence had */
	uint64_t duplicated;
	uint64_t late; /* older than the window: neither can be told */
	uint64_t seen[SEQ_WINDOW / 64];
};

/**
 * seq_tracker_init() - start a flow whose first frame is sequence 0
 * @t: the tracker
 */
void seq_tracker_init(struct seq_tracker *t);

/**
 * seq_tracker_see() - account for one received frame
 * @t:   the flow's tracker
 * @seq: its sequence number
 */
void seq_tracker_see(struct seq_tracker *t, uint64_t seq);

/**
 * seq_tracker_lost() - frames sent but never received
 * @t:    the flow's tracker
 * @sent: how many frames the sender sent (sequences 0 to @sent - 1)
 *
 * Return: @sent minus the distinct frames received.
 */
uint64_t seq_tracker_lost(const struct seq_tracker *t, uint64_t sent);

/**
 * seq_tracker_clean() - whether the flow arrived whole, in order, once each
 * @t:    the flow's tracker
 * @sent: frames sent
 *
 * Return: true when nothing was lost, reordered, duplicated or late.
 */
bool seq_tracker_clean(const struct seq_tracker *t, uint64_t sent);

#endif
