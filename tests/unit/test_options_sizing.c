/* SPDX-License-Identifier: Apache-2.0 */
/* test_options_sizing.c - the batch and ring sizes the parser settles, the
 * memory bound, and that what the parser accepts the engine accepts too. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "endpoint_dgram.h"
#include "engine.h"
#include "host.h"
#include "options.h"
#include "options_sizing.h"

#define LINUX	 OPTIONS_PLATFORM_LINUX
#define MAC	 OPTIONS_PLATFORM_DARWIN
#define ARGS_MAX 12

struct size_row {
	const char *args[ARGS_MAX]; /* after "vmnet-helper --fd 3" */
	enum options_platform platform;
	unsigned batch, ring; /* 0, 0: refused */
	const char *err;      /* refused: substring of the message */
};

static const struct size_row rows[] = {
    /* Defaults, and the smaller ones of TSO. */
    {{NULL}, LINUX, 64, 512, NULL},
    {{"--enable-tso"}, LINUX, 16, 64, NULL},
    {{"--enable-tso"}, MAC, 16, 64, NULL},
    /* A batch without a ring: the ring grows to hold it (the TSO ring of
     * 64 used to stay and the engine refused it after the JSON line). */
    {{"--enable-tso", "--batch-size", "128"}, LINUX, 128, 128, NULL},
    {{"--enable-tso", "--batch-size", "100"}, MAC, 100, 128, NULL},
    {{"--batch-size", "256"}, LINUX, 256, 512, NULL},
    {{"--enable-tso", "--batch-size", "16"}, LINUX, 16, 64, NULL},
    /* A ring checked against the batch the engine will use: TSO's 16,
     * not the 64 of frames without TSO (it used to be refused). */
    {{"--enable-tso", "--ring-size", "16"}, LINUX, 16, 16, NULL},
    {{"--enable-tso", "--ring-size", "32"}, MAC, 16, 32, NULL},
    {{"--ring-size", "16"},
     LINUX,
     0,
     0,
     "--ring-size '16' is smaller than the batch size 64 (the default);"},
    {{"--enable-tso", "--ring-size", "16", "--batch-size", "32"},
     LINUX,
     0,
     0,
     "--ring-size '16' is smaller than the batch size 32 (--batch-size "
     "'32')"},
    {{"--enable-tso", "--ring-size", "16", "--batch-size", "17"},
     MAC,
     0,
     0,
     "smaller than the batch size 17"},
    /* The memory bound: everything without TSO fits. */
    {{"--ring-size", "65536", "--batch-size", "256"}, LINUX, 256, 65536, NULL},
    {{"--enable-tso", "--ring-size", "1024", "--batch-size", "256"},
     LINUX,
     256,
     1024,
     NULL},
    {{"--enable-tso", "--ring-size", "1024", "--batch-size", "256"},
     MAC,
     256,
     1024,
     NULL},
    {{"--enable-tso", "--batch-size", "256"}, MAC, 256, 256, NULL},
    /* 9 GB mapped, 4.5 GB resident under a flood, before the bound. */
    {{"--enable-tso", "--ring-size", "65536", "--batch-size", "256"},
     LINUX,
     0,
     0,
     "--ring-size '65536' with --batch-size '256' and --enable-tso would "
     "take 8775 MiB of packet buffers (2 pools of 66048 frames of up to "
     "65535 bytes), more than the 256 MiB one helper may take; pass "
     "--ring-size 1024 or less"},
    {{"--enable-tso", "--ring-size", "2048"},
     MAC,
     0,
     0,
     "--ring-size '2048' and --enable-tso would take 277 MiB of packet "
     "buffers (2 pools of 2080 frames of up to 65550 bytes), more than the "
     "256 MiB one helper may take; pass --ring-size 1024 or less"},
};

#define ROWS(t) (sizeof(t) / sizeof((t)[0]))

static int parse(const struct size_row *r, struct options *o, char *err,
		 size_t errlen)
{
	char *argv[ARGS_MAX + 4] = {"vmnet-helper", "--fd", "3"};
	int argc = 3;

	for (size_t i = 0; i < ARGS_MAX && r->args[i] != NULL; i++)
		argv[argc++] = (char *)r->args[i];
	return options_parse(o, argc, argv, r->platform, err, errlen);
}

static const char *row_name(const struct size_row *r, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARGS_MAX && r->args[i] != NULL; i++)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, " %s",
				      r->args[i]);
	snprintf(buf + (n < len ? n : len - 1), n < len ? len - n : 1, " (%s)",
		 r->platform == MAC ? "macOS" : "Linux");
	return buf;
}

/* The engine main.c would make from @o: the sizes as the parser gave
 * them, with endpoints of the largest frame the options allow. */
