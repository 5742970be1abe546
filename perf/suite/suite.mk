# SPDX-License-Identifier: Apache-2.0
# suite.mk - the benchmark suite of the real binary (perf/suite/, issue
# 12): the load tool, the baseline forwarder, the tests of the suite's
# frame checks, and `make bench` / `make bench-full`. Included by the top
# Makefile. The tools are Linux only: they drive a TAP through AF_PACKET.

SUITE_RESULTS ?= results
# Debian's python3 has python3-matplotlib; another python3 first on PATH
# may not.
SUITE_PYTHON := $(firstword $(wildcard /usr/bin/python3) python3)

ifeq ($(PLATFORM),linux)
SUITE_LOAD_SRCS := perf/suite/frame.c \
	$(sort $(wildcard perf/suite/linux/load*.c)) \
	perf/suite/linux/proc_sample.c
SUITE_LOAD := $(O)/perf/suite/vmh-load
SUITE_BASELINE := $(O)/perf/suite/baseline-fwd
SUITE_BINS := $(SUITE_LOAD) $(SUITE_BASELINE)
# VDE's client library is optional: without it the VDE peer is refused
# with the reason and run.py skips it.
SUITE_VDE_LIBS := $(shell pkg-config --libs vdeplug 2>/dev/null || \
	(test -e /usr/include/libvdeplug.h && echo -lvdeplug))

$(O)/perf/suite/%.o: CPPFLAGS += -Iperf/suite -Iperf/suite/linux

$(SUITE_LOAD): $(SUITE_LOAD_SRCS:%.c=$(O)/%.o)
	$(LINK) $^ $(LDLIBS) $(SUITE_VDE_LIBS) -o $@

$(SUITE_BASELINE): $(O)/perf/suite/linux/baseline_fwd.o
	$(LINK) $^ $(LDLIBS) -o $@

all: $(SUITE_BINS)

.PHONY: bench bench-full
# The quick suite (under 5 minutes on 2 cores) and the whole one: tables
# on stdout, JSON and PNG plots in $(SUITE_RESULTS)/STAMP/. Root needed.
# The suite must have the machine alone: on a shared machine run it under
# its lock (here: vmh-exclusive make bench); it takes no lock itself, so
# that it cannot wait for the one its caller holds.
bench: $(PROGRAMS) $(SUITE_BINS)
	$(SUITE_PYTHON) perf/suite/run.py --quick \
		--build $(O) --out $(SUITE_RESULTS)

bench-full: $(PROGRAMS) $(SUITE_BINS)
	$(SUITE_PYTHON) perf/suite/run.py --full \
		--build $(O) --out $(SUITE_RESULTS)

-include $(SUITE_LOAD_SRCS:%.c=$(O)/%.d) $(O)/perf/suite/linux/baseline_fwd.d
endif

# The suite's validator and sequence tracker have Criterion tests
# (tests/unit/test_perf_frame.c); frame.c is plain C and builds everywhere.
$(O)/tests/unit/test_perf_frame.o: CPPFLAGS += -Iperf/suite
$(TEST_BIN): $(O)/perf/suite/frame.o
