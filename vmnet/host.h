/* SPDX-License-Identifier: Apache-2.0 */
/* host.h - open the host side of the cable: vmnet.framework on macOS
 * (vmnet/darwin/host_vmnet.c), a TAP device on Linux
 * (vmnet/linux/host_tap.c). Either gives the engine an endpoint and the
 * CLI the facts for its JSON line. */
#ifndef VMNET_HELPER_HOST_H
#define VMNET_HELPER_HOST_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#include "endpoint.h"

/*
 * The largest frame a host interface gives, for what must be sized before
 * it starts (it reports its own in struct host_info): a 1500-byte MTU
 * without TSO (a persistent TAP given a larger MTU by hand gives larger
 * frames); with TSO, vmnet's max packet size on macOS, and on Linux what
 * tun allows, a TAP's MTU being capped at 65535 minus the Ethernet header.
 */
#define HOST_FRAME_DEFAULT	  1514u
#define HOST_TSO_FRAME_MAX_DARWIN 65550u
#define HOST_TSO_FRAME_MAX_LINUX  65535u
_Static_assert(HOST_TSO_FRAME_MAX_DARWIN <= POOL_FRAME_SIZE_MAX &&
		   HOST_TSO_FRAME_MAX_LINUX <= POOL_FRAME_SIZE_MAX,
	       "the pools must hold the largest frame");

enum host_mode { HOST_MODE_SHARED, HOST_MODE_HOST, HOST_MODE_BRIDGED };

/* Most --dhcp-reservation options one helper takes. */
#define HOST_DHCP_RESERVATIONS_MAX 32

/* Most --expose options one helper takes. */
#define HOST_EXPOSE_MAX 32

enum host_expose_proto { HOST_EXPOSE_TCP, HOST_EXPOSE_UDP };

/* One --expose: what reaches @host_port of the host (on @host_address
 * only, or on any of its own addresses when that is INADDR_ANY) goes to
 * @guest_port of the guest. Ports in host byte order. */
struct host_expose_rule {
	enum host_expose_proto proto;
	struct in_addr host_address;
	uint16_t host_port, guest_port;
};

/* What to open: the CLI fills it from the options. */
struct host_config {
	/* Both platforms. */
	bool interface_id_given;
	unsigned char interface_id[16]; /* same id, same MAC, every run */
	bool enable_tso;		/* 64 KiB frames */
	unsigned max_batch;		/* largest batch the engine passes */

	/* macOS (vmnet). */
	enum host_mode mode;
	const char *shared_interface; /* bridged: host interface, e.g. en0 */
	bool addresses_given;	      /* start, end, mask all set */
	struct in_addr start_address, end_address, subnet_mask;
	bool enable_checksum_offload;
	bool enable_isolation;
	const char *network; /* vmnet-broker network, or NULL */
	/* Host mode without DHCP: an isolated segment shared by every
	 * interface with the same UUID, and optionally the host's address
	 * on it (vmnet_network_identifier_key, vmnet_host_ip_address_key,
	 * vmnet_host_subnet_mask_key). */
	bool network_identifier_given;
	unsigned char network_identifier[16];
	bool host_address_given; /* host_ip_address and host_subnet_mask */
	struct in_addr host_ip_address, host_subnet_mask;
	/* Shared mode: the NAT66 ULA /64 (vmnet_nat66_prefix_key). */
	bool nat66_prefix_given;
	struct in6_addr nat66_prefix;
	/* macOS 26: a network of this helper's own, made with the
	 * vmnet_network_configuration_* calls (vmnet_network_plan.h). */
	bool own_subnet_given; /* own_subnet and own_subnet_mask */
	struct in_addr own_subnet, own_subnet_mask;
	bool disable_dhcp;
	unsigned dhcp_reservation_count;
	struct host_dhcp_reservation {
		unsigned char mac[6];
		struct in_addr address;
	} dhcp_reservations[HOST_DHCP_RESERVATIONS_MAX];

	/* Both: --expose, in the order given (host_expose_open()). */
	unsigned expose_count;
	struct host_expose_rule expose[HOST_EXPOSE_MAX];

	/* Linux (TAP). */
	const char *tap;    /* existing or new TAP name; NULL: kernel picks */
	const char *bridge; /* bridge to enslave the TAP to, or NULL */
};

/* What was opened, for the JSON line; empty strings / 0 where a fact has
 * no meaning on this platform or mode. */
