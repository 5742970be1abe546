/* SPDX-License-Identifier: Apache-2.0 */
/* options.c - the vmnet-helper command line: one table of options drives
 * getopt_long, the platform checks and the --help text. */
#include "options.h"

#include "errmsg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <net/if.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine.h"

/* Longest path bind() takes: sun_path less its terminating NUL. */
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

#define RING_SIZE_MIN 16
#define RING_SIZE_MAX 65536

/* Short options keep vmnet-helper's letters; the rest count up from 256. */
enum opt_val {
	OPT_FD = 'f',
	OPT_SOCKET = 's',
	OPT_INTERFACE_ID = 'i',
	OPT_VERBOSE = 'v',
	OPT_HELP = 'h',
	OPT_OPERATION_MODE = 256,
	OPT_SHARED_INTERFACE,
	OPT_START_ADDRESS,
	OPT_END_ADDRESS,
	OPT_SUBNET_MASK,
	OPT_ENABLE_TSO,
	OPT_ENABLE_CHECKSUM_OFFLOAD,
	OPT_ENABLE_ISOLATION,
	OPT_NETWORK,
	OPT_LIST_SHARED_INTERFACES,
	OPT_TAP,
	OPT_BRIDGE,
	OPT_CPUS,
	OPT_BATCH_SIZE,
	OPT_RING_SIZE,
	OPT_STATS_INTERVAL,
	OPT_USER,
	OPT_GROUP,
	OPT_PID,
	OPT_VERSION,
};

enum opt_scope { SCOPE_ANY, SCOPE_DARWIN, SCOPE_LINUX };

struct opt_desc {
	const char *section; /* heading in --help before this option */
	const char *name;
	int has_arg;
	int val;
	enum opt_scope scope;
	const char *arg;     /* placeholder for the argument in --help */
	const char *help;    /* lines for --help, split by '\n' */
	const char *instead; /* on the other platform: what to use instead */
};

/* Limits spelled out for the texts below, checked against their source. */
#define BATCH_SIZE_HELP "Frames per read or write call, 1 to 256.\nDefault: 64."
#define RING_SIZE_HELP                                                         \
	"Slots in each direction's ring: a power of two\n"                     \
	"from 16 to 65536, at least the batch size.\nDefault: 512."
#define BATCH_SIZE_HINT "pass a number from 1 to 256, e.g. --batch-size 64"
#define RING_SIZE_HINT                                                         \
	"pass a power of two from 16 to 65536, e.g. --ring-size 1024"
#define NUMBER_MAX_TEXT "2147483647"
#define STATS_INTERVAL_HINT                                                    \
	"pass a number of seconds from 1 to " NUMBER_MAX_TEXT                  \
	", or leave the option out for no stats"
_Static_assert(ENGINE_BATCH_MAX == 256 && ENGINE_BATCH_DEFAULT == 64,
	       "update BATCH_SIZE_HELP and BATCH_SIZE_HINT");
_Static_assert(RING_SIZE_MIN == 16 && RING_SIZE_MAX == 65536 &&
		   ENGINE_RING_DEFAULT == 512,
	       "update RING_SIZE_HELP and RING_SIZE_HINT");
_Static_assert(INT_MAX == 2147483647, "update NUMBER_MAX_TEXT");

