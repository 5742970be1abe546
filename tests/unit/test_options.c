/* SPDX-License-Identifier: Apache-2.0 */
/* test_options.c - the command line: each option's values and errors on
 * both platforms, rules between options, getopt reset, and --help. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/utsname.h>

#include "options.h"
#include "options_table.h"

#define LINUX	 OPTIONS_PLATFORM_LINUX
#define MAC	 OPTIONS_PLATFORM_DARWIN
#define ARGS_MAX 16

#define UUID_UPPER "6F1D3C2A-9B7E-4E5F-8A1B-2C3D4E5F6A7B"
#define UUID_LOWER "6f1d3c2a-9b7e-4e5f-8a1b-2c3d4e5f6a7b"
#define TRIO                                                                   \
	"--start-address", "192.168.105.1", "--end-address",                   \
	    "192.168.105.254", "--subnet-mask", "255.255.255.0"

/* Argument lists leave out argv[0]; the list ends at the first NULL. */
struct ok_row {
	const char *args[ARGS_MAX];
	enum options_platform platform;
	const char *expect; /* tokens that describe() must contain */
};

struct err_row {
	const char *args[ARGS_MAX];
	enum options_platform platform;
	const char *err; /* substring of the message */
};

static const struct ok_row ok_rows[] = {
    /* Defaults. */
    {{"--fd", "3"},
     LINUX,
     "action=run fd=3 host_fd=-1 socket=- id=- mode=shared mode_given=0 "
     "shared_if=- "
     "addrs=- tso=0 csum=0 iso=0 network=- tap=- bridge=- cpus=-1,-1 "
     "workers=0 batch=64 ring=512 user=- group=- pid=0 stats=0 no_sandbox=0 "
     "verbose=0 "
     "warn_id=0"},
    {{"--socket", "/tmp/vm.sock"}, MAC, "fd=-1 socket=/tmp/vm.sock"},
    /* --fd and --socket in every form. */
    {{"--fd=7"}, LINUX, "fd=7"},
    {{"-f", "4"}, LINUX, "fd=4"},
    {{"-f5"}, MAC, "fd=5"},
    {{"--fd", "2147483647"}, LINUX, "fd=2147483647"},
    {{"--fd", "3", "--fd", "9"}, LINUX, "fd=9"},
    {{"--socket=/tmp/a"}, LINUX, "socket=/tmp/a fd=-1"},
    /* --host-fd: the host side, with whatever does not open another. */
    {{"--fd", "3", "--host-fd", "4"},
     LINUX,
     "fd=3 host_fd=4 tap=- bridge=- mode=shared mode_given=0"},
    {{"--host-fd=4", "-f3"}, MAC, "fd=3 host_fd=4 network=-"},
    {{"--socket", "/tmp/vm.sock", "--host-fd", "3"},
     LINUX,
     "fd=-1 host_fd=3 socket=/tmp/vm.sock"},
    {{"--fd", "3", "--stream", "--host-fd", "4", "--enable-tso", "-i",
      UUID_UPPER},
     MAC,
     "host_fd=4 tso=1 id=" UUID_LOWER},
    {{"--fd", "3", "--host-fd", "2147483647", "--workers", "1", "--cpus", "1,1",
      "--user", "nobody", "--stats-interval", "1"},
     LINUX,
     "host_fd=2147483647 workers=1 cpus=1,1 user=nobody stats=1"},
    {{"--fd", "3", "--host-fd", "4", "--host-fd", "9"}, LINUX, "host_fd=9"},
    {{"-s", "/tmp/b"}, MAC, "socket=/tmp/b"},
    {{"-s/tmp/c"}, MAC, "socket=/tmp/c"},
    {{"--sock", "/tmp/d"}, MAC, "socket=/tmp/d"},      /* getopt prefix */
    {{"--fd", "3", "--stats", "5"}, LINUX, "stats=5"}, /* likewise */
    {{"--fd", "3", "--"}, LINUX, "fd=3"},
    /* --interface-id, either case, three forms. */
    {{"--fd", "3", "--interface-id", UUID_UPPER}, MAC, "id=" UUID_LOWER},
    {{"--fd", "3", "--interface-id=" UUID_LOWER}, LINUX, "id=" UUID_LOWER},
    {{"--fd", "3", "-i", UUID_UPPER}, LINUX, "id=" UUID_LOWER},
    {{"-f3", "-i" UUID_LOWER}, MAC, "id=" UUID_LOWER " warn_id=0"},
    /* Modes. */
    {{"--fd", "3", "--operation-mode", "host"}, MAC, "mode=host mode_given=1"},
    {{"--fd", "3", "--operation-mode=shared"}, MAC, "mode=shared mode_given=1"},
    {{"--fd", "3", "--operation-mode", "bridged", "--shared-interface", "en0"},
     MAC,
     "mode=bridged shared_if=en0"},
    {{"--fd", "3", "--shared-interface=en1", "--operation-mode=bridged"},
     MAC,
     "mode=bridged shared_if=en1"},
    /* Addresses, shared and host. */
    {{"--fd", "3", TRIO},
     MAC,
     "addrs=192.168.105.1,192.168.105.254,255.255.255.0"},
    {{"--fd", "3", "--operation-mode", "host", "--start-address=10.0.0.1",
      "--end-address=10.0.0.2", "--subnet-mask=255.255.255.252"},
     MAC,
     "mode=host addrs=10.0.0.1,10.0.0.2,255.255.255.252"},
    {{"--fd", "3", "--subnet-mask", "255.255.0.0", "--start-address",
      "172.31.0.1", "--end-address", "172.31.255.254"},
     MAC,
     "addrs=172.31.0.1,172.31.255.254,255.255.0.0"},
    /* Flags. */
    {{"--fd", "3", "--enable-tso", "--enable-checksum-offload",
      "--enable-isolation"},
     MAC,
     "tso=1 csum=1 iso=1"},
    {{"--fd", "3", "--operation-mode", "host", "--enable-isolation"},
     MAC,
     "iso=1 mode=host"},
    {{"--fd", "3", "--enable-tso"}, LINUX, "tso=1 csum=0"},
    {{"--fd", "3", "-v"}, LINUX, "verbose=1"},
    {{"--fd", "3", "--no-sandbox"}, LINUX, "no_sandbox=1 verbose=0"},
    {{"--no-sandbox", "--socket", "/tmp/vm.sock"}, MAC, "no_sandbox=1"},
    {{"--fd", "3", "--verbose"}, MAC, "verbose=1"},
    {{"-vf3"}, LINUX, "verbose=1 fd=3"},
    /* --network, alone, with what it allows, and with --interface-id. */
    {{"--fd", "3", "--network", "vmnet-shared"},
     MAC,
     "network=vmnet-shared warn_id=0 mode_given=0"},
    {{"--fd", "3", "--network=n1", "--enable-tso", "--enable-checksum-offload",
      "--enable-isolation"},
     MAC,
     "network=n1 tso=1 csum=1 iso=1"},
    {{"--fd", "3", "--network", "n1", "-i", UUID_UPPER},
     MAC,
     "network=n1 id=" UUID_LOWER " warn_id=1"},
    /* Stats. */
    {{"--fd", "3", "--stats-interval", "5"}, LINUX, "stats=5"},
    {{"--fd", "3", "--stats-interval=4294967"}, MAC, "stats=4294967"},
    /* Linux host side. */
    {{"--fd", "3", "--tap", "tap0", "--bridge", "br0"},
     LINUX,
     "tap=tap0 bridge=br0"},
    {{"--fd", "3", "--tap=abcdefghijklmno", "--bridge=vmbr.1"},
     LINUX,
     "tap=abcdefghijklmno bridge=vmbr.1"},
    {{"--fd", "3", "--tap", "vm%d"}, LINUX, "tap=vm%d"},
    /* Datapath. */
    {{"--fd", "3", "--cpus", "2,3"}, LINUX, "cpus=2,3"},
    {{"--fd", "3", "--cpus=0,0"}, MAC, "cpus=0,0"},
    {{"--fd", "3", "--cpus", "1,2", "--cpus", "none"}, LINUX, "cpus=-1,-1"},
    {{"--fd", "3", "--workers", "1"}, LINUX, "workers=1"},
    {{"--fd", "3", "--workers=2"}, MAC, "workers=2"},
    {{"--fd", "3", "--workers", "1", "--workers", "auto"}, LINUX, "workers=0"},
    {{"--fd", "3", "--batch-size", "1"}, LINUX, "batch=1"},
    {{"--fd", "3", "--batch-size=256", "--ring-size=256"},
     LINUX,
     "batch=256 ring=256"},
    {{"--fd", "3", "--ring-size", "64"}, LINUX, "ring=64 batch=64"},
    {{"--fd", "3", "--ring-size", "16", "--batch-size", "16"},
     MAC,
     "ring=16 batch=16"},
    {{"--fd", "3", "--ring-size", "65536"}, LINUX, "ring=65536"},
    /* Process. */
    {{"--fd", "3", "--user", "nobody", "--group", "65534"},
     LINUX,
     "user=nobody group=65534"},
    {{"--fd", "3", "--user=501", "--group=staff"}, MAC, "user=501 group=staff"},
    {{"--fd", "3", "--pid", "1"}, LINUX, "pid=1"},
    {{"--fd", "3", "--pid=2147483647"}, MAC, "pid=2147483647"},
    /* Actions stop parsing: what follows, even nonsense, is ignored. */
    {{"--help"}, LINUX, "action=help"},
    {{"-h"}, MAC, "action=help"},
    {{"--fd", "3", "-h", "--bogus", "--fd", "1"}, LINUX, "action=help fd=3"},
    {{"--help", "--tap", "x"}, MAC, "action=help"},
    {{"--version"}, LINUX, "action=version"},
    {{"--version", "--fd"}, MAC, "action=version"},
    {{"-v", "--version", "--network", "x"}, LINUX, "action=version"},
    {{"--list-shared-interfaces"}, MAC, "action=list"},
    {{"--list-shared-interfaces", "--tap", "x", "--bogus"}, MAC, "action=list"},
};