struct host_info {
	char mac_address[18];  /* the MAC the VM should use */
	char interface_id[37]; /* lower-case UUID */
	uint32_t mtu;
	uint32_t max_packet_size; /* largest frame, both ways */
	uint32_t read_max_packets, write_max_packets;
	char start_address[16], end_address[16], subnet_mask[16];
	char nat66_prefix[48];
	/* macOS 26, a network of the helper's own or --network: what vmnet
	 * chose (vmnet_network_get_ipv4_subnet(), _get_ipv6_prefix()). */
	char net_ipv4_subnet[16], net_ipv4_mask[16];
	char net_ipv6_prefix[48];
	unsigned net_ipv6_prefix_len; /* 0: not known */
	char tap_name[16];	      /* Linux: the TAP device */
	char bridge[16];	      /* Linux: the bridge it is attached to */
};

/**
 * host_open() - start the host interface
 * @cfg:	what to open
 * @epp:	on success, its endpoint; close with endpoint_close(), which
 *		stops the interface and never hangs
 * @info:	on success, what was opened
 * @err:	on failure, one line naming what failed and what to do
 * @errlen:	room in @err
 *
 * Needs root or the platform's privilege (CAP_NET_ADMIN, the vmnet
 * entitlement) only here; the endpoint works unprivileged afterwards.
 * A start that waits (vmnet's) ends early when a stop signal is pending
 * (signals_stop_pending()), with -EINTR.
 *
 * Return: 0 or a negative errno.
 */
int host_open(const struct host_config *cfg, struct endpoint **epp,
	      struct host_info *info, char *err, size_t errlen);

/**
 * host_list_shared_interfaces() - print the interfaces bridged mode can use,
 * one per line
 * @out:	where to print
 * @err:	on failure, one line saying why
 * @errlen:	room in @err
 *
 * Return: 0, or a negative errno (-ENOTSUP on Linux).
 */
int host_list_shared_interfaces(FILE *out, char *err, size_t errlen);

/*
 * Port forwarding (--expose): the rules of host_config.expose, pointed at
 * the guest once its address is known. Linux: nftables DNAT kept by a
 * small privileged process of the helper's own (vmnet/linux/
 * host_expose_linux.c); macOS: vmnet's port-forwarding rules on the
 * interface (vmnet/darwin/host_vmnet_expose.c). docs/expose.md.
 */
struct host_expose;

/**
 * host_expose_open() - make ready to forward @cfg's --expose rules
 * @cfg:	the rules (cfg->expose_count > 0)
 * @uid:	whom the helper runs as once privileges are dropped
 * @gid:	and their group
 * @drop:	whether the helper drops to @uid/@gid at all
 * @xp:		on success, the state to pass to the calls below
 * @err:	on failure, one line naming the port and the reason
 * @errlen:	room in @err
 *
 * Linux: call before any thread exists and before the privilege drop:
 * it forks the keeper, which reserves the host ports and creates the
 * nftables table, then runs as @uid with CAP_NET_ADMIN alone. macOS:
 * nothing can be checked before the interface starts; it only records.
 *
 * Return: 0 or a negative errno.
 */
int host_expose_open(const struct host_config *cfg, uid_t uid, gid_t gid,
		     bool drop, struct host_expose **xp, char *err,
		     size_t errlen);

/**
 * host_expose_set_guest() - forward the rules to this guest address
 * @x:		from host_expose_open()
 * @host:	the host endpoint host_open() gave (macOS: the interface
 *		that holds the rules); unused on Linux
 * @guest:	the guest's IPv4 address; INADDR_ANY removes the rules
 *		(the guest left, or is not known yet)
 * @err:	on failure, one line naming the port and the reason
 * @errlen:	room in @err
 *
 * Replaces the rules of any address before, all at once. Works after the
 * privilege drop and inside the sandbox (Linux: one write() and one
 * read() on a socket the helper already has).
 *
 * Return: 0 or a negative errno.
 */
int host_expose_set_guest(struct host_expose *x, struct endpoint *host,
			  struct in_addr guest, char *err, size_t errlen);

/**
 * host_expose_close() - remove every rule and free @x
 * @x:	from host_expose_open(), or NULL
 *
 * Linux: the keeper deletes its table and exits; a helper that dies
 * without calling this loses its rules anyway (the kernel deletes an
 * owned table when its socket closes). macOS: the rules are removed
 * here, or when the interface is stopped, whichever comes first.
 */
void host_expose_close(struct host_expose *x);

#endif
