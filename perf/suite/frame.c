/* SPDX-License-Identifier: Apache-2.0 */
/* frame.c - build, stamp and check the suite's test frames; track each
 * flow's sequence numbers (the format and the checksum: frame.h). */
#include "frame.h"

#include <string.h>

#define CHECK_WORD (FRAME_OFF_CHECK / 8)
#define SEQ_WORD   (FRAME_OFF_SEQ / 8)

static uint64_t load64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static void store64(uint8_t *p, uint64_t w)
{
	memcpy(p, &w, sizeof(w));
}

/* The weight of word @i in the checksum: odd, so no bit flip cancels. */
static uint64_t weight(uint64_t i)
{
	return 2 * i + 1;
}

uint64_t frame_checksum(const uint8_t *p, size_t len)
{
	size_t words = len / 8, i;
	uint64_t sum = 0;

	for (i = 0; i < words; i++)
		sum += load64(p + 8 * i) * weight(i);
	if (len % 8) {
		uint64_t w = 0;

		memcpy(&w, p + 8 * words, len % 8);
		sum += w * weight(words);
	}
	/* The checksum word was counted as it stands: take it back out. */
	if (len >= FRAME_OFF_CHECK + 8)
		sum -= load64(p + FRAME_OFF_CHECK) * weight(CHECK_WORD);
	return sum;
}

int frame_template_init(struct frame_tmpl *t, uint8_t *buf, uint32_t len,
			uint16_t flow, const uint8_t dst[6],
			const uint8_t src[6])
{
	uint16_t type = FRAME_ETHERTYPE;
	uint32_t magic = FRAME_MAGIC;

	if (len < FRAME_MIN_LEN || len > FRAME_MAX_LEN)
		return -1;
	for (uint32_t k = FRAME_HDR_LEN; k < len; k++)
		buf[k] = (uint8_t)(k * 131u + flow * 7u + len);
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = (uint8_t)(type >> 8); /* network order on the wire */
	buf[13] = (uint8_t)type;
	memcpy(buf + FRAME_OFF_FLOW, &flow, sizeof(flow));
	memcpy(buf + FRAME_OFF_LEN, &len, sizeof(len));
	memcpy(buf + FRAME_OFF_MAGIC, &magic, sizeof(magic));
	t->tail_off = (len - 8) / 8 * 8;
	store64(buf + FRAME_OFF_SEQ, 0);
	store64(buf + t->tail_off, 0);
	store64(buf + FRAME_OFF_CHECK, 0);
	t->bytes = buf;
	t->len = len;
	t->flow = flow;
	t->base = frame_checksum(buf, len);
	return 0;
}

void frame_stamp(const struct frame_tmpl *t, uint8_t *frame, uint64_t seq)
{
	uint64_t tail = seq ^ FRAME_TAIL_MAGIC;

	/* The template has zeros in both words, so each adds its weighted
	 * value to the template's checksum (linearity, see frame.h). */
	store64(frame + FRAME_OFF_SEQ, seq);
	store64(frame + t->tail_off, tail);
	store64(frame + FRAME_OFF_CHECK, t->base + seq * weight(SEQ_WORD) +
					     tail * weight(t->tail_off / 8));
}

enum frame_verdict frame_check(const uint8_t *p, size_t len, uint16_t *flow,
			       uint64_t *seq)
{
	uint32_t flen, magic;
	uint64_t s;

	if (len < 14 || p[12] != (uint8_t)(FRAME_ETHERTYPE >> 8) ||
	    p[13] != (uint8_t)FRAME_ETHERTYPE)
		return FRAME_FOREIGN;
	if (len < FRAME_MIN_LEN)
		return FRAME_DAMAGED;
	memcpy(&flen, p + FRAME_OFF_LEN, sizeof(flen));
	memcpy(&magic, p + FRAME_OFF_MAGIC, sizeof(magic));
	if (flen != len || magic != FRAME_MAGIC)
		return FRAME_DAMAGED;
	s = load64(p + FRAME_OFF_SEQ);
	if (load64(p + (len - 8) / 8 * 8) != (s ^ FRAME_TAIL_MAGIC))
		return FRAME_DAMAGED;
	if (frame_checksum(p, len) != load64(p + FRAME_OFF_CHECK))
		return FRAME_DAMAGED;
	memcpy(flow, p + FRAME_OFF_FLOW, sizeof(*flow));
	*seq = s;
	return FRAME_OK;
}

void seq_tracker_init(struct seq_tracker *t)
{
	memset(t, 0, sizeof(*t));
}

static bool seen_test(const struct seq_tracker *t, uint64_t seq)
{
	uint64_t b = seq % SEQ_WINDOW;

	return t->seen[b / 64] >> (b % 64) & 1;
}

static void seen_set(struct seq_tracker *t, uint64_t seq, bool on)
{
	uint64_t b = seq % SEQ_WINDOW, bit = UINT64_C(1) << (b % 64);

	if (on)
		t->seen[b / 64] |= bit;
	else
		t->seen[b / 64] &= ~bit;
}

void seq_tracker_see(struct seq_tracker *t, uint64_t seq)
{
	if (seq >= t->next) {
		/* The bits of next..seq still describe numbers one window
		 * older: forget them, they are now gaps or this frame. */
		if (seq - t->next >= SEQ_WINDOW)
			memset(t->seen, 0, sizeof(t->seen));
		else
			for (uint64_t s = t->next; s < seq; s++)
				seen_set(t, s, false);
		seen_set(t, seq, true);
		t->next = seq + 1;
		t->unique++;
	} else if (t->next - seq > SEQ_WINDOW) {
		t->late++;
	} else if (seen_test(t, seq)) {
		t->duplicated++;
	} else {
		seen_set(t, seq, true);
		t->unique++;
		t->reordered++;
	}
}

uint64_t seq_tracker_lost(const struct seq_tracker *t, uint64_t sent)
{
	return sent > t->unique ? sent - t->unique : 0;
}

bool seq_tracker_clean(const struct seq_tracker *t, uint64_t sent)
{
	return t->unique == sent && t->next == sent && t->reordered == 0 &&
	       t->duplicated == 0 && t->late == 0;
}
