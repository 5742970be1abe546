/* SPDX-License-Identifier: Apache-2.0 */
/* thread_cpu.h - the CPU time another thread of this process has used, for
 * the stats line's per-thread CPU (pthread_getcpuclockid() on Linux,
 * thread_info() on macOS, which has no per-thread clock of another
 * thread). */
#ifndef VMNET_HELPER_THREAD_CPU_H
#define VMNET_HELPER_THREAD_CPU_H

#include <pthread.h>
#include <stdint.h>

/**
 * thread_cpu_ns() - user + system CPU time of a running thread
 * @t:	a thread of this process that has not been joined
 * @ns:	on success, its CPU time so far, in nanoseconds
 *
 * Safe from any thread, while @t runs. Once @t has ended (even before it
 * is joined) its time can no longer be read: the caller keeps what the
 * thread recorded of itself at its end.
 *
 * Return: 0, or -ESRCH when @t has ended, or another negative errno.
 */
int thread_cpu_ns(pthread_t t, uint64_t *ns);

#endif
