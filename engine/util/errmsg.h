/* SPDX-License-Identifier: Apache-2.0 */
/* errmsg.h - format the one-line error messages modules return to callers. */
#ifndef VMNET_HELPER_ERRMSG_H
#define VMNET_HELPER_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/**
 * errmsg_vformat() - format a message into @err as exactly one line
 * @err:	output, always NUL-terminated when @errlen > 0; may be NULL
 * @errlen:	room in @err
 * @fmt:	printf format
 * @ap:		its arguments
 *
 * Control characters (a newline in a user's value, say) are written as
 * \xNN, so the message stays one line on the terminal and in logs; a
 * message too long for @err is cut.
 */
void errmsg_vformat(char *err, size_t errlen, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/**
 * errmsg_format() - errmsg_vformat() with the arguments inline
 * @err:	output, as for errmsg_vformat()
 * @errlen:	room in @err
 * @fmt:	printf format, then its arguments
 */
void errmsg_format(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * errmsg_fail() - format the message into @err and return @code, so a
 * failing function can say why and return in one statement
 * @err:	output, as for errmsg_vformat()
 * @errlen:	room in @err
 * @code:	what to return, e.g. -EINVAL or -1
 * @fmt:	printf format, then its arguments
 *
 * Return: @code.
 */
int errmsg_fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
