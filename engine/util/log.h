/* SPDX-License-Identifier: Apache-2.0 */
/* log.h - one-line log messages on stderr with vmnet-helper's level
 * prefixes ("DEBUG ", "INFO  ", "WARN  ", "ERROR "). */
#ifndef VMNET_HELPER_LOG_H
#define VMNET_HELPER_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* The longest line, newline included; a longer one is cut. Room for the
 * stats line with every counter at its largest (tests/unit/test_stats.c),
 * which a cut would leave as broken JSON. */
#define LOG_LINE_MAX 4096

/**
 * log_set_debug() - show DEBUG lines too (-v); off by default
 * @on:	whether to
 */
void log_set_debug(bool on);

/**
 * log_debug_enabled() - whether DEBUG lines are shown
 *
 * Lets callers skip formatting work, e.g. per batch on the packet path.
 *
 * Return: true with -v.
 */
bool log_debug_enabled(void);

/**
 * log_msg() - write "LEVEL message\n" to stderr in one write
 * @level:	LOG_*
 * @fmt:	printf format of the message
 */
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_debug(...)                                                         \
	do {                                                                   \
		if (log_debug_enabled())                                       \
			log_msg(LOG_DEBUG, __VA_ARGS__);                       \
	} while (0)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
