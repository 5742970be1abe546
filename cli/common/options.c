/* SPDX-License-Identifier: Apache-2.0 */
/* options.c - the vmnet-helper command line: getopt_long over the option
 * table (options_table.c), each value to its parser (options_values.c),
 * then the rules between options (options_rules.c). */
#include "options.h"

#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"
#include "options_platform.h"
#include "options_rules.h"
#include "options_table.h"
#include "options_values.h"

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

/* getopt_long() returned '?' or ':'; say which option and why. */
static int bad_option(int c, int argc, char *const argv[], char *err,
		      size_t errlen)
{
	const struct opt_desc *d = optopt != 0 ? opt_desc_by_val(optopt) : NULL;
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
		opt_list_append(list, sizeof(list), opt_descs[i].name, NULL);
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

static void options_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->action = OPTIONS_RUN;
	o->fd = -1;
	o->host.mode = HOST_MODE_SHARED;
	o->host_cpu = -1;
	o->socket_cpu = -1;
}

int options_parse(struct options *o, int argc, char *const argv[],
		  enum options_platform platform, char *err, size_t errlen)
{
	enum opt_scope here =
	    platform == OPTIONS_PLATFORM_DARWIN ? SCOPE_DARWIN : SCOPE_LINUX;
	struct option longopts[OPT_COUNT + 1];
	struct options_typed t = {0};
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

	options_getopt_restart();
	/* Leading ':' makes a missing argument ':' rather than '?'. */
	while ((c = getopt_long(argc, argv, ":f:s:i:vh", longopts, NULL)) !=
	       -1) {
		const struct opt_desc *d;

		if (c == '?' || c == ':')
			return bad_option(c, argc, argv, err, errlen);
		d = opt_desc_by_val(c);
		if (d != NULL && d->scope != SCOPE_ANY && d->scope != here)
			return refuse_platform(d, err, errlen);
		if (options_apply(o, &t, c, optarg, err, errlen) < 0)
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
	return options_check_rules(o, &t, platform, err, errlen);
}
