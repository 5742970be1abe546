/* SPDX-License-Identifier: Apache-2.0 */
/* test_engine.c - the engine: configuration limits, the stats line, the
 * watches that stop it (vm_alive, host_alive, exit_fd), and the datapath
 * scenarios of engine_scenarios.c. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "endpoint_dgram.h"
#include "engine.h"
#include "engine_scenarios.h"
#include "host.h"
#include "testutil.h"

/* Two throwaway endpoints, enough for engine_create(). */
static struct endpoint *ep[2];
static int app[2];

static void endpoints_open(void)
{
	for (int i = 0; i < 2; i++) {
		int sv[2];

		cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
		app[i] = sv[0];
		cr_assert_eq(
		    endpoint_dgram_open(sv[1], "test", 1514, 256, &ep[i]), 0);
	}
}

static void endpoints_close(void)
{
	for (int i = 0; i < 2; i++) {
		endpoint_close(ep[i]);
		close(app[i]);
	}
}

static void expect_rejected(struct engine_config *cfg, const char *words)
{
	struct engine *e = (struct engine *)1;
	char err[160] = "";

	cr_assert_eq(engine_create(cfg, ep[0], ep[1], &e, err, sizeof(err)),
		     -EINVAL);
	cr_assert_null(e);
	cr_assert(strstr(err, words), "error '%s' lacks '%s'", err, words);
}

Test(engine, rejects_batch_out_of_range, .init = endpoints_open,
     .fini = endpoints_close)
{
	struct engine_config cfg;

	engine_config_defaults(&cfg);
	cfg.batch = 0;
	expect_rejected(&cfg, "batch size 0");
	cfg.batch = ENGINE_BATCH_MAX + 1;
	expect_rejected(&cfg, "batch size 257");
}

Test(engine, rejects_ring_not_power_of_two_or_below_batch,
     .init = endpoints_open, .fini = endpoints_close)
{
	struct engine_config cfg;

	engine_config_defaults(&cfg);
	cfg.ring_size = 300;
	expect_rejected(&cfg, "ring size 300");
	cfg.ring_size = 32;
	cfg.batch = 64;
	expect_rejected(&cfg, "power of two from the batch size (64)");
}

Test(engine, rejects_wait_shorter_than_retry, .init = endpoints_open,
     .fini = endpoints_close)
{
	struct engine_config cfg;

	engine_config_defaults(&cfg);
	cfg.write_wait_us = 10;
	cfg.retry_us = 50;
	expect_rejected(&cfg, "write wait 10 us");
}

Test(engine, rejects_stats_interval_past_the_timer, .init = endpoints_open,
     .fini = endpoints_close)
{
	struct engine_config cfg;

	engine_config_defaults(&cfg);
	/* Its milliseconds would wrap the timer's unsigned to 0. */
	cfg.stats_interval_s = ENGINE_STATS_INTERVAL_MAX_S + 1;
	expect_rejected(&cfg, "stats interval 4294968 s: at most 4294967 s");
}

Test(engine, rejects_more_than_two_workers, .init = endpoints_open,
     .fini = endpoints_close)
{
	struct engine_config cfg;

	engine_config_defaults(&cfg);
	cfg.workers = 3;
	expect_rejected(&cfg, "3 workers");
}

/* engine_workers() of an engine made with @cfg. */
static unsigned workers_of(const struct engine_config *cfg)
{
	struct engine *e;
	unsigned n;

	cr_assert_eq(engine_create(cfg, ep[0], ep[1], &e, NULL, 0), 0);
	n = engine_workers(e);
	engine_destroy(e);
	return n;
}

Test(engine, runs_the_workers_asked_for, .init = endpoints_open,
     .fini = endpoints_close)
{
	struct engine_config cfg;

	engine_config_defaults(&cfg);
	cfg.workers = 1;
	cr_assert_eq(workers_of(&cfg), 1);
	cfg.workers = 2;
	cr_assert_eq(workers_of(&cfg), 2);
}