/* In the order --help shows them; help lines fit 80 columns. */
static const struct opt_desc opt_descs[] = {
    {"VM socket, exactly one of:", "fd", required_argument, OPT_FD, SCOPE_ANY,
     "FD",
     "Inherited unix datagram socket, e.g. one end of\n"
     "socketpair(AF_UNIX, SOCK_DGRAM) from vmnet-run or\n"
     "QEMU; 3 or above, as 0-2 are stdin/out/err.",
     NULL},
    {NULL, "socket", required_argument, OPT_SOCKET, SCOPE_ANY, "PATH",
     "Bind a unix datagram socket at PATH and serve the\n"
     "first VM that sends to it (vfkit, krunkit); when\n"
     "it leaves, wait for the next. At most 103 bytes\n"
     "on macOS, 107 on Linux.",
     NULL},
    {"Host network, both platforms:", "interface-id", required_argument,
     OPT_INTERFACE_ID, SCOPE_ANY, "UUID",
     "Interface UUID: the same UUID gives the same MAC\n"
     "address every run. Default: a new one each run.\n"
     "Ignored with --network.",
     NULL},
    {NULL, "enable-tso", no_argument, OPT_ENABLE_TSO, SCOPE_ANY, NULL,
     "TCP segmentation offload: frames of up to 65550\n"
     "bytes pass whole. Default: off.",
     NULL},
    {"Host network, macOS only (vmnet.framework):", "operation-mode",
     required_argument, OPT_OPERATION_MODE, SCOPE_DARWIN, "MODE",
     "shared (NAT), host (host-only) or bridged.\n"
     "Default: shared.",
     "on Linux the host side is a TAP device: use --tap and --bridge"},
    {NULL, "shared-interface", required_argument, OPT_SHARED_INTERFACE,
     SCOPE_DARWIN, "NAME",
     "Host interface to bridge, e.g. en0: required with\n"
     "bridged, refused in other modes (vmnet-helper\n"
     "ignores it there). Default: none.",
     "on Linux use --bridge NAME to attach the TAP device to a bridge"},
    {NULL, "start-address", required_argument, OPT_START_ADDRESS, SCOPE_DARWIN,
     "ADDR",
     "The gateway's address; DHCP hands out addresses\n"
     "from here to --end-address.",
     "on Linux set addresses on the bridge or TAP device (ip address)"},
    {NULL, "end-address", required_argument, OPT_END_ADDRESS, SCOPE_DARWIN,
     "ADDR", "Last address of the DHCP range.",
     "on Linux set addresses on the bridge or TAP device (ip address)"},
    {NULL, "subnet-mask", required_argument, OPT_SUBNET_MASK, SCOPE_DARWIN,
     "MASK",
     "Subnet mask, contiguous: e.g. 255.255.255.0.\n"
     "Give all three addresses or none (default: vmnet\n"
     "picks a free /24); not with bridged. Dotted quads\n"
     "a.b.c.d only: stricter than vmnet-helper, which\n"
     "also takes short forms such as 10.1.",
     "on Linux set addresses on the bridge or TAP device (ip address)"},
    {NULL, "enable-checksum-offload", no_argument, OPT_ENABLE_CHECKSUM_OFFLOAD,
     SCOPE_DARWIN, NULL,
     "Checksum offload: frames may carry checksums yet\n"
     "to be filled in; pair it with the VM's offloading.\n"
     "Default: off.",
     "on Linux leave it out"},
    {NULL, "enable-isolation", no_argument, OPT_ENABLE_ISOLATION, SCOPE_DARWIN,
     NULL,
     "Isolate the VM from other VMs on its network; not\n"
     "with bridged. Default: off.",
     "on Linux isolate the TAP device's bridge port instead (bridge "
     "link set dev TAP isolated on)"},
    {NULL, "network", required_argument, OPT_NETWORK, SCOPE_DARWIN, "NAME",
     "Join vmnet-broker network NAME (macOS 26 or\n"
     "later); excludes --operation-mode,\n"
     "--shared-interface and the addresses.\n"
     "Default: none.",
     "on Linux use --tap and --bridge"},
    {NULL, "list-shared-interfaces", no_argument, OPT_LIST_SHARED_INTERFACES,
     SCOPE_DARWIN, NULL,
     "Print the interfaces bridged mode can use, one per\n"
     "line, and exit.",
     "on Linux list interfaces with 'ip link'"},
    {"Host network, Linux only (TAP device):", "tap", required_argument,
     OPT_TAP, SCOPE_LINUX, "NAME",
     "TAP device to use, at most 15 characters.\n"
     "Default: the kernel names one (tapN).",
     "on macOS the host side is vmnet.framework: use --operation-mode "
     "shared, host or bridged, or --network"},
    {NULL, "bridge", required_argument, OPT_BRIDGE, SCOPE_LINUX, "NAME",
     "Bridge to attach the TAP device to, at most 15\n"
     "characters. Default: none.",
     "on macOS use --operation-mode bridged --shared-interface NAME"},
    {"Datapath:", "cpus", required_argument, OPT_CPUS, SCOPE_ANY, "HOST,SOCKET",
     "Pin the thread on the host interface to CPU HOST\n"
     "and the one on the VM's socket to CPU SOCKET, or\n"
     "'none'. Default: none (not pinned).",
     NULL},
    {NULL, "batch-size", required_argument, OPT_BATCH_SIZE, SCOPE_ANY, "N",
     BATCH_SIZE_HELP, NULL},
    {NULL, "ring-size", required_argument, OPT_RING_SIZE, SCOPE_ANY, "N",
     RING_SIZE_HELP, NULL},
    {NULL, "stats-interval", required_argument, OPT_STATS_INTERVAL, SCOPE_ANY,
     "SECONDS",
     "Log counters every SECONDS seconds.\n"
     "Default: 0 (off).",
     NULL},
    {"Process:", "user", required_argument, OPT_USER, SCOPE_ANY, "NAME|UID",
     "User to run as once the host interface is open.\n"
     "Default: $SUDO_UID if set, else the real uid.",
     NULL},
    {NULL, "group", required_argument, OPT_GROUP, SCOPE_ANY, "NAME|GID",
     "Group to run as. Default: $SUDO_GID if set, else\n"
     "the real gid.",
     NULL},
    {NULL, "pid", required_argument, OPT_PID, SCOPE_ANY, "PID",
     "Exit when process PID exits, e.g. the VM's, also\n"
     "while waiting for a --socket client. Default:\n"
     "none.",
     NULL},
    {NULL, "verbose", no_argument, OPT_VERBOSE, SCOPE_ANY, NULL,
     "Log DEBUG lines too (slower). Default: off.", NULL},
    {NULL, "version", no_argument, OPT_VERSION, SCOPE_ANY, NULL,
     "Print the version and commit, and exit.", NULL},
    {NULL, "help", no_argument, OPT_HELP, SCOPE_ANY, NULL,
     "Print this help, and exit.", NULL},
};

