/* SPDX-License-Identifier: Apache-2.0 */
/* engine.h - the datapath between a host endpoint and the VM's socket: two
 * pinned workers joined by SPSC rings (or one worker serving both endpoints
 * where the helper may use only one CPU), and the supervisor that starts,
 * watches and stops them. */
#ifndef VMNET_HELPER_ENGINE_H
#define VMNET_HELPER_ENGINE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"
#include "frame_filter.h"
#include "frame_inspector.h"

/* Defaults, from perf/micro/engine_bench (docs/engine.md has the figures). */
#define ENGINE_BATCH_DEFAULT	     64
#define ENGINE_RING_DEFAULT	     512
#define ENGINE_WRITE_WAIT_US_DEFAULT 500
#define ENGINE_RETRY_US_DEFAULT	     50
#define ENGINE_SPIN_US_DEFAULT	     0
#define ENGINE_BATCH_MAX	     256
/* With 64 KiB (TSO) frames each buffer is 43 times larger: smaller
 * batches and rings keep the pools near 13 MiB (docs/engine.md). */
#define ENGINE_TSO_BATCH_DEFAULT 16
#define ENGINE_TSO_RING_DEFAULT	 64

/*
 * The most one engine's packet buffers and rings may take
 * (engine_memory_needed()). All of it is allocated at start, and a flood
 * towards a VM that does not read makes all of it resident. One helper runs
 * per VM, so a host pays this once per VM; and the rings are there to absorb
 * bursts: 128 MiB a direction holds about 100 ms of 10 Gbit/s, beyond which
 * a deeper queue adds latency rather than saving frames. No batch and ring
 * size of 1514-byte frames reaches it (the largest, 256 and 65536, take
 * 205 MiB); with TSO it allows rings of up to 1024 frames.
 */
#define ENGINE_MEMORY_MAX ((size_t)256 << 20)

/* The stats timer counts milliseconds in an unsigned: 49 days. */
#define ENGINE_STATS_INTERVAL_MAX_S (UINT_MAX / 1000u)

/* engine_config.workers: how many threads move frames. */
#define ENGINE_WORKERS_AUTO 0 /* engine_config.workers says when 1, when 2 */
/* Auto picks one worker on machines with this many CPUs online or fewer. */
#define ENGINE_AUTO_ONE_WORKER_MAX_CPUS 2
#define ENGINE_WORKERS_MAX		2

enum engine_exit {
	ENGINE_EXIT_SIGNAL,    /* a stop signal: SIGTERM, SIGINT, ... */
	ENGINE_EXIT_STOPPED,   /* engine_stop() */
	ENGINE_EXIT_VM_GONE,   /* the VM's end of the socket went away */
	ENGINE_EXIT_HOST_GONE, /* the host endpoint reached its end */
	ENGINE_EXIT_FAILED,    /* an endpoint or the engine failed */
	ENGINE_EXIT_WATCHED,   /* cfg.exit_fd became readable (--pid) */
};

/* One direction, from the worker that reads it to the one that writes it. */
struct direction_stats {
	uint64_t packets, bytes; /* delivered */
	uint64_t batches;	 /* write calls that delivered frames */
	uint64_t read_packets, read_bytes, read_batches;
	uint64_t retries;
	uint64_t drop_runt, drop_truncated, drop_vfkt, drop_foreign;
	/* The guard's (frame_filter.h): VM to host only. */
	uint64_t drop_guard_mac, drop_guard_ip, drop_guard_dst, drop_guard_vlan;
	uint64_t drop_too_big;	 /* the endpoint refused it for good */
	uint64_t drop_link_down; /* the host link was down (a TAP set down) */
	uint64_t drop_unsent;	 /* a batch write took it but did not send it */
	uint64_t drop_stalled;
	uint64_t drop_shutdown; /* in the engine when it stopped */
	/* Counted by the caller, not the workers: datagrams a --socket
	 * sender sent that no client session ever read, because the helper
	 * could not answer it (unbound, or gone before it connected back). */
	uint64_t drop_unanswerable;
};

/**
 * direction_drops() - every frame of one direction that was read and will
 * never be delivered, whatever the reason
 * @d:	the direction
 *
 * Once the engine has stopped, read_packets == packets + this, exactly:
 * the promise the counters keep (nothing read is lost without a count).
 *
 * Return: the sum of the drop counters.
 */
