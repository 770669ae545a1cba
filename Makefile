# noether — one plain Makefile.
#   make            build ./noether (installs missing Debian packages first)
#   make run        build and open the explorer on the default preset
#   make check      build and run the whole test suite (unit, numeric, scripts, screen)
#   make bench      benchmarks (steps/s, FLOP fraction of dgemm peak, PyTorch reference)
#   make asan       the suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make fuzz       libFuzzer harnesses (clang) in build-fuzz/fuzz/; make fuzz-smoke
#                   runs each briefly (FUZZ_TIME=600 make fuzz-smoke: ten minutes each)
#   make install    install binary, man page and presets under PREFIX
# Top-level targets first make sure the dependencies are there (scripts/deps.sh),
# then re-enter make so pkg-config runs after the install.

PREFIX  ?= /usr/local
BUILD   ?= build
CC      ?= cc
PKGS    := openblas ncursesw readline jansson cairo fontconfig
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
# clang: its major version (empty for gcc). clang has no -Wformat-truncation;
# clang < 16 names the dispatcher of an extern target_clones function
# "f.ifunc", so other files' calls to f do not link: there the attribute is
# defined away (one portable version of those kernels, the same bits).
# clang writes DWARF 5 by default, which valgrind 3.19 cannot read: DWARF 4.
CLANG_MAJOR := $(shell $(CC) -dM -E -x c /dev/null 2>/dev/null | sed -n 's/^\#define __clang_major__ //p')
ifeq ($(CLANG_MAJOR),)
WARN    += -Wno-format-truncation
else
CC_FIX  := -gdwarf-4 $(if $(shell test $(CLANG_MAJOR) -lt 16 && echo old),'-Dtarget_clones(...)=')
endif
ifeq ($(CI),true)
WARN    += -Werror
endif
ifneq ($(WERROR),)
WARN    += -Werror
endif
SAN     ?=
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) $(WARN) $(CC_FIX) $(SAN) -Iinclude $(PKG_CFLAGS) \
           -DNT_VERSION=\"$(VERSION)\" -DNT_PRESET_DIR=\"$(PREFIX)/share/noether/presets\"
LDLIBS  += $(PKG_LIBS) -lm -pthread
LDFLAGS += $(SAN)
VERSION := 0.1.0