#define OPT_COUNT (sizeof(opt_descs) / sizeof(opt_descs[0]))

/* Values as typed, kept for messages about combinations. */
struct typed {
	const char *mode, *start, *end, *mask, *batch, *ring;
};

enum num_error { NUM_OK, NUM_EMPTY, NUM_SIGN, NUM_JUNK, NUM_RANGE };

static const char *const num_reasons[] = {
    [NUM_EMPTY] = "empty",
    [NUM_SIGN] = "sign not allowed",
    [NUM_JUNK] = "not a decimal number",
    [NUM_RANGE] = "out of range",
};

/*
 * getopt keeps its place in globals. glibc starts over from scratch, with
 * any half-read "-vf" cluster forgotten, only when optind is 0; the BSD
 * getopt of macOS wants optreset set and then starts at optind.
 */
static void getopt_restart(void)
{
#ifdef __GLIBC__
	optind = 0;
#else
	optreset = 1;
	optind = 1;
#endif
	opterr = 0;
}

static const struct opt_desc *desc_by_val(int val)
{
	for (size_t i = 0; i < OPT_COUNT; i++) {
		if (opt_descs[i].val == val)
			return &opt_descs[i];
	}
	return NULL;
}

/*
 * Parse the decimal number in [@s, @stop) into @out, between @min and
 * @max. Stricter than strtoul alone: no blanks, no sign, nothing after.
 */
static enum num_error parse_number(const char *s, const char *stop,
				   unsigned long min, unsigned long max,
				   unsigned long *out)
{
	int saved = errno;
	unsigned long v;
	char *end;
	bool range;

	if (s == stop)
		return NUM_EMPTY;
	if (*s == '-' || *s == '+')
		return NUM_SIGN;
	if (*s < '0' || *s > '9')
		return NUM_JUNK;
	errno = 0;
	v = strtoul(s, &end, 10);
	range = errno == ERANGE;
	errno = saved;
	if (end != stop)
		return NUM_JUNK;
	if (range || v < min || v > max)
		return NUM_RANGE;
	*out = v;
	return NUM_OK;
}

/* parse_number() of a whole option value, with a message on failure. */
static int parse_option_number(const char *opt, const char *s,
			       unsigned long min, unsigned long max,
			       const char *hint, unsigned long *out, char *err,
			       size_t errlen)
{
	enum num_error e = parse_number(s, s + strlen(s), min, max, out);

	if (e == NUM_OK)
		return 0;
	return errmsg_fail(err, errlen, -1, "invalid --%s '%s': %s; %s", opt, s,
			   num_reasons[e], hint);
}

static int parse_fd(struct options *o, const char *s, char *err, size_t errlen)
{
	static const char *const stdio[] = {"stdin", "stdout", "stderr"};
	unsigned long v;

	if (parse_option_number("fd", s, 0, INT_MAX,
				"pass the number of the inherited socket, 3 "
				"to " NUMBER_MAX_TEXT ", e.g. --fd 3",
				&v, err, errlen) < 0)
		return -1;
	if (v <= 2)
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --fd '%s': descriptor %lu is %s, and the "
		    "helper writes its JSON line to stdout and logs "
		    "to stderr; pass the VM's socket as descriptor 3 "
		    "or above, e.g. --fd 3",
		    s, v, stdio[v]);
	o->fd = (int)v;
	return 0;
}

static int parse_socket(struct options *o, const char *s, char *err,
			size_t errlen)
{
	size_t len = strlen(s);

	if (len == 0)
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --socket '': empty; pass the path of the "
		    "unix socket to create, e.g. --socket "
		    "/tmp/vm.sock");
	if (len > SOCKET_PATH_MAX)
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --socket '%s': %zu bytes long, but a unix "
		    "socket path holds at most %zu; pass a shorter "
		    "path",
		    s, len, (size_t)SOCKET_PATH_MAX);
	o->socket_path = s;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A UUID as 8-4-4-4-12 hex digits, either case, nothing else. */
