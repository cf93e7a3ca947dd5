#!/bin/sh
# with-postgres.sh — runs a command against a throwaway PostgreSQL server.
#
#   scripts/with-postgres.sh CMD ARGS…
#
# initdb's a cluster in a temporary folder (Debian's packages: /usr/lib/postgresql/N/bin),
# starts it on 127.0.0.1 on a free port plus a unix socket in that folder (sock/), exports
#   UNIOPS_TEST_PG=postgresql://postgres@127.0.0.1:PORT/postgres  PGHOST PGPORT PGUSER
# runs CMD, then stops the server and removes the folder whatever happens, exiting with
# CMD's status. Durability is off (fsync=off): the data is thrown away anyway.
# initdb refuses to run as root: then the cluster belongs to the `postgres` system user.
set -eu

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS…]" >&2
  exit 2
fi

pgctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -1)
if [ -z "$pgctl" ]; then
  echo "$0: no PostgreSQL server found under /usr/lib/postgresql (apt-get install postgresql)" >&2
  exit 2
fi
bindir=$(dirname "$pgctl")

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uniops-pg.XXXXXX")
chmod 755 "$tmp" # the server user must reach its data and socket inside
data="$tmp/data"
sock="$tmp/sock" # unix socket folder: written by the server, so owned by it
log="$tmp/server.log"

# as_pg CMD…: runs CMD as the cluster's owner (quoted for sh -c, so paths may hold spaces).
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "$0: running as root but there is no 'postgres' user to own the cluster" >&2
    rmdir "$tmp"
    exit 2
  fi
  as_pg() {
    cmd=""
    for a in "$@"; do cmd="$cmd '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"; done
    if command -v runuser >/dev/null 2>&1; then
      runuser -u postgres -- /bin/sh -c "$cmd"
    else
      su postgres -s /bin/sh -c "$cmd"
    fi
  }
  mkdir -m 700 "$data"
  mkdir -m 755 "$sock"
  touch "$log"
  chown postgres "$data" "$sock" "$log"
else
  as_pg() { "$@"; }
  mkdir -m 700 "$data"
  mkdir -m 755 "$sock"
fi

started=0
cleanup() {
  if [ "$started" -eq 1 ]; then
    as_pg "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! as_pg "$bindir/initdb" -D "$data" -A trust -U postgres --no-sync -E UTF8 --locale=C >"$tmp/initdb.log" 2>&1; then
  echo "$0: initdb failed:" >&2
  cat "$tmp/initdb.log" >&2
  exit 2
fi

# Options go on the command line (-o) rather than into postgresql.conf: one place to read.
opts="-c listen_addresses=127.0.0.1 -p $port -k $sock -c fsync=off -c synchronous_commit=off"
opts="$opts -c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB"
started=1 # before starting: a signal during `pg_ctl start` must still stop the server
if ! as_pg "$bindir/pg_ctl" -D "$data" -l "$log" -o "$opts" -w -t 30 start >/dev/null; then
  echo "$0: PostgreSQL did not start:" >&2
  cat "$log" >&2
  exit 2
fi

export UNIOPS_TEST_PG="postgresql://postgres@127.0.0.1:$port/postgres"
export PGHOST=127.0.0.1 PGPORT="$port" PGUSER=postgres PGDATABASE=postgres

# In the background so that a TERM/INT sent to this script alone reaches the command at
# once (sh would otherwise wait for it before running traps). Its stdin goes through fd 3:
# dash ignores a plain <&0 and gives background commands /dev/null.
exec 3<&0
"$@" <&3 3<&- &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' INT TERM
while :; do
  status=0
  wait "$child" || status=$?
  kill -0 "$child" 2>/dev/null || break # wait was interrupted by a signal, not finished
done
exit "$status"
