/* SPDX-License-Identifier: Apache-2.0 */
/* guest_report.h - what the helper learns of the guest's addresses, told to
 * whoever waits for it: a log line and --address-file on each change, a
 * key in the stats line. Runs on the supervisor's thread. */
#ifndef VMNET_HELPER_GUEST_REPORT_H
#define VMNET_HELPER_GUEST_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "guest_learn.h"
#include "owned_file.h"

/*
 * Why a file and not more lines on stdout: tools parse the first JSON
 * line and many stop reading there (minikube decodes one object; a pipe
 * nobody reads fills, and then a write would block the supervisor or, once
 * the reader is gone, fail). A file rewritten by rename(2) costs its
 * reader nothing until it looks, is never half-written, and can be waited
 * on (poll it, inotify, kqueue's EVFILT_VNODE).
 */

struct guest_report {
	struct guest_learn *learn;
	const char *path; /* --address-file, or NULL */
	struct owned_file file;
	struct guest_addrs last; /* last reported */
};

/**
 * guest_report_open() - a learner to give the engine, and where to report
 * @r:		filled
 * @path:	--address-file PATH, or NULL for the log and stats only
 * @err:	on failure, one line
 * @errlen:	room in @err
 *
 * Return: 0 or a negative errno.
 */
int guest_report_open(struct guest_report *r, const char *path, char *err,
		      size_t errlen);

/**
 * guest_report_tick() - report what changed since the last call
 * @r:	report
 *
 * Logs "[main] guest addresses: ..." and rewrites the address file when
 * the learner knows something new; a failed write is logged, not fatal.
 */
void guest_report_tick(struct guest_report *r);

/**
 * guest_report_forget() - a new --socket client: forget the last guest
 * and remove the address file until this one says something
 * @r:	report; no engine may be running
 */
void guest_report_forget(struct guest_report *r);

/**
 * guest_report_json() - what is known now, as guest_addrs_json() writes it
 * @r:		report
 * @buf:	output
 * @len:	room in @buf
 *
 * Return: the length, or -1 if it did not fit.
 */
int guest_report_json(const struct guest_report *r, char *buf, size_t len);

/**
 * guest_report_add_to_object() - add "guest": what is known, as the last
 * member of the JSON object in @buf
 * @r:		report
 * @buf:	a JSON object, e.g. the stats line
 * @len:	room in @buf
 * @used:	its length, without the NUL
 *
 * Left as it was when the member does not fit.
 */
void guest_report_add_to_object(const struct guest_report *r, char *buf,
				size_t len, size_t used);

/**
 * guest_report_close() - remove the address file (if still ours) and free
 * the learner
 * @r:	report, or one zeroed (nothing happens)
 */
void guest_report_close(struct guest_report *r);

#endif