static int parse_interface_id(struct options *o, const char *s, char *err,
			      size_t errlen)
{
	size_t n = 0;

	if (strlen(s) != OPTIONS_UUID_STRLEN)
		goto bad;
	for (size_t i = 0; i < OPTIONS_UUID_STRLEN; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				goto bad;
			continue;
		}
		hi = hex_digit(s[i]);
		lo = hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0)
			goto bad;
		o->interface_id[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	for (size_t i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		o->interface_id_str[i] =
		    c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
	}
	o->interface_id_str[OPTIONS_UUID_STRLEN] = '\0';
	o->interface_id_given = true;
	return 0;
bad:
	return errmsg_fail(
	    err, errlen, -1,
	    "invalid --interface-id '%s': not a UUID; pass 8-4-4-4-12 "
	    "hex digits such as "
	    "6f1d3c2a-9b7e-4e5f-8a1b-2c3d4e5f6a7b (uuidgen makes one)",
	    s);
}

static int parse_mode(struct options *o, const char *s, char *err,
		      size_t errlen)
{
	if (strcmp(s, "shared") == 0)
		o->operation_mode = OPTIONS_MODE_SHARED;
	else if (strcmp(s, "host") == 0)
		o->operation_mode = OPTIONS_MODE_HOST;
	else if (strcmp(s, "bridged") == 0)
		o->operation_mode = OPTIONS_MODE_BRIDGED;
	else
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --operation-mode '%s': pass shared, host "
		    "or bridged (lower case)",
		    s);
	o->operation_mode_given = true;
	return 0;
}

/* inet_pton, not vmnet-helper's inet_aton: "10.1" is a typo, not 10.0.0.1. */
static int parse_address(const char *opt, const char *s, struct in_addr *a,
			 bool *given, char *err, size_t errlen)
{
	if (inet_pton(AF_INET, s, a) != 1)
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --%s '%s': not an IPv4 address in the "
		    "form a.b.c.d; pass all four numbers, e.g. "
		    "192.168.105.1",
		    opt, s);
	*given = true;
	return 0;
}

static int parse_mask(struct options *o, const char *s, char *err,
		      size_t errlen)
{
	uint32_t host_bits;

	if (parse_address("subnet-mask", s, &o->subnet_mask,
			  &o->subnet_mask_given, err, errlen) < 0)
		return -1;
	/* A valid mask's zeros are all at the bottom: ~mask is 2^k - 1. */
	host_bits = ~ntohl(o->subnet_mask.s_addr);
	if (host_bits == UINT32_MAX)
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --subnet-mask '%s': an empty mask puts "
		    "every address in the subnet; pass e.g. "
		    "255.255.255.0 (a /24)",
		    s);
	if ((host_bits & (host_bits + 1)) != 0)
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --subnet-mask '%s': not contiguous ones "
		    "followed by zeros; pass e.g. 255.255.255.0 (a /24)",
		    s);
	return 0;
}

/* A non-empty value that is not a number or a name of a fixed form. */
static int parse_name(const char *opt, const char *s, const char **out,
		      const char *example, char *err, size_t errlen)
{
	if (*s == '\0')
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --%s '': empty; pass a value, e.g. --%s "
		    "%s",
		    opt, opt, example);
	*out = s;
	return 0;
}

/* The kernel's rule for interface names (dev_valid_name() in Linux). */
static int parse_ifname(const char *opt, const char *s, const char **out,
			const char *example, char *err, size_t errlen)
{
	size_t len = strlen(s);

	if (len == 0 || len > IFNAMSIZ - 1)
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --%s '%s': an interface name has 1 to %d "
		    "characters, this has %zu; pass e.g. --%s %s",
		    opt, s, IFNAMSIZ - 1, len, opt, example);
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0 ||
	    strpbrk(s, "/: \t\n\v\f\r") != NULL)
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --%s '%s': an interface name cannot be "
		    "'.' or '..' or hold '/', ':' or blanks; pass "
		    "e.g. --%s %s",
		    opt, s, opt, example);
	*out = s;
	return 0;
}

