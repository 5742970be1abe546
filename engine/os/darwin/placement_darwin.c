/* SPDX-License-Identifier: Apache-2.0 */
/* placement_darwin.c - thread names, QoS and affinity tags on macOS, which
 * has no way to pin a thread to one CPU. */
#include "placement.h"

#include <errno.h>
#include <mach/mach.h>
#include <mach/thread_policy.h>
#include <pthread.h>
#include <pthread/qos.h>
#include <string.h>
#include <sys/sysctl.h>
#include <unistd.h>

int placement_name_self(const char *name)
{
	char buf[PLACEMENT_NAME_MAX + 1];

	strncpy(buf, name, sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	return -pthread_setname_np(buf);
}

int placement_pin_self(int cpu)
{
	thread_affinity_policy_data_t policy;
	mach_port_t thread;
	kern_return_t kr;

	if (cpu < 0 || cpu >= placement_cpu_count())
		return -EINVAL;
	/* The datapath is latency-bound: keep it off the efficiency cores'
	 * background bands. */
	int err = pthread_set_qos_class_self_np(QOS_CLASS_USER_INTERACTIVE, 0);
	if (err)
		return -err;

	/* Tag 0 means "no affinity", so CPU n becomes tag n + 1. */
	policy.affinity_tag = cpu + 1;
	thread = pthread_mach_thread_np(pthread_self());
	kr = thread_policy_set(thread, THREAD_AFFINITY_POLICY,
			       (thread_policy_t)&policy,
			       THREAD_AFFINITY_POLICY_COUNT);
	if (kr == KERN_NOT_SUPPORTED)
		return -ENOTSUP;
	return kr == KERN_SUCCESS ? 0 : -EINVAL;
}

int placement_cpu_count(void)
{
	int n = 0;
	size_t len = sizeof(n);

	if (sysctlbyname("hw.activecpu", &n, &len, NULL, 0) == 0 && n > 0)
		return n;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	return online > 0 ? (int)online : 1;
}

/* macOS has no affinity masks: every CPU is usable, so the two counts are
 * one. */
int placement_online_cpu_count(void)
{
	return placement_cpu_count();
}