Test(engine, auto_runs_one_worker_when_both_are_pinned_to_one_cpu,
     .init = endpoints_open, .fini = endpoints_close)
{
	struct engine_config cfg;

	engine_config_defaults(&cfg);
	cr_assert_eq(cfg.workers, ENGINE_WORKERS_AUTO);
	cfg.host_cpu = cfg.socket_cpu = 0;
	cr_assert_eq(workers_of(&cfg), 1);
}

Test(engine, auto_follows_the_affinity_mask, .init = endpoints_open,
     .fini = endpoints_close)
{
	struct engine_config cfg;
	cpu_set_t all, one;

	engine_config_defaults(&cfg);
	cr_assert_eq(sched_getaffinity(0, sizeof(all), &all), 0);
	/* Criterion runs each test in its own process: the mask is ours. */
	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all)) {
			CPU_SET(c, &one);
			break;
		}
	cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	cr_assert_eq(workers_of(&cfg), 1, "one CPU usable: one worker");
	cr_assert_eq(cfg.online_cpus, sysconf(_SC_NPROCESSORS_ONLN));
	if (CPU_COUNT(&all) > 1) {
		cr_assert_eq(sched_setaffinity(0, sizeof(all), &all), 0);
		/* Two CPUs usable: one worker on a machine of two (the VM
		 * needs the other), two on a bigger one. */
		cfg.online_cpus = ENGINE_AUTO_ONE_WORKER_MAX_CPUS;
		cr_assert_eq(workers_of(&cfg), 1,
			     "%d CPUs usable of %d online: one worker",
			     CPU_COUNT(&all), cfg.online_cpus);
		cfg.online_cpus = ENGINE_AUTO_ONE_WORKER_MAX_CPUS + 1;
		cr_assert_eq(workers_of(&cfg), 2,
			     "%d CPUs usable of %d online: two workers",
			     CPU_COUNT(&all), cfg.online_cpus);
	}
}

Test(engine, memory_stays_small_for_1514_and_tso_frames)
{
	struct engine_config cfg;
	struct endpoint *e[2];
	struct engine *eng;
	int sv[2][2];
	const uint32_t frames[2] = {HOST_FRAME_DEFAULT,
				    HOST_TSO_FRAME_MAX_DARWIN};
	const size_t limits[2] = {8u << 20, 32u << 20};

	engine_config_defaults(&cfg);
	for (int k = 0; k < 2; k++) {
		/* TSO frames use the smaller batches and rings the CLI
		 * takes for them (options_sizing.c), to stay within the
		 * same budget. */
		if (frames[k] > HOST_FRAME_DEFAULT) {
			cfg.batch = ENGINE_TSO_BATCH_DEFAULT;
			cfg.ring_size = ENGINE_TSO_RING_DEFAULT;
		}
		for (int i = 0; i < 2; i++) {
			cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv[i]),
				     0);
			cr_assert_eq(endpoint_dgram_open(sv[i][1], "t",
							 frames[k], cfg.batch,
							 &e[i]),
				     0);
		}
		cr_assert_eq(engine_create(&cfg, e[0], e[1], &eng, NULL, 0), 0);
		size_t bytes = engine_memory_bytes(eng);
		cr_assert_lt(bytes, limits[k], "%u-byte frames: %zu bytes",
			     frames[k], bytes);
		engine_destroy(eng);
		for (int i = 0; i < 2; i++) {
			endpoint_close(e[i]);
			close(sv[i][0]);
		}
	}
}