static int parse_cpus(struct options *o, const char *s, char *err,
		      size_t errlen)
{
	static const char hint[] =
	    "pass HOST,SOCKET (two CPU numbers, e.g. --cpus 2,3) or none";
	const char *comma = strchr(s, ',');
	const char *end = s + strlen(s);
	unsigned long host, sock;
	enum num_error e;

	if (strcmp(s, "none") == 0) {
		o->host_cpu = -1;
		o->socket_cpu = -1;
		return 0;
	}
	if (comma == NULL)
		return errmsg_fail(err, errlen, -1,
				   "invalid --cpus '%s': no comma; %s", s,
				   hint);
	e = parse_number(s, comma, 0, INT_MAX, &host);
	if (e != NUM_OK)
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --cpus '%s': host CPU '%.*s': %s; %s", s,
		    (int)(comma - s), s, num_reasons[e], hint);
	e = parse_number(comma + 1, end, 0, INT_MAX, &sock);
	if (e != NUM_OK)
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --cpus '%s': socket CPU '%s': %s; %s", s,
		    comma + 1, num_reasons[e], hint);
	o->host_cpu = (int)host;
	o->socket_cpu = (int)sock;
	return 0;
}

static int parse_ring_size(struct options *o, const char *s, char *err,
			   size_t errlen)
{
	unsigned long v;

	if (parse_option_number("ring-size", s, RING_SIZE_MIN, RING_SIZE_MAX,
				RING_SIZE_HINT, &v, err, errlen) < 0)
		return -1;
	if ((v & (v - 1)) != 0)
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --ring-size '%s': not a power of two; %s", s,
		    RING_SIZE_HINT);
	o->ring_size = (unsigned)v;
	return 0;
}

/* The option was given on the platform that does not have it. */
static int refuse_platform(const struct opt_desc *d, char *err, size_t errlen)
{
	if (d->scope == SCOPE_DARWIN)
		return errmsg_fail(err, errlen, -1,
				   "--%s is only available on macOS "
				   "(vmnet.framework); %s",
				   d->name, d->instead);
	return errmsg_fail(err, errlen, -1,
			   "--%s is only available on Linux; %s", d->name,
			   d->instead);
}

/* Append --NAME 'VALUE', or --NAME alone for a NULL @value, to the
 * space-separated list in @buf. */
