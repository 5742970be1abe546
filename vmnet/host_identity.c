/* SPDX-License-Identifier: Apache-2.0 */
/* host_identity.c - the VM's interface id (given, or a random v4 UUID) and
 * the MAC address derived from it, the same on every run; plain C for both
 * platforms. */
#include "host_identity.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "errmsg.h"

/* getentropy(): glibc 2.25 and macOS 10.12 both have it, for up to 256
 * bytes, and it does not return short. */
static int random_bytes(void *buf, size_t len)
{
	return getentropy(buf, len) ? -errno : 0;
}

/*
 * The VM's MAC from its interface id: the top 48 bits of the id's 64-bit
 * FNV-1a hash, made locally administered (bit 1 of the first octet set) and
 * unicast (bit 0 clear). The same id gives the same MAC on every run and
 * host, so a VM keeps its DHCP lease and neighbour entries.
 */
static void mac_from_id(const unsigned char id[16], unsigned char mac[6])
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (int i = 0; i < 16; i++) {
		h ^= id[i];
		h *= UINT64_C(0x100000001b3);
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (unsigned char)(h >> (56 - 8 * i));
	mac[0] = (unsigned char)((mac[0] & 0xfc) | 0x02);
}

static void format_uuid(const unsigned char id[16], char out[37])
{
	char *p = out;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		p += sprintf(p, "%02x", id[i]);
	}
}

int host_identity(const struct host_config *cfg, struct host_info *info,
		  char *err, size_t errlen)
{
	unsigned char id[16], mac[6];
	int r;

	/* Without an id, make a random v4 UUID so there is always one to
	 * report; passing it back as the id gives the same MAC again. */
	if (cfg->interface_id_given) {
		memcpy(id, cfg->interface_id, sizeof(id));
	} else {
		r = random_bytes(id, sizeof(id));
		if (r) {
			errmsg_format(err, errlen, "getentropy: %s",
				      strerror(-r));
			return r;
		}
		id[6] = (unsigned char)((id[6] & 0x0f) | 0x40);
		id[8] = (unsigned char)((id[8] & 0x3f) | 0x80);
	}
	format_uuid(id, info->interface_id);
	mac_from_id(id, mac);
	snprintf(info->mac_address, sizeof(info->mac_address),
		 "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	return 0;
}
