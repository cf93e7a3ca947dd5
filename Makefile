# uniops — one hand-written Makefile.
#   make            build build/uniops
#   make run        install deps, build, migrate, load demo data, serve on 127.0.0.1:8080
#   make check      install deps, unit + API tests (SQLite and PostgreSQL), fuzz smoke, then again under ASan+UBSan
#   make fuzz       build the libFuzzer targets (tests/fuzz/) into build-fuzz/ and run each FUZZ_SECONDS (60)
#   make fuzz-smoke replay the committed corpora, then run each target for 10 s
#   make clean
# Switches: CC=clang, SANITIZE=1 (AddressSanitizer + UndefinedBehaviorSanitizer into build-asan/),
# FUZZ=1 (clang, libFuzzer coverage + ASan + UBSan into build-fuzz/; used by the fuzz targets).

CC      ?= cc
PKGS    := libmicrohttpd jansson sqlite3 libsodium libpq libcurl xlsxwriter libcrypto
PYTHON  := /usr/bin/python3

ifeq ($(FUZZ),1)
  # Every object carries libFuzzer's coverage hooks (fuzzer-no-link); only the targets link
  # libFuzzer's main. Sanitizer findings abort, so libFuzzer saves the input as a crash.
  # libFuzzer is clang's: override even a CC=… given on the command line.
  override CC := clang
  override B := build-fuzz
  SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  OPT := -O1 -g
else ifeq ($(SANITIZE),1)
  B := build-asan
  SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  OPT := -O1 -g
else
  B := build
  SANFLAGS :=
  OPT := -O2 -g
  # jemalloc instead of glibc's malloc for the server binary: with a thread per connection
  # glibc's arenas contended and consolidated on every request (docs/benchmarks.md: +15 %
  # creates/s). Not with the sanitizers, which bring their own allocator.
  MALLOC_LIBS := -ljemalloc
endif

WARN := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wvla -Wwrite-strings \
        -Wold-style-definition -Wshadow -Wformat=2 -Wundef -Wpointer-arith \
        -Wno-unused-parameter -fno-common
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -I/usr/include/postgresql
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lmicrohttpd -ljansson -lsqlite3 -lsodium -lpq -lcurl -lxlsxwriter -lcrypto)
CFLAGS  := -std=c17 $(OPT) $(WARN) $(SANFLAGS) -D_GNU_SOURCE -Isrc -I$(B)/gen -MMD -MP $(EXTRA_CFLAGS)
LDLIBS   = $(PKG_LIBS) -lpthread -lm
LDFLAGS := $(SANFLAGS)