static void append_option(char *buf, size_t size, const char *name,
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

/* getopt_long() returned '?' or ':'; say which option and why. */
static int bad_option(int c, int argc, char *const argv[], char *err,
		      size_t errlen)
{
	const struct opt_desc *d = optopt != 0 ? desc_by_val(optopt) : NULL;
	const char *typed =
	    optind >= 1 && optind <= argc ? argv[optind - 1] : "";
	size_t len;
	char list[256] = "";
	int matches = 0;

	if (d != NULL && c == ':' && d->has_arg == required_argument)
		return errmsg_fail(err, errlen, -1,
				   "--%s needs an argument: --%s %s", d->name,
				   d->name, d->arg);
	/* A flag given "=value": glibc says '?' and macOS says ':'. */
	if (d != NULL)
		return errmsg_fail(err, errlen, -1,
				   "--%s takes no value, got '%s'", d->name,
				   typed);
	if (optopt != 0)
		return errmsg_fail(
		    err, errlen, -1,
		    "unknown option '-%c'; see --help for the options", optopt);
	if (strncmp(typed, "--", 2) != 0)
		return errmsg_fail(
		    err, errlen, -1,
		    "unknown option '%s'; see --help for the options", typed);
	/* getopt_long takes unique prefixes, so this one matched none or
	 * several. */
	len = strcspn(typed + 2, "=");
	for (size_t i = 0; len > 0 && i < OPT_COUNT; i++) {
		if (strncmp(opt_descs[i].name, typed + 2, len) != 0)
			continue;
		append_option(list, sizeof(list), opt_descs[i].name, NULL);
		matches++;
	}
	if (matches > 1)
		return errmsg_fail(
		    err, errlen, -1,
		    "ambiguous option '%.*s': it matches %s; type the "
		    "whole name",
		    (int)len + 2, typed, list);
	return errmsg_fail(err, errlen, -1,
			   "unknown option '%.*s'; see --help for the options",
			   (int)len + 2, typed);
}

/* Handle one option getopt_long() returned; -1 with @err on a bad value. */
static int apply_option(struct options *o, struct typed *t, int c,
			const char *arg, char *err, size_t errlen)
{
	unsigned long v;

	switch (c) {
	case OPT_FD:
		return parse_fd(o, arg, err, errlen);
	case OPT_SOCKET:
		return parse_socket(o, arg, err, errlen);
	case OPT_INTERFACE_ID:
		return parse_interface_id(o, arg, err, errlen);
	case OPT_ENABLE_TSO:
		o->enable_tso = true;
		return 0;
	case OPT_OPERATION_MODE:
		t->mode = arg;
		return parse_mode(o, arg, err, errlen);
	case OPT_SHARED_INTERFACE:
		return parse_name("shared-interface", arg, &o->shared_interface,
				  "en0", err, errlen);
	case OPT_START_ADDRESS:
		t->start = arg;
		return parse_address("start-address", arg, &o->start_address,
				     &o->start_address_given, err, errlen);
	case OPT_END_ADDRESS:
		t->end = arg;
		return parse_address("end-address", arg, &o->end_address,
				     &o->end_address_given, err, errlen);
	case OPT_SUBNET_MASK:
		t->mask = arg;
		return parse_mask(o, arg, err, errlen);
	case OPT_ENABLE_CHECKSUM_OFFLOAD:
		o->enable_checksum_offload = true;
		return 0;
	case OPT_ENABLE_ISOLATION:
		o->enable_isolation = true;
		return 0;
	case OPT_NETWORK:
		return parse_name("network", arg, &o->network, "vmnet-shared",
				  err, errlen);
	case OPT_LIST_SHARED_INTERFACES:
		o->action = OPTIONS_LIST_SHARED_INTERFACES;
		return 0;
	case OPT_TAP:
		return parse_ifname("tap", arg, &o->tap, "tap0", err, errlen);
	case OPT_BRIDGE:
		return parse_ifname("bridge", arg, &o->bridge, "br0", err,
				    errlen);
	case OPT_CPUS:
		return parse_cpus(o, arg, err, errlen);
	case OPT_BATCH_SIZE:
		t->batch = arg;
		if (parse_option_number("batch-size", arg, 1, ENGINE_BATCH_MAX,
					BATCH_SIZE_HINT, &v, err, errlen) < 0)
			return -1;
		o->batch_size = (unsigned)v;
		return 0;
	case OPT_RING_SIZE:
		t->ring = arg;
		return parse_ring_size(o, arg, err, errlen);
	case OPT_STATS_INTERVAL:
		if (parse_option_number("stats-interval", arg, 1, INT_MAX,
					STATS_INTERVAL_HINT, &v, err,
					errlen) < 0)
			return -1;
		o->stats_interval = (unsigned)v;
		return 0;
	case OPT_USER:
		return parse_name("user", arg, &o->user, "nobody", err, errlen);
	case OPT_GROUP:
		return parse_name("group", arg, &o->group, "staff", err,
				  errlen);
	case OPT_PID:
		if (parse_option_number(
			"pid", arg, 1, INT_MAX,
			"pass the process id of a running process, e.g. the "
			"VM's",
			&v, err, errlen) < 0)
			return -1;
		o->pid = (pid_t)v;
		return 0;
	case OPT_VERBOSE:
		o->verbose = true;
		return 0;
	case OPT_VERSION:
		o->action = OPTIONS_VERSION;
		return 0;
	case OPT_HELP:
		o->action = OPTIONS_HELP;
		return 0;
	}
	return errmsg_fail(err, errlen, -1,
			   "internal error: option %d has no handler", c);
}

/* The first of the address options given, by name and typed value. */
static bool first_address(const struct options *o, const struct typed *t,
			  const char **name, const char **value)
{
	if (o->start_address_given) {
		*name = "start-address";
		*value = t->start;
	} else if (o->end_address_given) {
		*name = "end-address";
		*value = t->end;
	} else if (o->subnet_mask_given) {
		*name = "subnet-mask";
		*value = t->mask;
	} else {
		return false;
	}
	return true;
}

static int check_addresses(const struct options *o, const struct typed *t,
			   char *err, size_t errlen)
{
	const struct {
		const char *name, *value;
		bool given;
	} trio[] = {
	    {"start-address", t->start, o->start_address_given},
	    {"end-address", t->end, o->end_address_given},
	    {"subnet-mask", t->mask, o->subnet_mask_given},
	};
	char given[OPTIONS_ERR_MAX] = "", missing[64] = "";
	int n = 0;

	for (size_t i = 0; i < 3; i++) {
		if (trio[i].given) {
			append_option(given, sizeof(given), trio[i].name,
				      trio[i].value);
			n++;
		} else {
			append_option(missing, sizeof(missing), trio[i].name,
				      NULL);
		}
	}
	if (n == 1 || n == 2)
		return errmsg_fail(
		    err, errlen, -1,
		    "--start-address, --end-address and --subnet-mask "
		    "go together: got %s without %s; pass all three or "
		    "none (vmnet then picks a free subnet)",
		    given, missing);
	if (n == 3 &&
	    ntohl(o->start_address.s_addr) >= ntohl(o->end_address.s_addr))
		return errmsg_fail(
		    err, errlen, -1,
		    "--start-address '%s' is not below --end-address "
		    "'%s'; the start address is the gateway and DHCP "
		    "hands out the addresses after it, up to the end "
		    "address",
		    t->start, t->end);
	return 0;
}

/* Rules between options, once all are read (as vmnet-helper does). */
static int check_combinations(struct options *o, const struct typed *t,
			      char *err, size_t errlen)
{
	const char *addr_name, *addr_value;
	bool addr = first_address(o, t, &addr_name, &addr_value);
	unsigned batch = o->batch_size ? o->batch_size : ENGINE_BATCH_DEFAULT;

	if (o->network != NULL) {
		if (o->operation_mode_given)
			return errmsg_fail(
			    err, errlen, -1,
			    "--network '%s' cannot be used with "
			    "--operation-mode '%s': the network sets "
			    "the mode; drop --operation-mode",
			    o->network, t->mode);
		if (o->shared_interface != NULL)
			return errmsg_fail(
			    err, errlen, -1,
			    "--network '%s' cannot be used with "
			    "--shared-interface '%s': the network "
			    "sets the interface; drop "
			    "--shared-interface",
			    o->network, o->shared_interface);
		if (addr)
			return errmsg_fail(err, errlen, -1,
					   "--network '%s' cannot be used with "
					   "--%s '%s': the network sets the "
					   "addresses; drop --start-address, "
					   "--end-address and --subnet-mask",
					   o->network, addr_name, addr_value);
		o->warn_interface_id_ignored = o->interface_id_given;
	}
	if (o->operation_mode == OPTIONS_MODE_BRIDGED) {
		if (o->shared_interface == NULL)
			return errmsg_fail(
			    err, errlen, -1,
			    "--operation-mode bridged needs "
			    "--shared-interface NAME, the host "
			    "interface to bridge, e.g. en0 "
			    "(--list-shared-interfaces shows them)");
		if (o->enable_isolation)
			return errmsg_fail(
			    err, errlen, -1,
			    "--enable-isolation cannot be used with "
			    "--operation-mode bridged; isolation works "
			    "in shared and host modes only, so drop "
			    "one of them");
		if (addr)
			return errmsg_fail(
			    err, errlen, -1,
			    "--%s '%s' cannot be used with "
			    "--operation-mode bridged: a bridged VM "
			    "gets its address from the network it "
			    "joins; drop --start-address, "
			    "--end-address and --subnet-mask",
			    addr_name, addr_value);
	} else if (o->shared_interface != NULL) {
		return errmsg_fail(
		    err, errlen, -1,
		    "--shared-interface '%s' needs --operation-mode "
		    "bridged (the mode is %s); vmnet-helper ignores it "
		    "in other modes but this helper refuses it, so add "
		    "--operation-mode bridged or drop "
		    "--shared-interface",
		    o->shared_interface,
		    t->mode != NULL ? t->mode : "shared by default");
	}
	if (check_addresses(o, t, err, errlen) < 0)
		return -1;
	if (o->ring_size != 0 && o->ring_size < batch)
		return errmsg_fail(
		    err, errlen, -1,
		    "--ring-size '%s' is smaller than the batch size "
		    "%u%s%s%s; pass a ring size of at least %u or a "
		    "smaller --batch-size",
		    t->ring, batch, t->batch ? " (--batch-size '" : "",
		    t->batch ? t->batch : " (the default",
		    t->batch ? "')" : ")", batch);
	if (o->fd < 0 && o->socket_path == NULL)
		return errmsg_fail(
		    err, errlen, -1,
		    "missing --fd or --socket: pass --fd FD to use an "
		    "inherited socket (vmnet-run, QEMU) or --socket "
		    "PATH to bind one for the VM to send to (vfkit, "
		    "krunkit)");
	if (o->fd >= 0 && o->socket_path != NULL)
		return errmsg_fail(
		    err, errlen, -1,
		    "--fd %d and --socket '%s' cannot be used together: "
		    "--fd uses a socket the helper inherited, --socket "
		    "binds a new one at PATH; pass only one",
		    o->fd, o->socket_path);
	return 0;
}

static void options_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->action = OPTIONS_RUN;
	o->fd = -1;
	o->operation_mode = OPTIONS_MODE_SHARED;
	o->host_cpu = -1;
	o->socket_cpu = -1;
}

