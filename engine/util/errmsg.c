/* SPDX-License-Identifier: Apache-2.0 */
/* errmsg.c - format the one-line error messages modules return to callers. */
#include "errmsg.h"

#include <stdio.h>
#include <string.h>

void errmsg_vformat(char *err, size_t errlen, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t n = 0;

	if (err == NULL || errlen == 0)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (const char *p = msg; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		char esc[5] = {(char)c, '\0'};
		size_t len;

		if (c < 0x20 || c == 0x7f)
			snprintf(esc, sizeof(esc), "\\x%02x", c);
		len = strlen(esc);
		if (n + len >= errlen)
			break;
		memcpy(err + n, esc, len);
		n += len;
	}
	err[n] = '\0';
}

void errmsg_format(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errmsg_vformat(err, errlen, fmt, ap);
	va_end(ap);
}
