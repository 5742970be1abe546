/* SPDX-License-Identifier: Apache-2.0 */
/* options_values.c - the value parsers: numbers, fds, paths, UUIDs, modes,
 * addresses, masks, names and CPUs, each strict and with its own message. */
#include "options_values.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "errmsg.h"
#include "options_expose.h"
#include "options_guard.h"
#include "options_networks.h"
#include "options_table.h"

/* Longest path bind() takes: sun_path less its terminating NUL. */
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

enum num_error { NUM_OK, NUM_EMPTY, NUM_SIGN, NUM_JUNK, NUM_RANGE };

static const char *const num_reasons[] = {
    [NUM_EMPTY] = "empty",
    [NUM_SIGN] = "sign not allowed",
    [NUM_JUNK] = "not a decimal number",
    [NUM_RANGE] = "out of range",
};

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

/* An inherited socket's number: --fd (the VM's, @what "the VM's socket",
 * e.g. 3) or --host-fd (the host side's, e.g. 4). */
static int parse_fd(const char *opt, const char *what, const char *example,
		    const char *s, int *out, char *err, size_t errlen)
{
	static const char *const stdio[] = {"stdin", "stdout", "stderr"};
	char hint[96];
	unsigned long v;

	snprintf(
	    hint, sizeof(hint),
	    "pass the number of the inherited socket, 3 to " NUMBER_MAX_TEXT
	    ", e.g. --%s %s",
	    opt, example);
	if (parse_option_number(opt, s, 0, INT_MAX, hint, &v, err, errlen) < 0)
		return -1;
	if (v <= 2)
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --%s '%s': descriptor %lu is %s, and the "
		    "helper writes its JSON line to stdout and logs "
		    "to stderr; pass %s as descriptor 3 "
		    "or above, e.g. --%s %s",
		    opt, s, v, stdio[v], what, opt, example);
	*out = (int)v;
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

int options_hex_digit(char c)
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
int options_parse_uuid(const char *opt, const char *s, uint8_t out[16],
		       char *err, size_t errlen)
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
		hi = options_hex_digit(s[i]);
		lo = options_hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0)
			goto bad;
		out[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return 0;
bad:
	return errmsg_fail(
	    err, errlen, -1,
	    "invalid --%s '%s': not a UUID; pass 8-4-4-4-12 "
	    "hex digits such as "
	    "6f1d3c2a-9b7e-4e5f-8a1b-2c3d4e5f6a7b (uuidgen makes one)",
	    opt, s);
}

static int parse_interface_id(struct options *o, const char *s, char *err,
			      size_t errlen)
{
	if (options_parse_uuid("interface-id", s, o->host.interface_id, err,
			       errlen) < 0)
		return -1;
	for (size_t i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		o->interface_id_str[i] =
		    c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
	}
	o->interface_id_str[OPTIONS_UUID_STRLEN] = '\0';
	o->host.interface_id_given = true;
	return 0;
}

static int parse_mode(struct options *o, const char *s, char *err,
		      size_t errlen)
{
	if (strcmp(s, "shared") == 0)
		o->host.mode = HOST_MODE_SHARED;
	else if (strcmp(s, "host") == 0)
		o->host.mode = HOST_MODE_HOST;
	else if (strcmp(s, "bridged") == 0)
		o->host.mode = HOST_MODE_BRIDGED;
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
	if (parse_address("subnet-mask", s, &o->host.subnet_mask,
			  &o->subnet_mask_given, err, errlen) < 0)
		return -1;
	if (o->host.subnet_mask.s_addr == 0)
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --subnet-mask '%s': an empty mask puts "
		    "every address in the subnet; pass e.g. "
		    "255.255.255.0 (a /24)",
		    s);
	if (!options_mask_is_contiguous(o->host.subnet_mask))
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

/*
 * A name given to TUNSETIFF may hold one "%d", which the kernel replaces
 * with the first free number (dev_alloc_name() in Linux); any other '%'
 * makes it fail with EINVAL, which reads like "exists and is not a TAP".
 */
static int parse_tap(struct options *o, const char *s, char *err, size_t errlen)
{
	const char *pct = strchr(s, '%');

	if (pct != NULL && (pct[1] != 'd' || strchr(pct + 2, '%') != NULL))
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --tap '%s': a TAP name may hold one %%d, which "
		    "the kernel replaces with the first free number (vm%%d "
		    "gives vm0), and no other '%%'; pass e.g. --tap tap0",
		    s);
	return parse_ifname("tap", s, &o->host.tap, "tap0", err, errlen);
}

