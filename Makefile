# SPDX-License-Identifier: Apache-2.0
# Makefile - builds vmnet-helper, its tests and benchmarks on Linux and macOS.
#
# Layout of the output (all under $(O), default build/):
#   $(O)/libvmnet-helper.a   ring/, engine/, vmnet/ and cli/ minus the mains
#   $(O)/PROGRAM             one program per cli/PROGRAM/main.c
#   $(O)/tests/unit-tests    every tests/*/*.c in one Criterion binary
#   $(O)/perf/micro/NAME     one benchmark program per perf/micro/NAME.c
#   $(O)/perf/micro/linux/NAME  ... and per perf/micro/linux/NAME.c, on Linux
# Platform code lives in DIR/linux/ and DIR/darwin/; the one matching
# `uname -s` is compiled, the other never is.
#
# Sanitizer builds are the same tree built again into their own directory:
#   make test-asan  ->  O=build/asan SAN=address,undefined
#   make test-tsan  ->  O=build/tsan SAN=thread

UNAME_S := $(shell uname -s)
ifeq ($(UNAME_S),Darwin)
PLATFORM := darwin
PLATFORM_CPPFLAGS := -D_DARWIN_C_SOURCE
PLATFORM_LDLIBS := -framework vmnet
else ifeq ($(UNAME_S),Linux)
PLATFORM := linux
PLATFORM_CPPFLAGS := -D_GNU_SOURCE
# TAP writes go through io_uring (vmnet/linux/tap_uring.c).
PLATFORM_LDLIBS := -luring
else
$(error unsupported platform '$(UNAME_S)': vmnet-helper builds on Linux and macOS)
endif

O ?= build
SAN ?=

# Shared modules are on the include path by name ("poller.h"); a program's
# own files are named from the top ("cli/vmnet-run/args.h"), hence -I.
SRC_DIRS := ring engine engine/os engine/util vmnet cli/common cli/vmnet-helper \
	cli/vmnet-run
CPPFLAGS += -I. -Iring -Iengine -Iengine/os -Iengine/util -Ivmnet -Icli/common \
	$(PLATFORM_CPPFLAGS)
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -Wall -Wextra -Werror -pthread
DEPFLAGS = -MMD -MP
LDLIBS += -pthread $(PLATFORM_LDLIBS)
ifneq ($(SAN),)
CFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SAN)
endif

# The tests parse our JSON with a real parser (json-c).
CRITERION_CFLAGS := $(shell pkg-config --cflags criterion json-c 2>/dev/null)
CRITERION_LIBS := $(shell pkg-config --libs criterion json-c 2>/dev/null || \
	echo -lcriterion -ljson-c)

# --version prints these; minikube needs a semantic version >= 0.9.0.
VERSION := v1.0.0-dev
COMMIT := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
$(O)/cli/%/main.o: CPPFLAGS += -DVMNET_HELPER_VERSION='"$(VERSION)"' \
	-DVMNET_HELPER_COMMIT='"$(COMMIT)"'
# Rewritten only when the version or commit changes, so the programs are
# rebuilt then (and only then) and --version never reports an old commit.
$(O)/version.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(VERSION) $(COMMIT)' | cmp -s - $@ || echo '$(VERSION) $(COMMIT)' >$@

