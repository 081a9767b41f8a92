#!/usr/bin/env bash
# tests/growth/run.sh BUILD_DIR [PGPORT] - the parts of "growth past one
# machine" (docs/scaling.md) that run on one: three workers, each in a network
# namespace of its own (loopback only, down, and no route anywhere), storing
# into one primary whose pingan.value is partitioned by month
# (pingan.partition_value), and pingan-report reading a streaming replica.
#   - the workers reach PostgreSQL through its Unix-domain socket and the
#     producer reaches them through ipc:// endpoints (filesystem sockets cross
#     network namespaces), CURVE on, as a worker on another host would be;
#   - on the partitioned table: first reports, a correction, the aggregation,
#     --rebuild giving identical figure and judgement rows, --void of the
#     correction, --prune-quarantine, and the maintenance step;
#   - the replica (pg_basebackup -R, streaming) has replayed the primary's
#     last LSN, and pingan-report gives byte for byte the primary's CSV and
#     JSON (JSON without its generated_at line, the only line that differs).
# Needs root (CI runs as root) or unprivileged user namespaces; fails, never
# skips, without them. Uses PGPORT+2 (primary) and PGPORT+3 (replica).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "$1" && pwd)"
base="${2:-${PGPORT:?PGPORT is not set: run scripts/test.sh, which starts PostgreSQL}}"
pport=$((base + 2)) rport=$((base + 3))
work="$build/growth"
replicas=3
export PINGAN_ROOT="$root"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
bin="$(pa_pg_bindir)"

pids=()
run_pg=()
rdir="" rcdir=""
stop_replica() {
  if [ -n "$rcdir" ] && [ -f "$rcdir/data/postmaster.pid" ]; then
    "${run_pg[@]}" "$bin/pg_ctl" -D "$rcdir/data" -m fast -w stop >/dev/null || true
  fi
}
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  stop_replica
  pa_pg_stop "$work/primary"
}
trap cleanup EXIT
fail() { echo "growth: $*" >&2; exit 1; }
SECONDS=0

pa_pg_stop "$work/primary"
rm -rf "$work"
mkdir -p "$work"
pa_pg_start "$work/primary" "$pport" >/dev/null
sock="$(pa_pg_clusterdir "$work/primary")"
export PGHOST="$sock" PGPORT="$pport"
[ "$(id -u)" = 0 ] && run_pg=(env -C "$sock" runuser -u postgres --)
q() { # USER SQL -> the rows, unaligned
  psql -X -qAt -v ON_ERROR_STOP=1 -h "$sock" -p "$pport" -U "$1" -d pingan -c "$2"
}

# The roles of docs/security.md, a login user in each.
psql -X -q -v ON_ERROR_STOP=1 -U postgres -d postgres <<'SQL'
CREATE ROLE pingan_owner NOLOGIN;
CREATE ROLE pingan_worker NOLOGIN;
CREATE ROLE pingan_analyst NOLOGIN;
CREATE DATABASE pingan OWNER pingan_owner;
CREATE ROLE grow_migrate LOGIN IN ROLE pingan_owner;
ALTER ROLE grow_migrate SET role = 'pingan_owner';
CREATE ROLE grow_worker LOGIN IN ROLE pingan_worker;
CREATE ROLE grow_analyst LOGIN IN ROLE pingan_analyst;
SQL
PGUSER=grow_migrate PGDATABASE=pingan "$build/pingan-worker" --init-db 2>"$work/init.log" ||
  { cat "$work/init.log" >&2; fail "--init-db failed"; }
# The operator's step (docs/scaling.md), before any worker runs.
n="$(q grow_migrate "SELECT pingan.partition_value('1 month')" 2>/dev/null)"
[ "$n" -gt 12 ] || fail "partition_value created $n partitions"
[ "$(q postgres "SELECT relkind FROM pg_class WHERE oid = 'pingan.value'::regclass")" = p ] ||
  fail "pingan.value is not a partitioned table"
[ "$(q postgres "SELECT tableowner FROM pg_tables WHERE schemaname = 'pingan' AND tablename = 'value_2024_03'")" = pingan_owner ] ||
  fail "the partition value_2024_03 is missing or not the owner's"
echo "growth: pingan.value partitioned per month ($n partitions)"

