/* SPDX-License-Identifier: Apache-2.0 */
/* load_report.h - what one run of the load tool measured, and the JSON
 * object it prints (the runner, perf/suite/run.py, reads it). */
#ifndef VMH_PERF_LOAD_REPORT_H
#define VMH_PERF_LOAD_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "frame.h"
#include "proc_sample.h"

struct load_opts {
	const char *dir, *vm, *host, *ready, *log, *count_syscalls, *label;
	const char *count_events, *sync;
	unsigned size, window, batch;
	double seconds, warmup;
	bool limit;   /* --host pair: no forwarder */
	bool host_fd; /* --host fd: the forwarder's host side is fd 4 */
	char **cmd;
	/* Many tools on one switch (perf/scale): --id gives this tool's
	 * MACs, --attach a running forwarder to measure instead of one to
	 * start. */
	unsigned id;
	pid_t attach;
};

enum load_side { SIDE_VM, SIDE_HOST };

/* One direction of traffic: its sender's state and its receiver's view. */
struct load_dir {
	const char *name; /* "vm2host" or "host2vm" */
	uint16_t flow;
	enum load_side from, to;
	struct frame_tmpl tmpl;
	uint8_t *tmpl_buf, *tx_bufs;
	struct mmsghdr *tx_msgs;
	struct iovec *tx_iov;
	uint64_t sent, written_off, stalls;
	uint64_t last_rx_ns;
	uint64_t rx_bytes;
	uint64_t win_frames, win_bytes; /* received inside the window */
	uint64_t win_start_unique, win_start_bytes;
	struct seq_tracker trk;
};

/* Frames a side received that were not one of its flows' good frames. */
struct load_side_counts {
	uint64_t foreign, damaged, truncated, misrouted;
};

/* One perf stat count: event on one thread of the forwarder. */
struct syscall_count {
	char thread[48];
	char event[64];
	uint64_t count;
};

struct load_result {
	const struct load_opts *o;
	const char *forwarder; /* argv[0] of the forwarder, or "none" */
	pid_t pid;
	struct load_dir *dirs[2];
	int ndirs;
	struct load_side_counts side[2];
	/* Misrouted frames (both sides) received inside the window: on a
	 * shared switch, flooding under load rather than while it learns. */
	uint64_t win_misrouted;
	double window_s;
	struct proc_sample idle, t0, t1, end; /* forwarder */
	struct rusage self0, self1;	      /* this tool */
	uint64_t ring_drops, tap_tx_dropped;
	int exit_status; /* the forwarder's wait status */
	/* the tool's sleeps in poll(), and those that ended by time-out */
	uint64_t waits, wait_timeouts, win_waits, win_wait_timeouts;
	/* counting run */
	uint64_t count_frames;
	double count_s;
	struct syscall_count *counts;
	int ncounts;
};

/**
 * load_report_json() - print @r as one JSON object and a newline
 * @f: where
 * @r: the run
 */
void load_report_json(FILE *f, const struct load_result *r);

/**
 * load_report_verdict() - "0 lost, 0 reordered, ..." for a run
 * @r:   the run
 * @buf: filled with the verdict
 * @cap: its size
 *
 * Return: true when every frame arrived once, in order, undamaged.
 */
bool load_report_verdict(const struct load_result *r, char *buf, size_t cap);

#endif
