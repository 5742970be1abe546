/* SPDX-License-Identifier: Apache-2.0 */
/* marker_frame.c - small Ethernet frames that carry a text marker. */
#include "marker_frame.h"

#include <stdio.h>
#include <string.h>

size_t marker_frame_make(unsigned char *f, const char *marker)
{
	static const unsigned char src[6] = {0x02, 0, 0, 0, 0, 0x01};

	memset(f, 0, MARKER_FRAME_LEN);
	memset(f, 0xff, 6);
	memcpy(f + 6, src, 6);
	f[12] = MARKER_ETHERTYPE >> 8;
	f[13] = MARKER_ETHERTYPE & 0xff;
	snprintf((char *)f + 14, MARKER_FRAME_LEN - 14, "%s", marker);
	return MARKER_FRAME_LEN;
}

const char *marker_frame_of(unsigned char *f, ssize_t n)
{
	if (n < 15 || f[12] != (MARKER_ETHERTYPE >> 8) ||
	    f[13] != (MARKER_ETHERTYPE & 0xff))
		return NULL;
	f[n - 1] = '\0';
	return (const char *)f + 14;
}
