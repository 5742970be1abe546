/* SPDX-License-Identifier: Apache-2.0 */
/* load_opts.c - vmh-load's command line (the options: load.c's usage). */
#include "load_util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

static void parse_seconds(const char *s, double *out, const char *opt)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 3600)
		load_fail("invalid %s '%s': pass seconds, e.g. %s 3", opt, s,
			  opt);
	*out = v;
}

static unsigned parse_count(const char *s, unsigned min, unsigned max,
			    const char *opt)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s < '0' || *s > '9' || *end != '\0' || v < min || v > max)
		load_fail("invalid %s '%s': pass a number from %u to %u", opt,
			  s, min, max);
	return (unsigned)v;
}

void load_opts_parse(int argc, char **argv, struct load_opts *o)
{
	enum {
		O_DIR = 256,
		O_SIZE,
		O_SECONDS,
		O_WARMUP,
		O_WINDOW,
		O_BATCH,
		O_VM,
		O_HOST,
		O_READY,
		O_LOG,
		O_COUNT,
		O_EVENTS,
		O_SYNC_DIR,
		O_LABEL,
		O_ID,
		O_ATTACH
	};
	static const struct option longs[] = {
	    {"dir", required_argument, 0, O_DIR},
	    {"size", required_argument, 0, O_SIZE},
	    {"seconds", required_argument, 0, O_SECONDS},
	    {"warmup", required_argument, 0, O_WARMUP},
	    {"window", required_argument, 0, O_WINDOW},
	    {"batch", required_argument, 0, O_BATCH},
	    {"vm", required_argument, 0, O_VM},
	    {"host", required_argument, 0, O_HOST},
	    {"ready", required_argument, 0, O_READY},
	    {"log", required_argument, 0, O_LOG},
	    {"count-syscalls", required_argument, 0, O_COUNT},
	    {"count-events", required_argument, 0, O_EVENTS},
	    {"sync", required_argument, 0, O_SYNC_DIR},
	    {"label", required_argument, 0, O_LABEL},
	    {"id", required_argument, 0, O_ID},
	    {"attach", required_argument, 0, O_ATTACH},
	    {0, 0, 0, 0}};
	int c;

	memset(o, 0, sizeof(*o));
	o->dir = "vm2host";
	o->size = 64;
	o->seconds = 3;
	o->warmup = 0.5;
	o->batch = 32;
	o->vm = "fd";
	o->host = NULL;
	o->ready = "json";
	o->log = "/dev/null";
	o->label = "";
	while ((c = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
		switch (c) {
		case O_DIR:
			if (strcmp(optarg, "vm2host") &&
			    strcmp(optarg, "host2vm") && strcmp(optarg, "both"))
				load_fail(
				    "invalid --dir '%s': pass vm2host, host2vm "
				    "or both",
				    optarg);
			o->dir = optarg;
			break;
		case O_SIZE:
			o->size = parse_count(optarg, FRAME_MIN_LEN,
					      FRAME_MAX_LEN, "--size");
			break;
		case O_SECONDS:
			parse_seconds(optarg, &o->seconds, "--seconds");
			break;
		case O_WARMUP:
			parse_seconds(optarg, &o->warmup, "--warmup");
			break;
		case O_WINDOW:
			o->window =
			    parse_count(optarg, 1, 1u << 20, "--window");
			break;
		case O_BATCH:
			o->batch = parse_count(optarg, 1, BATCH_MAX, "--batch");
			break;
		case O_VM:
			o->vm = optarg;
			break;
		case O_HOST:
			o->host = optarg;
			break;
		case O_READY:
			o->ready = optarg;
			break;
		case O_LOG:
			o->log = optarg;
			break;
		case O_COUNT:
			o->count_syscalls = optarg;
			break;
		case O_EVENTS:
			o->count_events = optarg;
			break;
		case O_SYNC_DIR:
			o->sync = optarg;
			break;
		case O_LABEL:
			o->label = optarg;
			break;
		case O_ID:
			o->id = parse_count(optarg, 0, 65535, "--id");
			break;
		case O_ATTACH:
			o->attach =
			    (pid_t)parse_count(optarg, 1, 1u << 22, "--attach");
			break;
		default:
			load_fail("unknown option: see the usage at the top of "
				  "perf/suite/linux/load.c");
		}
	}
	o->cmd = argv + optind;
	o->limit = o->host && strcmp(o->host, "pair") == 0;
	o->host_fd = o->host && strcmp(o->host, "fd") == 0;
	if (!o->host ||
	    (!o->limit && !o->host_fd && strncmp(o->host, "tap:", 4) != 0))
		load_fail(
		    "missing --host: pass --host tap:NAME (the forwarder's "
		    "TAP), --host fd (its host socket, VM to VM) or --host "
		    "pair (the limit)");
	if (o->attach &&
	    (o->cmd[0] || o->limit || o->host_fd || strcmp(o->vm, "fd") == 0))
		load_fail("--attach measures a running forwarder: pass --vm "
			  "socket:PATH or vde:PATH and --host tap:NAME, and no "
			  "command after --");
	if (!o->limit && !o->attach && !o->cmd[0])
		load_fail("no forwarder: pass its command after --, e.g. -- "
			  "build/vmnet-helper --fd 3 --tap vmhp0");
	if (o->window == 0) {
		/* A few MiB in flight at most, however big the frames. */
		unsigned w = (4u << 20) / o->size;
		o->window = w > 256 ? 256 : w < 8 ? 8 : w;
	}
	if (o->batch > o->window)
		o->batch = o->window;
}
