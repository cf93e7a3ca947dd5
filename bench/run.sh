#!/bin/sh
# run.sh — `make bench`: load a big demo database, serve it, and print one line per figure
# (docs/benchmarks.md lists them with their targets and explains the gaps).
#
#   bench/run.sh [all|sqlite|pg]       (make bench runs `all`)
#
# Environment: UNIOPS_BIN, RAW_INSERT_BIN (make sets both), BENCH_N work orders to load
# (default 1000000; 100000 for a quick run), BENCH_PG_N (default BENCH_N) for PostgreSQL,
# BENCH_SECONDS per wrk figure (default 10), BENCH_DIR for the databases and logs (default
# var/bench), BENCH_PG=0 to skip PostgreSQL.
#
# Each backend: `uniops demo --scale N` into a fresh base database (its load rate is the
# first figure), a fresh copy of it for the run (a file copy; CREATE DATABASE … TEMPLATE on
# PostgreSQL) so the creates of one run never leak into the next, `uniops serve` on a free
# port, then wrk with bench/request.lua. `pg` runs inside scripts/with-postgres.sh (a
# throwaway cluster with fsync=off: its write figures are not comparable with SQLite's).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
UNIOPS=${UNIOPS_BIN:-$root/build/uniops}
RAW=${RAW_INSERT_BIN:-$root/build/bench/raw_insert}
N=${BENCH_N:-1000000}
PG_N=${BENCH_PG_N:-$N}
SECS=${BENCH_SECONDS:-10}
DIR=${BENCH_DIR:-$root/var/bench}
mode=${1:-all}
mkdir -p "$DIR"

for tool in wrk curl "$UNIOPS"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool not found (make deps installs wrk)" >&2; exit 2; }
done

server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# line NAME VALUE: a figure that is not a wrk run, in the same columns.
line() { printf '%-40s %s\n' "$1" "$2"; }

# bulk_load LABEL URL N: the base database, and the loader's own rate.
bulk_load() {
  out=$("$UNIOPS" demo --scale "$3" --db "$2" 2>"$DIR/load-$1.log") || {
    tail -5 "$DIR/load-$1.log" >&2
    echo "bench: demo --scale failed on $1" >&2
    exit 1
  }
  printf '%s\n' "$out" >"$DIR/load-$1.txt"
  rate=$(printf '%s\n' "$out" | sed -n 's/.* in \([0-9.]*\) s: \([0-9]*\) work orders\/s.*/\2 orders\/s (\1 s)/p')
  line "$1: bulk load of $3 work orders" "$rate"
  printf '%s\n' "$out" | sed -n 's/^  /    /p'
}

# start_server LABEL URL: serve on a free port; prints the start-up time (launch → /healthz 200).
start_server() {
  port=$(free_port)
  base="http://127.0.0.1:$port"
  t0=$(now_ms)
  "$UNIOPS" serve --listen "127.0.0.1:$port" --db "$2" 2>"$DIR/server-$1.log" &
  server_pid=$!
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz" 2>/dev/null || true)
    [ "$code" = 200 ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      tail -5 "$DIR/server-$1.log" >&2
      echo "bench: the server did not start" >&2
      exit 1
    fi
    if [ $(($(now_ms) - t0)) -gt 120000 ]; then
      echo "bench: no /healthz 200 within 120 s" >&2
      exit 1
    fi
    sleep 0.01
  done
  line "$1: start-up (launch to /healthz 200)" "$(($(now_ms) - t0)) ms"
}

stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}

# bench NAME THREADS CONNS METHOD PATH TOKEN [BODY]
bench() {
  BENCH_NAME=$1 BENCH_METHOD=$4 BENCH_TOKEN=$6 BENCH_BODY=${7:-} \
    wrk -t"$2" -c"$3" -d"${SECS}s" --timeout 10s --latency -s "$here/request.lua" "$base$5" \
    >"$DIR/wrk.out" 2>&1 || { cat "$DIR/wrk.out" >&2; exit 1; }
  cat "$DIR/wrk.out" >>"$DIR/wrk-$label.log"
  # request.lua's done() line is the last one wrk prints
  tail -1 "$DIR/wrk.out"
}