int options_parse(struct options *o, int argc, char *const argv[],
		  enum options_platform platform, char *err, size_t errlen)
{
	enum opt_scope here =
	    platform == OPTIONS_PLATFORM_DARWIN ? SCOPE_DARWIN : SCOPE_LINUX;
	struct option longopts[OPT_COUNT + 1];
	struct typed t = {0};
	int c;

	options_defaults(o);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	for (size_t i = 0; i < OPT_COUNT; i++) {
		longopts[i] =
		    (struct option){opt_descs[i].name, opt_descs[i].has_arg,
				    NULL, opt_descs[i].val};
	}
	longopts[OPT_COUNT] = (struct option){NULL, 0, NULL, 0};

	getopt_restart();
	/* Leading ':' makes a missing argument ':' rather than '?'. */
	while ((c = getopt_long(argc, argv, ":f:s:i:vh", longopts, NULL)) !=
	       -1) {
		const struct opt_desc *d;

		if (c == '?' || c == ':')
			return bad_option(c, argc, argv, err, errlen);
		d = desc_by_val(c);
		if (d != NULL && d->scope != SCOPE_ANY && d->scope != here)
			return refuse_platform(d, err, errlen);
		if (apply_option(o, &t, c, optarg, err, errlen) < 0)
			return -1;
		/* Like vmnet-helper: act now, ignore whatever follows. */
		if (o->action != OPTIONS_RUN)
			return 0;
	}
	if (optind < argc)
		return errmsg_fail(
		    err, errlen, -1,
		    "unexpected argument '%s': vmnet-helper takes only "
		    "options; see --help",
		    argv[optind]);
	return check_combinations(o, &t, err, errlen);
}

