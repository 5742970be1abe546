/* SPDX-License-Identifier: Apache-2.0 */
/* thread_cpu_darwin.c - another thread's CPU time from Mach's thread_info():
 * macOS has no pthread_getcpuclockid(). */
#include "thread_cpu.h"

#include <errno.h>
#include <mach/mach.h>

int thread_cpu_ns(pthread_t t, uint64_t *ns)
{
	thread_basic_info_data_t info;
	mach_msg_type_number_t count = THREAD_BASIC_INFO_COUNT;
	mach_port_t port;
	kern_return_t kr;

	/* libpthread (src/pthread.c, pthread_mach_thread_np()) returns the
	 * thread's own kernel port, found by _pthread_is_valid(), without a
	 * new send right, so there is nothing to deallocate; MACH_PORT_NULL
	 * for a thread it no longer knows. */
	port = pthread_mach_thread_np(t);
	if (port == MACH_PORT_NULL)
		return -ESRCH;
	/* XNU osfmk/kern/thread_act.c thread_info(): KERN_TERMINATED once
	 * the thread is no longer active; else thread.c
	 * retrieve_thread_basic_info() fills user_time and system_time from
	 * thread_read_times(), to the microsecond. */
	kr = thread_info(port, THREAD_BASIC_INFO, (thread_info_t)&info, &count);
	if (kr == KERN_TERMINATED || kr == KERN_INVALID_ARGUMENT ||
	    kr == MACH_SEND_INVALID_DEST)
		return -ESRCH;
	if (kr != KERN_SUCCESS)
		return -EIO;
	*ns = ((uint64_t)info.user_time.seconds +
	       (uint64_t)info.system_time.seconds) *
		  1000000000u +
	      ((uint64_t)info.user_time.microseconds +
	       (uint64_t)info.system_time.microseconds) *
		  1000u;
	return 0;
}
