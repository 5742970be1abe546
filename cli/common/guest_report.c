/* SPDX-License-Identifier: Apache-2.0 */
/* guest_report.c - report the guest's addresses as they are learned (see
 * guest_report.h). */
#include "guest_report.h"

#include <errno.h>
#include <string.h>

#include "errmsg.h"
#include "log.h"

int guest_report_open(struct guest_report *r, const char *path, char *err,
		      size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->file.fd = -1;
	r->path = path;
	if (guest_learn_create(&r->learn))
		return errmsg_fail(err, errlen, -ENOMEM,
				   "out of memory for the address learner");
	return 0;
}

void guest_report_tick(struct guest_report *r)
{
	struct guest_addrs now;
	char line[512], err[512];
	int n;

	/* A writer mid-update: the next tick reads it. */
	if (!r->learn || !guest_learn_snapshot(r->learn, &now) ||
	    guest_addrs_equal(&now, &r->last))
		return;
	r->last = now;
	/* The file first, so whoever sees the log line finds it there. */
	if (r->path) {
		n = guest_addrs_json(&now, line, sizeof(line) - 1);
		if (n > 0) { /* always: 512 bytes hold any snapshot */
			line[n++] = '\n';
			if (owned_file_replace(&r->file, r->path,
					       "--address-file", line,
					       (size_t)n, err, sizeof(err)))
				log_warn("[main] %s", err);
		}
	}
	guest_addrs_describe(&now, line, sizeof(line));
	log_info("[main] guest addresses: %s", line);
}

void guest_report_forget(struct guest_report *r)
{
	owned_file_remove(&r->file);
	memset(&r->last, 0, sizeof(r->last));
	if (r->learn)
		guest_learn_reset(r->learn);
}

int guest_report_json(const struct guest_report *r, char *buf, size_t len)
{
	return guest_addrs_json(&r->last, buf, len);
}

void guest_report_add_to_object(const struct guest_report *r, char *buf,
				size_t len, size_t used)
{
	static const char key[] = ",\"guest\":";
	char obj[512];
	int n = guest_addrs_json(&r->last, obj, sizeof(obj));

	/* Replace the closing brace: ,"guest":{...}} and the NUL. */
	if (n < 0 || used == 0 || buf[used - 1] != '}' ||
	    used - 1 + sizeof(key) - 1 + (size_t)n + 2 > len)
		return;
	memcpy(buf + used - 1, key, sizeof(key) - 1);
	memcpy(buf + used - 1 + sizeof(key) - 1, obj, (size_t)n);
	memcpy(buf + used - 1 + sizeof(key) - 1 + (size_t)n, "}", 2);
}

void guest_report_close(struct guest_report *r)
{
	owned_file_remove(&r->file);
	guest_learn_destroy(r->learn);
	r->learn = NULL;
}
