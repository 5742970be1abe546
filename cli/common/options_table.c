/* SPDX-License-Identifier: Apache-2.0 */
/* options_table.c - every vmnet-helper option in one table: name, letter,
 * platform, --help lines and what to use on the other platform. */
#include "options_table.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "options.h"

/* In the order --help shows them; help lines fit 80 columns. */
const struct opt_desc opt_descs[] = {
    {"VM socket (exactly one of --fd and --socket):", "fd", required_argument,
     OPT_FD, SCOPE_ANY, "FD",
     "Inherited unix datagram socket, e.g. one end of\n"
     "socketpair(AF_UNIX, SOCK_DGRAM) from vmnet-run or\n"
     "QEMU; 3 or above, as 0-2 are stdin/out/err.",
     NULL, NULL},
    {NULL, "socket", required_argument, OPT_SOCKET, SCOPE_ANY, "PATH",
     "Bind a unix datagram socket at PATH and serve the\n"
     "first VM that sends to it (vfkit, krunkit); when\n"
     "it leaves, wait for the next. At most 103 bytes\n"
     "on macOS, 107 on Linux.",
     NULL, NULL},
    {NULL, "stream", no_argument, OPT_STREAM, SCOPE_ANY, NULL,
     "The socket is a stream, each frame after its\n"
     "4-byte big-endian length: a connected stream\n"
     "socket (--fd), or one client at a time at PATH\n"
     "(--socket); QEMU's -netdev stream, socket_vmnet's\n"
     "clients. Default: off (one frame per datagram).",
     NULL, NULL},
    {"Host network, both platforms:", "host-fd", required_argument, OPT_HOST_FD,
     SCOPE_ANY, "FD",
     "Inherited unix datagram socket as the host side,\n"
     "in place of vmnet or a TAP, one frame per\n"
     "datagram: VM to VM, e.g. two helpers' --host-fd\n"
     "on the two ends of one socketpair. 3 or above,\n"
     "not --fd's; excludes --tap, --bridge and the\n"
     "vmnet options. Default: none.",
     NULL, NULL},
    {NULL, "interface-id", required_argument, OPT_INTERFACE_ID, SCOPE_ANY,
     "UUID",
     "Interface UUID: the same UUID gives the same MAC\n"
     "address every run. Default: a new one each run.\n"
     "Ignored with --network.",
     NULL, NULL},
    {NULL, "enable-tso", no_argument, OPT_ENABLE_TSO, SCOPE_ANY, NULL,
     TSO_HELP_DARWIN, NULL, TSO_HELP_LINUX},
    {"Host network, macOS only (vmnet.framework):", "operation-mode",
     required_argument, OPT_OPERATION_MODE, SCOPE_DARWIN, "MODE",
     "shared (NAT), host (host-only) or bridged.\n"
     "Default: shared.",
     "on Linux the host side is a TAP device: use --tap and --bridge", NULL},
    {NULL, "shared-interface", required_argument, OPT_SHARED_INTERFACE,
     SCOPE_DARWIN, "NAME",
     "Host interface to bridge, e.g. en0: required with\n"
     "bridged, refused in other modes (vmnet-helper\n"
     "ignores it there). Default: none.",
     "on Linux use --bridge NAME to attach the TAP device to a bridge", NULL},
    {NULL, "start-address", required_argument, OPT_START_ADDRESS, SCOPE_DARWIN,
     "ADDR",
     "The gateway's address; DHCP hands out addresses\n"
     "from here to --end-address.",
     "on Linux set addresses on the bridge or TAP device (ip address)", NULL},
    {NULL, "end-address", required_argument, OPT_END_ADDRESS, SCOPE_DARWIN,
     "ADDR", "Last address of the DHCP range.",
     "on Linux set addresses on the bridge or TAP device (ip address)", NULL},
    {NULL, "subnet-mask", required_argument, OPT_SUBNET_MASK, SCOPE_DARWIN,
     "MASK",
     "Subnet mask, contiguous: e.g. 255.255.255.0.\n"
     "Give all three addresses or none (default: vmnet\n"
     "picks a free /24); not with bridged. Dotted quads\n"
     "a.b.c.d only: stricter than vmnet-helper, which\n"
     "also takes short forms such as 10.1.",
     "on Linux set addresses on the bridge or TAP device (ip address)", NULL},
    {NULL, "enable-checksum-offload", no_argument, OPT_ENABLE_CHECKSUM_OFFLOAD,
     SCOPE_DARWIN, NULL,
     "Checksum offload: frames may carry checksums yet\n"
     "to be filled in; pair it with the VM's offloading.\n"
     "Default: off.",
     "on Linux leave it out", NULL},
    {NULL, "enable-isolation", no_argument, OPT_ENABLE_ISOLATION, SCOPE_DARWIN,
     NULL,
     "Isolate the VM from other VMs on its network; not\n"
     "with bridged. Default: off.",
     "on Linux isolate the TAP device's bridge port instead (bridge "
     "link set dev TAP isolated on)",
     NULL},
    {NULL, "network", required_argument, OPT_NETWORK, SCOPE_DARWIN, "NAME",
     "Join vmnet-broker network NAME (macOS 26 or\n"
     "later); excludes --operation-mode,\n"
     "--shared-interface and the addresses.\n"
     "Default: none.",
     "on Linux use --tap and --bridge", NULL},
    {NULL, "network-identifier", required_argument, OPT_NETWORK_IDENTIFIER,
     SCOPE_DARWIN, "UUID",
     "Host-mode network without DHCP: interfaces with\n"
     "the same UUID share one isolated segment. Implies\n"
     "--operation-mode host; not with the addresses\n"
     "above or --network. Default: none.",
     "on Linux a TAP has no DHCP: put the TAPs that share a segment on "
     "one --bridge",
     NULL},
    {NULL, "network-id", required_argument, OPT_NETWORK_ID, SCOPE_DARWIN,
     "UUID", "Same as --network-identifier.",
     "on Linux a TAP has no DHCP: put the TAPs that share a segment on "
     "one --bridge",
     NULL},
    {NULL, "host-ip-address", required_argument, OPT_HOST_IP_ADDRESS,
     SCOPE_DARWIN, "ADDR",
     "The host's address on the --network-identifier\n"
     "network; with --host-subnet-mask. Default: none.",
     "on Linux set the TAP's address (ip address add ADDR/LEN dev TAP)", NULL},
    {NULL, "host-subnet-mask", required_argument, OPT_HOST_SUBNET_MASK,
     SCOPE_DARWIN, "MASK", "Its mask, e.g. 255.255.255.0.",
     "on Linux set the TAP's address (ip address add ADDR/LEN dev TAP)", NULL},
    {NULL, "nat66-prefix", required_argument, OPT_NAT66_PREFIX, SCOPE_DARWIN,
     "PREFIX",
     "IPv6 ULA /64 for shared mode's NAT66, e.g.\n"
     "fd12:3456:789a:1::. Default: vmnet picks one.",
     "on Linux give the bridge or TAP an IPv6 address in the prefix "
     "(ip -6 address add)",
     NULL},
    {NULL, "network-subnet", required_argument, OPT_NETWORK_SUBNET,
     SCOPE_DARWIN, "CIDR",
     "macOS 26: make this helper's own network on this\n"
     "private subnet, e.g. 192.168.77.0/24 (shared or\n"
     "host mode; not with the addresses above,\n"
     "--network or --network-identifier).\n"
     "Default: vmnet picks a /24.",
     "on Linux give the bridge or TAP the subnet's address (ip address "
     "add)",
     NULL},
    {NULL, "disable-dhcp", no_argument, OPT_DISABLE_DHCP, SCOPE_DARWIN, NULL,
     "macOS 26: make this helper's own network without\n"
     "DHCP (NAT and DNS stay). Default: DHCP on.",
     "on Linux a TAP has no DHCP unless you run one (e.g. dnsmasq)", NULL},
    {NULL, "dhcp-reservation", required_argument, OPT_DHCP_RESERVATION,
     SCOPE_DARWIN, "MAC=ADDR",
     "macOS 26: on this helper's own network, DHCP\n"
     "gives MAC the address ADDR; repeatable, up to 32.",
     "on Linux give your DHCP server the reservation (dnsmasq "
     "--dhcp-host=MAC,ADDR)",
     NULL},
    {NULL, "list-shared-interfaces", no_argument, OPT_LIST_SHARED_INTERFACES,
     SCOPE_DARWIN, NULL,
     "Print the interfaces bridged mode can use, one per\n"
     "line, and exit.",
     "on Linux list interfaces with 'ip link'", NULL},
    {"Host network, Linux only (TAP device):", "tap", required_argument,
     OPT_TAP, SCOPE_LINUX, "NAME",
     "TAP device to use, at most 15 characters; a\n"
     "name with %d, e.g. vm%d, is numbered by the\n"
     "kernel. Default: the kernel names one (tapN).",
     "on macOS the host side is vmnet.framework: use --operation-mode "
     "shared, host or bridged, or --network",
     NULL},
    {NULL, "bridge", required_argument, OPT_BRIDGE, SCOPE_LINUX, "NAME",
     "Bridge to attach the TAP device to, at most 15\n"
     "characters. Default: none.",
     "on macOS use --operation-mode bridged --shared-interface NAME", NULL},
    {"Port forwarding:", "expose", required_argument, OPT_EXPOSE, SCOPE_ANY,
     "[ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]",
     "Forward HOSTPORT of the host (of its address ADDR\n"
     "only, Linux) to GUESTPORT of the guest, once its\n"
     "address is learned; tcp unless /udp. Repeatable.\n"
     "Linux: nftables DNAT; macOS: vmnet's rules,\n"
     "shared mode. Default: none (docs/expose.md).",
     NULL, NULL},
    {"Datapath:", "cpus", required_argument, OPT_CPUS, SCOPE_ANY, "HOST,SOCKET",
     "Pin the thread on the host interface to CPU HOST\n"
     "and the one on the VM's socket to CPU SOCKET, or\n"
     "'none'. Default: none (not pinned).",
     NULL, NULL},
    {NULL, "workers", required_argument, OPT_WORKERS, SCOPE_ANY, "auto|1|2",
     "Threads that move frames: 2 (one on each side,\n"
     "joined by rings), 1 (one serving both sides), or\n"
     "auto: 1 where the helper may run on one CPU only\n"
     "(its affinity, or --cpus naming one CPU twice)\n"
     "or the machine has two CPUs or fewer, else 2.\n"
     "Default: auto.",
     NULL, NULL},
    {NULL, "batch-size", required_argument, OPT_BATCH_SIZE, SCOPE_ANY, "N",
     BATCH_SIZE_HELP, NULL, NULL},
    {NULL, "ring-size", required_argument, OPT_RING_SIZE, SCOPE_ANY, "N",
     RING_SIZE_HELP, NULL, NULL},
    {NULL, "stats-interval", required_argument, OPT_STATS_INTERVAL, SCOPE_ANY,
     "SECONDS",
     "Log counters every SECONDS seconds.\n"
     "Default: 0 (off).",
     NULL, NULL},
    {"Guard (frames from the VM; docs/guard.md):", "enforce-mac",
     optional_argument, OPT_ENFORCE_MAC, SCOPE_ANY, "[=learn|MAC]",
     "Drop frames whose source MAC is not the VM's: the\n"
     "JSON line's vmnet_mac_address, the first one the\n"
     "VM uses (=learn), or MAC. Default: off.",
     NULL, NULL},
    {NULL, "enforce-ip", no_argument, OPT_ENFORCE_IP, SCOPE_ANY, NULL,
     "Drop frames whose IPv4/IPv6 source is not the\n"
     "VM's: a --guest-ip, else its DHCP lease or the\n"
     "first it uses. DHCP, ARP and NDP pass.\n"
     "Default: off.",
     NULL, NULL},
    {NULL, "guest-ip", required_argument, OPT_GUEST_IP, SCOPE_ANY,
     "ADDR[,ADDR]",
     "The VM's own addresses for --enforce-ip, IPv4 or\n"
     "IPv6; repeatable, up to 16 of each. --expose\n"
     "forwards to the first IPv4 one.",
     NULL, NULL},
    {NULL, "allow", required_argument, OPT_ALLOW, SCOPE_ANY, "CIDR[,CIDR]",
     "Destinations the VM may reach; the longest prefix\n"
     "among --allow and --block decides, no match\n"
     "passes. Repeatable, up to 4096 with --block.",
     NULL, NULL},
    {NULL, "block", required_argument, OPT_BLOCK, SCOPE_ANY, "CIDR[,CIDR]",
     "Destinations the VM may not reach; wins a tie.\n"
     "--block 0.0.0.0/0 --allow 10.0.0.0/8: only 10/8.",
     NULL, NULL},
    {"Process:", "user", required_argument, OPT_USER, SCOPE_ANY, "NAME|UID",
     "User to run as once the host interface is open.\n"
     "Default: $SUDO_UID if set, else the real uid.",
     NULL, NULL},
    {NULL, "group", required_argument, OPT_GROUP, SCOPE_ANY, "NAME|GID",
     "Group to run as. Default: $SUDO_GID if set, else\n"
     "the real gid.",
     NULL, NULL},
    {NULL, "pid", required_argument, OPT_PID, SCOPE_ANY, "PID",
     "Exit when process PID exits, e.g. the VM's, also\n"
     "while waiting for a --socket client. Default:\n"
     "none.",
     NULL, NULL},
    {NULL, "pidfile", required_argument, OPT_PIDFILE, SCOPE_ANY, "PATH",
     "Lock PATH and write the helper's pid into it once\n"
     "it is ready; a second helper with the same PATH\n"
     "fails at once. Removed at exit. Default: none.",
     NULL, NULL},
    {NULL, "address-file", required_argument, OPT_ADDRESS_FILE, SCOPE_ANY,
     "PATH",
     "Learn the guest's addresses (DHCP, ARP, NDP) and\n"
     "keep them in PATH, one JSON object, replaced\n"
     "whole on each change. Removed at exit. Default:\n"
     "none.",
     NULL, NULL},
    {NULL, "learn-addresses", no_argument, OPT_LEARN_ADDRESSES, SCOPE_ANY, NULL,
     "Learn the guest's addresses for the log and the\n"
     "stats line only. Default: off.",
     NULL, NULL},
    {NULL, "no-sandbox", no_argument, OPT_NO_SANDBOX, SCOPE_ANY, NULL,
     "Let the helper make any system call once it runs\n"
     "(Linux: no seccomp filter; macOS: it may start\n"
     "processes), for a debugger or tracer that needs\n"
     "more, or a new libc the filter kills (SIGSYS).\n"
     "Default: off (sandboxed; docs/security.md).",
     NULL, NULL},
    {NULL, "verbose", no_argument, OPT_VERBOSE, SCOPE_ANY, NULL,
     "Log DEBUG lines too (slower). Default: off.", NULL, NULL},
    {NULL, "version", no_argument, OPT_VERSION, SCOPE_ANY, NULL,
     "Print the version and commit, and exit.", NULL, NULL},
    {NULL, "help", no_argument, OPT_HELP, SCOPE_ANY, NULL,
     "Print this help, and exit.", NULL, NULL},
};

_Static_assert(sizeof(opt_descs) / sizeof(opt_descs[0]) == OPT_COUNT,
	       "update OPT_COUNT in options_table.h");

const struct opt_desc *opt_desc_by_val(int val)
{
	for (size_t i = 0; i < OPT_COUNT; i++) {
		if (opt_descs[i].val == val)
			return &opt_descs[i];
	}
	return NULL;
}

/* Append --NAME 'VALUE', or --NAME alone for a NULL @value, to the
 * space-separated list in @buf. */
void opt_list_append(char *buf, size_t size, const char *name,
		     const char *value)
{
	size_t used = strlen(buf);

	if (value != NULL)
		snprintf(buf + used, size - used, "%s--%s '%s'",
			 used ? " " : "", name, value);
	else
		snprintf(buf + used, size - used, "%s--%s", used ? " " : "",
			 name);
}