LIB_SRC  := $(shell find src -name '*.c' ! -name main.c | sort)
LIB_OBJ  := $(patsubst src/%.c,$(B)/obj/%.o,$(LIB_SRC)) $(B)/obj/gen/migrations.o $(B)/obj/gen/holidays.o
MIGRATIONS := $(sort $(wildcard src/store/migrations/*.sql))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRC))
FUZZ_BIN     := $(patsubst %,build-fuzz/%,$(FUZZ_TARGETS))
FUZZ_SECONDS ?= 60

.PHONY: all run check unit api api-pg store clean deps fuzz fuzz-smoke fuzz-build
all: $(B)/uniops

deps:
	@./scripts/deps.sh

$(B)/gen/migrations.c: $(MIGRATIONS) scripts/embed_sql.sh
	@mkdir -p $(dir $@)
	./scripts/embed_sql.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(B)/gen/holidays.c: data/cn-holidays-2025-2026.json scripts/embed_file.sh
	@mkdir -p $(dir $@)
	./scripts/embed_file.sh demo_holidays_json $< > $@.tmp && mv $@.tmp $@

$(B)/obj/gen/holidays.o: $(B)/gen/holidays.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-variable-declarations -c $< -o $@

$(B)/obj/gen/migrations.o: $(B)/gen/migrations.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(B)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(B)/libuniops.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/uniops: $(B)/obj/main.o $(B)/libuniops.a
	$(CC) $(LDFLAGS) -o $@ $^ $(MALLOC_LIBS) $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libuniops.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(B)/libuniops.a $(LDFLAGS) $(LDLIBS) -lcmocka

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# API tests against a real server; UNIOPS_BIN tells conftest.py which binary to start.
api: $(B)/uniops
	UNIOPS_BIN=$(CURDIR)/$(B)/uniops $(PYTHON) -m pytest -q -p no:cacheprovider tests/api

# The same suite on a throwaway PostgreSQL (initdb in a temporary folder, stopped at the end).
api-pg: $(B)/uniops
	UNIOPS_BIN=$(CURDIR)/$(B)/uniops ./scripts/with-postgres.sh $(PYTHON) -m pytest -q -p no:cacheprovider tests/api

# The store interface on both backends, and the two dialects' schemas compared.
store: $(B)/uniops
	./scripts/test-store.sh
	UNIOPS_BIN=$(CURDIR)/$(B)/uniops ./scripts/with-postgres.sh $(PYTHON) tests/store/schema_in_step.py

# libFuzzer targets. The library objects are rebuilt with FUZZ=1 into build-fuzz/libuniops.a
# (build/libuniops.a lacks the coverage hooks); a target links only the members it needs.
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c build-fuzz/libuniops.a
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< build-fuzz/libuniops.a $(LDLIBS)

fuzz-build:
	$(MAKE) FUZZ=1 $(FUZZ_BIN)

# run-fuzz SECONDS: for each target, replay its committed corpus once (-runs=0: the same
# inputs every time, so a regression fails deterministically), then fuzz for SECONDS with new
# inputs going to build-fuzz/corpus/<target> and a failing input to build-fuzz/<target>-*.
# The full output is in build-fuzz/<target>.log; it is shown when the target fails.
define run-fuzz
	@set -e; for t in $(FUZZ_TARGETS); do \
	  seeds=tests/fuzz/corpus/$$t; work=build-fuzz/corpus/$$t; log=build-fuzz/$$t.log; mkdir -p $$work; \
	  dict=""; [ -f tests/fuzz/$$t.dict ] && dict="-dict=tests/fuzz/$$t.dict"; \
	  if ! build-fuzz/$$t -runs=0 $$dict $$seeds >$$log 2>&1; then \
	    tail -60 $$log >&2; echo "$$t: replaying $$seeds failed" >&2; exit 1; fi; \
	  echo "== $$t: $$(ls $$seeds | wc -l) seeds replayed; fuzzing $(1) s"; \
	  if ! build-fuzz/$$t -max_total_time=$(1) -timeout=10 -print_final_stats=1 \
	      -artifact_prefix=build-fuzz/$$t- $$dict $$work $$seeds >$$log 2>&1; then \
	    tail -60 $$log >&2; echo "$$t: failed; the input is saved as build-fuzz/$$t-*" >&2; exit 1; fi; \
	  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' $$log | tr '\n' ' '; echo; \
	done
endef

fuzz: fuzz-build
	$(call run-fuzz,$(FUZZ_SECONDS))

fuzz-smoke: fuzz-build
	$(call run-fuzz,10)

# make bench: bulk-load BENCH_N work orders (uniops demo --scale), serve them and time the API
# with wrk, on SQLite and (when installed) PostgreSQL; one line per figure (bench/run.sh,
# docs/benchmarks.md). Not part of check. BENCH_N=100000 for a quick run.
BENCH_N ?= 1000000
.PHONY: bench
bench: deps $(B)/uniops $(B)/bench/raw_insert
	BENCH_N=$(BENCH_N) UNIOPS_BIN=$(CURDIR)/$(B)/uniops RAW_INSERT_BIN=$(CURDIR)/$(B)/bench/raw_insert ./bench/run.sh

# The machine's ceiling for durable SQLite commits, which bench compares our creates with.
$(B)/bench/raw_insert: bench/raw_insert.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< -lsqlite3 -lpthread

check: deps
	$(MAKE) all unit store api api-pg fuzz-smoke
	$(MAKE) CC=clang B=build-clang build-clang/uniops
	$(MAKE) SANITIZE=1 all unit api

run: deps all
	./$(B)/uniops migrate
	./$(B)/uniops demo --if-empty
	./$(B)/uniops serve

clean:
	rm -rf build build-asan build-clang build-fuzz

-include $(shell find $(B) -name '*.d' 2>/dev/null)
