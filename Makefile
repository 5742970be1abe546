# SPDX-License-Identifier: Apache-2.0
# Makefile - builds vmnet-helper, its tests and benchmarks on Linux and macOS.
#
# `make` builds everything below into $(O), default build/:
#   $(O)/PROGRAM                one program per cli/PROGRAM/main.c
#   $(O)/libvmnet-helper.a      every other source file the platform compiles
#   $(O)/tests/unit-tests       every tests/*/*.c in one Criterion binary
#   $(O)/perf/micro/NAME        one benchmark per perf/micro/NAME.c
#   $(O)/perf/micro/linux/NAME  ... and per perf/micro/linux/NAME.c, on Linux
#                               (with NAME_*.c beside it: its parts)
# Platform code lives in DIR/linux/ and DIR/darwin/; the one matching
# `uname -s` is compiled, the other never is (check-macos compiles darwin/
# here). docs/layout.md says what each folder holds.
#
# Flags: the project's own are in VMH_*; CFLAGS, CPPFLAGS, LDFLAGS and
# LDLIBS are the user's and add to them, so `make CFLAGS=-O0` keeps
# -std=c11 -Wall -Wextra -Werror. The other builds go below $(O):
#   make test-asan  ->  O=$(O)/asan SAN=address,undefined
#   make test-tsan  ->  O=$(O)/tsan SAN=thread
#   make test-all   ->  also O=$(O)/clang CC=clang

.DEFAULT_GOAL := all

UNAME_S := $(shell uname -s)
ifeq ($(UNAME_S),Darwin)
PLATFORM := darwin
PLATFORM_CPPFLAGS := -D_DARWIN_C_SOURCE
# CFRelease and friends are in CoreFoundation, which vmnet does not
# re-export.
PLATFORM_LDLIBS := -framework vmnet -framework CoreFoundation
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

# Folders whose .c files (and $(PLATFORM)/*.c files) make up the library.
SRC_DIRS := ring engine engine/os engine/util engine/guest engine/guard vmnet \
	cli/common cli/vmnet-helper cli/vmnet-run
# Shared modules are on the include path by name ("poller.h"); a program's
# own files are named from the top ("cli/vmnet-run/args.h"), hence -I.
INCLUDE_DIRS := . ring engine engine/os engine/util engine/guest engine/guard \
	vmnet cli/common

VMH_CPPFLAGS = $(addprefix -I,$(INCLUDE_DIRS)) $(PLATFORM_CPPFLAGS)
VMH_CFLAGS = -std=c11 -Wall -Wextra -Werror -pthread
VMH_LDFLAGS =
VMH_LDLIBS = -pthread $(PLATFORM_LDLIBS)
ifneq ($(SAN),)
VMH_CFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
VMH_LDFLAGS += -fsanitize=$(SAN)
endif
# The user's; a value given on the command line replaces only this one.
CFLAGS ?= -O2 -g
DEPFLAGS = -MMD -MP

COMPILE = $(CC) $(VMH_CPPFLAGS) $(CPPFLAGS) $(VMH_CFLAGS) $(CFLAGS) $(DEPFLAGS)
LINK = $(CC) $(VMH_CFLAGS) $(CFLAGS) $(VMH_LDFLAGS) $(LDFLAGS)

# The tests parse our JSON with a real parser (json-c).
CRITERION_CFLAGS := $(shell pkg-config --cflags criterion json-c 2>/dev/null)
CRITERION_LIBS := $(shell pkg-config --libs criterion json-c 2>/dev/null || \
	echo -lcriterion -ljson-c)
# Tests find their scripts in the source tree from any working directory
# (tests/harness/child.h).
TEST_CPPFLAGS = -Itests/harness -Itests/scenarios \
	-DTEST_SOURCE_DIR='"$(CURDIR)"' $(CRITERION_CFLAGS)

# --version prints the version, defined once in cli/common/version.h, and
# the commit, which only the build knows.
COMMIT := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
VERSION_CPPFLAGS = -DVMNET_HELPER_COMMIT='"$(COMMIT)"'

