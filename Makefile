# noether — one plain Makefile.
#   make            build ./noether (installs missing Debian packages first)
#   make run        build and open the explorer on the default preset
#   make check      build and run the whole test suite (unit, numeric, scripts, screen)
#   make bench      benchmarks (steps/s, FLOP fraction of dgemm peak, PyTorch reference)
#   make asan       the suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make install    install binary, man page and presets under PREFIX
# Top-level targets first make sure the dependencies are there (scripts/deps.sh),
# then re-enter make so pkg-config runs after the install.

PREFIX  ?= /usr/local
BUILD   ?= build
CC      ?= cc
PKGS    := openblas ncursesw readline
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter -Wno-format-truncation
ifeq ($(CI),true)
WARN    += -Werror
endif
ifneq ($(WERROR),)
WARN    += -Werror
endif
SAN     ?=
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) $(WARN) $(SAN) -Iinclude $(PKG_CFLAGS) \
           -DNT_VERSION=\"$(VERSION)\" -DNT_PRESET_DIR=\"$(PREFIX)/share/noether/presets\"
LDLIBS  += $(PKG_LIBS) -lm
LDFLAGS += $(SAN)
VERSION := 0.1.0

CORE_SRC := $(wildcard src/core/*.c src/core/blocks/*.c src/cmd/*.c)
UI_SRC   := $(wildcard src/cli/*.c src/ui/*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
UI_OBJ   := $(UI_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libnoether.a
BIN      ?= noether
TEST_SRC := $(filter-out tests/unit/test_harness.c,$(wildcard tests/unit/test_*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_LIB_SRC := $(filter-out $(TEST_SRC),$(wildcard tests/unit/*.c))
TEST_LIB_OBJ := $(TEST_LIB_SRC:%.c=$(BUILD)/%.o)
# keep them: make would delete these chained intermediates after each run
.SECONDARY: $(TEST_LIB_OBJ)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps run check bench asan install clean _all _check _bench _tests
all: deps
	@$(MAKE) --no-print-directory _all

deps:
	@sh scripts/deps.sh

_all: $(BIN)

$(BIN): $(LIB) $(UI_OBJ)
	$(CC) $(LDFLAGS) -o $@ $(UI_OBJ) $(LIB) $(LDLIBS)

$(LIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The numeric core is built with CORE_OPT on top of OPT: -O3 vectorises the
# small-matrix kernel (linalg.c) and the elementwise loops of the blocks;
# -fno-math-errno lets sqrt inline; -fno-trapping-math lets conditionals on
# doubles (clamps, selects) become vector blends — the core never reads the
# FP exception flags. Neither changes a result; no -ffast-math, which would
# break NaN detection and bit reproducibility.
CORE_OPT ?= -O3 -fno-math-errno -fno-trapping-math
$(BUILD)/src/core/%.o: src/core/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CORE_OPT) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(TEST_LIB_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -MMD -MP -MF $@.d -o $@ $< $(TEST_LIB_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -MMD -MP -c -o $@ $<

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

_tests: $(BIN) $(TEST_BIN)

run: all
	./noether

check: deps
	@$(MAKE) --no-print-directory _tests
	@sh tests/run.sh $(BUILD)

_bench: $(BIN) $(BENCH_BIN)

bench: deps
	@$(MAKE) --no-print-directory OPT="-O2" _bench
	@sh bench/run.sh $(BUILD)

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan BIN=noether-asan OPT="-O1 -g" CORE_OPT= \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" _tests
	@ASAN_OPTIONS=detect_leaks=1 NOETHER_BIN=./noether-asan sh tests/run.sh build-asan

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/noether/presets
	install -m 755 noether $(DESTDIR)$(PREFIX)/bin/noether
	install -m 644 man/noether.1 $(DESTDIR)$(PREFIX)/share/man/man1/noether.1
	install -m 644 presets/*.nt $(DESTDIR)$(PREFIX)/share/noether/presets/

clean:
	rm -rf build build-asan noether noether-asan

-include $(CORE_OBJ:.o=.d) $(UI_OBJ:.o=.d) $(TEST_LIB_OBJ:.o=.d) $(TEST_BIN:=.d)