static const struct err_row err_rows[] = {
    /* --fd */
    {{"--fd", ""}, LINUX, "invalid --fd '': empty"},
    {{"--fd="}, LINUX, "invalid --fd '': empty"},
    {{"--fd", "-1"}, LINUX, "invalid --fd '-1': sign not allowed"},
    {{"--fd", "+3"}, MAC, "invalid --fd '+3': sign not allowed"},
    {{"--fd", "3x"}, LINUX, "invalid --fd '3x': not a decimal number"},
    {{"--fd", " 3"}, LINUX, "invalid --fd ' 3': not a decimal number"},
    {{"--fd", "0x10"}, LINUX, "invalid --fd '0x10': not a decimal number"},
    {{"--fd", "2147483648"}, LINUX, "invalid --fd '2147483648': out of range"},
    {{"-f", "99999999999999999999999"}, MAC, "out of range"},
    {{"--fd", "0"}, LINUX, "descriptor 0 is stdin"},
    {{"--fd", "1"},
     MAC,
     "descriptor 1 is stdout, and the helper writes its "
     "JSON line to stdout"},
    {{"-f2"}, LINUX, "invalid --fd '2': descriptor 2 is stderr"},
    /* --socket */
    {{"--socket", ""}, LINUX, "invalid --socket '': empty"},
    /* --host-fd: a descriptor of its own, and nothing that opens or
     * shapes another host side. */
    {{"--fd", "3", "--host-fd", ""}, LINUX, "invalid --host-fd '': empty"},
    {{"--fd", "3", "--host-fd", "-4"},
     MAC,
     "invalid --host-fd '-4': sign not allowed"},
    {{"--fd", "3", "--host-fd", "4x"},
     LINUX,
     "invalid --host-fd '4x': not a decimal number; pass the number of the "
     "inherited socket, 3 to 2147483647, e.g. --host-fd 4"},
    {{"--fd", "3", "--host-fd", "2147483648"},
     LINUX,
     "invalid --host-fd '2147483648': out of range"},
    {{"--fd", "3", "--host-fd", "0"},
     LINUX,
     "invalid --host-fd '0': descriptor 0 is stdin"},
    {{"--fd", "3", "--host-fd=1"},
     MAC,
     "invalid --host-fd '1': descriptor 1 is stdout, and the helper writes "
     "its JSON line to stdout and logs to stderr; pass the host side's "
     "socket as descriptor 3 or above, e.g. --host-fd 4"},
    {{"--fd", "3", "--host-fd", "2"}, LINUX, "descriptor 2 is stderr"},
    {{"--host-fd", "4"}, LINUX, "missing --fd or --socket"},
    {{"--fd", "5", "--host-fd", "5"},
     LINUX,
     "--host-fd 5 is also --fd 5: the VM's socket and the host side need a "
     "socket each"},
    {{"--host-fd", "3", "-f", "3"}, MAC, "--host-fd 3 is also --fd 3"},
    {{"--fd", "3", "--host-fd", "4", "--tap", "tap0"},
     LINUX,
     "--host-fd 4 cannot be used with --tap 'tap0': the socket is the host "
     "side, in place of a TAP or vmnet interface, so --tap has nothing to "
     "set; drop one of them"},
    {{"--fd", "3", "--bridge", "br0", "--host-fd", "4"},
     LINUX,
     "--host-fd 4 cannot be used with --bridge 'br0'"},
    {{"--fd", "3", "--host-fd", "4", "--operation-mode", "host"},
     MAC,
     "--host-fd 4 cannot be used with --operation-mode 'host'"},
    {{"--fd", "3", "--host-fd", "4", "--operation-mode", "bridged",
      "--shared-interface", "en0"},
     MAC,
     "--host-fd 4 cannot be used with --operation-mode 'bridged'"},
    {{"--fd", "3", "--host-fd", "4", "--shared-interface", "en0"},
     MAC,
     "--host-fd 4 cannot be used with --shared-interface 'en0'"},
    {{"--fd", "3", "--host-fd", "4", TRIO},
     MAC,
     "--host-fd 4 cannot be used with --start-address '192.168.105.1'"},
    {{"--fd", "3", "--host-fd", "4", "--subnet-mask", "255.255.255.0"},
     MAC,
     "--host-fd 4 cannot be used with --subnet-mask '255.255.255.0'"},
    {{"--fd", "3", "--host-fd", "4", "--enable-checksum-offload"},
     MAC,
     "--host-fd 4 cannot be used with --enable-checksum-offload: the socket"},
    {{"--fd", "3", "--host-fd", "4", "--enable-isolation"},
     MAC,
     "--host-fd 4 cannot be used with --enable-isolation:"},
    {{"--fd", "3", "--host-fd", "4", "--network", "n1"},
     MAC,
     "--host-fd 4 cannot be used with --network 'n1'"},
    /* The other platform's options are refused as theirs first. */
    {{"--fd", "3", "--host-fd", "4", "--tap", "tap0"},
     MAC,
     "--tap is only available on Linux"},
    {{"--fd", "3", "--host-fd", "4", "--network", "n1"},
     LINUX,
     "--network is only available on macOS"},
    {{"--fd", "3", "--host-fd"}, LINUX, "--host-fd needs an argument"},
    /* Exactly one of --fd and --socket. */
    {{"-v"}, LINUX, "missing --fd or --socket: pass --fd FD"},
    {{"--enable-tso"}, MAC, "missing --fd or --socket"},
    {{"--fd", "3", "--socket", "/tmp/s"},
     LINUX,
     "--fd 3 and --socket '/tmp/s' cannot be used together"},
    /* --interface-id */
    {{"--fd", "3", "-i", "zz"},
     LINUX,
     "invalid --interface-id 'zz': not a UUID"},
    {{"--fd", "3", "-i", "6f1d3c2a-9b7e-4e5f-8a1b-2c3d4e5f6a7"},
     MAC,
     "not a UUID"},
    {{"--fd", "3", "-i", "6f1d3c2a-9b7e-4e5f-8a1b-2c3d4e5f6a7bb"},
     MAC,
     "not a UUID"},
    {{"--fd", "3", "-i", "6f1d3c2a9-b7e-4e5f-8a1b-2c3d4e5f6a7b"},
     MAC,
     "not a UUID"},
    {{"--fd", "3", "-i", "6f1d3c2a-9b7e-4e5f-8a1b-2c3d4e5f6a7g"},
     MAC,
     "not a UUID"},
    {{"--fd", "3", "-i", "{6f1d3c2a-9b7e-4e5f-8a1b-2c3d4e5f6a7}"},
     MAC,
     "not a UUID"},
    {{"--fd", "3", "--interface-id="}, MAC, "invalid --interface-id ''"},
    /* --operation-mode and its rules */
    {{"--fd", "3", "--operation-mode", "Shared"},
     MAC,
     "invalid --operation-mode 'Shared': pass shared, host or bridged"},
    {{"--fd", "3", "--operation-mode="}, MAC, "invalid --operation-mode ''"},
    {{"--fd", "3", "--operation-mode", "bridged"},
     MAC,
     "--operation-mode bridged needs --shared-interface NAME"},
    {{"--fd", "3", "--shared-interface", "en0"},
     MAC,
     "--shared-interface 'en0' needs --operation-mode bridged (the mode is "
     "shared by default); vmnet-helper ignores it in other modes but this "
     "helper refuses it"},
    {{"--fd", "3", "--shared-interface", "en0", "--operation-mode", "host"},
     MAC,
     "(the mode is host)"},
    {{"--fd", "3", "--shared-interface", ""},
     MAC,
     "invalid --shared-interface '': empty"},
    {{"--fd", "3", "--operation-mode", "bridged", "--shared-interface",
      "a-name-far-too-long"},
     MAC,
     "invalid --shared-interface 'a-name-far-too-long': an interface name "
     "has at most 15 characters, this has 19"},
    {{"--fd", "3", "--operation-mode", "bridged", "--shared-interface", "en0",
      "--enable-isolation"},
     MAC,
     "--enable-isolation cannot be used with --operation-mode bridged"},
    {{"--fd", "3", "--operation-mode", "bridged", "--shared-interface", "en0",
      TRIO},
     MAC,
     "--start-address '192.168.105.1' cannot be used with --operation-mode "
     "bridged"},
    {{"--fd", "3", "--operation-mode", "bridged", "--shared-interface", "en0",
      "--subnet-mask", "255.255.0.0"},
     MAC,
     "--subnet-mask '255.255.0.0' cannot be used with --operation-mode "
     "bridged"},
    /* The address trio. */
    {{"--fd", "3", "--start-address", "10.0.0.1"},
     MAC,
     "go together: got --start-address '10.0.0.1' without --end-address "
     "--subnet-mask"},
    {{"--fd", "3", "--start-address", "10.0.0.1", "--end-address", "10.0.0.9"},
     MAC,
     "without --subnet-mask"},
    {{"--fd", "3", "--subnet-mask", "255.255.255.0"},
     MAC,
     "got --subnet-mask '255.255.255.0' without --start-address "
     "--end-address"},
    {{"--fd", "3", "--start-address", "10.0.0.9", "--end-address", "10.0.0.2",
      "--subnet-mask", "255.255.255.0"},
     MAC,
     "--start-address '10.0.0.9' is not below --end-address '10.0.0.2'"},
    {{"--fd", "3", "--start-address", "10.0.0.9", "--end-address", "10.0.0.9",
      "--subnet-mask", "255.255.255.0"},
     MAC,
     "is not below"},
    /* What vmnet takes: one subnet, private (RFC 1918). */
    {{"--fd", "3", "--subnet-mask", "255.255.255.255", "--start-address",
      "10.0.0.1", "--end-address", "10.0.0.2"},
     MAC,
     "--start-address '10.0.0.1' and --end-address '10.0.0.2' are not in one "
     "subnet of --subnet-mask '255.255.255.255'"},
    {{"--fd", "3", "--start-address", "192.168.105.1", "--end-address",
      "192.168.106.9", "--subnet-mask", "255.255.255.0"},
     MAC,
     "are not in one subnet"},
    {{"--fd", "3", "--start-address", "100.64.0.1", "--end-address",
      "100.64.0.254", "--subnet-mask", "255.255.255.0"},
     MAC,
     "--start-address '100.64.0.1' to --end-address '100.64.0.254' is not a "
     "private range; vmnet takes only RFC 1918 addresses"},
    {{"--fd", "3", "--start-address", "172.32.0.1", "--end-address",
      "172.32.0.254", "--subnet-mask", "255.255.255.0"},
     MAC,
     "is not a private range"},
    {{"--fd", "3", "--start-address", "10.1"},
     MAC,
     "invalid --start-address '10.1': not an IPv4 address in the form "
     "a.b.c.d"},
    {{"--fd", "3", "--end-address", "256.1.1.1"},
     MAC,
     "invalid --end-address '256.1.1.1'"},
    {{"--fd", "3", "--end-address=1.2.3.4 "},
     MAC,
     "invalid --end-address '1.2.3.4 '"},
    {{"--fd", "3", "--start-address", "::1"},
     MAC,
     "invalid --start-address '::1'"},
    {{"--fd", "3", "--subnet-mask", ""}, MAC, "invalid --subnet-mask ''"},
    {{"--fd", "3", "--subnet-mask", "255.0.255.0"},
     MAC,
     "invalid --subnet-mask '255.0.255.0': not contiguous ones followed by "
     "zeros"},
    {{"--fd", "3", "--subnet-mask", "0.255.255.255"},
     MAC,
     "not contiguous ones"},
    {{"--fd", "3", "--subnet-mask", "0.0.0.0"},
     MAC,
     "invalid --subnet-mask '0.0.0.0': an empty mask"},
    /* --network excludes what sets the network. */
    {{"--fd", "3", "--network", "n", "--operation-mode", "shared"},
     MAC,
     "--network 'n' cannot be used with --operation-mode 'shared'"},
    {{"--fd", "3", "--network", "n", "--operation-mode", "bridged",
      "--shared-interface", "en0"},
     MAC,
     "--network 'n' cannot be used with --operation-mode 'bridged'"},
    {{"--fd", "3", "--shared-interface", "en0", "--network", "n"},
     MAC,
     "--network 'n' cannot be used with --shared-interface 'en0'"},
    {{"--fd", "3", "--network", "n", TRIO},
     MAC,
     "--network 'n' cannot be used with --start-address '192.168.105.1'"},
    {{"--fd", "3", "--network", "n", "--end-address", "10.0.0.1"},
     MAC,
     "--network 'n' cannot be used with --end-address '10.0.0.1'"},
    {{"--fd", "3", "--network="}, MAC, "invalid --network '': empty"},
    /* --stats-interval */
    {{"--fd", "3", "--stats-interval", "0"},
     LINUX,
     "invalid --stats-interval '0': out of range"},
    {{"--fd", "3", "--stats-interval", "-1"},
     MAC,
     "invalid --stats-interval '-1': sign not allowed"},
    {{"--fd", "3", "--stats-interval=5s"},
     LINUX,
     "invalid --stats-interval '5s': not a decimal number"},
    {{"--fd", "3", "--stats-interval", "2147483648"},
     LINUX,
     "invalid --stats-interval '2147483648': out of range"},
    /* The milliseconds of these wrapped: 0 (no engine), or 0.7 s. */
    {{"--fd", "3", "--stats-interval", "536870912"},
     LINUX,
     "invalid --stats-interval '536870912': out of range; pass a number of "
     "seconds from 1 to 4294967 (49 days)"},
    {{"--fd", "3", "--stats-interval", "4294968"},
     MAC,
     "invalid --stats-interval '4294968': out of range"},
    {{"--fd", "3", "--stats-interval", ""},
     LINUX,
     "invalid --stats-interval '': empty"},
    /* Linux-only options on macOS, refused before their value is read. */
    {{"--fd", "3", "--tap", "tap0"},
     MAC,
     "--tap is only available on Linux; on macOS"},
    {{"--fd", "3", "--tap", "a/b"}, MAC, "--tap is only available on Linux"},
    {{"--fd", "3", "--bridge=br0"},
     MAC,
     "--bridge is only available on Linux; on macOS use --operation-mode "
     "bridged"},
    /* macOS-only options on Linux. */
    {{"--fd", "3", "--network", "n"},
     LINUX,
     "--network is only available on macOS (vmnet.framework); on Linux use "
     "--tap and --bridge"},
    {{"--fd", "3", "--operation-mode", "host"},
     LINUX,
     "--operation-mode is only available on macOS (vmnet.framework); on "
     "Linux"},
    {{"--fd", "3", "--shared-interface", "en0"},
     LINUX,
     "--shared-interface is only available on macOS"},
    {{"--fd", "3", "--start-address", "10.0.0.1"},
     LINUX,
     "--start-address is only available on macOS"},
    {{"--fd", "3", "--end-address", "10.0.0.1"},
     LINUX,
     "--end-address is only available on macOS"},
    {{"--fd", "3", "--subnet-mask", "255.0.0.0"},
     LINUX,
     "--subnet-mask is only available on macOS"},
    {{"--fd", "3", "--enable-isolation"},
     LINUX,
     "--enable-isolation is only available on macOS"},
    {{"--fd", "3", "--enable-checksum-offload"},
     LINUX,
     "--enable-checksum-offload is only available on macOS"},
    {{"--list-shared-interfaces"},
     LINUX,
     "--list-shared-interfaces is only available on macOS"},
    {{"--network", "x", "--help"}, LINUX, "--network is only available"},
    /* Unknown options, missing and unwanted arguments, stray words. */
    {{"--fd", "3", "--foo"}, LINUX, "unknown option '--foo'"},
    {{"--foo=bar", "--fd", "3"}, MAC, "unknown option '--foo';"},
    {{"--fd", "3", "-x"}, LINUX, "unknown option '-x'"},
    {{"-vx", "--fd", "3"}, LINUX, "unknown option '-x'"},
    {{"--fd", "3", "--s", "x"},
     LINUX,
     "ambiguous option '--s': it matches --socket --stream --shared-interface"},
    {{"--fd", "3", "--enable"},
     MAC,
     "ambiguous option '--enable': it matches --enable-tso"},
    {{"--fd"}, LINUX, "--fd needs an argument"},
    {{"-f"}, MAC, "--fd needs an argument"},
    {{"--fd", "3", "-s"}, LINUX, "--socket needs an argument"},
    {{"--fd", "3", "-i"}, LINUX, "--interface-id needs an argument"},
    {{"--fd", "3", "--cpus"}, LINUX, "--cpus needs an argument"},
    {{"--fd", "3", "--stats-interval"},
     MAC,
     "--stats-interval needs an argument"},
    {{"--fd", "3", "--verbose=1"},
     LINUX,
     "--verbose takes no value, got '--verbose=1'"},
    {{"--fd", "3", "--enable-tso=yes"}, MAC, "--enable-tso takes no value"},
    {{"--fd", "3", "--no-sandbox=1"},
     LINUX,
     "--no-sandbox takes no value, got '--no-sandbox=1'"},
    {{"--fd", "3", "extra"}, LINUX, "unexpected argument 'extra'"},
    {{"--fd", "3", "--", "-v"}, LINUX, "unexpected argument '-v'"},
    /* --tap and --bridge names. */
    {{"--fd", "3", "--tap", "abcdefghijklmnop"},
     LINUX,
     "invalid --tap 'abcdefghijklmnop': an interface name has 1 to 15 "
     "characters, this has 16"},
    {{"--fd", "3", "--tap="}, LINUX, "invalid --tap '': an interface name"},
    {{"--fd", "3", "--tap", "a/b"},
     LINUX,
     "invalid --tap 'a/b': an interface name cannot"},
    {{"--fd", "3", "--tap", "a b"}, LINUX, "invalid --tap 'a b'"},
    {{"--fd", "3", "--tap", "a:b"}, LINUX, "invalid --tap 'a:b'"},
    {{"--fd", "3", "--tap", "."}, LINUX, "invalid --tap '.'"},
    {{"--fd", "3", "--bridge", ".."}, LINUX, "invalid --bridge '..'"},
    {{"--fd", "3", "--bridge", "abcdefghijklmnopq"},
     LINUX,
     "invalid --bridge 'abcdefghijklmnopq'"},
    /* --cpus */
    {{"--fd", "3", "--cpus", "1"}, LINUX, "invalid --cpus '1': no comma"},
    {{"--fd", "3", "--cpus", "x,2"},
     LINUX,
     "invalid --cpus 'x,2': host CPU 'x': not a decimal number"},
    {{"--fd", "3", "--cpus", ",2"}, LINUX, "host CPU '': empty"},
    {{"--fd", "3", "--cpus", "1,"}, LINUX, "socket CPU '': empty"},
    {{"--fd", "3", "--cpus", "-1,2"}, MAC, "host CPU '-1': sign not allowed"},
    {{"--fd", "3", "--cpus", "1,2,3"},
     LINUX,
     "socket CPU '2,3': not a decimal number"},
    {{"--fd", "3", "--cpus", "2147483648,1"},
     LINUX,
     "host CPU '2147483648': out of range"},
    {{"--fd", "3", "--cpus", "None"}, LINUX, "invalid --cpus 'None'"},
    /* --workers */
    {{"--fd", "3", "--workers"}, LINUX, "--workers needs an argument"},
    {{"--fd", "3", "--workers", "3"},
     LINUX,
     "invalid --workers '3': pass 1, 2 or auto, e.g. --workers 2"},
    {{"--fd", "3", "--workers", "0"}, MAC, "invalid --workers '0'"},
    {{"--fd", "3", "--workers", "01"}, LINUX, "invalid --workers '01'"},
    {{"--fd", "3", "--workers", "Auto"}, LINUX, "invalid --workers 'Auto'"},
    /* --batch-size and --ring-size */
    {{"--fd", "3", "--batch-size", "0"},
     LINUX,
     "invalid --batch-size '0': out of range; pass a number from 1 to 256"},
    {{"--fd", "3", "--batch-size", "257"},
     LINUX,
     "invalid --batch-size '257': out of range"},
    {{"--fd", "3", "--batch-size=-8"}, MAC, "sign not allowed"},
    {{"--fd", "3", "--batch-size", "64k"}, LINUX, "not a decimal number"},
    {{"--fd", "3", "--ring-size", "8"},
     LINUX,
     "invalid --ring-size '8': out of range; pass a power of two from 16 to "
     "65536"},
    {{"--fd", "3", "--ring-size", "131072"},
     LINUX,
     "invalid --ring-size '131072': out of range"},
    {{"--fd", "3", "--ring-size", "100"},
     MAC,
     "invalid --ring-size '100': not a power of two"},
    {{"--fd", "3", "--ring-size", "32"},
     LINUX,
     "--ring-size '32' is smaller than the batch size 64 (the default)"},
    {{"--fd", "3", "--ring-size", "16", "--batch-size", "32"},
     LINUX,
     "--ring-size '16' is smaller than the batch size 32 (--batch-size "
     "'32')"},
    /* --user, --group, --pid */
    {{"--fd", "3", "--user", ""}, LINUX, "invalid --user '': empty"},
    {{"--fd", "3", "--group="}, MAC, "invalid --group '': empty"},
    {{"--fd", "3", "--pid", "0"}, LINUX, "invalid --pid '0': out of range"},
    {{"--fd", "3", "--pid", "-5"}, LINUX, "invalid --pid '-5': sign"},
    {{"--fd", "3", "--pid", "12ab"}, MAC, "invalid --pid '12ab': not a"},
    {{"--fd", "3", "--pid", "2147483648"}, LINUX, "out of range"},
    /* Control characters in a value stay on one line. */
    {{"--fd", "3\n4"}, LINUX, "invalid --fd '3\\x0a4'"},
    {{"--fd", "3", "--network", "x\ty", "--operation-mode", "host"},
     MAC,
     "--network 'x\\x09y' cannot be used"},
    {{"--fd", "3", "--tap", "a\nb"}, LINUX, "invalid --tap 'a\\x0ab'"},
    /* A '%' other than one %d makes TUNSETIFF fail with EINVAL, which
     * read like "exists and is not a TAP". */
    {{"--fd", "3", "--tap", "x%d%d"},
     LINUX,
     "invalid --tap 'x%d%d': a TAP name may hold one %d, which the kernel "
     "replaces with the first free number"},
    {{"--fd", "3", "--tap", "vm%s"}, LINUX, "invalid --tap 'vm%s'"},
    {{"--fd", "3", "--tap", "%"}, LINUX, "invalid --tap '%'"},
    {{"--fd", "3", "--bridge", "br%d"},
     LINUX,
     "invalid --bridge 'br%d': no interface name holds '%'"},
};

