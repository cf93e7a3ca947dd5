# uniops — one hand-written Makefile.
#   make            build build/uniops
#   make run        install deps, build, migrate, load demo data, serve on 127.0.0.1:8080
#   make check      install deps, unit + API tests (SQLite and PostgreSQL), then again under ASan+UBSan
#   make clean
# Switches: CC=clang, SANITIZE=1 (AddressSanitizer + UndefinedBehaviorSanitizer into build-asan/).

CC      ?= cc
PKGS    := libmicrohttpd jansson sqlite3 libsodium libpq libcurl
PYTHON  := /usr/bin/python3

ifeq ($(SANITIZE),1)
  B := build-asan
  SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  OPT := -O1 -g
else
  B := build
  SANFLAGS :=
  OPT := -O2 -g
endif

WARN := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wvla -Wwrite-strings \
        -Wold-style-definition -Wshadow -Wformat=2 -Wundef -Wpointer-arith \
        -Wno-unused-parameter -fno-common
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -I/usr/include/postgresql
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lmicrohttpd -ljansson -lsqlite3 -lsodium -lpq -lcurl)
CFLAGS  := -std=c17 $(OPT) $(WARN) $(SANFLAGS) -D_GNU_SOURCE -Isrc -I$(B)/gen -MMD -MP $(EXTRA_CFLAGS)
LDLIBS   = $(PKG_LIBS) -lpthread -lm
LDFLAGS := $(SANFLAGS)

LIB_SRC  := $(shell find src -name '*.c' ! -name main.c | sort)
LIB_OBJ  := $(patsubst src/%.c,$(B)/obj/%.o,$(LIB_SRC)) $(B)/obj/gen/migrations.o $(B)/obj/gen/holidays.o
MIGRATIONS := $(sort $(wildcard src/store/migrations/*.sql))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

.PHONY: all run check unit api api-pg store clean deps
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
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

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

check: deps
	$(MAKE) all unit store api api-pg
	$(MAKE) CC=clang B=build-clang build-clang/uniops
	$(MAKE) SANITIZE=1 all unit api

run: deps all
	./$(B)/uniops migrate
	./$(B)/uniops demo --if-empty
	./$(B)/uniops serve

clean:
	rm -rf build build-asan build-clang

-include $(shell find $(B) -name '*.d' 2>/dev/null)
