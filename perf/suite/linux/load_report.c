/* SPDX-License-Identifier: Apache-2.0 */
/* load_report.c - the load tool's JSON object (keys: perf/suite/README.md):
 * rates at the receiver, every frame's fate, and the forwarder's CPU,
 * context switches and memory over the traffic window, per thread. */
#include "load_report.h"

#include <inttypes.h>
#include <string.h>

/* The tool is said to be the bottleneck when it used this much of its
 * core: it then had no time left to wait for the forwarder. */
#define TOOL_BOUND_PCT 90.0

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static uint64_t window_frames(const struct load_result *r)
{
	uint64_t n = 0;

	for (int i = 0; i < r->ndirs; i++)
		n += r->dirs[i]->win_frames;
	return n;
}

bool load_report_verdict(const struct load_result *r, char *buf, size_t cap)
{
	uint64_t lost = 0, reord = 0, dup = 0, bad = 0;
	bool clean = true;

	for (int i = 0; i < r->ndirs; i++) {
		const struct load_dir *d = r->dirs[i];

		lost += seq_tracker_lost(&d->trk, d->sent);
		reord += d->trk.reordered;
		dup += d->trk.duplicated;
		bad += d->trk.late;
		clean &= seq_tracker_clean(&d->trk, d->sent);
	}
	for (int s = 0; s < 2; s++)
		bad += r->side[s].damaged + r->side[s].truncated +
		       r->side[s].misrouted;
	snprintf(buf, cap,
		 "%" PRIu64 " lost, %" PRIu64 " reordered, %" PRIu64
		 " duplicated, %" PRIu64 " damaged",
		 lost, reord, dup, bad);
	return clean && bad == 0;
}

static void json_threads(FILE *f, const struct load_result *r, double ticks,
			 uint64_t frames)
{
	fputs("\"threads\":[", f);
	for (int i = 0; i < r->t1.nthreads; i++) {
		const struct thread_sample *b = &r->t1.t[i], *a = NULL;
		double w = r->window_s;

		for (int j = 0; j < r->t0.nthreads; j++)
			if (r->t0.t[j].tid == b->tid)
				a = &r->t0.t[j];
		if (!a)
			continue; /* started inside the window */
		double ut = (double)(b->utime - a->utime) / ticks,
		       st = (double)(b->stime - a->stime) / ticks;
		uint64_t vcsw = b->vcsw - a->vcsw, ivcsw = b->ivcsw - a->ivcsw;

		fprintf(f, "%s{\"tid\":%d,\"comm\":", i ? "," : "", b->tid);
		json_str(f, b->comm);
		fputs(",\"role\":", f);
		json_str(f, proc_thread_role(r->pid, b));
		fprintf(f,
			",\"user_pct\":%.2f,\"sys_pct\":%.2f,\"cpu_pct\":%.2f,"
			"\"vcsw\":%" PRIu64 ",\"ivcsw\":%" PRIu64
			",\"vcsw_per_kframe\":%.4f,\"ivcsw_per_kframe\":%.4f}",
			100 * ut / w, 100 * st / w, 100 * (ut + st) / w, vcsw,
			ivcsw,
			frames ? 1000.0 * (double)vcsw / (double)frames : 0,
			frames ? 1000.0 * (double)ivcsw / (double)frames : 0);
	}
	fputs("]", f);
}

static void json_forwarder(FILE *f, const struct load_result *r)
{
	uint64_t frames = window_frames(r), vcsw = 0, ivcsw = 0;
	double ticks = (double)proc_ticks_per_s();
	double cpu_s = (double)(r->t1.cpu_ns - r->t0.cpu_ns) / 1e9;

	for (int i = 0; i < r->t1.nthreads; i++)
		for (int j = 0; j < r->t0.nthreads; j++)
			if (r->t0.t[j].tid == r->t1.t[i].tid) {
				vcsw += r->t1.t[i].vcsw - r->t0.t[j].vcsw;
				ivcsw += r->t1.t[i].ivcsw - r->t0.t[j].ivcsw;
			}
	fprintf(f,
		",\"forwarder_cpu\":{\"cpu_pct\":%.2f,\"cpu_s\":%.4f,"
		"\"s_per_mframe\":%.4f,\"vcsw_per_kframe\":%.4f,"
		"\"ivcsw_per_kframe\":%.4f,",
		100 * cpu_s / r->window_s, cpu_s,
		frames ? cpu_s * 1e6 / (double)frames : 0,
		frames ? 1000.0 * (double)vcsw / (double)frames : 0,
		frames ? 1000.0 * (double)ivcsw / (double)frames : 0);
	json_threads(f, r, ticks, frames);
	fprintf(f,
		"},\"rss_kib\":{\"idle\":%" PRIu64 ",\"load\":%" PRIu64
		",\"peak\":%" PRIu64 "}",
		r->idle.rss_kib, r->t1.rss_kib, r->end.hwm_kib);
	fprintf(f, ",\"exit_status\":%d", r->exit_status);
}