#define ROWS(t) (sizeof(t) / sizeof((t)[0]))

/* Run options_parse() on "vmnet-helper" + @args. */
static int parse(const char *const *args, enum options_platform platform,
		 struct options *o, char *err, size_t errlen)
{
	char *argv[ARGS_MAX + 2] = {(char *)"vmnet-helper"};
	int argc = 1;

	for (size_t i = 0; i < ARGS_MAX && args[i] != NULL; i++)
		argv[argc++] = (char *)args[i];
	return options_parse(o, argc, argv, platform, err, errlen);
}

/* The arguments as one string, to say which row failed. */
static const char *join(const char *const *args, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARGS_MAX && args[i] != NULL; i++)
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s",
				      i ? " " : "", args[i]);
	return buf;
}

static const char *ip(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* Every field as " key=value" tokens, to compare against a row. */
static void describe(const struct options *o, char *buf, size_t size)
{
	static const char *const actions[] = {"run", "help", "version", "list"};
	static const char *const modes[] = {"shared", "host", "bridged"};
	char a[3][INET_ADDRSTRLEN], addrs[3 * INET_ADDRSTRLEN + 3] = "-";

	if (o->start_address_given || o->end_address_given ||
	    o->subnet_mask_given)
		snprintf(addrs, sizeof(addrs), "%s,%s,%s",
			 ip(o->host.start_address, a[0]),
			 ip(o->host.end_address, a[1]),
			 ip(o->host.subnet_mask, a[2]));
#define S(x) ((x) ? (x) : "-")
	snprintf(buf, size,
		 " action=%s fd=%d host_fd=%d socket=%s id=%s mode=%s "
		 "mode_given=%d "
		 "shared_if=%s addrs=%s tso=%d csum=%d iso=%d network=%s "
		 "tap=%s bridge=%s cpus=%d,%d workers=%u batch=%u ring=%u "
		 "user=%s "
		 "group=%s pid=%d stats=%u no_sandbox=%d verbose=%d "
		 "warn_id=%d ",
		 actions[o->action], o->fd, o->host_fd, S(o->socket_path),
		 o->host.interface_id_given ? o->interface_id_str : "-",
		 modes[o->host.mode], o->operation_mode_given,
		 S(o->host.shared_interface), addrs, o->host.enable_tso,
		 o->host.enable_checksum_offload, o->host.enable_isolation,
		 S(o->host.network), S(o->host.tap), S(o->host.bridge),
		 o->host_cpu, o->socket_cpu, o->workers, o->batch_size,
		 o->ring_size, S(o->user), S(o->group), (int)o->pid,
		 o->stats_interval, o->no_sandbox, o->verbose,
		 o->warn_interface_id_ignored);
#undef S
}

static void check_ok_row(size_t i)
{
	const struct ok_row *r = &ok_rows[i];
	char err[OPTIONS_ERR_MAX], desc[1024], args[512], want[256];
	struct options o;
	int rc = parse(r->args, r->platform, &o, err, sizeof(err));

	cr_assert_eq(rc, 0, "ok row %zu [%s]: failed: %s", i,
		     join(r->args, args, sizeof(args)), err);
	describe(&o, desc, sizeof(desc));
	for (const char *p = r->expect; *p != '\0';) {
		size_t len = strcspn(p, " ");

		snprintf(want, sizeof(want), " %.*s ", (int)len, p);
		cr_assert(strstr(desc, want) != NULL,
			  "ok row %zu [%s]: want%sin%s", i,
			  join(r->args, args, sizeof(args)), want, desc);
		p += len;
		p += strspn(p, " ");
	}
}

static void check_err_row(size_t i)
{
	const struct err_row *r = &err_rows[i];
	char err[OPTIONS_ERR_MAX], args[512];
	struct options o;
	int rc;

	memset(err, 'X', sizeof(err));
	rc = parse(r->args, r->platform, &o, err, sizeof(err));
	join(r->args, args, sizeof(args));
	cr_assert_eq(rc, -1, "err row %zu [%s]: accepted", i, args);
	cr_assert(strstr(err, r->err) != NULL,
		  "err row %zu [%s]: want '%s' in '%s'", i, args, r->err, err);
	cr_assert(err[0] != '\0' && strchr(err, '\n') == NULL &&
		      strchr(err, '\r') == NULL,
		  "err row %zu [%s]: not one line: '%s'", i, args, err);
	cr_assert(strncmp(err, "ERROR", 5) != 0 && err[strlen(err) - 1] != ' ',
		  "err row %zu [%s]: prefix or trailing blank: '%s'", i, args,
		  err);
}

Test(options, accepts_every_option_in_every_form)
{
	for (size_t i = 0; i < ROWS(ok_rows); i++)
		check_ok_row(i);
}

Test(options, rejects_bad_values_and_combinations_with_one_line)
{
	for (size_t i = 0; i < ROWS(err_rows); i++)
		check_err_row(i);
}

Test(options, restarts_getopt_on_every_call)
{
	char err[OPTIONS_ERR_MAX];
	struct options o;

	/* Stop inside a cluster, then parse afresh: glibc would resume the
	 * cluster if optind were not reset to 0. */
	static const char *const cluster[] = {"-vxv", "--fd", "3", NULL};
	static const char *const fresh[] = {"-f3", NULL};

	cr_assert_eq(parse(cluster, LINUX, &o, err, sizeof(err)), -1);
	cr_assert_eq(parse(fresh, LINUX, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(o.fd, 3);
	cr_assert_not(o.verbose, "fields from the last call leaked");
	/* Every row again, backwards and interleaved: same answers. */
	for (size_t i = ROWS(err_rows); i-- > 0;) {
		check_err_row(i);
		check_ok_row(i % ROWS(ok_rows));
	}
}

Test(options, socket_path_up_to_sun_path_less_one)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	char path[256], err[OPTIONS_ERR_MAX], want[64];
	const char *args[] = {"--socket", path, NULL};
	struct options o;

	memset(path, 'a', max);
	path[0] = '/';
	path[max] = '\0';
	cr_assert_eq(parse(args, MAC, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(strlen(o.socket_path), max);
	path[max] = 'a';
	path[max + 1] = '\0';
	cr_assert_eq(parse(args, LINUX, &o, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "': %zu bytes long, but", max + 1);
	cr_assert(strstr(err, want) != NULL, "%s", err);
	snprintf(want, sizeof(want), "holds at most %zu;", max);
	cr_assert(strstr(err, want) != NULL, "%s", err);
	cr_assert(strstr(err, "invalid --socket '/aaa") != NULL, "%s", err);
}

/* --stream frames either socket; off by default; a flag, no value. */
Test(options, stream_is_a_flag_for_fd_or_socket_off_by_default)
{
	static const struct {
		const char *args[4];
		bool stream;
	} rows[] = {
	    {{"--fd", "3"}, false},
	    {{"--fd", "3", "--stream"}, true},
	    {{"--stream", "--socket", "/tmp/vm.sock"}, true},
	    {{"--socket", "/tmp/vm.sock"}, false},
	};
	char err[OPTIONS_ERR_MAX];
	struct options o;

	for (size_t i = 0; i < ROWS(rows); i++) {
		for (int p = LINUX; p <= MAC; p++) {
			cr_assert_eq(parse(rows[i].args,
					   (enum options_platform)p, &o, err,
					   sizeof(err)),
				     0, "row %zu: %s", i, err);
			cr_assert_eq(o.socket_stream, rows[i].stream,
				     "row %zu, platform %d", i, p);
		}
	}
	cr_assert_eq(parse((const char *[]){"--fd", "3", "--stream=1", NULL},
			   LINUX, &o, err, sizeof(err)),
		     -1);
	cr_assert(strstr(err, "--stream takes no value, got '--stream=1'"),
		  "%s", err);
}

Test(options, interface_id_bytes_and_addresses_in_network_order)
{
	static const uint8_t want[16] = {0x6f, 0x1d, 0x3c, 0x2a, 0x9b, 0x7e,
					 0x4e, 0x5f, 0x8a, 0x1b, 0x2c, 0x3d,
					 0x4e, 0x5f, 0x6a, 0x7b};
	static const char *const args[] = {"-f",       "3",  "-i",
					   UUID_UPPER, TRIO, NULL};
	char err[OPTIONS_ERR_MAX];
	struct options o;

	cr_assert_eq(parse(args, MAC, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_arr_eq(o.host.interface_id, want, sizeof(want));
	cr_assert_str_eq(o.interface_id_str, UUID_LOWER);
	cr_assert_eq(o.host.start_address.s_addr, htonl(0xc0a86901));
	cr_assert_eq(o.host.end_address.s_addr, htonl(0xc0a869fe));
	cr_assert_eq(o.host.subnet_mask.s_addr, htonl(0xffffff00));
	cr_assert(o.start_address_given && o.end_address_given &&
		  o.subnet_mask_given && o.host.addresses_given);
}

Test(options, truncates_err_safely)
{
	static const char *const args[] = {"--fd", "abc", NULL};
	char err[8];
	struct options o;

	memset(err, 'X', sizeof(err));
	cr_assert_eq(parse(args, LINUX, &o, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "invalid");
	cr_assert_eq(parse(args, LINUX, &o, NULL, 0), -1);
	memset(err, 'X', sizeof(err));
	cr_assert_eq(parse(args, LINUX, &o, err, 1), -1);
	cr_assert_eq(err[0], '\0');
	cr_assert_eq(err[1], 'X');
}

Test(options, every_platform_only_option_is_refused_elsewhere)
{
	static const char *const mac_only[] = {"operation-mode",
					       "shared-interface",
					       "start-address",
					       "end-address",
					       "subnet-mask",
					       "enable-isolation",
					       "enable-checksum-offload",
					       "network",
					       "list-shared-interfaces"};
	static const char *const linux_only[] = {"tap", "bridge"};
	char opt[64], err[OPTIONS_ERR_MAX], want[128];
	const char *args[] = {"--fd", "3", opt, "x", NULL};
	struct options o;

	for (size_t i = 0; i < ROWS(mac_only); i++) {
		snprintf(opt, sizeof(opt), "--%s", mac_only[i]);
		snprintf(want, sizeof(want),
			 "--%s is only available on macOS (vmnet.framework); "
			 "on Linux ",
			 mac_only[i]);
		cr_assert_eq(parse(args, LINUX, &o, err, sizeof(err)), -1, "%s",
			     opt);
		cr_assert(strstr(err, want) == err, "%s: %s", opt, err);
	}
	for (size_t i = 0; i < ROWS(linux_only); i++) {
		snprintf(opt, sizeof(opt), "--%s", linux_only[i]);
		snprintf(want, sizeof(want),
			 "--%s is only available on Linux; on macOS ",
			 linux_only[i]);
		cr_assert_eq(parse(args, MAC, &o, err, sizeof(err)), -1, "%s",
			     opt);
		cr_assert(strstr(err, want) == err, "%s: %s", opt, err);
	}
}

/* Whether @text has a line "  -x, --NAME ..." or "      --NAME ..."
 * ("--NAME[=VALUE]" for an optional value). */
static bool has_entry(const char *text, const char *name)
{
	size_t len = strlen(name);

	for (const char *line = text; *line != '\0';) {
		const char *p = NULL;

		if (strncmp(line, "      --", 8) == 0)
			p = line + 8;
		else if (strncmp(line, "  -", 3) == 0 &&
			 strncmp(line + 4, ", --", 4) == 0)
			p = line + 8;
		if (p != NULL && strncmp(p, name, len) == 0 &&
		    (p[len] == ' ' || p[len] == '\n' || p[len] == '['))
			return true;
		line += strcspn(line, "\n");
		line += *line == '\n';
	}
	return false;
}

static char *usage_text(enum options_platform platform)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	cr_assert_not_null(f);
	options_usage(f, "vmnet-helper", platform);
	cr_assert_eq(fclose(f), 0);
	return text;
}

Test(options, usage_lists_every_long_option_within_80_columns)
{
	const enum options_platform platforms[] = {LINUX, MAC};

	for (size_t p = 0; p < 2; p++) {
		char *text = usage_text(platforms[p]);
		cr_assert(strstr(text, "Usage: vmnet-helper ") == text);
		cr_assert(strstr(text, "Differences from vmnet-helper:"));
		cr_assert(strstr(text, "macOS only"));
		cr_assert(strstr(text, "Linux only"));
		for (size_t n = 0; n < OPT_COUNT; n++)
			cr_assert(has_entry(text, opt_descs[n].name),
				  "platform %zu: no entry for --%s", p,
				  opt_descs[n].name);
		for (const char *line = text; *line != '\0';) {
			size_t len = strcspn(line, "\n");

			cr_assert_leq(len, 80, "long line: %.*s", (int)len,
				      line);
			line += len + (line[len] == '\n');
		}
		free(text);
	}
}

/* Each platform's help gives its own largest TSO frame: 65535 through a
 * TAP, 65550 through vmnet. */
Test(options, usage_gives_each_platforms_tso_frame)
{
	char *text = usage_text(LINUX);

	cr_expect(strstr(text, "frames of up to 65535\n"), "%s", text);
	cr_expect_null(strstr(text, "65550"), "%s", text);
	free(text);
	text = usage_text(MAC);
	cr_expect(strstr(text, "frames of up to 65550\n"), "%s", text);
	cr_expect_null(strstr(text, "65535"), "%s", text);
	free(text);
}

Test(options, long_names_are_vmnet_helpers_plus_ours)
{
	static const char *const want[] = {"fd",
					   "socket",
					   "interface-id",
					   "operation-mode",
					   "shared-interface",
					   "start-address",
					   "end-address",
					   "subnet-mask",
					   "enable-tso",
					   "enable-checksum-offload",
					   "enable-isolation",
					   "network",
					   "list-shared-interfaces",
					   "stats-interval",
					   "verbose",
					   "version",
					   "help",
					   "tap",
					   "bridge",
					   "cpus",
					   "workers",
					   "batch-size",
					   "ring-size",
					   "user",
					   "group",
					   "pid",
					   "network-identifier",
					   "network-id",
					   "host-ip-address",
					   "host-subnet-mask",
					   "nat66-prefix",
					   "network-subnet",
					   "disable-dhcp",
					   "dhcp-reservation",
					   "pidfile",
					   "address-file",
					   "learn-addresses",
					   "enforce-mac",
					   "enforce-ip",
					   "guest-ip",
					   "allow",
					   "block",
					   "no-sandbox",
					   "stream",
					   "host-fd",
					   "expose"};

	for (size_t i = 0; i < ROWS(want); i++) {
		bool found = false;

		for (size_t n = 0; n < OPT_COUNT; n++)
			found =
			    found || strcmp(opt_descs[n].name, want[i]) == 0;
		cr_assert(found, "no --%s", want[i]);
	}
	cr_assert_eq(OPT_COUNT, ROWS(want), "options nobody listed here");
}

/* The build's choice against the running kernel's own name: a binary that
 * applied the other platform's rules would refuse this one's options. */
Test(options, build_platform_is_the_running_system)
{
	struct utsname un;

	cr_assert_eq(uname(&un), 0);
	if (strcmp(un.sysname, "Darwin") == 0)
		cr_assert_eq(options_build_platform(), MAC);
	else
		cr_assert_eq(strcmp(un.sysname, "Linux"), 0,
			     "built for neither: %s", un.sysname);
	if (strcmp(un.sysname, "Linux") == 0)
		cr_assert_eq(options_build_platform(), LINUX);
}