# Files that hold a main() are programs, everything else goes in the library.
PROGRAM_SRCS := $(wildcard cli/*/main.c)
$(PROGRAM_SRCS:%.c=$(O)/%.o): $(O)/version.stamp
LIB_SRCS := $(filter-out $(PROGRAM_SRCS), \
	$(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c $(d)/$(PLATFORM)/*.c)))
# tests/scenarios/tsan_runner.c replaces Criterion's runner under TSan (see there).
TSAN_RUNNER_SRC := tests/scenarios/tsan_runner.c
TSAN_SCENARIO_SRCS := tests/scenarios/stress.c tests/scenarios/engine_scenarios.c
TEST_SRCS := $(filter-out $(TSAN_RUNNER_SRC),$(wildcard tests/*/*.c))
# Benchmarks: perf/micro/NAME.c everywhere, perf/micro/$(PLATFORM)/NAME.c on one.
BENCH_SRCS := $(wildcard perf/micro/*.c perf/micro/$(PLATFORM)/*.c)

LIB := $(O)/libvmnet-helper.a
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
TEST_OBJS := $(TEST_SRCS:%.c=$(O)/%.o)
TEST_BIN := $(O)/tests/unit-tests
TSAN_RUNNER := $(O)/tests/tsan-runner
TSAN_RUNNER_OBJS := $(TSAN_RUNNER_SRC:%.c=$(O)/%.o) \
	$(TSAN_SCENARIO_SRCS:%.c=$(O)/%.o)
BENCH_BINS := $(BENCH_SRCS:%.c=$(O)/%)
PROGRAMS := $(PROGRAM_SRCS:cli/%/main.c=$(O)/%)

# Criterion options: one test at a time, because the stress tests want both
# cores for their two threads; --timeout caps any test that would hang.
TEST_FLAGS ?= --jobs=1 --timeout=600

.PHONY: FORCE all test test-asan test-tsan tsan-scenarios test-all demo vm-demo bench clean check-macos format

all: $(LIB) $(PROGRAMS) $(TEST_BIN) $(BENCH_BINS)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(O)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/harness -Itests/scenarios \
		-DTEST_SOURCE_DIR='"$(CURDIR)"' $(CRITERION_CFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(PROGRAMS): $(O)/%: $(O)/cli/%/main.o $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(O)/perf/%: $(O)/perf/%.o $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lm -o $@

$(TEST_BIN): $(TEST_OBJS) $(LIB)
	$(CC) $(LDFLAGS) $^ $(CRITERION_LIBS) $(LDLIBS) -o $@

$(TSAN_RUNNER): $(TSAN_RUNNER_OBJS) $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

test: $(TEST_BIN) $(PROGRAMS)
	$(TEST_BIN) $(TEST_FLAGS)

test-asan:
	$(MAKE) O=build/asan SAN=address,undefined test

# Criterion cannot start under TSan, so the threaded scenarios run through
# their own small runner there (tests/scenarios/tsan_runner.c).
test-tsan:
	$(MAKE) O=build/tsan SAN=thread tsan-scenarios

tsan-scenarios: $(TSAN_RUNNER)
	$(TSAN_RUNNER)

# The whole suite, as CI runs it: gcc build, clang build, then both sanitizer
# builds; each ends with its Criterion summary.
test-all:
	$(MAKE) all
	$(MAKE) O=build/clang CC=clang all
	$(MAKE) test
	$(MAKE) test-asan
	$(MAKE) test-tsan

# The main job: two namespaces, two helpers, a cable between them (root).
demo: all
	bash tests/scripts/demo.sh

# A QEMU guest (TCG) on the cable through vmnet-run (root).
vm-demo: all
	bash tests/scripts/qemu_guest.sh

bench: $(BENCH_BINS)
	$(O)/perf/micro/ring_bench

clean:
	rm -rf build

# Compile and link the macOS code against a macOS SDK (see
# ../shared/macos/README.md); prints SKIPPED where no SDK is set up.
MACOS_CHECK ?= ../shared/macos/macos-check.sh
MACOS_DIRS := $(SRC_DIRS)
# Everything macOS compiles, minus the mains: each program is linked with
# its own main below.
MACOS_SRCS := $(filter-out $(PROGRAM_SRCS), \
	$(foreach d,$(MACOS_DIRS),$(wildcard $(d)/*.c $(d)/darwin/*.c)))
MACOS_CHECK_ARGS := -q --skip-if-missing -D _DARWIN_C_SOURCE \
	-I . $(foreach d,$(filter-out cli/vmnet-helper cli/vmnet-run,$(MACOS_DIRS)),-I $(d))
check-macos:
	@if [ ! -x "$(MACOS_CHECK)" ]; then \
		echo "check-macos: SKIPPED ($(MACOS_CHECK) not found)"; exit 0; fi; \
	for main in $(PROGRAM_SRCS) $(wildcard perf/micro/*.c perf/micro/darwin/*.c); do \
		echo "check-macos: $$main"; \
		"$(MACOS_CHECK)" $(MACOS_CHECK_ARGS) --exe "$$(basename $$(dirname $$main))-$$(basename $$main .c)" \
			$(MACOS_SRCS) $$main || exit 1; \
	done

format:
	clang-format -i $(wildcard */*.c */*.h */*/*.c */*/*.h)

-include $(LIB_OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(TSAN_RUNNER_OBJS:.o=.d) $(BENCH_SRCS:%.c=$(O)/%.d) \
	$(PROGRAM_SRCS:%.c=$(O)/%.d)