# The replica, streaming from the start: pg_basebackup -R writes its
# primary_conninfo and standby.signal. A standby needs at least the primary's
# max_locks_per_transaction (scripts/lib.sh raises it).
rdir="$work/replica"
mkdir -p "$rdir"
rdir="$(cd "$rdir" && pwd)"
rcdir="$(pa_pg_clusterdir "$rdir")"
if [ "$(id -u)" = 0 ]; then
  if [ "$rcdir" = "$rdir" ]; then chown postgres "$rdir"; chmod 755 "$rdir"; else
    rm -rf "$rcdir" && install -d -m 700 -o postgres -g postgres "$rcdir"
  fi
  run_pg=(env -C "$rcdir" runuser -u postgres --)
fi
"${run_pg[@]}" "$bin/pg_basebackup" -h "$sock" -p "$pport" -U postgres -D "$rcdir/data" -R -X stream \
  -c fast >"$work/basebackup.log" 2>&1 || { cat "$work/basebackup.log" >&2; fail "pg_basebackup failed"; }
"${run_pg[@]}" "$bin/pg_ctl" -D "$rcdir/data" -l "$rcdir/server.log" -w -t 60 \
  -o "-p $rport -k $rcdir -c listen_addresses=127.0.0.1 -c hot_standby=on -c fsync=off -c max_locks_per_transaction=256" start >/dev/null ||
  { cat "$rcdir/server.log" >&2; fail "the replica did not start"; }
rq() { psql -X -qAt -v ON_ERROR_STOP=1 -h "$rcdir" -p "$rport" -U "$1" -d pingan -c "$2"; }
[ "$(rq postgres "SELECT pg_is_in_recovery()")" = t ] || fail "the replica is not in recovery"
[ "$(q postgres "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ] ||
  fail "the replica is not streaming"

# Keys: one for the workers, one for the producer (a city office).
keys="$work/keys"
mkdir -p "$keys"
"$build/pingan-keygen" --name worker --out-dir "$keys" >/dev/null 2>&1
"$build/pingan-keygen" --name office --out-dir "$keys" --districts '*' >"$keys/allow-list" 2>/dev/null

# Workers, each in a new network namespace: only a loopback, left down.
if [ "$(id -u)" = 0 ]; then netns=(unshare --net --); else netns=(unshare -rn --); fi
"${netns[@]}" true || fail "cannot create a network namespace (${netns[*]}): run as root, as CI does"
endpoints=""
for i in $(seq 1 "$replicas"); do
  PGHOST="$sock" PGPORT="$pport" PGUSER=grow_worker PGDATABASE=pingan \
    "${netns[@]}" "$build/pingan-worker" --bind "ipc://$work/worker-$i.ipc" --name "netns-$i" \
    --secret-key "$keys/worker.secret" --allow-list "$keys/allow-list" \
    >"$work/worker-$i.log" 2>&1 &
  pids+=("$!")
  endpoints="$endpoints${endpoints:+,}ipc://$work/worker-$i.ipc"
done
ours="$(readlink /proc/self/ns/net)"
seen=""
for i in $(seq 1 "$replicas"); do
  p="${pids[$((i - 1))]}"
  end=$((SECONDS + 60))
  until [ -S "$work/worker-$i.ipc" ]; do
    kill -0 "$p" 2>/dev/null || { cat "$work/worker-$i.log" >&2; fail "worker $i exited"; }
    [ "$SECONDS" -lt "$end" ] || fail "worker $i did not bind within 60 s"
    sleep 0.1
  done
  ns="$(readlink "/proc/$p/ns/net")"
  [ "$ns" != "$ours" ] || fail "worker $i shares the test's network namespace"
  case " $seen " in *" $ns "*) fail "worker $i shares a network namespace with another" ;; esac
  seen="$seen $ns"
  # Its namespace has no route at all and no interface but lo, which is down.
  [ "$(awk 'NR > 1' "/proc/$p/net/route" | wc -l)" = 0 ] || fail "worker $i has an IPv4 route"
  [ "$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' "/proc/$p/net/dev")" = lo ] ||
    fail "worker $i sees interfaces other than lo"
done
echo "growth: $replicas workers in network namespaces of their own (lo only, no route), at $endpoints"

produce() { # FILE... -> the producer's output in $work/produce.txt
  "$build/pingan-produce" --connect "$endpoints" --key "$keys/office.secret" \
    --server-key "$keys/worker.public" --batch-reports 1 --deadline 120 "$@" >"$work/produce.txt" ||
    { cat "$work/produce.txt" >&2; fail "pingan-produce $* exited $?"; }
}
wait_aggregated() {
  local end=$((SECONDS + 120))
  until [ "$(q postgres "SELECT queued_keys FROM pingan.v_aggregate_lag")" = 0 ]; do
    [ "$SECONDS" -lt "$end" ] || fail "the aggregation did not catch up within 120 s"
    sleep 0.2
  done
}
produce "$root/examples/2023-03.csv" "$root/examples/2024-03.csv" "$root/examples/2024-03.json"
stored="$(grep -c '^stored ' "$work/produce.txt")" || true
values="$(awk '/^stored / { sub("values=", "", $NF); s += $NF } END { print s + 0 }' "$work/produce.txt")"
[ "$stored" -gt 0 ] || fail "nothing was stored"
[ "$(q postgres "SELECT count(DISTINCT worker) FROM pingan.report")" = "$replicas" ] ||
  fail "not every worker stored reports: $(q postgres "SELECT string_agg(DISTINCT worker, ' ') FROM pingan.report")"
