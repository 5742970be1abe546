/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet_status.h - what each vmnet_return_t means, in words and as an
 * errno. */
#ifndef VMNET_HELPER_HOST_VMNET_STATUS_H
#define VMNET_HELPER_HOST_VMNET_STATUS_H

#include <vmnet/vmnet.h>

/**
 * host_vmnet_status_text() - a vmnet status in words, with what to do
 * @s:	the status
 *
 * Return: a static string ("unknown vmnet status" for an unknown one).
 */
const char *host_vmnet_status_text(vmnet_return_t s);

/**
 * host_vmnet_status_errno() - a vmnet status as an errno
 * @s:	the status
 *
 * Return: 0 for VMNET_SUCCESS, else a negative errno (-EIO if unknown).
 */
int host_vmnet_status_errno(vmnet_return_t s);

#endif
