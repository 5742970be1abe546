/* SPDX-License-Identifier: Apache-2.0 */
/* options_help.c - vmnet-helper's --help text, written from the option
 * table. */
#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "options_table.h"

/* Help text starts in this column; longer option names get a line alone. */
#define HELP_COLUMN 30

static void usage_option(FILE *out, const struct opt_desc *d,
			 enum options_platform platform)
{
	char head[64];
	const char *line = platform == OPTIONS_PLATFORM_LINUX && d->help_linux
			       ? d->help_linux
			       : d->help;
	/* An optional value is written --NAME[=VALUE], as it must be typed. */
	const char *sep = d->has_arg == optional_argument ? "" : " ";
	int n;

	if (d->val < 256)
		n = snprintf(head, sizeof(head), "  -%c, --%s%s%s", d->val,
			     d->name, d->arg ? sep : "", d->arg ? d->arg : "");
	else
		n = snprintf(head, sizeof(head), "      --%s%s%s", d->name,
			     d->arg ? sep : "", d->arg ? d->arg : "");
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
	fprintf(out,
		"Usage: %s (--fd FD | --socket PATH) [OPTION]...\n"
		"\n"
		"Moves Ethernet frames between a VM, over a unix datagram "
		"socket, and the host\n"
		"network: vmnet.framework on macOS, a TAP device on Linux, or "
		"another VM's\n"
		"socket (--host-fd). Prints one JSON line describing the "
		"interface on stdout;\n"
		"logs go to stderr. Options for %s only are listed for "
		"reference and refused\n"
		"on %s.\n",
		prog, platform == OPTIONS_PLATFORM_DARWIN ? "Linux" : "macOS",
		platform == OPTIONS_PLATFORM_DARWIN ? "macOS" : "Linux");
	for (size_t i = 0; i < OPT_COUNT; i++) {
		if (opt_descs[i].section != NULL)
			fprintf(out, "\n%s\n", opt_descs[i].section);
		usage_option(out, &opt_descs[i], platform);
	}
	fputs("\n"
	      "Signals:\n"
	      "  SIGTERM, SIGINT, SIGHUP and SIGQUIT stop the helper cleanly "
	      "(status 0, the\n"
	      "  final counters logged, --socket files removed), also while "
	      "it starts or\n"
	      "  waits for a client. SIGUSR1 logs the stats line at once. "
	      "SIGPIPE, SIGUSR2\n"
	      "  and SIGALRM are ignored.\n"
	      "\n"
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
	      "  full dotted quads. Once serving, it is sandboxed: on Linux "
	      "no capability can\n"
	      "  come back and a seccomp filter kills it on any system call "
	      "it has no use\n"
	      "  for; on macOS it cannot start processes (docs/security.md).\n",
	      out);
}