# Every value is in the partition of its month, none in the default one.
[ "$(q postgres "SELECT count(*) FROM pingan.value")" = "$values" ] || fail "not $values values stored"
[ "$(q postgres "SELECT count(*) FROM pingan.value_default")" = 0 ] || fail "values in pingan.value_default"
layout="$(q postgres "SELECT tableoid::regclass, count(*) FROM pingan.value GROUP BY 1 ORDER BY 1")"
want="$(q postgres "SELECT 'pingan.' || pingan.value_partition_name('1 month', r.period_start), sum(r.value_count)
                    FROM pingan.report AS r GROUP BY 1 ORDER BY 1")"
[ "$layout" = "$want" ] || fail "values are not in their month's partitions: $layout"
echo "growth: $stored reports, $values values, by month: $(echo "$layout" | tr '\n' ' ')"

# A correction: revision 2 of one district's month, one count changed.
awk -F, -v OFS=, 'NR == 1 || $1 == "500101" { if (NR > 1) { $3 = 2 } if ($5 == "fire_incidents" && $4 == "500101001") { $6 = $6 + 5 } print }' \
  "$root/examples/2024-03.csv" >"$work/correction.csv"
figure_sql="SELECT value FROM pingan.v_figure WHERE indicator_code = 'fire_incidents' AND level = 'district'
            AND area_code = '500101' AND period_type = 'month' AND period_start = '2024-03-01'"
wait_aggregated
before="$(q postgres "$figure_sql")"
produce "$work/correction.csv"
grep -q '^stored 500101 2024-03 r2 ' "$work/produce.txt" || fail "the correction was not stored: $(cat "$work/produce.txt")"
correction_id="$(awk '/^stored / { print $5 }' "$work/produce.txt")"
wait_aggregated
after="$(q postgres "$figure_sql")"
[ "$(awk -v a="$after" -v b="$before" 'BEGIN { print a - b }')" = 5 ] ||
  fail "the correction moved the district's March fire incidents from $before to $after, not by 5"
echo "growth: correction stored, district figure $before -> $after"

# --rebuild recomputes the same figure and judgement rows.
snapshot() {
  q postgres "SELECT f FROM (SELECT to_jsonb(f) - 'updated_at' AS f FROM pingan.figure AS f) AS s ORDER BY f::text" >"$1.figure"
  q postgres "SELECT j FROM (SELECT to_jsonb(j) - 'updated_at' AS j FROM pingan.judgement AS j) AS s ORDER BY j::text" >"$1.judgement"
}
snapshot "$work/before"
PGHOST="$sock" PGPORT="$pport" PGUSER=grow_migrate PGDATABASE=pingan \
  "$build/pingan-worker" --rebuild 2>"$work/rebuild.log" || { cat "$work/rebuild.log" >&2; fail "--rebuild failed"; }
snapshot "$work/after"
if [ ! -s "$work/before.figure" ] || [ ! -s "$work/before.judgement" ]; then
  fail "no figures or judgements to compare"
fi
cmp -s "$work/before.figure" "$work/after.figure" || fail "--rebuild changed pingan.figure"
cmp -s "$work/before.judgement" "$work/after.judgement" || fail "--rebuild changed pingan.judgement"
echo "growth: --rebuild gives identical rows ($(wc -l <"$work/after.figure") figures, $(wc -l <"$work/after.judgement") judgements)"

# --void takes the correction back out of its partition; the period is revision 1 again.
PGHOST="$sock" PGPORT="$pport" PGUSER=grow_migrate PGDATABASE=pingan \
  "$build/pingan-worker" --void "$correction_id" --void-reason "growth test" 2>"$work/void.log" ||
  { cat "$work/void.log" >&2; fail "--void failed"; }
[ "$(q postgres "SELECT count(*) FROM pingan.value WHERE report_pk NOT IN (SELECT id FROM pingan.report)")" = 0 ] ||
  fail "--void left values of the voided report"
