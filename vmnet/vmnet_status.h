/* SPDX-License-Identifier: Apache-2.0 */
/* vmnet_status.h - vmnet.framework's status codes and what the macOS host
 * side does with each one vmnet_read() returns: pure, so the decision table
 * is tested on Linux (tests/unit/test_vmnet_status.c). */
#ifndef VMNET_HELPER_VMNET_STATUS_H
#define VMNET_HELPER_VMNET_STATUS_H

#include <stdint.h>

/* vmnet_return_t's values (vmnet.h, unchanged since macOS 10.15);
 * vmnet/darwin/host_vmnet_status.c asserts that they match the SDK's. */
enum vmnet_status {
	VMNET_STATUS_SUCCESS = 1000,
	VMNET_STATUS_FAILURE = 1001,
	VMNET_STATUS_MEM_FAILURE = 1002,
	VMNET_STATUS_INVALID_ARGUMENT = 1003,
	VMNET_STATUS_SETUP_INCOMPLETE = 1004,
	VMNET_STATUS_INVALID_ACCESS = 1005,
	VMNET_STATUS_PACKET_TOO_BIG = 1006,
	VMNET_STATUS_BUFFER_EXHAUSTED = 1007,
	VMNET_STATUS_TOO_MANY_PACKETS = 1008,
	VMNET_STATUS_SHARING_SERVICE_BUSY = 1009,
};

/* What to do after a vmnet_read(). */
enum vmnet_read_verdict {
	VMNET_READ_OK,	   /* frames read, maybe none */
	VMNET_READ_FEWER,  /* too many for one call: halve and read again */
	VMNET_READ_LATER,  /* a passing shortage: read again at the next
			    * "packets available" event */
	VMNET_READ_FAILED, /* the interface is broken or gone: stop */
};

/**
 * vmnet_read_verdict() - what a vmnet_read() status means for the reader
 * @status:	vmnet_read()'s vmnet_return_t
 * @asked:	packets asked for in that call
 *
 * Shortages pass (BUFFER_EXHAUSTED, MEM_FAILURE; SETUP_INCOMPLETE while the
 * interface settles; PACKET_TOO_BIG for one frame larger than the buffers,
 * which vmnet drops), so they are retried at the next event, as
 * vmnet-helper does with every status; TOO_MANY_PACKETS halves the batch
 * (an older macOS with a lower limit). FAILURE, INVALID_ARGUMENT,
 * INVALID_ACCESS, SHARING_SERVICE_BUSY and unknown statuses would come
 * back at every event: the interface is unusable, and the helper stops
 * with the reason rather than stay up moving nothing.
 *
 * Return: the verdict.
 */
enum vmnet_read_verdict vmnet_read_verdict(uint32_t status, unsigned asked);

#endif
