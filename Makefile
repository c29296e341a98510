# annex - build, test, install. GNU Make.
#
#   make                 build ./annex (installs missing Debian build deps)
#   make test            every test; ends with "N passed, M failed"
#   make asan            every test under AddressSanitizer + UBSan
#   make check-config CONFIG_CASES=DIR    HTCondor config oracle cases
#   make check-sigv4  SIGV4_CASES=DIR     SigV4 official vectors
#   make bench-sigv4 | bench-setup | bench-launch | bench-status
#   make demo            the whole workflow against a local AWS emulator
#   make knobs-doc       regenerate docs/knobs.md from the knob registry
#   make install PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
SHARED  ?= $(abspath ../shared)
CONFIG_CASES ?= $(SHARED)/condor-config-cases/cases
SIGV4_CASES  ?= $(SHARED)/sigv4-suite

CC      ?= cc
PKGS    := libcurl openssl json-c libxml-2.0
SAN     ?=
OPT     ?= -O2
CFLAGS  ?=
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
           -Wno-format-nonliteral -g $(OPT) $(SAN) -Iinclude -I$(BUILD)/gen \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS += $(SAN)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lz -lm -lpthread

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CFLAGS  += -DANNEX_VERSION='"$(VERSION)"'

LIB_SRC  := $(filter-out src/main.c,$(wildcard src/*.c))
GEN_SRC  := $(BUILD)/gen/embedded_data.c
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/embedded_data.o
LIB      := $(BUILD)/libannex.a
BIN      := $(BUILD)/annex
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(wildcard tests/cases/*.c) $(wildcard tests/tools/*.c) $(wildcard bench/*.c)
TOOL_BIN := $(patsubst %.c,$(BUILD)/tools/%,$(notdir $(TOOL_SRC)))
EMBED    := $(wildcard src/functions/*.py) $(wildcard src/templates/*) $(wildcard policies/*.json)

.PHONY: all deps test-deps test unit asan check-config check-sigv4 fuzz \
        bench-sigv4 bench-setup bench-launch bench-status demo install clean knobs-doc

all: deps annex

deps:
	@scripts/deps.sh build

test-deps:
	@scripts/deps.sh test

annex: $(BIN)
	@if [ "$(BUILD)" = build ]; then cp $(BIN) annex; fi

$(BUILD)/obj/%.o: src/%.c $(wildcard include/annex/*.h) | $(BUILD)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/embedded_data.o: $(GEN_SRC) | $(BUILD)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

$(GEN_SRC): scripts/embed.py $(EMBED) | $(BUILD)/gen
	python3 scripts/embed.py $@ $(EMBED)

$(LIB): $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/obj/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/harness.h $(LIB) | $(BUILD)/tests
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tools/%: tests/cases/%.c $(LIB) | $(BUILD)/tools
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tools/%: tests/tools/%.c $(LIB) | $(BUILD)/tools
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tools/%: bench/%.c $(LIB) | $(BUILD)/tools
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/obj $(BUILD)/gen $(BUILD)/tests $(BUILD)/tools:
	mkdir -p $@

# Everything the test runner needs, built once.
build-tests: deps $(BIN) $(UNIT_BIN) $(TOOL_BIN)
	@if [ "$(BUILD)" = build ]; then cp $(BIN) annex; fi

test: test-deps build-tests
	@BUILD=$(BUILD) ANNEX_BIN=$(CURDIR)/$(BUILD)/annex SHARED=$(SHARED) CONFIG_CASES=$(CONFIG_CASES) SIGV4_CASES=$(SIGV4_CASES) \
		tests/run-all.sh

unit: build-tests
	@BUILD=$(BUILD) ONLY=unit tests/run-all.sh

asan:
	$(MAKE) BUILD=build-asan CC=clang OPT=-O1 \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" test

check-config: deps $(BUILD)/tools/check_config $(BIN)
	@$(BUILD)/tools/check_config $(CONFIG_CASES)

check-sigv4: deps $(BUILD)/tools/check_sigv4
	@$(BUILD)/tools/check_sigv4 $(SIGV4_CASES)

fuzz: deps
	@tests/fuzz/run.sh $(or $(FUZZ_SECONDS),20)

bench-sigv4: deps $(BUILD)/tools/bench_sigv4
	@bench/sigv4.sh $(BUILD)/tools/bench_sigv4

bench-setup: test-deps build-tests
	@bench/setup.sh

bench-launch: test-deps build-tests
	@bench/launch.sh

# annex -status over BENCH_STATUS_N instances (moto's tag filtering dominates the wall time)
bench-status: test-deps build-tests
	@ANNEX_BIN=$(CURDIR)/$(BUILD)/annex python3 bench/bench_status.py $(or $(BENCH_STATUS_N),2000)

# docs/knobs.md is generated from src/knobs.c (test_knobs_registry.sh checks it)
knobs-doc: deps $(BUILD)/tools/knobs_doc
	$(BUILD)/tools/knobs_doc > docs/knobs.md

demo: test-deps annex
	@scripts/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/annex
	install -d $(DESTDIR)$(PREFIX)/share/doc/annex
	install -m 0644 README.md $(wildcard docs/*.md) $(DESTDIR)$(PREFIX)/share/doc/annex/
	install -d $(DESTDIR)$(PREFIX)/share/doc/annex/examples
	install -m 0644 $(wildcard examples/*) $(DESTDIR)$(PREFIX)/share/doc/annex/examples/

clean:
	rm -rf build build-asan annex