/* A device's name never holds '%': the kernel reads one as a pattern. */
static int parse_bridge(struct options *o, const char *s, char *err,
			size_t errlen)
{
	if (strchr(s, '%') != NULL)
		return errmsg_fail(
		    err, errlen, -1,
		    "invalid --bridge '%s': no interface name holds '%%', "
		    "which the kernel reads as a pattern; pass the "
		    "bridge's name, e.g. --bridge br0",
		    s);
	return parse_ifname("bridge", s, &o->host.bridge, "br0", err, errlen);
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

static int parse_workers(struct options *o, const char *s, char *err,
			 size_t errlen)
{
	if (strcmp(s, "auto") == 0) {
		o->workers = 0;
		return 0;
	}
	if (strcmp(s, "1") == 0 || strcmp(s, "2") == 0) {
		o->workers = (unsigned)(s[0] - '0');
		return 0;
	}
	return errmsg_fail(err, errlen, -1,
			   "invalid --workers '%s': pass 1, 2 or auto, e.g. "
			   "--workers 2",
			   s);
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

int options_apply(struct options *o, struct options_typed *t, int c,
		  const char *arg, char *err, size_t errlen)
{
	unsigned long v;

	switch (c) {
	case OPT_FD:
		return parse_fd("fd", "the VM's socket", "3", arg, &o->fd, err,
				errlen);
	case OPT_HOST_FD:
		return parse_fd("host-fd", "the host side's socket", "4", arg,
				&o->host_fd, err, errlen);
	case OPT_SOCKET:
		return parse_socket(o, arg, err, errlen);
	case OPT_STREAM:
		o->socket_stream = true;
		return 0;
	case OPT_INTERFACE_ID:
		return parse_interface_id(o, arg, err, errlen);
	case OPT_ENABLE_TSO:
		o->host.enable_tso = true;
		return 0;
	case OPT_OPERATION_MODE:
		t->mode = arg;
		return parse_mode(o, arg, err, errlen);
	case OPT_SHARED_INTERFACE:
		if (strlen(arg) > IFNAMSIZ - 1)
			return errmsg_fail(
			    err, errlen, -1,
			    "invalid --shared-interface '%s': an interface "
			    "name has at most %d characters, this has %zu; "
			    "--list-shared-interfaces shows them",
			    arg, IFNAMSIZ - 1, strlen(arg));
		return parse_name("shared-interface", arg,
				  &o->host.shared_interface, "en0", err,
				  errlen);
	case OPT_START_ADDRESS:
		t->start = arg;
		return parse_address("start-address", arg,
				     &o->host.start_address,
				     &o->start_address_given, err, errlen);
	case OPT_END_ADDRESS:
		t->end = arg;
		return parse_address("end-address", arg, &o->host.end_address,
				     &o->end_address_given, err, errlen);
	case OPT_SUBNET_MASK:
		t->mask = arg;
		return parse_mask(o, arg, err, errlen);
	case OPT_ENABLE_CHECKSUM_OFFLOAD:
		o->host.enable_checksum_offload = true;
		return 0;
	case OPT_ENABLE_ISOLATION:
		o->host.enable_isolation = true;
		return 0;
	case OPT_NETWORK:
		return parse_name("network", arg, &o->host.network,
				  "vmnet-shared", err, errlen);
	case OPT_LIST_SHARED_INTERFACES:
		o->action = OPTIONS_LIST_SHARED_INTERFACES;
		return 0;
	case OPT_TAP:
		return parse_tap(o, arg, err, errlen);
	case OPT_BRIDGE:
		return parse_bridge(o, arg, err, errlen);
	case OPT_CPUS:
		return parse_cpus(o, arg, err, errlen);
	case OPT_WORKERS:
		return parse_workers(o, arg, err, errlen);
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
		if (parse_option_number(
			"stats-interval", arg, 1, ENGINE_STATS_INTERVAL_MAX_S,
			STATS_INTERVAL_HINT, &v, err, errlen) < 0)
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
	case OPT_NO_SANDBOX:
		o->no_sandbox = true;
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
	case OPT_PIDFILE:
		return parse_name("pidfile", arg, &o->pidfile,
				  "/run/vmnet-helper/vm1.pid", err, errlen);
	case OPT_ADDRESS_FILE:
		o->learn_addresses = true;
		return parse_name("address-file", arg, &o->address_file,
				  "/run/vmnet-helper/vm1.addr", err, errlen);
	case OPT_LEARN_ADDRESSES:
		o->learn_addresses = true;
		return 0;
	case OPT_EXPOSE:
		return options_parse_expose(o, arg, err, errlen);
	}
	int r = options_apply_network(o, t, c, arg, err, errlen);
	if (r <= 0)
		return r;
	r = options_apply_guard(o, c, arg, err, errlen);
	if (r <= 0)
		return r;
	return errmsg_fail(err, errlen, -1,
			   "internal error: option %d has no handler", c);
}