Test(engine, stats_line_has_vmnet_helper_keys_and_ours)
{
	struct engine_stats s;
	char buf[2048];

	memset(&s, 0, sizeof(s));
	s.host_to_vm.packets = 11;
	s.host_to_vm.drop_stalled = 2;
	s.host_to_vm.drop_runt = 1;
	s.vm_to_host.bytes = 4242;
	s.vm_to_host.read_batches = 7;
	int n = engine_format_stats(&s, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq((size_t)n, strlen(buf));
	cr_assert_eq(buf[0], '{');
	cr_assert_eq(buf[n - 1], '}');
	cr_assert(strstr(buf, "\"time\":\""));
	cr_assert(strstr(buf, "\"host\":{\"packets\":11,"), "%s", buf);
	cr_assert(strstr(buf, "\"drops\":3,"), "%s", buf);
	cr_assert(strstr(buf, "\"vm\":{\"packets\":0,\"bytes\":4242,"), "%s",
		  buf);
	cr_assert(strstr(buf, "\"fast\":7,\"slow\":0"), "%s", buf);
	cr_assert(strstr(buf, "\"drop_stalled\":2"), "%s", buf);
	cr_assert(strstr(buf, "\"wakeups\":{\"host\":0,\"socket\":0}"));
	cr_assert_eq(engine_format_stats(&s, buf, 40), -1, "too small");
}

Test(engine, stats_line_names_each_cause_of_a_refused_write)
{
	struct engine_stats s;
	char buf[2048];

	memset(&s, 0, sizeof(s));
	s.vm_to_host.drop_too_big = 3;
	s.vm_to_host.drop_link_down = 4;
	s.vm_to_host.drop_unsent = 5;
	cr_assert_gt(engine_format_stats(&s, buf, sizeof(buf)), 0);
	cr_expect(strstr(buf, "\"drops\":12,"), "%s", buf);
	cr_expect(strstr(buf, "\"drop_too_big\":3,\"drop_link_down\":4,"
			      "\"drop_unsent\":5,"),
		  "%s", buf);
}

/* What stops the engine besides its workers: the caller's watches. */

/* The engine between two socketpairs; each test decides what stops it. */
struct watched_engine {
	struct endpoint *ep[2];
	int app[2];
	struct engine *engine;
};

static void engine_up(struct watched_engine *w, struct engine_config *cfg)
{
	char err[160] = "";

	for (int i = 0; i < 2; i++) {
		int sv[2];

		cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
		w->app[i] = sv[0];
		cr_assert_eq(endpoint_dgram_open(sv[1], "t", 1514, cfg->batch,
						 &w->ep[i]),
			     0);
	}
	cr_assert_eq(engine_create(cfg, w->ep[0], w->ep[1], &w->engine, err,
				   sizeof(err)),
		     0, "%s", err);
}

static void engine_down(struct watched_engine *w)
{
	engine_destroy(w->engine);
	for (int i = 0; i < 2; i++) {
		endpoint_close(w->ep[i]);
		close(w->app[i]);
	}
}

static int asked;

static int vm_gone_on_third_ask(void *arg)
{
	(void)arg;
	return ++asked < 3;
}

Test(engine_watch, stops_when_vm_alive_says_gone, .timeout = 60)
{
	struct watched_engine w;
	struct engine_config cfg;

	engine_config_defaults(&cfg);
	cfg.vm_alive = vm_gone_on_third_ask;
	cfg.vm_check_ms = 5;
	engine_up(&w, &cfg);
	cr_assert_eq(engine_run(w.engine), ENGINE_EXIT_VM_GONE);
	cr_assert_eq(asked, 3);
	cr_assert(strstr(engine_exit_message(w.engine), "VM closed"), "%s",
		  engine_exit_message(w.engine));
	engine_down(&w);
}

static int always_there(void *arg)
{
	(void)arg;
	return 1;
}

/* --host-fd: the host side's other end, asked on the same timer. */
Test(engine_watch, stops_when_host_alive_says_gone, .timeout = 60)
{
	struct watched_engine w;
	struct engine_config cfg;

	engine_config_defaults(&cfg);
	cfg.vm_alive = always_there;
	cfg.host_alive = vm_gone_on_third_ask;
	cfg.vm_check_ms = 5;
	asked = 0;
	engine_up(&w, &cfg);
	cr_assert_eq(engine_run(w.engine), ENGINE_EXIT_HOST_GONE);
	cr_assert_eq(asked, 3);
	cr_assert_str_eq(engine_exit_message(w.engine),
			 "the other end of the t closed (it no longer exists)");
	engine_down(&w);
}

Test(engine_watch, stops_when_exit_fd_fires, .timeout = 60)
{
	struct watched_engine w;
	struct engine_config cfg;
	int pipefd[2];

	cr_assert_eq(pipe(pipefd), 0);
	engine_config_defaults(&cfg);
	cfg.exit_fd = pipefd[0];
	cfg.exit_why = "process 42 exited";
	engine_up(&w, &cfg);
	/* Ready before the run starts: registration must still see it. */
	cr_assert_eq(write(pipefd[1], "x", 1), 1);
	cr_assert_eq(engine_run(w.engine), ENGINE_EXIT_WATCHED);
	cr_assert_str_eq(engine_exit_message(w.engine), "process 42 exited");
	engine_down(&w);
	close(pipefd[0]);
	close(pipefd[1]);
}

/* Every scenario, with the engine's two workers and with one worker serving
 * both endpoints (what a helper confined to one CPU runs). */
#define ENGINE_FLOW_TESTS(suite, workers)                                      \
	Test(suite, both_directions_arrive_intact_in_order, .timeout = 120)    \
	{                                                                      \
		scenario_set_workers(workers);                                 \
		STRESS_ASSERT(scenario_both_directions(200000));               \
	}                                                                      \
	Test(suite, stalled_host_reader_accounts_every_frame, .timeout = 120)  \
	{                                                                      \
		scenario_set_workers(workers);                                 \
		STRESS_ASSERT(scenario_stalled_reader(1));                     \
	}                                                                      \
	Test(suite, stalled_vm_reader_accounts_every_frame, .timeout = 120)    \
	{                                                                      \
		scenario_set_workers(workers);                                 \
		STRESS_ASSERT(scenario_stalled_reader(0));                     \
	}                                                                      \
	Test(suite, sigterm_during_flood_stops_cleanly, .timeout = 60)         \
	{                                                                      \
		scenario_set_workers(workers);                                 \
		STRESS_ASSERT(scenario_signal_during_flood(SIGTERM));          \
	}                                                                      \
	Test(suite, sigint_during_flood_stops_cleanly, .timeout = 60)          \
	{                                                                      \
		scenario_set_workers(workers);                                 \
		STRESS_ASSERT(scenario_signal_during_flood(SIGINT));           \
	}                                                                      \
	Test(suite, vm_close_stops_engine, .timeout = 60)                      \
	{                                                                      \
		scenario_set_workers(workers);                                 \
		STRESS_ASSERT(scenario_peer_close(0));                         \
	}                                                                      \
	Test(suite, host_close_stops_engine, .timeout = 60)                    \
	{                                                                      \
		scenario_set_workers(workers);                                 \
		STRESS_ASSERT(scenario_peer_close(1));                         \
	}                                                                      \
	Test(suite, bad_frames_from_vm_counted, .timeout = 60)                 \
	{                                                                      \
		scenario_set_workers(workers);                                 \
		STRESS_ASSERT(scenario_bad_frames(0));                         \
	}                                                                      \
	Test(suite, bad_frames_from_host_counted, .timeout = 60)               \
	{                                                                      \
		scenario_set_workers(workers);                                 \
		STRESS_ASSERT(scenario_bad_frames(1));                         \
	}

ENGINE_FLOW_TESTS(engine_flow, 2)
ENGINE_FLOW_TESTS(engine_flow_one_worker, 1)

/* An endpoint that moves nothing and records what the engine says about
 * its buffers (use_buffers()). */
struct recording {
	struct endpoint ep;
	int offers, withdrawals;
	struct endpoint_region region[2];
};

static int recording_read(struct endpoint *ep, struct pkt **pkts, unsigned n)
{
	(void)ep;
	(void)pkts;
	(void)n;
	return -EAGAIN;
}

static int recording_write(struct endpoint *ep, struct pkt *const *pkts,
			   unsigned n)
{
	(void)ep;
	(void)pkts;
	return (int)n;
}

static int recording_use_buffers(struct endpoint *ep,
				 const struct endpoint_region *regions,
				 unsigned n)
{
	struct recording *r = (struct recording *)ep;

	if (n == 0) {
		r->withdrawals++;
		return 0;
	}
	cr_assert_eq(n, 2);
	memcpy(r->region, regions, sizeof(r->region));
	r->offers++;
	return 0;
}

static void recording_close(struct endpoint *ep)
{
	(void)ep;
}

static const struct endpoint_ops recording_ops = {
    .read_batch = recording_read,
    .write_batch = recording_write,
    .use_buffers = recording_use_buffers,
    .close = recording_close,
};

#define RECORDING(n)                                                           \
	{                                                                      \
		.ep = {.ops = &recording_ops,                                  \
		       .name = n,                                              \
		       .fd = -1,                                               \
		       .max_frame = 1514},                                     \
	}

/* Where frames lie: each endpoint is told of both pools once, and told to
 * forget them as soon as the workers stop, before engine_destroy(), since
 * the caller may close an endpoint in between. */
Test(engine, offers_its_pools_and_withdraws_them_when_it_stops, .timeout = 30)
{
	struct recording rec[2] = {RECORDING("a"), RECORDING("b")};
	struct engine_config cfg;
	struct engine *e;

	engine_config_defaults(&cfg);
	cr_assert_eq(engine_create(&cfg, &rec[0].ep, &rec[1].ep, &e, NULL, 0),
		     0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(rec[i].offers, 1, "endpoint %d", i);
		cr_assert_eq(rec[i].withdrawals, 0, "endpoint %d", i);
		for (int k = 0; k < 2; k++)
			cr_assert(rec[i].region[k].base &&
				      rec[i].region[k].len >= 1514,
				  "endpoint %d, region %d", i, k);
	}
	/* Each endpoint reads into one pool and writes from the other. */
	cr_assert_eq(rec[0].region[0].base, rec[1].region[1].base);
	cr_assert_eq(rec[0].region[1].base, rec[1].region[0].base);
	cr_assert_neq(rec[0].region[0].base, rec[0].region[1].base);

	engine_stop(e);
	cr_assert_eq(engine_run(e), ENGINE_EXIT_STOPPED);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(rec[i].withdrawals, 1, "endpoint %d", i);
	engine_destroy(e);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(rec[i].withdrawals, 1, "told twice: endpoint %d",
			     i);
}

Test(engine, never_run_withdraws_its_pools_when_destroyed)
{
	struct recording rec[2] = {RECORDING("a"), RECORDING("b")};
	struct engine_config cfg;
	struct engine *e;

	engine_config_defaults(&cfg);
	cr_assert_eq(engine_create(&cfg, &rec[0].ep, &rec[1].ep, &e, NULL, 0),
		     0);
	engine_destroy(e);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(rec[i].offers, 1, "endpoint %d", i);
		cr_assert_eq(rec[i].withdrawals, 1, "endpoint %d", i);
	}
}
Test(engine_flow, stream_both_directions_arrive_intact_in_order, .timeout = 120)
{
	STRESS_ASSERT(scenario_stream_both_directions(200000));
}
Test(engine_flow, stream_length_over_max_ends_the_client, .timeout = 60)
{
	STRESS_ASSERT(scenario_stream_client_breaks_framing(0));
}
Test(engine_flow, stream_client_leaving_mid_frame_is_counted, .timeout = 60)
{
	STRESS_ASSERT(scenario_stream_client_breaks_framing(1));
}
