#!/usr/bin/env bash
# compare-rt.sh — the scenarios of `make bench` (bench/run.sh) against Request Tracker 5
# (Debian 12's request-tracker5) on the same machine, printed in the same columns, so the
# two can be read side by side (docs/benchmarks.md, "Side by side: Request Tracker 5").
#
#   bench/compare-rt.sh [sqlite|pg|all]        (default sqlite: ~8 min; pg ~6 min; all ~14 min)
#
# Environment: RT_BENCH_N tickets to load before the run (default 10000; loading is most of
# the time), BENCH_SECONDS per wrk figure (default 15), RT_BENCH_DIR for the databases,
# configurations and logs (default var/bench/rt; its sqlite/ and pg/ are emptied first),
# RT_WORKERS Starman workers (default 4), RT_SESSIONS web logins shared out among the
# requests (default 32), RT_PG_LOADERS parallel loaders on PostgreSQL (default 2; SQLite: 1).
#
# What it does:
#   1. installs request-tracker5 with its SQLite and PostgreSQL backends, Starman and wrk
#      from Debian if they are missing. The package's database question is preseeded to "no"
#      and dbconfig-no-thanks is installed, so the package sets up no database of its own;
#      the script itself changes nothing under /etc (the package installs its files there).
#   2. writes an RT site configuration into RT_BENCH_DIR/BACKEND and points RT at it with
#      RT_SITE_CONFIG / RT_SITE_CONFIG_DIR, so /etc/request-tracker5 is not read: database
#      (SQLite file, or a database in the throwaway cluster of scripts/with-postgres.sh), Mason
#      cache, sessions and var/ all inside that folder. Mail is composed but not handed to an
#      MTA (MailCommand 'testfile').
#   3. rt-setup-database-5 --action init, then loads RT_BENCH_N tickets through RT's Perl API
#      (RT::Ticket->Create with one of 200 requesters, a text body and the Create
#      transaction; two queues, three statuses; a commit every 500 tickets) but with scrips
#      off, as an import would: with RT's default scrips a ticket costs ~100 ms of CPU instead
#      of ~20 ms. The tickets created over REST2 during the run go through everything, scrips
#      included.
#   4. rt-server (RT's PSGI server) under Starman on a free loopback port, RT_WORKERS
#      workers, keep-alive off (with it, Starman's workers stay on their first connections
#      and the other 28 of 32 wrk connections are never served) and --max-requests 100000
#      (Starman's default 1000 would recycle workers in the middle of a figure).
#   5. RT_SESSIONS logins on RT's login page give session cookies, which the requests take in
#      turn (bench/rt-request.lua): the counterpart of uniops' session token. An RT auth
#      token (RT::AuthToken, "Authorization: token …") is checked with bcrypt (cost 12) on
#      every request and updates the token's LastUsed column; one figure shows that cost.
#   6. wrk with bench/rt-request.lua: create c=1 and c=32, get one c=32 (session, then auth
#      token), the list c=1 and c=32 (and c=1 with 7 fields per ticket), then the memory of
#      the server's processes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
N=${RT_BENCH_N:-10000}
SECS=${BENCH_SECONDS:-15}
TOP=${RT_BENCH_DIR:-$root/var/bench/rt}
WORKERS=${RT_WORKERS:-4}
SESSIONS=${RT_SESSIONS:-32}
RT_PG_LOADERS=${RT_PG_LOADERS:-2}
RT_LIB=/usr/share/request-tracker5/lib
RT_SERVER=/usr/share/request-tracker5/libexec/rt-server
mode=${1:-sqlite}

