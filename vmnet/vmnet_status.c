/* SPDX-License-Identifier: Apache-2.0 */
/* vmnet_status.c - what the host side does with vmnet_read()'s statuses. */
#include "vmnet_status.h"

enum vmnet_read_verdict vmnet_read_verdict(uint32_t status, unsigned asked)
{
	switch (status) {
	case VMNET_STATUS_SUCCESS:
		return VMNET_READ_OK;
	case VMNET_STATUS_TOO_MANY_PACKETS:
		return asked > 1 ? VMNET_READ_FEWER : VMNET_READ_LATER;
	case VMNET_STATUS_BUFFER_EXHAUSTED:
	case VMNET_STATUS_MEM_FAILURE:
	case VMNET_STATUS_SETUP_INCOMPLETE:
	case VMNET_STATUS_PACKET_TOO_BIG:
		return VMNET_READ_LATER;
	default:
		return VMNET_READ_FAILED;
	}
}