# Files that hold a main() are programs, everything else goes in the library.
PROGRAM_SRCS := $(wildcard cli/*/main.c)
LIB_SRCS := $(filter-out $(PROGRAM_SRCS), \
	$(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c $(d)/$(PLATFORM)/*.c)))
# tests/scenarios/tsan_runner.c replaces Criterion's runner under TSan (see
# there).
TSAN_RUNNER_SRC := tests/scenarios/tsan_runner.c
TSAN_SCENARIO_SRCS := tests/scenarios/stress.c \
	tests/scenarios/engine_scenarios.c tests/scenarios/guest_scenarios.c \
	tests/scenarios/guard_scenarios.c tests/harness/test_frames.c
TEST_SRCS := $(filter-out $(TSAN_RUNNER_SRC),$(wildcard tests/*/*.c))
# A benchmark is NAME.c, which holds main(), and its parts NAME_*.c if
# any (perf/micro/linux/tap_write_bench_*.c). bench_parts SRCS: the parts.
bench_parts = $(foreach s,$(1),$(filter $(s:.c=)_%.c,$(1)))
BENCH_ALL_SRCS := $(wildcard perf/micro/*.c perf/micro/$(PLATFORM)/*.c)
BENCH_SRCS := $(filter-out $(call bench_parts,$(BENCH_ALL_SRCS)), \
	$(BENCH_ALL_SRCS))

LIB := $(O)/libvmnet-helper.a
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
PROGRAM_OBJS := $(PROGRAM_SRCS:%.c=$(O)/%.o)
PROGRAMS := $(PROGRAM_SRCS:cli/%/main.c=$(O)/%)
TEST_OBJS := $(TEST_SRCS:%.c=$(O)/%.o)
TEST_BIN := $(O)/tests/unit-tests
TSAN_RUNNER := $(O)/tests/tsan-runner
TSAN_RUNNER_OBJS := $(TSAN_RUNNER_SRC:%.c=$(O)/%.o) \
	$(TSAN_SCENARIO_SRCS:%.c=$(O)/%.o)
BENCH_OBJS := $(BENCH_ALL_SRCS:%.c=$(O)/%.o)
BENCH_BINS := $(BENCH_SRCS:%.c=$(O)/%)

# Criterion options: one test at a time, because the stress tests want both
# cores for their two threads; --timeout caps any test that would hang.
TEST_FLAGS ?= --jobs=1 --timeout=600

# clang-format from Debian (apt-get install clang-format); .clang-format
# holds the style.
CLANG_FORMAT ?= clang-format
FORMAT_SRCS = $(sort $(shell find ring engine vmnet cli tests perf \
	-name '*.[ch]' 2>/dev/null))

.PHONY: FORCE all test test-asan test-tsan tsan-scenarios test-all demo \
	vm-demo bench-micro clean format format-check check-macos check-macos-all \
	install uninstall

all: $(PROGRAMS) $(LIB) $(TEST_BIN) $(BENCH_BINS)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(COMPILE) -c $< -o $@

$(O)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(COMPILE) $(TEST_CPPFLAGS) -c $< -o $@

# The programs' main objects carry the commit. The stamp is rewritten only
# when the commit changes, so they are rebuilt then (and only then) and
# --version never reports an old commit; version.h is a dependency anyway.
$(PROGRAM_OBJS): VMH_CPPFLAGS += $(VERSION_CPPFLAGS)
$(PROGRAM_OBJS): $(O)/version.stamp
$(O)/version.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(COMMIT)' | cmp -s - $@ || echo '$(COMMIT)' >$@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(PROGRAMS): $(O)/%: $(O)/cli/%/main.o $(LIB)
	$(LINK) $(filter-out %.entitlements,$^) $(LDLIBS) $(VMH_LDLIBS) -o $@
	$(call sign_program,$*,$@)

# On macOS a program with cli/NAME/darwin/NAME.entitlements is signed with
# them, ad hoc (-s -: no certificate, no provisioning profile needed): from
# macOS 26, vmnet-helper signed with com.apple.security.virtualization
# starts vmnet without root (docs/vmnet-helper.md, "macOS: root, sudo,
# or neither"). The link wrote a new file, so --force replaces the linker's own
# ad-hoc signature. make install signs the installed copies once more.
CODESIGN ?= codesign
program_entitlements = $(wildcard cli/$(1)/darwin/$(1).entitlements)
ifeq ($(PLATFORM),darwin)
sign_program = $(if $(call program_entitlements,$(1)),$(CODESIGN) --force \
	-s - --entitlements $(call program_entitlements,$(1)) $(2))
# Signed again when the entitlements change.
$(foreach p,$(PROGRAMS),$(eval $(p): \
	$(call program_entitlements,$(notdir $(p)))))
endif

# Objects before the library, which the parts use too.
$(BENCH_BINS): $(O)/%: $(O)/%.o $(LIB)
	$(LINK) $(filter %.o,$^) $(LIB) $(LDLIBS) $(VMH_LDLIBS) -lm -o $@
$(foreach s,$(BENCH_SRCS),$(eval $(s:%.c=$(O)/%): \
	$(patsubst %.c,$(O)/%.o,$(filter $(s:.c=)_%.c,$(BENCH_ALL_SRCS)))))

$(TEST_BIN): $(TEST_OBJS) $(LIB)
	$(LINK) $^ $(CRITERION_LIBS) $(LDLIBS) $(VMH_LDLIBS) -o $@

$(TSAN_RUNNER): $(TSAN_RUNNER_OBJS) $(LIB)
	$(LINK) $^ $(LDLIBS) $(VMH_LDLIBS) -o $@

# A failing run repeats what failed at its end (tests/scripts/run_suite.sh).
test: $(TEST_BIN) $(PROGRAMS)
	bash tests/scripts/run_suite.sh $(O)/tests/unit-tests.tap \
		$(TEST_BIN) $(TEST_FLAGS)

test-asan:
	$(MAKE) O=$(O)/asan SAN=address,undefined test

# Criterion cannot start under TSan, so the threaded scenarios run through
# their own small runner there (tests/scenarios/tsan_runner.c).
test-tsan:
	$(MAKE) O=$(O)/tsan SAN=thread tsan-scenarios

tsan-scenarios: $(TSAN_RUNNER)
	$(TSAN_RUNNER)

# The whole suite, as CI runs it: formatting, the macOS check (skips where
# no SDK is set up), then the Criterion suite of the gcc and the clang
# build, under ASan+UBSan, and the threaded scenarios under TSan; each run
# ends with its summary.
test-all:
	$(MAKE) format-check
	$(MAKE) check-macos
	$(MAKE) all
	$(MAKE) test
	$(MAKE) O=$(O)/clang CC=clang test
	$(MAKE) test-asan
	$(MAKE) test-tsan

# The main job: two namespaces, two helpers, a cable between them (root).
demo: all
	VMNET_HELPER=$(abspath $(O))/vmnet-helper bash tests/scripts/demo.sh

# A QEMU guest (TCG) on the cable through vmnet-run (root).
vm-demo: all
	VMNET_HELPER=$(abspath $(O))/vmnet-helper bash tests/scripts/qemu_guest.sh

# The micro benchmarks (the ring); `make bench` is the suite of the real
# binary (perf/suite/suite.mk).
bench-micro: $(BENCH_BINS)
	$(O)/perf/micro/ring_bench

clean:
	$(if $(or $(filter /,$(abspath $(O))),$(filter $(abspath $(O))/%,$(CURDIR)/)), \
		$(error O=$(O) holds the source tree: clean removes $$(O)))
	rm -rf $(O)

format:
	$(CLANG_FORMAT) -i $(FORMAT_SRCS)

format-check:
	$(CLANG_FORMAT) --dry-run -Werror $(FORMAT_SRCS)
	@echo "format-check: OK ($(words $(FORMAT_SRCS)) files)"

# ---------------------------------------------------------------------------
# make install / make uninstall, with PREFIX and DESTDIR as packagers pass
# them: `make && sudo make install`, or
# `make install DESTDIR=/tmp/stage PREFIX=/usr` for a package. install
# builds only the programs (no Criterion needed) with the user's CFLAGS and
# LDFLAGS as above. It lays out (docs/install.md shows the tree; a test
# checks it):
#   $(BINDIR)/vmnet-helper, vmnet-run
#   $(MAN1DIR)/vmnet-helper.1, vmnet-run.1
#   $(EXAMPLESDIR)/...          every file under docs/examples/
#   $(SYSTEMDUNITDIR)/vmnet-helper@.service    on Linux
# The example files name the programs at a default BINDIR
# (/opt/vmnet-helper/bin or /usr/local/bin); install writes the real one in.
# On macOS the installed programs are signed ad hoc, the helper with its
# entitlements (com.apple.security.virtualization: no root on macOS 26).

# minikube and the reference helper's users look in /opt/vmnet-helper on
# macOS; /usr/local is where a Linux admin's own builds go.
ifeq ($(PLATFORM),darwin)
PREFIX ?= /opt/vmnet-helper
else
PREFIX ?= /usr/local
endif
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
MAN1DIR ?= $(MANDIR)/man1
DOCDIR ?= $(PREFIX)/share/doc/vmnet-helper
EXAMPLESDIR ?= $(DOCDIR)/examples
# systemd reads units from /usr/local/lib/systemd/system and
# /usr/lib/systemd/system (systemd.unit(5), "System Unit Search Path").
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALL ?= install

MAN_PAGES := $(wildcard docs/man/*.1)
EXAMPLE_FILES := $(shell find docs/examples -type f 2>/dev/null | sort)
SYSTEMD_UNIT := docs/examples/systemd/vmnet-helper@.service
INSTALLED_PROGRAMS := $(PROGRAMS:$(O)/%=$(BINDIR)/%)
HELPER_ENTITLEMENTS := cli/vmnet-helper/darwin/vmnet-helper.entitlements
# The default BINDIRs the example files are written for, replaced on install.
EXAMPLE_BINDIRS := /opt/vmnet-helper/bin /usr/local/bin
install_rewrite = sed $(foreach d,$(EXAMPLE_BINDIRS),-e 's|$(d)/|$(BINDIR)/|g')

install: $(PROGRAMS)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR)
	$(INSTALL) -m 0755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 $(MAN_PAGES) $(DESTDIR)$(MAN1DIR)/
	@set -e; for f in $(EXAMPLE_FILES:docs/examples/%=%); do \
		echo "$(INSTALL) -d $(DESTDIR)$(EXAMPLESDIR)/$${f%/*}"; \
		$(INSTALL) -d "$(DESTDIR)$(EXAMPLESDIR)/$${f%/*}"; \
		echo "$(install_rewrite) docs/examples/$$f >$(DESTDIR)$(EXAMPLESDIR)/$$f"; \
		$(install_rewrite) "docs/examples/$$f" >"$(DESTDIR)$(EXAMPLESDIR)/$$f"; \
		chmod 0644 "$(DESTDIR)$(EXAMPLESDIR)/$$f"; \
	done
ifeq ($(PLATFORM),linux)
	$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR)
	$(install_rewrite) $(SYSTEMD_UNIT) >$(DESTDIR)$(SYSTEMDUNITDIR)/$(notdir $(SYSTEMD_UNIT))
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$(notdir $(SYSTEMD_UNIT))
endif
ifeq ($(PLATFORM),darwin)
	$(CODESIGN) --force --sign - --entitlements $(HELPER_ENTITLEMENTS) \
		$(DESTDIR)$(BINDIR)/vmnet-helper
	$(CODESIGN) --force --sign - $(DESTDIR)$(BINDIR)/vmnet-run
endif

# Removes exactly what install wrote, then the empty folders below $(DOCDIR),
# and below $(PREFIX) when that is ours alone (/opt/vmnet-helper): never an
# empty /usr/local/bin.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED_PROGRAMS)) \
		$(addprefix $(DESTDIR)$(MAN1DIR)/,$(notdir $(MAN_PAGES))) \
		$(EXAMPLE_FILES:docs/examples/%=$(DESTDIR)$(EXAMPLESDIR)/%)
ifeq ($(PLATFORM),linux)
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/$(notdir $(SYSTEMD_UNIT))
endif
	if [ -d $(DESTDIR)$(DOCDIR) ]; then \
		find $(DESTDIR)$(DOCDIR) -depth -type d -empty -delete; fi
ifeq ($(notdir $(PREFIX)),vmnet-helper)
	if [ -d $(DESTDIR)$(PREFIX) ]; then \
		find $(DESTDIR)$(PREFIX) -depth -type d -empty -delete; fi
endif

-include $(LIB_OBJS:.o=.d) $(PROGRAM_OBJS:.o=.d) $(TEST_OBJS:.o=.d) \
	$(TSAN_RUNNER_OBJS:.o=.d) $(BENCH_OBJS:.o=.d)

# ---------------------------------------------------------------------------
# check-macos: compile every macOS source file (everything but linux/ and
# the Linux-only tests) with clang for arm64 and x86_64 against a macOS SDK,
# then link each program and each benchmark per arch with ld64.lld against
# libSystem and the frameworks, so a wrong type, a missing include or an
# undefined symbol fails here on Linux, then runs clang's static analyzer
# over the same files (below). Each link takes every library
# object, not only those the program uses, so every object's references are
# checked. The Mach-O files are never run. docs/macos-check.md says how to
# get an SDK; without one (or without clang or ld64.lld) the check prints
# SKIPPED with the reason and succeeds.

MACOS_SDK ?= $(HOME)/.cache/macos-sdk/MacOSX.sdk
MACOS_MIN := 12.0
MACOS_ARCHS := arm64 x86_64
MACOS_FRAMEWORKS := vmnet CoreFoundation
# Symbols that may stay undefined at link: none. (__builtin_available()
# would need compiler-rt's ___isPlatformVersionAtLeast, which Debian does
# not ship for macOS; the code finds newer vmnet calls with dlsym()
# instead, vmnet/darwin/host_vmnet_network.c.)
MACOS_ALLOW_UNDEFINED :=
# Debian installs clang and lld unversioned or as clang-NN/ld64.lld-NN;
# take the unversioned one, else the newest.
MACOS_TOOL_VERSIONS := 30 29 28 27 26 25 24 23 22 21 20 19 18 17 16 15 14
macos_find_tool = $(firstword $(foreach t,$(1) \
	$(addprefix $(1)-,$(MACOS_TOOL_VERSIONS)), \
	$(shell command -v $(t) 2>/dev/null)))
ifeq ($(origin MACOS_CC),undefined)
MACOS_CC := $(call macos_find_tool,clang)
endif
ifeq ($(origin MACOS_LD),undefined)
MACOS_LD := $(call macos_find_tool,ld64.lld)
endif

MACOS_SKIP := $(strip \
	$(if $(wildcard $(MACOS_SDK)/usr/include/stdio.h \
		$(MACOS_SDK)/usr/lib/libSystem.tbd),, \
		no macOS SDK at $(MACOS_SDK): pass MACOS_SDK=/path/MacOSX.sdk, \
		see docs/macos-check.md) \
	$(if $(MACOS_CC),,no clang: apt-get install clang) \
	$(if $(MACOS_LD),,no ld64.lld: apt-get install lld))

MACOS_O := $(O)/macos
MACOS_LIB_SRCS := $(filter-out $(PROGRAM_SRCS), \
	$(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c $(d)/darwin/*.c)))
MACOS_BENCH_SRCS := $(wildcard perf/micro/*.c perf/micro/darwin/*.c)
# Program and benchmark names: cli/vmnet-run/main.c -> vmnet-run,
# perf/micro/ring_bench.c -> perf/micro/ring_bench.
MACOS_EXE_NAMES := $(PROGRAM_SRCS:cli/%/main.c=%) \
	$(patsubst %.c,%,$(filter-out $(call bench_parts,$(MACOS_BENCH_SRCS)), \
	$(MACOS_BENCH_SRCS)))
# An executable's own files: main and a benchmark's parts.
macos_exe_srcs = $(if $(filter perf/%,$(1)), \
	$(1).c $(filter $(1)_%.c,$(MACOS_BENCH_SRCS)),cli/$(1)/main.c)

# The host's search paths must not leak into a build for another OS.
MACOS_ENV := env -u CPATH -u C_INCLUDE_PATH -u LIBRARY_PATH -u SDKROOT \
	-u MACOSX_DEPLOYMENT_TARGET
MACOS_CFLAGS = -isysroot $(MACOS_SDK) -std=c11 -Wall -Wextra -Werror \
	-fblocks -D_DARWIN_C_SOURCE $(addprefix -I,$(INCLUDE_DIRS)) $(DEPFLAGS)

# macos_compile_rules ARCH: every object for ARCH in $(MACOS_O)/ARCH/.
define macos_compile_rules
$(MACOS_O)/$(1)/%.o: %.c
	@mkdir -p $$(@D)
	@echo "check-macos: cc   [$(1)] $$<"
	@$$(MACOS_ENV) $$(MACOS_CC) -target $(1)-apple-macos$$(MACOS_MIN) \
		$$(MACOS_CFLAGS) $$(MACOS_EXTRA_CPPFLAGS) -c $$< -o $$@

$(PROGRAM_SRCS:%.c=$(MACOS_O)/$(1)/%.o): \
	MACOS_EXTRA_CPPFLAGS = $$(VERSION_CPPFLAGS)

-include $(MACOS_LIB_SRCS:%.c=$(MACOS_O)/$(1)/%.d) \
	$(PROGRAM_SRCS:%.c=$(MACOS_O)/$(1)/%.d) \
	$(MACOS_BENCH_SRCS:%.c=$(MACOS_O)/$(1)/%.d)
endef

# macos_link_rule ARCH NAME: NAME's own objects and every library object.
define macos_link_rule
$(MACOS_O)/$(1)/$(2).macho: $(MACOS_LIB_SRCS:%.c=$(MACOS_O)/$(1)/%.o) \
		$(patsubst %.c,$(MACOS_O)/$(1)/%.o,$(call macos_exe_srcs,$(2)))
	@echo "check-macos: link [$(1)] $(2)"
	@$$(MACOS_LD) -arch $(1) -platform_version macos $$(MACOS_MIN) \
		$$(MACOS_MIN) -syslibroot $$(MACOS_SDK) -o $$@ $$^ -lSystem \
		$$(addprefix -framework ,$$(MACOS_FRAMEWORKS)) \
		$$(addprefix -U ,$$(MACOS_ALLOW_UNDEFINED))
endef

# The static analyzer then reads the same files once more, for arm64 (the
# checks do not depend on the arch), with the checkers below; any finding
# is an error (-analyzer-werror). False positives are fixed where they
# arise, so that the analyzer can follow the code (errmsg_fail() is a
# macro, host_vmnet_waiter_cancel() frees in one call), never silenced.
# A file's .ok stamp is rewritten only when it and its headers pass.
MACOS_ANALYZER_CHECKERS := core,unix,deadcode,security,osx
MACOS_ANALYZE_SRCS := $(MACOS_LIB_SRCS) $(PROGRAM_SRCS) $(MACOS_BENCH_SRCS)
MACOS_ANALYZE_OKS := $(MACOS_ANALYZE_SRCS:%.c=$(MACOS_O)/analyze/%.ok)

$(MACOS_O)/analyze/%.ok: %.c
	@mkdir -p $(@D)
	@echo "check-macos: analyze $<"
	@$(MACOS_ENV) $(MACOS_CC) --analyze -target arm64-apple-macos$(MACOS_MIN) \
		$(MACOS_CFLAGS) -MF $(@:.ok=.d) -MT $@ $(MACOS_EXTRA_CPPFLAGS) \
		-Xanalyzer -analyzer-checker=$(MACOS_ANALYZER_CHECKERS) \
		-Xanalyzer -analyzer-werror -o /dev/null $<
	@touch $@

$(PROGRAM_SRCS:%.c=$(MACOS_O)/analyze/%.ok): \
	MACOS_EXTRA_CPPFLAGS = $(VERSION_CPPFLAGS)

ifeq ($(MACOS_SKIP),)
$(foreach a,$(MACOS_ARCHS),$(eval $(call macos_compile_rules,$(a))) \
	$(foreach n,$(MACOS_EXE_NAMES),$(eval $(call macos_link_rule,$(a),$(n)))))
-include $(MACOS_ANALYZE_OKS:.ok=.d)
MACOS_EXES := $(foreach a,$(MACOS_ARCHS), \
	$(MACOS_EXE_NAMES:%=$(MACOS_O)/$(a)/%.macho))
MACOS_SUMMARY = $(words $(MACOS_LIB_SRCS) $(PROGRAM_SRCS) $(MACOS_BENCH_SRCS)) \
	files compiled and $(words $(MACOS_EXE_NAMES)) executables linked for \
	each of $(MACOS_ARCHS), the same files analyzed (checkers \
	$(MACOS_ANALYZER_CHECKERS)), SDK $(MACOS_SDK)
# About 200 independent compiles and analyses: run them on every CPU unless
# the caller chose the jobs (-j, or a jobserver from a parent make), which
# GNU make shows in MAKEFLAGS only inside a recipe. Cold, on 2 CPUs: 99 s
# one at a time, 49 s with two.
check-macos:
	@jobs=-j$$(nproc 2>/dev/null || echo 1); \
	case ' $(MAKEFLAGS) ' in *' -j'*|*jobserver*) jobs= ;; esac; \
	$(MAKE) --no-print-directory $$jobs check-macos-all
check-macos-all: $(MACOS_EXES) $(MACOS_ANALYZE_OKS)
	@echo "check-macos: OK ($(strip $(MACOS_SUMMARY)))"
else
check-macos:
	@echo "check-macos: SKIPPED ($(MACOS_SKIP))"
endif

# The benchmark suite of the real binary (issue 12).
include perf/suite/suite.mk
