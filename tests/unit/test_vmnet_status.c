/* SPDX-License-Identifier: Apache-2.0 */
/* test_vmnet_status.c - what the macOS host side does with each status
 * vmnet_read() returns (vmnet_status.c). */
#include <criterion/criterion.h>

#include "vmnet_status.h"

Test(vmnet_status, read_decision_table)
{
	static const struct {
		uint32_t status;
		unsigned asked;
		enum vmnet_read_verdict want;
	} cases[] = {
	    {VMNET_STATUS_SUCCESS, 64, VMNET_READ_OK},
	    {VMNET_STATUS_SUCCESS, 1, VMNET_READ_OK},
	    /* An older macOS with a lower limit: halve, read again now. */
	    {VMNET_STATUS_TOO_MANY_PACKETS, 64, VMNET_READ_FEWER},
	    {VMNET_STATUS_TOO_MANY_PACKETS, 2, VMNET_READ_FEWER},
	    {VMNET_STATUS_TOO_MANY_PACKETS, 1, VMNET_READ_LATER},
	    /* Shortages pass: read again at the next event, keep running. */
	    {VMNET_STATUS_BUFFER_EXHAUSTED, 64, VMNET_READ_LATER},
	    {VMNET_STATUS_MEM_FAILURE, 64, VMNET_READ_LATER},
	    {VMNET_STATUS_SETUP_INCOMPLETE, 64, VMNET_READ_LATER},
	    {VMNET_STATUS_PACKET_TOO_BIG, 64, VMNET_READ_LATER},
	    /* An unusable interface: stop, with the reason. */
	    {VMNET_STATUS_FAILURE, 64, VMNET_READ_FAILED},
	    {VMNET_STATUS_INVALID_ARGUMENT, 64, VMNET_READ_FAILED},
	    {VMNET_STATUS_INVALID_ACCESS, 64, VMNET_READ_FAILED},
	    {VMNET_STATUS_SHARING_SERVICE_BUSY, 64, VMNET_READ_FAILED},
	    {0, 64, VMNET_READ_FAILED},
	    {1010, 64, VMNET_READ_FAILED}, /* a status newer than us */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(
		    vmnet_read_verdict(cases[i].status, cases[i].asked),
		    cases[i].want, "case %zu: status %u asked %u", i,
		    cases[i].status, cases[i].asked);
}

Test(vmnet_status, values_are_vmnet_h_s)
{
	/* vmnet.h's enum, which the macOS build also asserts. */
	cr_assert_eq(VMNET_STATUS_SUCCESS, 1000);
	cr_assert_eq(VMNET_STATUS_BUFFER_EXHAUSTED, 1007);
	cr_assert_eq(VMNET_STATUS_SHARING_SERVICE_BUSY, 1009);
}
