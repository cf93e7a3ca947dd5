#!/bin/sh
# test-store.sh — builds tests/store/test_store_backends.c against the store layer alone
# (src/core + src/store + the embedded migrations, not the whole tree) and runs it on
# SQLite and on a throwaway PostgreSQL (scripts/with-postgres.sh).
#
#   scripts/test-store.sh              both backends
#   scripts/test-store.sh sqlite|pg    one backend
#   scripts/test-store.sh build        only build (tests/store/schema_in_step.py uses it)
#   CC=clang SANITIZE=1 scripts/test-store.sh   other compiler, ASan + UBSan (leaks included)
#
# Output goes to build/store-tests/ (or build-asan/… with SANITIZE=1).
set -eu
cd "$(dirname "$0")/.."

CC=${CC:-cc}
which=${1:-all}
if [ "${SANITIZE:-0}" = 1 ]; then
  out=build-asan/store-tests
  san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
  opt="-O1 -g"
else
  out=build/store-tests
  san=""
  opt="-O2 -g"
fi
mkdir -p "$out"

warn="-Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wvla -Wwrite-strings \
-Wold-style-definition -Wshadow -Wformat=2 -Wundef -Wpointer-arith -Wcast-qual \
-Wno-unused-parameter -fno-common"
./scripts/embed_sql.sh src/store/migrations/*.sql >"$out/migrations.c"
# shellcheck disable=SC2086
$CC -std=c17 $opt $warn $san -D_GNU_SOURCE -Isrc -I/usr/include/postgresql \
  -o "$out/test_store_backends" tests/store/test_store_backends.c src/core/*.c src/store/*.c "$out/migrations.c" \
  -lsqlite3 -lpq -lsodium -ljansson -lpthread -lm
bin="$out/test_store_backends"
[ "$which" = build ] && exit 0

status=0
if [ "$which" = all ] || [ "$which" = sqlite ]; then
  db=$(mktemp -d "${TMPDIR:-/tmp}/uniops-store.XXXXXX")
  echo "== SQLite"
  "$bin" "sqlite:$db/test.db" || status=1
  rm -rf "$db"
fi
if [ "$which" = all ] || [ "$which" = pg ]; then
  echo "== PostgreSQL"
  if [ -n "${UNIOPS_TEST_PG:-}" ]; then
    "$bin" "$UNIOPS_TEST_PG" || status=1
  else
    # shellcheck disable=SC2016
    ./scripts/with-postgres.sh sh -c '"$1" "$UNIOPS_TEST_PG"' sh "$bin" || status=1
  fi
fi
exit "$status"