static int engine_accepts(const struct options *o,
			  enum options_platform platform, size_t *bytes,
			  char *err, size_t errlen)
{
	uint32_t frame = options_max_frame(o, platform);
	struct engine_config cfg;
	struct endpoint *ep[2];
	struct engine *e;
	int sv[2][2], r;

	engine_config_defaults(&cfg);
	cfg.batch = o->batch_size;
	cfg.ring_size = o->ring_size;
	cfg.stats_interval_s = o->stats_interval;
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv[i]), 0);
		cr_assert_eq(endpoint_dgram_open(sv[i][1], "t", frame,
						 cfg.batch, &ep[i]),
			     0);
	}
	r = engine_create(&cfg, ep[0], ep[1], &e, err, errlen);
	if (r == 0) {
		*bytes = engine_memory_bytes(e);
		engine_destroy(e);
	}
	for (int i = 0; i < 2; i++) {
		endpoint_close(ep[i]);
		close(sv[i][0]);
	}
	return r;
}

Test(options_sizing, settles_the_sizes_the_engine_then_accepts)
{
	for (size_t i = 0; i < ROWS(rows); i++) {
		const struct size_row *r = &rows[i];
		char err[OPTIONS_ERR_MAX], eerr[256], name[256];
		struct options o;
		size_t bytes = 0;
		int rc = parse(r, &o, err, sizeof(err));

		row_name(r, name, sizeof(name));
		if (r->err != NULL) {
			cr_expect_eq(rc, -1, "%s: accepted", name);
			cr_expect(strstr(err, r->err) != NULL,
				  "%s: want '%s' in '%s'", name, r->err, err);
			continue;
		}
		cr_assert_eq(rc, 0, "%s: %s", name, err);
		cr_expect_eq(o.batch_size, r->batch, "%s: batch %u", name,
			     o.batch_size);
		cr_expect_eq(o.ring_size, r->ring, "%s: ring %u", name,
			     o.ring_size);
		cr_expect_eq(o.host.max_batch, o.batch_size, "%s", name);
		cr_expect_eq(
		    engine_accepts(&o, r->platform, &bytes, eerr, sizeof(eerr)),
		    0,
		    "%s: the parser accepted what the engine refuses: "
		    "%s",
		    name, eerr);
		cr_expect_leq(bytes, ENGINE_MEMORY_MAX, "%s: %zu bytes", name,
			      bytes);
	}
}

/* The bound is checked on what engine_create() will really allocate. */
Test(options_sizing, memory_is_computed_as_the_engine_allocates)
{
	static const unsigned sizes[][2] = {
	    {64, 512}, {16, 64}, {1, 16}, {256, 256}, {100, 128}, {256, 1024}};
	static const uint32_t frames[] = {60, 1514, 4000, 9014, 65535, 65550};

	for (size_t f = 0; f < ROWS(frames); f++) {
		for (size_t s = 0; s < ROWS(sizes); s++) {
			struct options o = {.batch_size = sizes[s][0],
					    .ring_size = sizes[s][1]};
			size_t want = engine_memory_needed(
			    sizes[s][0], sizes[s][1], frames[f]);
			size_t got = 0;
			char err[256];
			struct engine_config cfg;
			struct endpoint *ep[2];
			struct engine *e;
			int sv[2][2];

			engine_config_defaults(&cfg);
			cfg.batch = o.batch_size;
			cfg.ring_size = o.ring_size;
			for (int i = 0; i < 2; i++) {
				cr_assert_eq(
				    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv[i]),
				    0);
				/* Unequal sides: the larger frame counts. */
				cr_assert_eq(
				    endpoint_dgram_open(sv[i][1], "t",
							i ? frames[f] : 60,
							cfg.batch, &ep[i]),
				    0);
			}
			cr_assert_eq(engine_create(&cfg, ep[0], ep[1], &e, err,
						   sizeof(err)),
				     0, "%s", err);
			got = engine_memory_bytes(e);
			engine_destroy(e);
			for (int i = 0; i < 2; i++) {
				endpoint_close(ep[i]);
				close(sv[i][0]);
			}
			cr_expect_eq(got, want,
				     "batch %u ring %u frame %u: allocated "
				     "%zu, computed %zu",
				     sizes[s][0], sizes[s][1], frames[f], got,
				     want);
		}
	}
}

/* The engine holds its own bound too: frames larger than the options
 * promised (a persistent TAP given a 9000-byte MTU) meet it there. */
Test(options_sizing, engine_refuses_more_than_the_bound_itself)
{
	struct engine_config cfg;
	struct endpoint *ep[2];
	struct engine *e = NULL;
	char err[256] = "";
	int sv[2][2];

	engine_config_defaults(&cfg);
	cfg.batch = 256;
	cfg.ring_size = 65536;
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv[i]), 0);
		cr_assert_eq(
		    endpoint_dgram_open(sv[i][1], "t", 9014, cfg.batch, &ep[i]),
		    0);
	}
	cr_expect_eq(engine_create(&cfg, ep[0], ep[1], &e, err, sizeof(err)),
		     -EINVAL);
	cr_expect_null(e);
	cr_expect(strstr(err, "batch size 256 and ring size 65536 with "
			      "9014-byte frames need 1551 MiB of packet "
			      "buffers, more than the 256 MiB limit"),
		  "%s", err);
	for (int i = 0; i < 2; i++) {
		endpoint_close(ep[i]);
		close(sv[i][0]);
	}
}
