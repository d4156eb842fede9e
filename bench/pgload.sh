#!/usr/bin/env bash
# Issue 16's load on PostgreSQL: two orgd servers on one fresh database,
# writers through both against one organization and then four, point reads
# on one server, and a bare net/http handler's figure beside them. Prints a
# table; the rollbacks column is PostgreSQL's xact_rollback during the row,
# which counts the serialization failures a store retried. The CPU columns
# say whether the machine was the limit: how busy its cores were during the
# row, and the CPU time per request spent in the two orgd servers and in
# PostgreSQL's processes.
#
#   bench/pgload.sh            # 10 s per row, 8 writers per server
#   DURATION=5s WRITERS=8 bench/pgload.sh
#   ROWS='DescribeAccount|bare' REPEAT=3 bench/pgload.sh   # some rows, repeated
#   STORE_PARAMS='&pool_max_conns=8' bench/pgload.sh        # more URL parameters
#   ORGD=/tmp/orgd-before bench/pgload.sh   # a binary built elsewhere, for A/B runs
#   RATE=1000 bench/pgload.sh   # the calls a second offered per organization in the "offered" rows
#   PPROF=/tmp/prof bench/pgload.sh   # a CPU profile of each orgd server over each row, in that folder
#
# It needs PostgreSQL (PGURL, default postgres://postgres@127.0.0.1:5432)
# and creates and drops the database orgd_pgload there.
set -euo pipefail
cd "$(dirname "$0")/.."
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
DURATION=${DURATION:-10s}
WRITERS=${WRITERS:-8}
ROWS=${ROWS:-.}
REPEAT=${REPEAT:-1}
RATE=${RATE:-800}
DB=orgd_pgload
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

if [ -n "${ORGD:-}" ]; then
  cp "$ORGD" "$tmp/orgd"
else
  go build -o "$tmp/orgd" ./cmd/orgd
fi
go build -o "$tmp/pgload" ./bench/pgload

psql -q "$PGURL/postgres?sslmode=disable" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
store="$PGURL/$DB?sslmode=disable${STORE_PARAMS:-}"
pprof=()
for port in 4601 4602; do
  [ -z "${PPROF:-}" ] || pprof=(--pprof-listen 127.0.0.1:$((port + 100)))
  "$tmp/orgd" serve --listen 127.0.0.1:$port --store "$store" --log-level warn \
    --quota-ous 10000000 --quota-tags 1000 "${pprof[@]}" >"$tmp/orgd-$port.log" 2>&1 &
  pids+=($!)
done
"$tmp/pgload" -bare 127.0.0.1:4603 &
pids+=($!)
for port in 4601 4602 4603; do
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
  done
done

rollbacks() {
  psql -qtA "$PGURL/postgres?sslmode=disable" -c "SELECT xact_rollback FROM pg_stat_database WHERE datname = '$DB'"
}
# ticks PID... prints the user and system clock ticks the processes used.
ticks() {
  local t=0 p f
  for p in "$@"; do
    f=$(cut -d')' -f2 "/proc/$p/stat" 2>/dev/null) || continue
    set -- $f
    t=$((t + ${12} + ${13}))
  done
  echo $t
}
# machine prints the busy and the total ticks of all cores.
machine() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
hz=$(getconf CLK_TCK)
two=http://127.0.0.1:4601,http://127.0.0.1:4602
row() { # label, pgload flags...
  local label=$1 before after line n o0 o1 p0 p1 m0 m1 profs=()
  shift
  [[ $label =~ $ROWS ]] || return 0
  before=$(rollbacks)
  o0=$(ticks "${pids[0]}" "${pids[1]}")
  p0=$(ticks $(pgrep -x postgres))
  m0=$(machine)
  if [ -n "${PPROF:-}" ]; then
    # Profiles cover the row's duration less a little at each end.
    mkdir -p "$PPROF"
    local f=${label//[^A-Za-z0-9]/_} secs=$(($(sed 's/s$//' <<<"$DURATION") - 1)) port
    for port in 4601 4602; do
      curl -s -o "$PPROF/$f.$port.pprof" "http://127.0.0.1:$((port + 100))/debug/pprof/profile?seconds=$((secs > 0 ? secs : 1))" &
      profs+=($!)
    done
  fi
  line=$("$tmp/pgload" -label "$label" -duration "$DURATION" "$@")
  [ ${#profs[@]} -eq 0 ] || wait "${profs[@]}"
  m1=$(machine)
  o1=$(ticks "${pids[0]}" "${pids[1]}")
  p1=$(ticks $(pgrep -x postgres))
  sleep 0.5 # let the stats collector catch up
  after=$(rollbacks)
  # The request count is the rate times the duration pgload reports.
  n=$(awk -F'\t' -v d="$DURATION" '{sub("/s","",$2); sub("s$","",d); print int($2*d)}' <<<"$line")
  [ "$n" -gt 0 ] || n=1
  printf '%s\trollbacks %d\tcpu busy %d%%\torgd %dµs/req\tpostgres %dµs/req\n' "$line" $((after - before)) \
    "$(awk -v a="$m0" -v b="$m1" 'BEGIN{split(a,x," "); split(b,y," "); print int(100*(y[1]-x[1])/(y[2]-x[2]))}')" \
    $(((o1 - o0) * 1000000 / hz / n)) $(((p1 - p0) * 1000000 / hz / n))
}

echo "# $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), ${WRITERS} writers per server per organization, $DURATION per row"
for _ in $(seq "$REPEAT"); do
  row "CreateOrganizationalUnit, 1 org, 2 servers" -targets $two -writers "$WRITERS" -op ou
  row "TagResource, 1 org, 2 servers" -targets $two -writers "$WRITERS" -op tag
  row "CreateOrganizationalUnit, 4 orgs, 2 servers" -targets $two -writers "$WRITERS" -orgs 4 -first-account 200000000001 -op ou
  # With one writer per server and organization, one organization leaves
  # the machine idle between round trips: what four add shows whether
  # organizations wait for each other.
  row "CreateOrganizationalUnit, 1 org, 2 servers, 1 writer each" -targets $two -writers 1 -first-account 300000000001 -op ou
  row "CreateOrganizationalUnit, 4 orgs, 2 servers, 1 writer each" -targets $two -writers 1 -orgs 4 -first-account 300000000001 -op ou
  # Offered a fixed rate each, which one organization's writers take a
  # fraction of the machine to serve, organizations should each get it
  # whether one is written or four: a shared database, not the machine,
  # would be what slowed them.
  row "CreateOrganizationalUnit, 1 org, 2 servers, ${RATE}/s offered" -targets $two -writers "$WRITERS" -rate "$RATE" -first-account 400000000001 -op ou
  row "CreateOrganizationalUnit, 4 orgs, 2 servers, ${RATE}/s offered each" -targets $two -writers "$WRITERS" -rate "$RATE" -orgs 4 -first-account 400000000001 -op ou
  row "DescribeAccount, 1 server" -targets http://127.0.0.1:4601 -writers 16 -op describe
  row "bare net/http handler" -targets http://127.0.0.1:4603 -writers 16 -op describe -setup=false
done | column -t -s $'\t'
curl -s http://127.0.0.1:4601/_orgd/invariants
echo
