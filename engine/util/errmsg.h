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
 * @...:	printf format, then its arguments (checked: errmsg_format())
 *
 * A macro, not a function, so that the value returned is visible where it
 * is used: the static analyzer (make check-macos) otherwise assumes a
 * failing call may return 0 and reports the caller's "success" path as
 * reading what was never set. @code is evaluated once, after the message.
 *
 * Return: @code.
 */
#define errmsg_fail(err, errlen, code, ...)                                    \
	(errmsg_format((err), (errlen), __VA_ARGS__), (code))

#endif
