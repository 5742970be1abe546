/* SPDX-License-Identifier: Apache-2.0 */
/* worker.h - one datapath thread: it serves one port (two workers, one per
 * endpoint, the default) or both (one worker, when the helper may use only
 * one CPU), and sleeps in its poller when there is nothing to do. */
#ifndef VMNET_HELPER_WORKER_H
#define VMNET_HELPER_WORKER_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#include "port.h"

struct poller;

#define WORKER_PORTS_MAX 2

struct worker {
	/* Set before worker_start(), read-only afterwards. */
	const char *name; /* thread name, also in log lines */
	int cpu;	  /* CPU to pin to, or -1 */
	unsigned spin_us; /* look for ring work this long before sleeping */
	struct poller *poller; /* made by worker_init(), its tags ours */
	struct port *ports[WORKER_PORTS_MAX];
	unsigned nports;
	void (*on_exit)(void *arg); /* called once when the loop ends */
	void *on_exit_arg;

	/* Flags other threads read or write; see worker.c for the protocol. */
	alignas(RING_CACHE_LINE) _Atomic int sleeping;
	_Atomic int stop_requested;

	/* Written by the worker; read by the supervisor: wakeups any time,
	 * the rest once a port's exit reason is seen (port_finish()). */
	alignas(RING_CACHE_LINE) _Atomic uint64_t wakeups; /* from poller */
	uint64_t cpu_ns; /* thread CPU time at exit */
	int pin_error;	 /* result of placement_pin_self(), 0 = ok */
	pthread_t thread;
};

/**
 * worker_init() - make a worker's poller
 * @w:	zeroed worker whose name, cpu, spin_us and on_exit the caller has set
 *
 * Return: 0 or the negative errno of poller_create().
 */
int worker_init(struct worker *w);

/**
 * worker_free() - free what worker_init() made
 * @w:	worker that is not running, or one never initialised (zeroed)
 */
void worker_free(struct worker *w);

/**
 * worker_add_port() - make @w serve @p; before worker_start()
 * @w:	worker
 * @p:	initialised port
 *
 * Return: 0, or -EINVAL when @w serves WORKER_PORTS_MAX ports already.
 */
int worker_add_port(struct worker *w, struct port *p);

/**
 * worker_start() - start the worker's thread
 * @w:	initialised worker with its ports
 *
 * Return: 0 or a negative errno from pthread_create().
 */
int worker_start(struct worker *w);

/**
 * worker_request_stop() - ask the worker to end its loop soon; any thread
 * @w:	worker
 */
void worker_request_stop(struct worker *w);

/**
 * worker_join() - wait for the worker's thread to end
 * @w:	started worker
 */
void worker_join(struct worker *w);

/**
 * worker_notify() - wake the worker serving a port because the port's
 * endpoint has frames
 * @arg:	the port
 *
 * Given to endpoints without a pollable fd (vmnet); safe from any thread.
 */
void worker_notify(void *arg);

#endif
