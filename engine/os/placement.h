/* SPDX-License-Identifier: Apache-2.0 */
/* placement.h - name a thread and place it on a CPU. */
#ifndef VMNET_HELPER_PLACEMENT_H
#define VMNET_HELPER_PLACEMENT_H

/* Longest thread name every platform accepts (Linux: 15 + NUL). */
#define PLACEMENT_NAME_MAX 15

/**
 * placement_name_self() - name the calling thread, as tools show it
 * @name:	up to PLACEMENT_NAME_MAX characters; longer names are cut
 *
 * Return: 0 or a negative errno.
 */
int placement_name_self(const char *name);

/**
 * placement_pin_self() - keep the calling thread on one CPU
 * @cpu:	CPU number, 0 to placement_cpu_count() - 1
 *
 * Linux pins the thread to exactly that CPU. macOS cannot pin: it gives the
 * thread the user-interactive QoS class and the affinity tag @cpu + 1, so
 * threads placed on different CPUs are kept apart where the kernel supports
 * affinity (Intel Macs); on Apple silicon the tag is not supported, which is
 * reported as -ENOTSUP after the QoS class is set.
 *
 * Return: 0, -EINVAL for a CPU out of range, -ENOTSUP where the platform
 * cannot honour the request, or another negative errno.
 */
int placement_pin_self(int cpu);

/**
 * placement_cpu_count() - CPUs this process may run on
 *
 * Return: at least 1.
 */
int placement_cpu_count(void);

/**
 * placement_online_cpu_count() - CPUs the machine has online, whatever this
 * process's affinity
 *
 * Return: at least 1.
 */
int placement_online_cpu_count(void);

#endif