# suite LABEL URL: every figure against a fresh copy that is already in place at URL.
suite() {
  label=$1
  : >"$DIR/wrk-$label.log"
  start_server "$label" "$2"
  vars=$(/usr/bin/python3 "$here/setup.py" "$base") || exit 1
  eval "$vars"
  body="{\"customer_org_id\":$CUSTOMER,\"type\":\"incident\",\"impact\":\"medium\",\"urgency\":\"high\",\"title\":\"压测：办公电脑无法开机\"}"
  bench "$label: create work order c=1" 1 1 POST /api/v1/work-orders "$TOKEN" "$body"
  bench "$label: create work order c=32" 2 32 POST /api/v1/work-orders "$TOKEN" "$body"
  bench "$label: get one work order c=32" 2 32 GET "/api/v1/work-orders/$WO_ID" "$TOKEN"
  list="/api/v1/work-orders?customer_org_id=$CUSTOMER&state=in_progress&breached=true&limit=50"
  bench "$label: list 50 (cust+state+breached) c=1" 1 1 GET "$list" "$TOKEN"
  bench "$label: list 50 (cust+state+breached) c=32" 2 32 GET "$list" "$TOKEN"
  line "" "(the list page held $LIST_ITEMS work orders)"
  bench "$label: SLA achievement, 1 month by provider" 1 1 GET \
    "/api/v1/sla/achievement?from=$MONTH_FROM&to=$MONTH_TO&group_by=provider" "$MGR_TOKEN"
  scan=$("$UNIOPS" sla breach-scan --runs 20 --db "$2" 2>>"$DIR/server-$label.log")
  line "$label: SLA breach scan (escalation job)" \
    "$(printf '%s\n' "$scan" | sed 's/.*warn=\([0-9]*\) breach=\([0-9]*\).*first_ms=\([0-9.]*\) median_ms=\([0-9.]*\) max_ms=\([0-9.]*\).*/median \4 ms, max \5 ms, first \3 ms (rows: \1 warn, \2 breach)/')"
  rss=$(awk '/^VmRSS/ {printf "%.1f MB", $2 / 1024}' "/proc/$server_pid/status")
  hwm=$(awk '/^VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$server_pid/status")
  line "$label: server resident memory at the end" "$rss (peak $hwm)"
  stop_server
}

run_sqlite() {
  rm -f "$DIR"/base.db "$DIR"/base.db-wal "$DIR"/base.db-shm
  bulk_load sqlite "sqlite:$DIR/base.db" "$N"
  rm -f "$DIR"/run.db "$DIR"/run.db-wal "$DIR"/run.db-shm
  cp "$DIR/base.db" "$DIR/run.db"
  if [ -f "$DIR/base.db-wal" ]; then cp "$DIR/base.db-wal" "$DIR/run.db-wal"; fi
  line "sqlite: database size" "$(du -m "$DIR/run.db" | cut -f1) MB"
  suite sqlite "sqlite:$DIR/run.db"
  create32=$(awk '/sqlite: create work order c=32/ {print $6}' "$DIR/wrk-sqlite.log" | tail -1)
  raw=$("$RAW" "$DIR/raw.db" 5)
  rm -f "$DIR"/raw.db "$DIR"/raw.db-wal "$DIR"/raw.db-shm
  rate=$(printf '%s\n' "$raw" | sed 's/.*rate=\([0-9]*\).*/\1/')
  line "sqlite: raw ceiling (1 row/tx, WAL, FULL)" "$rate rows/s"
  line "sqlite: create c=32 / raw ceiling" "$(awk -v a="$create32" -v b="$rate" 'BEGIN {printf "%.0f %%", 100 * a / b}')"
}

run_pg() {
  : "${PGHOST:?run pg mode under scripts/with-postgres.sh}"
  url="postgresql://postgres@$PGHOST:$PGPORT"
  psql -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE bench_base" >/dev/null
  bulk_load pg "$url/bench_base" "$PG_N"
  psql -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE bench_run TEMPLATE bench_base" >/dev/null
  line "pg: database size" "$(psql -qtA -d postgres -c "SELECT pg_database_size('bench_run') / 1048576") MB"
  suite pg "$url/bench_run"
}

# The machine is shared with whatever else runs: say how busy it was.
line "bench: $mode, BENCH_N=$N, ${SECS} s per wrk figure" "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

case $mode in
  sqlite) run_sqlite ;;
  pg) run_pg ;;
  all)
    run_sqlite
    if [ "${BENCH_PG:-1}" = 0 ]; then
      echo "bench: PostgreSQL skipped (BENCH_PG=0)"
    elif ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
      "$root/scripts/with-postgres.sh" "$0" pg
    else
      echo "bench: PostgreSQL skipped (no server under /usr/lib/postgresql)"
    fi
    ;;
  *)
    echo "usage: bench/run.sh [all|sqlite|pg]" >&2
    exit 2
    ;;
esac
