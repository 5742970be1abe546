/* SPDX-License-Identifier: Apache-2.0 */
/* load_util.c - vmh-load's clock, fatal error and signal flag. */
#include "load_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

volatile sig_atomic_t load_interrupted;
pid_t load_child_pid = -1;

uint64_t load_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void load_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("ERROR vmh-load: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (load_child_pid > 0)
		kill(load_child_pid, SIGKILL);
	exit(1);
}
