# SPDX-License-Identifier: Apache-2.0
# suite.mk - builds the benchmark suite of the real binary (perf/suite/,
# issue 12): the load tool and the baseline forwarder. Linux only: the
# tool drives a TAP through AF_PACKET. Included by the top Makefile.
ifeq ($(PLATFORM),linux)
SUITE_LOAD_SRCS := perf/suite/frame.c $(wildcard perf/suite/linux/load*.c) \
	perf/suite/linux/proc_sample.c
SUITE_LOAD := $(O)/perf/suite/vmh-load
SUITE_BASELINE := $(O)/perf/suite/baseline-fwd
SUITE_BINS := $(SUITE_LOAD) $(SUITE_BASELINE)
# VDE's client library is optional: without it the VDE peer is skipped.
SUITE_VDE_LIBS := $(shell pkg-config --libs vdeplug 2>/dev/null || \
	(test -e /usr/include/libvdeplug.h && echo -lvdeplug))

$(O)/perf/suite/%.o: CPPFLAGS += -Iperf/suite -Iperf/suite/linux

$(SUITE_LOAD): $(SUITE_LOAD_SRCS:%.c=$(O)/%.o)
	$(CC) $(LDFLAGS) $^ $(SUITE_VDE_LIBS) -o $@

$(SUITE_BASELINE): $(O)/perf/suite/linux/baseline_fwd.o
	$(CC) $(LDFLAGS) $^ -o $@

all: $(SUITE_BINS)
-include $(SUITE_LOAD_SRCS:%.c=$(O)/%.d) $(O)/perf/suite/linux/baseline_fwd.d
endif

# The suite's validator and sequence tracker have Criterion tests
# (tests/test_perf_frame.c); frame.c is plain C and builds everywhere.
$(O)/tests/test_perf_frame.o: CPPFLAGS += -Iperf/suite
$(TEST_BIN): $(O)/perf/suite/frame.o
$(TSAN_RUNNER): $(O)/perf/suite/frame.o
