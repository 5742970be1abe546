/* SPDX-License-Identifier: Apache-2.0 */
/* load_util.h - what every part of vmh-load shares: the clock, the fatal
 * error (which also kills the forwarder), the signal flag. */
#ifndef VMH_PERF_LOAD_UTIL_H
#define VMH_PERF_LOAD_UTIL_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "load_report.h"

/* The longest vmh-load waits for a forwarder to get ready, in ns. */
#define READY_NS 10000000000ull
/* The most frames vmh-load moves per send or receive call (--batch). */
#define BATCH_MAX 256

/* Set by SIGINT and SIGTERM. */
extern volatile sig_atomic_t load_interrupted;
/* The forwarder, killed by load_fail(); -1 when there is none. */
extern pid_t load_child_pid;

/**
 * load_now_ns() - CLOCK_MONOTONIC in ns
 *
 * Return: the time.
 */
uint64_t load_now_ns(void);

/**
 * load_fail() - print "ERROR vmh-load: " and the message, kill the
 * forwarder, exit 1
 * @fmt: printf format
 */
void load_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/**
 * load_opts_parse() - parse vmh-load's command line (load.c's usage)
 * @argc: as main's
 * @argv: as main's
 * @o:    filled in; o->cmd points into @argv
 */
void load_opts_parse(int argc, char **argv, struct load_opts *o);

#endif
