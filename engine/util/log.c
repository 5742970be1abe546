/* SPDX-License-Identifier: Apache-2.0 */
/* log.c - one-line log messages on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

/* Relaxed: set once at start-up, before the workers exist. */
static atomic_bool debug_on;

void log_set_debug(bool on)
{
	atomic_store_explicit(&debug_on, on, memory_order_relaxed);
}

bool log_debug_enabled(void)
{
	return atomic_load_explicit(&debug_on, memory_order_relaxed);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = {"DEBUG ", "INFO  ", "WARN  ",
					     "ERROR "};
	char line[LOG_LINE_MAX];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%s", prefix[level]);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write(2), so lines from several threads never interleave. */
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}
