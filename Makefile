# annex - build, test, install. GNU Make.
#
#   make                 build ./annex (installs missing Debian build deps)
#   make test            every test; ends with "N passed, M failed"
#   make asan            every test under AddressSanitizer + UBSan
#   make check-config CONFIG_CASES=DIR    HTCondor config oracle cases
#   make check-sigv4  SIGV4_CASES=DIR     SigV4 official vectors
#   make fuzz FUZZ_SECONDS=600            the libFuzzer targets (tests/fuzz/run.sh)
#   make bench-sigv4 | bench-setup | bench-launch | bench-fleet | bench-status
#   make demo            the whole workflow against a local AWS emulator
#   make knobs-doc       regenerate docs/knobs.md and docs/annex.1 from the knob registry
#   make man             regenerate docs/annex.1 (from docs/annex.1.in and the registry)
#   make install PREFIX=/usr/local DESTDIR=    (and make uninstall, same variables)

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
SHARED  ?= $(abspath ../shared)
CONFIG_CASES ?= $(SHARED)/condor-config-cases/cases
SIGV4_CASES  ?= $(SHARED)/sigv4-suite

CC      ?= cc
PKGS    := libcurl openssl json-c libxml-2.0
DEPS_SH ?= scripts/deps.sh
SAN     ?=
OPT     ?= -O2

# Build order on a fresh machine (make -j N works from a clean clone):
# every rule that runs the compiler, the linker or scripts/embed.py
# order-only-depends on `deps`, so scripts/deps.sh has installed the -dev
# packages and pkg-config before any of them starts; and pkg-config runs
# lazily, once, when the first such recipe is expanded (after `deps`),
# never while the Makefile is read. `test-deps` runs after `deps` (two
# apt-get at once would fight over dpkg's lock).
pkgconfig = $(or $(shell pkg-config $(1) $(PKGS) 2>/dev/null),$(error pkg-config knows none of $(PKGS) \
            (or is missing): run 'make deps' ($(DEPS_SH) build)))
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(call pkgconfig,--cflags))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(call pkgconfig,--libs))$(PKG_LIBS)

CFLAGS  ?=
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
           -Wno-format-nonliteral -g $(OPT) $(SAN) -Iinclude -I$(BUILD)/gen $(PKG_CFLAGS)
LDFLAGS += $(SAN)
LDLIBS  += $(PKG_LIBS) -lz -lm -lpthread

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
        bench-sigv4 bench-setup bench-launch bench-fleet bench-status demo install uninstall clean knobs-doc man

all: deps annex

deps:
	@$(DEPS_SH) build

test-deps: deps
	@$(DEPS_SH) test

annex: $(BIN)
	@if [ "$(BUILD)" = build ]; then cp $(BIN) annex; fi

$(BUILD)/obj/%.o: src/%.c $(wildcard include/annex/*.h) | deps $(BUILD)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/embedded_data.o: $(GEN_SRC) | deps $(BUILD)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

$(GEN_SRC): scripts/embed.py $(EMBED) | deps $(BUILD)/gen
	python3 scripts/embed.py $@ $(EMBED)

$(LIB): $(LIB_OBJ) | deps
	rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/obj/main.o $(LIB) | deps
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/harness.h $(LIB) | deps $(BUILD)/tests
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tools/%: tests/cases/%.c $(LIB) | deps $(BUILD)/tools
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tools/%: tests/tools/%.c $(LIB) | deps $(BUILD)/tools
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tools/%: bench/%.c $(LIB) | deps $(BUILD)/tools
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

asan: test-deps
	$(MAKE) BUILD=build-asan CC=clang OPT=-O1 \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" test

check-config: deps $(BUILD)/tools/check_config $(BIN)
	@$(BUILD)/tools/check_config $(CONFIG_CASES)

check-sigv4: deps $(BUILD)/tools/check_sigv4
	@$(BUILD)/tools/check_sigv4 $(SIGV4_CASES)

fuzz: test-deps
	@BUILD=$(BUILD) SHARED=$(SHARED) tests/fuzz/run.sh $(or $(FUZZ_SECONDS),60)

bench-sigv4: deps $(BUILD)/tools/bench_sigv4
	@bench/sigv4.sh $(BUILD)/tools/bench_sigv4

bench-setup: test-deps build-tests
	@bench/setup.sh

bench-launch: test-deps build-tests
	@bench/launch.sh

bench-fleet: test-deps build-tests
	@bench/fleet.sh

# annex -status over BENCH_STATUS_N instances (moto's tag filtering dominates the wall time)
bench-status: test-deps build-tests
	@ANNEX_BIN=$(CURDIR)/$(BUILD)/annex python3 bench/bench_status.py $(or $(BENCH_STATUS_N),2000)

# docs/knobs.md is generated from src/knobs.c (test_knobs_registry.sh checks it)
knobs-doc: deps $(BUILD)/tools/knobs_doc man
	$(BUILD)/tools/knobs_doc > docs/knobs.md

# docs/annex.1 is generated too (its knob and environment sections come from
# the registry); it is committed so that a build needs no generator.
man: deps $(BUILD)/tools/knobs_doc
	$(BUILD)/tools/knobs_doc -man docs/annex.1.in > docs/annex.1.tmp && mv docs/annex.1.tmp docs/annex.1

demo: test-deps annex
	@scripts/demo.sh

# What install puts down; uninstall removes exactly these, annex's own doc
# directory, and, only under a DESTDIR, the directories install made.
MANDIR   := $(PREFIX)/share/man/man1
DOCDIR   := $(PREFIX)/share/doc/annex
BASHCOMP := $(PREFIX)/share/bash-completion/completions
ZSHCOMP  := $(PREFIX)/share/zsh/site-functions
DOC_FILES     := README.md $(wildcard docs/*.md)
EXAMPLE_FILES := $(wildcard examples/*)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR) $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(BASHCOMP) $(DESTDIR)$(ZSHCOMP)
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/annex
	install -m 0644 docs/annex.1 $(DESTDIR)$(MANDIR)/annex.1
	install -m 0644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(EXAMPLE_FILES) $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 completion/annex.bash $(DESTDIR)$(BASHCOMP)/annex
	install -m 0644 completion/_annex $(DESTDIR)$(ZSHCOMP)/_annex

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/annex $(DESTDIR)$(MANDIR)/annex.1 \
		$(DESTDIR)$(BASHCOMP)/annex $(DESTDIR)$(ZSHCOMP)/_annex
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOC_FILES)))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(EXAMPLE_FILES)))
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null
	@# shared directories (bin, man1, ...) are removed only inside a DESTDIR
	@# staging tree, where install made them; never from a live system
	$(if $(DESTDIR),-cd $(DESTDIR) && rmdir -p $(patsubst /%,%,$(PREFIX)/share/doc $(PREFIX)/bin $(MANDIR) $(BASHCOMP) $(ZSHCOMP)) 2>/dev/null)

clean:
	rm -rf build build-asan build-tsan annex
