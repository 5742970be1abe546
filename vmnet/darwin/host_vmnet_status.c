/* SPDX-License-Identifier: Apache-2.0 */
/* host_vmnet_status.c - one table of vmnet's statuses: the errno we return
 * for each and what it means. */
#include "host_vmnet_status.h"

#include <errno.h>
#include <stddef.h>

#include "vmnet_status.h"

/* vmnet_status.h's copy of the values, for the code tested on Linux. */
_Static_assert(VMNET_STATUS_SUCCESS == VMNET_SUCCESS, "vmnet status");
_Static_assert(VMNET_STATUS_FAILURE == VMNET_FAILURE, "vmnet status");
_Static_assert(VMNET_STATUS_MEM_FAILURE == VMNET_MEM_FAILURE, "vmnet status");
_Static_assert(VMNET_STATUS_INVALID_ARGUMENT == VMNET_INVALID_ARGUMENT,
	       "vmnet status");
_Static_assert(VMNET_STATUS_SETUP_INCOMPLETE == VMNET_SETUP_INCOMPLETE,
	       "vmnet status");
_Static_assert(VMNET_STATUS_INVALID_ACCESS == VMNET_INVALID_ACCESS,
	       "vmnet status");
_Static_assert(VMNET_STATUS_PACKET_TOO_BIG == VMNET_PACKET_TOO_BIG,
	       "vmnet status");
_Static_assert(VMNET_STATUS_BUFFER_EXHAUSTED == VMNET_BUFFER_EXHAUSTED,
	       "vmnet status");
_Static_assert(VMNET_STATUS_TOO_MANY_PACKETS == VMNET_TOO_MANY_PACKETS,
	       "vmnet status");
_Static_assert(VMNET_STATUS_SHARING_SERVICE_BUSY == VMNET_SHARING_SERVICE_BUSY,
	       "vmnet status");

/* Each vmnet status: the errno we return for it and what it means. */
static const struct {
	vmnet_return_t status;
	int err;
	const char *text;
} statuses[] = {
    {VMNET_SUCCESS, 0, "success"},
    {VMNET_FAILURE, -EPERM,
     "vmnet failed: are you root or does the binary have the "
     "com.apple.security.virtualization entitlement?"},
    {VMNET_MEM_FAILURE, -ENOMEM, "vmnet is out of memory"},
    {VMNET_INVALID_ARGUMENT, -EINVAL,
     "vmnet rejected an argument (invalid argument); run with -v to see "
     "the interface description sent"},
    {VMNET_SETUP_INCOMPLETE, -EIO, "the vmnet interface setup is not complete"},
    {VMNET_INVALID_ACCESS, -EACCES, "permission denied: run with sudo"},
    {VMNET_PACKET_TOO_BIG, -EMSGSIZE,
     "packet larger than the interface's max packet size"},
    {VMNET_BUFFER_EXHAUSTED, -ENOBUFS, "vmnet's buffers are exhausted"},
    {VMNET_TOO_MANY_PACKETS, -EIO, "too many packets for one vmnet call"},
    {VMNET_SHARING_SERVICE_BUSY, -EBUSY,
     "a conflicting sharing service is in use (e.g. Internet Sharing); "
     "stop it and try again"},
};

const char *host_vmnet_status_text(vmnet_return_t s)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].status == s)
			return statuses[i].text;
	return "unknown vmnet status";
}

int host_vmnet_status_errno(vmnet_return_t s)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].status == s)
			return statuses[i].err;
	return -EIO;
}