enum options_platform options_build_platform(void)
{
	/* The one place the platform is chosen by the preprocessor: tests
	 * pass either value to options_parse() on any build. */
#ifdef __APPLE__
	return OPTIONS_PLATFORM_DARWIN;
#else
	return OPTIONS_PLATFORM_LINUX;
#endif
}

const char *options_long_name(size_t i)
{
	return i < OPT_COUNT ? opt_descs[i].name : NULL;
}

/* Help text starts in this column; longer option names get a line alone. */
#define HELP_COLUMN 30

static void usage_option(FILE *out, const struct opt_desc *d)
{
	char head[64];
	const char *line = d->help;
	int n;

	if (d->val < 256)
		n = snprintf(head, sizeof(head), "  -%c, --%s%s%s", d->val,
			     d->name, d->arg ? " " : "", d->arg ? d->arg : "");
	else
		n = snprintf(head, sizeof(head), "      --%s%s%s", d->name,
			     d->arg ? " " : "", d->arg ? d->arg : "");
	fputs(head, out);
	if (n + 2 > HELP_COLUMN) { /* keep two blanks before the help */
		fputc('\n', out);
		n = 0;
	}
	while (*line != '\0') {
		size_t len = strcspn(line, "\n");

		fprintf(out, "%*s%.*s\n", HELP_COLUMN - n, "", (int)len, line);
		n = 0;
		line += len;
		if (*line == '\n')
			line++;
	}
}

void options_usage(FILE *out, const char *prog, enum options_platform platform)
{
	fprintf(
	    out,
	    "Usage: %s (--fd FD | --socket PATH) [OPTION]...\n"
	    "\n"
	    "Moves Ethernet frames between a VM, over a unix datagram "
	    "socket, and the host\n"
	    "network: vmnet.framework on macOS, a TAP device on Linux. "
	    "Prints one JSON line\n"
	    "describing the interface on stdout; logs go to stderr. Options "
	    "for %s only\n"
	    "are listed for reference and refused on %s.\n",
	    prog, platform == OPTIONS_PLATFORM_DARWIN ? "Linux" : "macOS",
	    platform == OPTIONS_PLATFORM_DARWIN ? "macOS" : "Linux");
	for (size_t i = 0; i < OPT_COUNT; i++) {
		if (opt_descs[i].section != NULL)
			fprintf(out, "\n%s\n", opt_descs[i].section);
		usage_option(out, &opt_descs[i]);
	}
	fputs("\n"
	      "Differences from vmnet-helper:\n"
	      "  The JSON line is printed only after the socket is bound, so "
	      "a client that\n"
	      "  reads it can connect at once. Supplementary groups are "
	      "dropped along with\n"
	      "  the uid and gid. With --fd the helper exits soon after the "
	      "VM closes its\n"
	      "  end, even with no traffic (the kernel is asked every 250 "
	      "ms), and with\n"
	      "  --pid when that process exits. --socket serves one client "
	      "after another\n"
	      "  instead of only the first; datagrams from other senders are "
	      "dropped and\n"
	      "  counted. Bad frames from the guest are counted and dropped, "
	      "never fatal.\n"
	      "  --shared-interface is refused outside bridged mode, and "
	      "addresses must be\n"
	      "  full dotted quads.\n",
	      out);
}