# Four libraries, layered and enforced by the include paths: the core
# (src/core, public headers in include/noether/ only) sees no other layer; the
# figures (src/fig: data → PNG/SVG/PDF through cairo) see the core only; the
# command layer (src/cmd) sees the core and the figures; the UI (src/ui) and
# the program (src/cli) see all. Tests link what they test: test_engine links
# the core alone.
CORE_SRC := $(wildcard src/core/*.c src/core/blocks/*.c)
FIG_SRC  := $(wildcard src/fig/*.c)
CMD_SRC  := $(wildcard src/cmd/*.c)
UI_SRC   := $(wildcard src/ui/*.c)
CLI_SRC  := $(wildcard src/cli/*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
FIG_OBJ  := $(FIG_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/%.o)
UI_OBJ   := $(UI_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
CORE_LIB := $(BUILD)/libnoether-core.a
FIG_LIB  := $(BUILD)/libnoether-fig.a
CMD_LIB  := $(BUILD)/libnoether-cmd.a
UI_LIB   := $(BUILD)/libnoether-ui.a
LIBS     := $(UI_LIB) $(CMD_LIB) $(FIG_LIB) $(CORE_LIB)
BIN      ?= noether
TEST_SRC := $(filter-out tests/unit/test_harness.c,$(wildcard tests/unit/test_*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_LIB_SRC := $(filter-out $(TEST_SRC),$(wildcard tests/unit/*.c))
TEST_LIB_OBJ := $(TEST_LIB_SRC:%.c=$(BUILD)/%.o)
# keep them: make would delete these chained intermediates after each run
.SECONDARY: $(TEST_LIB_OBJ)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps run check bench asan install clean _all _check _bench _tests fuzz fuzz-smoke _fuzz _fuzz_build
all: deps
	@$(MAKE) --no-print-directory _all

deps:
	@sh scripts/deps.sh

_all: $(BIN)

$(BIN): $(CLI_OBJ) $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIBS) $(LDLIBS)

$(CORE_LIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(FIG_LIB): $(FIG_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(CMD_LIB): $(CMD_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(UI_LIB): $(UI_OBJ)
	@rm -f $@
	ar rcs $@ $^

# layers above the core also see src/ (#include "cmd/cmd.h", "ui/ui.h")
$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -MMD -MP -c -o $@ $<

# The numeric core is built with CORE_OPT on top of OPT: -O3 vectorises the
# small-matrix kernel (linalg.c) and the elementwise loops of the blocks;
# -fno-math-errno lets sqrt inline; -fno-trapping-math lets conditionals on
# doubles (clamps, selects) become vector blends — the core never reads the
# FP exception flags. Neither changes a result; no -ffast-math, which would
# break NaN detection and bit reproducibility. The core sees include/ only.
CORE_OPT ?= -O3 -fno-math-errno -fno-trapping-math
$(BUILD)/src/core/%.o: src/core/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CORE_OPT) $(ISA) -MMD -MP -c -o $@ $<
# The matrix-product kernels, one file per instruction set (linalg.c picks
# one after checking the CPU; see src/core/linalg_kern.h), and the short-sum
# kernels all of them call (linalg_short.c, x86-64-v3 only).
# KERN_SAN (the fuzz build) takes ASan/UBSan off these four: clang 14 needs
# over two minutes a file to instrument them, the harnesses fuzz parsers and
# commands, not products, and `make asan` still checks the kernels.
$(BUILD)/src/core/linalg_v3.o $(BUILD)/src/core/linalg_v3w.o $(BUILD)/src/core/linalg_short.o: ISA := -march=x86-64-v3 $(KERN_SAN)
$(BUILD)/src/core/linalg_v4.o: ISA := -march=x86-64-v4 $(KERN_SAN)

# the figures see include/ only (and their own directory)
$(BUILD)/src/fig/%.o: src/fig/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# test_engine: the core alone (no command layer, no screen)
CORE_LDLIBS := $(shell pkg-config --libs openblas 2>/dev/null) -lm
$(BUILD)/tests/test_engine: tests/unit/test_engine.c $(BUILD)/tests/unit/test_harness.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -MMD -MP -MF $@.d -o $@ $< $(BUILD)/tests/unit/test_harness.o $(CORE_LIB) $(CORE_LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(TEST_LIB_OBJ) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -Itests/unit -MMD -MP -MF $@.d -o $@ $< $(TEST_LIB_OBJ) $(LIBS) $(LDLIBS)

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -Itests/unit -MMD -MP -c -o $@ $<

$(BUILD)/bench/%: bench/%.c $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(LIBS) $(LDLIBS)

_tests: $(BIN) $(TEST_BIN)

run: all
	./noether

# check builds on every core unless make was given -j already
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PAR  := $(if $(filter -j%,$(MAKEFLAGS)),,-j$(JOBS))

check: deps
	@$(MAKE) --no-print-directory $(PAR) _tests
	@if [ -n "$(FUZZ_CC)" ]; then $(MAKE) --no-print-directory $(PAR) _fuzz_build; fi
	@sh tests/run.sh $(BUILD)

_bench: $(BIN) $(BENCH_BIN)

bench: deps
	@$(MAKE) --no-print-directory OPT="-O2" _bench
	@sh bench/run.sh $(BUILD)

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan BIN=noether-asan OPT="-O1 -g" CORE_OPT= \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" _tests
	@ASAN_OPTIONS=detect_leaks=1 NOETHER_BIN=./noether-asan sh tests/run.sh build-asan

# libFuzzer harnesses (tests/fuzz/fuzz_*.c) over the core built with clang,
# ASan, UBSan and coverage instrumentation; tests/fuzz/smoke.sh runs them
# (tests/run.sh calls it, so make check runs the smoke when clang is here).
FUZZ_CC  ?= $(shell command -v clang-14 2>/dev/null || command -v clang 2>/dev/null)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

fuzz:
	@sh scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory _fuzz_build

_fuzz_build:
	@if [ -z "$(FUZZ_CC)" ]; then echo "make fuzz: needs clang (apt-get install clang)" >&2; exit 1; fi
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(FUZZ_CC) OPT="-O1 -g" CORE_OPT= \
	    SAN="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" KERN_SAN="-fno-sanitize=address,undefined" _fuzz

_fuzz: $(FUZZ_BIN)

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/common.c tests/fuzz/common.h $(CMD_LIB) $(FIG_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -Isrc -Itests/fuzz -o $@ $< tests/fuzz/common.c $(CMD_LIB) $(FIG_LIB) $(CORE_LIB) $(LDLIBS)

fuzz-smoke: fuzz
	@sh tests/fuzz/smoke.sh build-fuzz

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/noether/presets
	install -m 755 noether $(DESTDIR)$(PREFIX)/bin/noether
	install -m 644 man/noether.1 $(DESTDIR)$(PREFIX)/share/man/man1/noether.1
	install -m 644 presets/*.nt $(DESTDIR)$(PREFIX)/share/noether/presets/

clean:
	rm -rf build build-asan build-fuzz noether noether-asan

-include $(CORE_OBJ:.o=.d) $(FIG_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(UI_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_LIB_OBJ:.o=.d) $(TEST_BIN:=.d)
