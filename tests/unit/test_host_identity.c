/* SPDX-License-Identifier: Apache-2.0 */
/* test_host_identity.c - the interface id and the MAC derived from it, as
 * the TAP and --host-fd report them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "host.h"
#include "host_identity.h"

static const unsigned char ID[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
				     0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
				     0xcc, 0xdd, 0xee, 0xff};

static struct host_info identity_of(const struct host_config *cfg)
{
	struct host_info info;
	char err[128] = "";

	memset(&info, 0, sizeof(info));
	cr_assert_eq(host_identity(cfg, &info, err, sizeof(err)), 0, "%s", err);
	return info;
}

Test(host_identity, given_id_is_reported_and_gives_its_mac)
{
	struct host_config cfg = {.interface_id_given = true};
	struct host_info info;

	memcpy(cfg.interface_id, ID, sizeof(ID));
	info = identity_of(&cfg);
	cr_assert_str_eq(info.interface_id,
			 "00112233-4455-6677-8899-aabbccddeeff");
	/* The top 48 bits of the id's 64-bit FNV-1a hash, computed apart
	 * (in Python), the first octet made locally administered unicast. */
	cr_assert_str_eq(info.mac_address, "52:a3:9b:8a:74:1b");
}

Test(host_identity, one_bit_of_the_id_changes_the_mac)
{
	struct host_config cfg = {.interface_id_given = true};
	struct host_info a, b;

	memcpy(cfg.interface_id, ID, sizeof(ID));
	a = identity_of(&cfg);
	cfg.interface_id[15] ^= 1;
	b = identity_of(&cfg);
	cr_assert_str_neq(a.mac_address, b.mac_address);
}

Test(host_identity, without_an_id_makes_a_random_v4_uuid)
{
	struct host_config cfg = {.interface_id_given = false};
	struct host_info a = identity_of(&cfg), b = identity_of(&cfg);
	unsigned first;

	cr_assert_eq(strlen(a.interface_id), 36);
	cr_assert_eq(a.interface_id[14], '4', "not v4: %s", a.interface_id);
	cr_assert(strchr("89ab", a.interface_id[19]), "bad variant: %s",
		  a.interface_id);
	cr_assert_str_neq(a.interface_id, b.interface_id);
	cr_assert_eq(sscanf(a.mac_address, "%02x:", &first), 1);
	cr_assert_eq(first & 0x03, 0x02, "not local unicast: %s",
		     a.mac_address);
}