static inline uint64_t direction_drops(const struct direction_stats *d)
{
	return d->drop_runt + d->drop_truncated + d->drop_vfkt +
	       d->drop_foreign + d->drop_guard_mac + d->drop_guard_ip +
	       d->drop_guard_dst + d->drop_guard_vlan + d->drop_too_big +
	       d->drop_link_down + d->drop_unsent + d->drop_stalled +
	       d->drop_shutdown + d->drop_unanswerable;
}

struct engine_stats {
	struct direction_stats host_to_vm, vm_to_host;
	uint64_t host_wakeups, socket_wakeups;
	/* CPU time (user + system) of each worker thread: in what on_stats
	 * gets, so far (read from the thread's clock); from
	 * engine_get_stats(), known once it has stopped, 0 while it runs.
	 * With one worker serving both endpoints, its wake-ups and CPU time
	 * are the host's, the socket's are 0. */
	uint64_t host_cpu_ns, socket_cpu_ns;
};

struct engine_config {
	unsigned batch;	    /* frames per call, 1 to ENGINE_BATCH_MAX */
	unsigned ring_size; /* slots per direction: power of 2, >= batch;
			     * with batch, within ENGINE_MEMORY_MAX */
	/* Longest a refused batch waits while its reader takes nothing;
	 * then the rest of it is dropped. socket_write_wait_us, if not 0,
	 * replaces it for the batches towards the VM. */
	unsigned write_wait_us;
	unsigned socket_write_wait_us;
	unsigned retry_us; /* retry period when no event will come */
	unsigned spin_us;  /* look for work this long before sleeping */
	int host_cpu;	   /* CPU for the host worker, or -1: unpinned */
	int socket_cpu;	   /* CPU for the socket worker, or -1 */
	/*
	 * Worker threads: 2 (one per endpoint, each on its own CPU), 1 (one
	 * thread serves both endpoints, pinned to host_cpu if set), or
	 * ENGINE_WORKERS_AUTO: 1 when the process may run on one CPU only
	 * (its affinity mask), host_cpu == socket_cpu >= 0, or the machine
	 * has ENGINE_AUTO_ONE_WORKER_MAX_CPUS CPUs online or fewer, else 2.
	 */
	unsigned workers;
	/* CPUs the machine has online, for ENGINE_WORKERS_AUTO; read by
	 * engine_config_defaults(). */
	int online_cpus;
	bool handle_signals;	   /* answer signals as signals.h says */
	unsigned stats_interval_s; /* 0: no periodic stats; at most
				    * ENGINE_STATS_INTERVAL_MAX_S */
	void (*on_stats)(const struct engine_stats *s, void *arg);
	void *stats_arg;
	/*
	 * A datagram socket has no end of file: on Linux a VM that closes
	 * its end raises no event, and only the next send would notice. So
	 * the supervisor asks vm_alive() every vm_check_ms whether the VM's
	 * end still exists: 1 yes, 0 gone (the engine stops with
	 * ENGINE_EXIT_VM_GONE), negative: cannot tell (ignored). NULL or 0
	 * ms: never asked.
	 */
	int (*vm_alive)(void *arg);
	void *vm_alive_arg;
	unsigned vm_check_ms;
	/* The same for a host endpoint that is a datagram socket too
	 * (--host-fd): host_alive() is asked on the same timer, every
	 * vm_check_ms, and 0 stops the engine with ENGINE_EXIT_HOST_GONE.
	 * NULL: never asked. */
	int (*host_alive)(void *arg);
	void *host_alive_arg;
	/* An fd that becomes readable when the engine must end, e.g. a
	 * process watch for --pid; exit_why says what happened ("process
	 * 42 exited"). -1 (the default): none. Not owned. */
	int exit_fd;
	const char *exit_why;
	/* Inspectors of the frames read from the VM (by the socket port)
	 * and of those read for it (by the host port); NULL: none, and
	 * the datapath pays nothing (frame_inspector.h). Not owned. */
	struct frame_inspector *inspect_from_vm, *inspect_to_vm;
	/* A filter of the frames read from the VM, run before its
	 * inspector; NULL: none, and the datapath pays nothing
	 * (frame_filter.h). Not owned. */
	struct frame_filter *filter_from_vm;
	/* Called on the supervisor's thread every tick_ms while the
	 * workers run, e.g. to report what the inspectors learned. NULL or
	 * 0 ms: never. */
	void (*on_tick)(void *arg);
	void *tick_arg;
	unsigned tick_ms;
};

struct engine;

/**
 * engine_config_defaults() - fill @cfg with the defaults above, unpinned,
 * no signals, no stats
 * @cfg:	config to fill
 */
