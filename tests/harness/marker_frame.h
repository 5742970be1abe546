/* SPDX-License-Identifier: Apache-2.0 */
/* marker_frame.h - small Ethernet frames that carry a text marker, of an
 * ethertype of their own, for the tests that run vmnet-helper: what went
 * in on one side is found by its marker on the other. */
#ifndef VMNET_HELPER_MARKER_FRAME_H
#define VMNET_HELPER_MARKER_FRAME_H

#include <stddef.h>
#include <sys/types.h>

#define MARKER_ETHERTYPE 0x88b5 /* IEEE local experimental */
#define MARKER_FRAME_LEN 60	/* the shortest Ethernet frame, FCS aside */

/**
 * marker_frame_make() - a broadcast frame from 02:00:00:00:00:01 of
 * MARKER_ETHERTYPE carrying @marker, NUL-padded
 * @f:		MARKER_FRAME_LEN bytes
 * @marker:	the text; cut to fit
 *
 * Return: MARKER_FRAME_LEN.
 */
size_t marker_frame_make(unsigned char *f, const char *marker);

/**
 * marker_frame_of() - the marker in a frame of ours
 * @f:	the frame; its last byte is overwritten with a NUL
 * @n:	its length as received (negative: none)
 *
 * Return: the marker, or NULL when @f is not a frame of ours.
 */
const char *marker_frame_of(unsigned char *f, ssize_t n);

#endif