# line NAME VALUE: a figure that is not a wrk run, in the same columns as bench/run.sh.
line() { printf '%-40s %s\n' "$1" "$2"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- 1. packages --------------------------------------------------------------------------
install_packages() {
  local pkgs="request-tracker5 rt5-db-sqlite rt5-db-postgresql rt5-standalone dbconfig-no-thanks
    starman postgresql wrk curl python3" missing="" p SUDO=""
  for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing="$missing $p"
    fi
  done
  [ -z "$missing" ] && return 0
  echo "compare-rt: installing$missing" >&2
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  # No database from the package (dbconfig-common would otherwise ask for one), and no cron
  # jobs against the system's RT database.
  printf '%s\n' \
    "request-tracker5 request-tracker5/dbconfig-install boolean false" \
    "request-tracker5 request-tracker5/install-cronjobs boolean false" |
    $SUDO debconf-set-selections
  $SUDO apt-get update -q >&2 || true
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -q --no-install-recommends $missing >&2
}

server_pid=""
cleanup() {
  local kids k
  if [ -n "$server_pid" ]; then
    # TERM, not INT: rt-server's INT handler chowns /var/lib/request-tracker5
    kids=$(pgrep -P "$server_pid" || true)
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    for k in $kids; do kill -TERM "$k" 2>/dev/null || true; done
    server_pid=""
  fi
}

# ---- 2.–7. one backend --------------------------------------------------------------------
suite() {
  local be=$1 DIR port base
  DIR=$TOP/$be
  rm -rf "$DIR"
  mkdir -p "$DIR"/conf.d "$DIR"/mason "$DIR"/session "$DIR"/var
  DIR=$(cd "$DIR" && pwd)
  port=$(free_port)
  base="http://127.0.0.1:$port"

  # ---- 2. configuration
  {
    echo "# Written by bench/compare-rt.sh: a throwaway RT for the benchmark."
    echo "Set(\$rtname, 'bench.local');"
    echo "Set(\$Organization, 'bench.local');"
    if [ "$be" = sqlite ]; then
      echo "Set(\$DatabaseType, 'SQLite');"
      echo "Set(\$DatabaseName, '$DIR/rt5.db');"
    else
      echo "Set(\$DatabaseType, 'Pg');"
      echo "Set(\$DatabaseHost, '$PGHOST');"
      echo "Set(\$DatabaseRTHost, '$PGHOST');"
      echo "Set(\$DatabasePort, '$PGPORT');"
      echo "Set(\$DatabaseName, 'rt5');"
      echo "Set(\$DatabaseUser, 'rt_user');"
      echo "Set(\$DatabasePassword, 'rt_pass');"
      echo "Set(\$DatabaseAdmin, 'postgres');"
    fi
    echo "Set(\$WebDomain, '127.0.0.1');"
    echo "Set(\$WebPort, $port);"
    echo "Set(\$WebPath, '');"
    echo "Set(\$LogToSyslog, undef);"
    echo "Set(\$LogToFile, undef);"
    echo "Set(\$LogToSTDERR, 'warning');"
    echo "Set(\$MailCommand, 'testfile');"
    echo "\$RT::VarPath = '$DIR/var';"
    echo "\$RT::MasonDataDir = '$DIR/mason';"
    echo "\$RT::MasonSessionDir = '$DIR/session';"
    echo "1;"
  } >"$DIR/RT_SiteConfig.pm"
  export RT_SITE_CONFIG="$DIR/RT_SiteConfig.pm" RT_SITE_CONFIG_DIR="$DIR/conf.d"

  line "rt-$be: N=$N, ${SECS} s per figure" "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

  # ---- 3. database and tickets
  local setup_args=(--action init --skip-create)
  # trust authentication: the password is not checked, but without one RT asks for it
  if [ "$be" = pg ]; then setup_args=(--action init --dba postgres --dba-password trust); fi
  /usr/sbin/rt-setup-database-5 "${setup_args[@]}" </dev/null >"$DIR/setup.log" 2>&1 || {
    tail -20 "$DIR/setup.log" >&2
    echo "compare-rt: rt-setup-database-5 failed on $be" >&2
    exit 1
  }
  cat >"$DIR/load.pl" <<'EOF'
# load.pl prepare: the Support queue, the 200 requesters and an auth token for root (stdout).
# load.pl tickets FROM TO: tickets FROM..TO through RT's API, scrips off, a commit every 500.
use strict;
use warnings;
use Time::HiRes qw(time);
use RT;
RT::LoadConfig();
RT::Init();
my ($what, $from, $to) = @ARGV;
my $cu = RT::CurrentUser->new(RT->SystemUser);
$cu->Load('root');
my $requester = sub { sprintf('customer%03d@example.com', $_[0] % 200) };
if ($what eq 'prepare') {
    my $support = RT::Queue->new(RT->SystemUser);
    my ($ok, $msg) = $support->Create(Name => 'Support');
    die "queue Support: $msg\n" unless $ok;
    for my $i (0 .. 199) {
        my $u = RT::User->new(RT->SystemUser);
        ($ok, $msg) = $u->Create(Name => $requester->($i), EmailAddress => $requester->($i),
                                 Privileged => 0);
        die "user $i: $msg\n" unless $ok;
    }
    my $token = RT::AuthToken->new($cu);
    my (undef, $auth);
    ($ok, $msg, $auth) = $token->Create(Owner => $cu->id, Description => 'bench');
    die "auth token: $msg\n" unless $ok;
    print "AUTH_TOKEN=$auth\n";
    exit 0;
}
{
    # An import: the Create transaction is recorded, its scrips are not run.
    no warnings 'redefine';
    my $create = \&RT::Transaction::Create;
    *RT::Transaction::Create = sub { my $self = shift; $create->($self, @_, ActivateScrips => 0) };
}
my @queues = ('General', 'Support');
my @status = ('new', 'open', 'resolved');
my $t0 = time;
$RT::Handle->BeginTransaction;
for my $i ($from .. $to) {
    my $t = RT::Ticket->new($cu);
    my ($id, undef, $err) = $t->Create(
        Queue     => $queues[$i % 2],
        Status    => $status[int($i / 2) % 3],
        Subject   => "压测：办公电脑无法开机 #$i",
        Requestor => [$requester->($i)],
        MIMEObj   => MIME::Entity->build(
            Type => 'text/plain', Charset => 'UTF-8',
            Data => ["Room $i: the office PC does not boot.\n"]),
    );
    die "ticket $i: $err\n" unless $id;
    if (($i - $from + 1) % 500 == 0) {
        $RT::Handle->Commit;
        $RT::Handle->BeginTransaction;
        printf STDERR "[%d-%d] %d tickets, %.0f s\n", $from, $to, $i - $from + 1, time - $t0;
    }
}
$RT::Handle->Commit;
EOF
  local vars AUTH_TOKEN loaders pids="" k from to t0 secs
  vars=$(perl -I"$RT_LIB" "$DIR/load.pl" prepare 2>"$DIR/load.log") || {
    tail -20 "$DIR/load.log" >&2
    echo "compare-rt: preparing the load failed on $be" >&2
    exit 1
  }
  eval "$vars"
  # SQLite takes one writer at a time: more loaders only wait for each other's locks.
  loaders=1
  if [ "$be" = pg ]; then loaders=$RT_PG_LOADERS; fi
  t0=$(now_ms)
  for k in $(seq 0 $((loaders - 1))); do
    from=$((k * N / loaders + 1)) to=$(((k + 1) * N / loaders))
    perl -I"$RT_LIB" "$DIR/load.pl" tickets "$from" "$to" 2>>"$DIR/load.log" &
    pids="$pids $!"
  done
  for k in $pids; do
    wait "$k" || {
      # shellcheck disable=SC2086 # one pid a word
      kill $pids 2>/dev/null || true
      tail -20 "$DIR/load.log" >&2
      echo "compare-rt: loading tickets failed on $be" >&2
      exit 1
    }
  done
  secs=$(awk -v ms=$(($(now_ms) - t0)) 'BEGIN {printf "%.1f", ms / 1000}')
  line "rt-$be: load of $N tickets" \
    "$(awk -v n="$N" -v s="$secs" 'BEGIN {printf "%.0f tickets/s (%.1f s", n / s, s}'); RT API, scrips off, $loaders loader(s))"
  line "rt-$be: database size" "$(dbsize) MB"

  # ---- 4. server
  local t0 code
  t0=$(now_ms)
  "$RT_SERVER" --server Starman --workers "$WORKERS" --disable-keepalive --max-requests 100000 \
    --listen "127.0.0.1:$port" >"$DIR/server.log" 2>&1 &
  server_pid=$!
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$base/NoAuth/Login.html" 2>/dev/null || true)
    [ "$code" = 200 ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      tail -20 "$DIR/server.log" >&2
      echo "compare-rt: rt-server did not start" >&2
      exit 1
    fi
    if [ $(($(now_ms) - t0)) -gt 120000 ]; then
      echo "compare-rt: no login page within 120 s" >&2
      exit 1
    fi
    sleep 0.05
  done
  line "rt-$be: start-up (to login page 200)" "$(($(now_ms) - t0)) ms"

  # ---- 5. sessions
  local COOKIES n_cookies first
  t0=$(now_ms)
  # shellcheck disable=SC2016
  COOKIES=$(seq "$SESSIONS" | xargs -P 4 -I{} sh -c '
    curl -s -o /dev/null -D - --data "user=root&pass=password" "$1/NoAuth/Login.html" |
      sed -n "s/^Set-Cookie: \(RT_SID_[^;]*\);.*/\1/p"' sh "$base" | tr -d '\r' | tr '\n' ' ')
  # shellcheck disable=SC2086 # one cookie a word
  n_cookies=$(printf '%s\n' $COOKIES | grep -c RT_SID_ || true)
  if [ "$n_cookies" != "$SESSIONS" ]; then
    echo "compare-rt: $n_cookies of $SESSIONS logins gave a session cookie" >&2
    exit 1
  fi
  line "rt-$be: $SESSIONS web logins (4 at a time)" "$(($(now_ms) - t0)) ms"
  first=${COOKIES%% *}
  code=$(curl -s -o /dev/null -w '%{http_code}' -b "$first" "$base/REST/2.0/ticket/1")
  [ "$code" = 200 ] || { echo "compare-rt: GET /REST/2.0/ticket/1 with a session cookie: $code" >&2; exit 1; }
  # each worker compiles its code paths on its first requests: warm them up outside the figures
  local warm="" w i
  for i in $(seq 16); do
    curl -s -o /dev/null -b "$first" "$base/REST/2.0/ticket/$i" &
    warm="$warm $!"
    curl -s -o /dev/null -b "$first" "$base/REST/2.0/tickets?query=Status%3D%27new%27&per_page=50" &
    warm="$warm $!"
  done
  for w in $warm; do wait "$w" || true; done

  # ---- 6. figures
  : >"$DIR/wrk.log"
  local body get list fields page
  body='{"Queue":"General","Subject":"压测：办公电脑无法开机"}'
  # one create by hand first: a figure full of refusals must never be timed (RT refuses a
  # cookie-authenticated REST 2.0 write without its own address as Referer: CSRF)
  code=$(curl -s -o "$DIR/create-check.json" -w '%{http_code}' -b "$first" -H "Referer: $base/" \
    -H 'Content-Type: application/json' --data "$body" "$base/REST/2.0/ticket")
  if [ "$code" != 201 ]; then
    echo "compare-rt: POST /REST/2.0/ticket with a session cookie: $code $(cat "$DIR/create-check.json")" >&2
    exit 1
  fi
  bench "rt-$be: create ticket c=1" 1 1 POST /REST/2.0/ticket cookies "$body"
  bench "rt-$be: create ticket c=32" 2 32 POST /REST/2.0/ticket cookies "$body"
  get="/REST/2.0/ticket/$((N / 2 + 1))"
  bench "rt-$be: get one ticket c=32" 2 32 GET "$get" cookies
  bench "rt-$be: get one c=32 (auth token)" 2 32 GET "$get" "token $AUTH_TOKEN"
  list="/REST/2.0/tickets?query=Queue%3D%27General%27%20AND%20Status%3D%27new%27&per_page=50"
  bench "rt-$be: list 50 (queue+status) c=1" 1 1 GET "$list" cookies
  bench "rt-$be: list 50 (queue+status) c=32" 2 32 GET "$list" cookies
  fields="&fields=Subject,Status,Queue,Owner,Requestor,Created,LastUpdated"
  bench "rt-$be: list 50 + 7 fields c=1" 1 1 GET "$list$fields" cookies
  page=$(curl -s -b "$first" "$base$list" |
    /usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print(len(d["items"]), d["total"])')
  line "" "(the list page held ${page% *} tickets of ${page#* } matching)"

  # ---- 7. memory
  local pids p r h s rss=0 pss=0 hwm=0 count=0
  pids="$server_pid $(pgrep -P "$server_pid" | tr '\n' ' ')"
  for p in $pids; do
    r=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status")
    h=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status")
    s=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    rss=$((rss + r)) hwm=$((hwm + h)) pss=$((pss + ${s:-0})) count=$((count + 1))
  done
  line "rt-$be: server memory at the end" \
    "$(awk -v r="$rss" -v h="$hwm" -v p="$pss" -v c="$count" 'BEGIN {
      printf "%.1f MB RSS summed over %d processes (peak %.1f MB; PSS %.1f MB)", r / 1024, c, h / 1024, p / 1024}')"
  line "rt-$be: database size at the end" "$(dbsize) MB"
  line "rt-$be: load average at the end" "$(cut -d' ' -f1-3 /proc/loadavg)"
  cleanup
}

dbsize() {
  if [ "$be" = sqlite ]; then
    du -m "$DIR/rt5.db" | cut -f1
  else
    psql -qtA -d postgres -c "SELECT pg_database_size('rt5') / 1048576"
  fi
}

# settle: wait until the server is idle. Without keep-alive, the requests that wrk left
# queued when a figure ended (up to one per connection) are still read and served after it
# (RT does not notice that the client has gone), and would be charged to the next figure.
# Idle: no connection to the port but in TIME-WAIT, and no CPU used, for 1 s. (Busy workers
# may use no CPU: SQLite's busy handler sleeps while another worker holds the lock.)
cpu_ticks() {
  local t=0 p
  for p in $server_pid $(pgrep -P "$server_pid"); do
    t=$((t + $(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
settle() {
  local a b i quiet=0
  a=$(cpu_ticks)
  for i in $(seq 240); do
    sleep 0.5
    b=$(cpu_ticks)
    if [ $((b - a)) -le 2 ] &&
      [ "$(ss -Htn state established state close-wait state syn-recv "( sport = :$port )" | wc -l)" -eq 0 ]; then
      quiet=$((quiet + 1))
      [ "$quiet" -ge 2 ] && return 0
    else
      quiet=0
    fi
    a=$b
  done
  echo "compare-rt: the server was still busy 120 s after a figure" >&2
}

# bench NAME THREADS CONNS METHOD PATH AUTH [BODY]: AUTH is "cookies" or an Authorization value
bench() {
  local cookies="" auth=""
  if [ "$6" = cookies ]; then cookies=$COOKIES; else auth=$6; fi
  BENCH_NAME=$1 BENCH_METHOD=$4 BENCH_COOKIES=$cookies BENCH_AUTH=$auth BENCH_BODY=${7:-} BENCH_REFERER="$base/" \
    wrk -t"$2" -c"$3" -d"${SECS}s" --timeout 10s --latency -s "$here/rt-request.lua" "$base$5" \
    >"$DIR/wrk.out" 2>&1 || { cat "$DIR/wrk.out" >&2; exit 1; }
  cat "$DIR/wrk.out" >>"$DIR/wrk.log"
  tail -1 "$DIR/wrk.out"
  settle
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

case $mode in
  sqlite | pg | all) ;;
  *)
    echo "usage: bench/compare-rt.sh [sqlite|pg|all]" >&2
    exit 2
    ;;
esac
if [ -z "${COMPARE_RT_INNER:-}" ]; then
  install_packages
  for f in "$RT_SERVER" /usr/sbin/rt-setup-database-5 "$RT_LIB/RT.pm"; do
    [ -e "$f" ] || { echo "compare-rt: $f not found (request-tracker5 5.0.x expected)" >&2; exit 2; }
  done
  line "rt: versions" "request-tracker5 $(dpkg-query -W -f='${Version}' request-tracker5), starman $(dpkg-query -W -f='${Version}' starman), $WORKERS workers"
fi
case $mode in
  sqlite)
    line "" "SQLite $(sqlite3 --version | cut -d' ' -f1), RT's defaults: rollback journal, synchronous=FULL"
    suite sqlite
    ;;
  pg)
    if [ -z "${PGHOST:-}" ]; then
      # a throwaway cluster (fsync=off, like `make bench`'s pg figures), then this script again
      COMPARE_RT_INNER=1 exec "$root/scripts/with-postgres.sh" "$0" pg
    fi
    line "" "PostgreSQL $(psql -qtA -d postgres -c 'SHOW server_version'), scripts/with-postgres.sh: fsync=off"
    suite pg
    ;;
  all)
    COMPARE_RT_INNER=1 "$0" sqlite
    COMPARE_RT_INNER=1 "$0" pg
    ;;
esac