void engine_config_defaults(struct engine_config *cfg);

/**
 * engine_create() - allocate everything the datapath will ever use
 * @cfg:	configuration; copied
 * @host:	host endpoint; not owned, must outlive the engine
 * @vm:		VM socket endpoint; likewise
 * @ep:		on success, the engine
 * @err:	on failure, a sentence naming what was wrong
 * @errlen:	room in @err
 *
 * Pools, rings, pollers and worker arrays are sized from the batch, the
 * ring size and the endpoints' max frame, and nothing grows later. A
 * config whose pools and rings would take more than ENGINE_MEMORY_MAX is
 * refused.
 *
 * Return: 0, -EINVAL (bad config), -ENOMEM, or another negative errno.
 */
int engine_create(const struct engine_config *cfg, struct endpoint *host,
		  struct endpoint *vm, struct engine **ep, char *err,
		  size_t errlen);

/**
 * engine_run() - run both workers until something stops them
 * @e:	engine
 *
 * The calling thread becomes the supervisor: with handle_signals it takes
 * the helper's signals (signals.h: SIGTERM, SIGINT, SIGHUP and SIGQUIT
 * stop it, SIGUSR1 reports stats at once, SIGPIPE is ignored) before
 * starting the workers; it reports stats every stats_interval_s, and on a
 * stop signal, engine_stop(), or a worker ending, stops and joins both
 * workers. Call it once. The signals stay blocked afterwards, so one that
 * arrives during the caller's cleanup cannot kill the process.
 *
 * Return: why it stopped; engine_exit_message() says it in words.
 */
enum engine_exit engine_run(struct engine *e);

/**
 * engine_stop() - make engine_run() return soon; any thread
 * @e:	engine
 */
void engine_stop(struct engine *e);

/**
 * engine_get_stats() - read the counters; any thread, any time
 * @e:	engine
 * @s:	filled with a snapshot (each counter exact, not all at one instant)
 */
void engine_get_stats(struct engine *e, struct engine_stats *s);

/**
 * engine_exit_message() - why engine_run() returned, as a sentence
 * @e:	engine after engine_run()
 *
 * Return: e.g. "stopped by SIGTERM", "the VM closed its socket
 * (Connection refused)".
 */
const char *engine_exit_message(const struct engine *e);

/**
 * engine_destroy() - free the engine; endpoints are left to the caller
 * @e:	engine not running, or NULL
 *
 * Once engine_run() has returned the engine no longer touches the
 * endpoints, so the caller may close them first; before that (an engine
 * made but never run) they must still be open.
 */
void engine_destroy(struct engine *e);

/**
 * engine_workers() - how many worker threads the engine runs
 * @e:	engine
 *
 * Return: 1 or 2; ENGINE_WORKERS_AUTO is resolved by engine_create().
 */
unsigned engine_workers(const struct engine *e);

/**
 * engine_memory_bytes() - bytes allocated for packet buffers and rings
 * @e:	engine
 *
 * Return: the total, the bulk of the helper's footprint.
 */
size_t engine_memory_bytes(const struct engine *e);

/**
 * engine_memory_needed() - what engine_memory_bytes() will be for an engine
 * of this batch and ring size whose larger endpoint frame is @max_frame
 * @batch:	frames per call
 * @ring_size:	slots per direction
 * @max_frame:	bytes
 *
 * Computed as engine_create() allocates, so a caller can refuse a size
 * before anything starts; compare it with ENGINE_MEMORY_MAX.
 *
 * Return: the bytes.
 */
size_t engine_memory_needed(unsigned batch, unsigned ring_size,
			    uint32_t max_frame);

/**
 * engine_stats_add() - add every counter of @s to @sum
 * @sum:	running total, e.g. over the clients a --socket served
 * @s:		one engine's counters
 */
void engine_stats_add(struct engine_stats *sum, const struct engine_stats *s);

/**
 * engine_format_stats() - one JSON object of counters, no newline
 * @s:		counters
 * @buf:	output
 * @len:	room in @buf
 *
 * The keys of vmnet-helper's "[stats]" line ("time", and per direction
 * "host" (host to VM) and "vm" (VM to host) with "packets", "bytes",
 * "drops", "fast", "slow"), plus ours: batches and drops by reason per
 * direction, and wake-ups per worker.
 *
 * Return: the length written, or -1 if @buf was too small.
 */
int engine_format_stats(const struct engine_stats *s, char *buf, size_t len);

#endif