static void json_syscalls(FILE *f, const struct load_result *r)
{
	uint64_t frames = r->count_frames;

	fprintf(f,
		",\"syscalls\":{\"frames\":%" PRIu64 ",\"seconds\":%.3f,"
		"\"counts\":[",
		frames, r->count_s);
	for (int i = 0; i < r->ncounts; i++) {
		const struct syscall_count *c = &r->counts[i];

		fprintf(f, "%s{\"thread\":", i ? "," : "");
		json_str(f, c->thread);
		fputs(",\"event\":", f);
		json_str(f, c->event);
		fprintf(
		    f, ",\"count\":%" PRIu64 ",\"per_kframe\":%.4f}", c->count,
		    frames ? 1000.0 * (double)c->count / (double)frames : 0);
	}
	fputs("]}", f);
}

void load_report_json(FILE *f, const struct load_result *r)
{
	const struct load_opts *o = r->o;
	double pps = 0, gbps = 0, tool_s;
	static const char *const side_names[] = {"vm", "host"};
	char verdict[160];
	bool clean = load_report_verdict(r, verdict, sizeof(verdict));

	fputs("{\"label\":", f);
	json_str(f, o->label);
	fputs(",\"forwarder\":", f);
	json_str(f, r->forwarder);
	fputs(",\"cmd\":[", f);
	for (int i = 0; o->cmd && o->cmd[i]; i++) {
		fputs(i ? "," : "", f);
		json_str(f, o->cmd[i]);
	}
	fputs("],\"dir\":", f);
	json_str(f, o->dir);
	fputs(",\"vm\":", f);
	json_str(f, o->vm);
	fprintf(f,
		",\"size\":%u,\"window\":%u,\"batch\":%u,\"seconds\":%.4f,"
		"\"directions\":[",
		o->size, o->window, o->batch, r->window_s);
	for (int i = 0; i < r->ndirs; i++) {
		const struct load_dir *d = r->dirs[i];
		double dp = (double)d->win_frames / r->window_s,
		       dg = 8.0 * (double)d->win_bytes / r->window_s / 1e9;

		pps += dp;
		gbps += dg;
		fprintf(f,
			"%s{\"name\":\"%s\",\"frames\":%" PRIu64
			",\"pps\":%.0f,\"gbps\":%.4f,\"sent\":%" PRIu64
			",\"received\":%" PRIu64 ",\"lost\":%" PRIu64
			",\"reordered\":%" PRIu64 ",\"duplicated\":%" PRIu64
			",\"late\":%" PRIu64 ",\"stalls\":%" PRIu64 "}",
			i ? "," : "", d->name, d->win_frames, dp, dg, d->sent,
			d->trk.unique, seq_tracker_lost(&d->trk, d->sent),
			d->trk.reordered, d->trk.duplicated, d->trk.late,
			d->stalls);
	}
	fprintf(f, "],\"pps\":%.0f,\"gbps\":%.4f,\"sides\":{", pps, gbps);
	for (int s = 0; s < 2; s++)
		fprintf(f,
			"%s\"%s\":{\"foreign\":%" PRIu64 ",\"damaged\":%" PRIu64
			",\"truncated\":%" PRIu64 ",\"misrouted\":%" PRIu64 "}",
			s ? "," : "", side_names[s], r->side[s].foreign,
			r->side[s].damaged, r->side[s].truncated,
			r->side[s].misrouted);
	fprintf(f, "},\"misrouted_in_window\":%" PRIu64, r->win_misrouted);
	fprintf(f, ",\"clean\":%s,\"verdict\":", clean ? "true" : "false");
	json_str(f, verdict);
	fprintf(f, ",\"ring_drops\":%" PRIu64 ",\"tap_tx_dropped\":%" PRIu64,
		r->ring_drops, r->tap_tx_dropped);
	tool_s = tv_s(&r->self1.ru_utime) - tv_s(&r->self0.ru_utime) +
		 tv_s(&r->self1.ru_stime) - tv_s(&r->self0.ru_stime);
	fprintf(
	    f,
	    ",\"tool_cpu_pct\":%.2f,\"tool_bound\":%s,\"tool_waits\":%" PRIu64
	    ",\"tool_wait_timeouts\":%" PRIu64,
	    100 * tool_s / r->window_s,
	    100 * tool_s / r->window_s >= TOOL_BOUND_PCT ? "true" : "false",
	    r->win_waits, r->win_wait_timeouts);
	if (r->pid > 0)
		json_forwarder(f, r);
	if (o->count_syscalls)
		json_syscalls(f, r);
	fputs("}\n", f);
}