[ "$(q postgres "SELECT count(*) FROM pingan.value")" = "$values" ] || fail "after --void, not the $values first values"
wait_aggregated
[ "$(q postgres "$figure_sql")" = "$before" ] || fail "after --void the figure is $(q postgres "$figure_sql"), not $before"
PGHOST="$sock" PGPORT="$pport" PGUSER=grow_migrate PGDATABASE=pingan \
  "$build/pingan-worker" --prune-quarantine 1 2>"$work/prune.log" || { cat "$work/prune.log" >&2; fail "--prune-quarantine failed"; }
echo "growth: --void and --prune-quarantine on the partitioned table"

# Maintenance: a dropped future partition comes back; a row that reached the
# default partition moves into the partition created for it.
last="$(q grow_migrate "SELECT c.relname FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
                        WHERE i.inhparent = 'pingan.value'::regclass AND c.relname <> 'value_default'
                        ORDER BY c.relname DESC LIMIT 1")"
q grow_migrate "ALTER TABLE pingan.value DETACH PARTITION pingan.$last; DROP TABLE pingan.$last" >/dev/null
month="${last#value_}"
q grow_migrate "INSERT INTO pingan.value (report_pk, indicator_code, count, period_start)
                VALUES (-1, 'ws_deaths', 0, '${month/_/-}-01')" >/dev/null
[ "$(q postgres "SELECT count(*) FROM pingan.value_default")" = 1 ] || fail "the stray row is not in value_default"
[ "$(q grow_migrate "SELECT pingan.add_value_partitions()")" = 1 ] || fail "add_value_partitions did not re-create $last"
[ "$(q postgres "SELECT count(*) FROM pingan.value_default")" = 0 ] || fail "the stray row stayed in value_default"
[ "$(q postgres "SELECT count(*) FROM pingan.$last WHERE report_pk = -1")" = 1 ] || fail "the stray row is not in $last"
q grow_migrate "DELETE FROM pingan.value WHERE report_pk = -1" >/dev/null
echo "growth: add_value_partitions re-created $last and moved its row out of value_default"

# The replica: once it has replayed the primary's last write, pingan-report
# gives the analyst the same scorecards from it.
wait_aggregated
lsn="$(q postgres "SELECT pg_current_wal_lsn()")"
end=$((SECONDS + 60))
until [ "$(rq postgres "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '$lsn') >= 0")" = t ]; do
  [ "$SECONDS" -lt "$end" ] || fail "the replica did not replay $lsn within 60 s"
  sleep 0.1
done
rq postgres "CREATE TABLE pingan.nope (x int)" >/dev/null 2>&1 && fail "the replica accepted a write"
for period in 2024-03 2024-Q1 2024; do
  for fmt in csv json; do
    PGHOST="$sock" PGPORT="$pport" PGUSER=grow_analyst PGDATABASE=pingan \
      "$build/pingan-report" --period "$period" --format "$fmt" >"$work/primary.$period.$fmt" ||
      fail "pingan-report --period $period on the primary failed"
    PGHOST="$rcdir" PGPORT="$rport" PGUSER=grow_analyst PGDATABASE=pingan \
      "$build/pingan-report" --period "$period" --format "$fmt" >"$work/replica.$period.$fmt" ||
      fail "pingan-report --period $period on the replica failed"
    if [ "$fmt" = json ]; then
      for side in primary replica; do
        [ "$(grep -c '"generated_at"' "$work/$side.$period.json")" = 1 ] || fail "$side $period.json: no one generated_at line"
        grep -v '^  "generated_at": ' "$work/$side.$period.json" >"$work/$side.$period.cmp"
      done
    else
      cp "$work/primary.$period.csv" "$work/primary.$period.cmp"
      cp "$work/replica.$period.csv" "$work/replica.$period.cmp"
    fi
    [ "$(wc -l <"$work/primary.$period.cmp")" -gt 10 ] || fail "a short scorecard for $period ($fmt)"
    cmp "$work/primary.$period.cmp" "$work/replica.$period.cmp" ||
      fail "pingan-report --period $period --format $fmt differs between the primary and the replica"
  done
done
echo "growth: pingan-report from the replica (replayed $lsn) is the primary's, CSV and JSON, 2024-03, 2024-Q1, 2024"

for i in $(seq 1 "$replicas"); do
  kill -TERM "${pids[$((i - 1))]}"
  wait "${pids[$((i - 1))]}" || { cat "$work/worker-$i.log" >&2; fail "worker $i exited with $? on SIGTERM"; }
done
pids=()
echo "growth: ok (${SECONDS} s)"
