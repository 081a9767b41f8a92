#!/usr/bin/env bash
# The README's first command: install, build, start a throwaway PostgreSQL
# (build/demo-pg, 127.0.0.1:${PINGAN_DEMO_PGPORT:-55432}), create the schema,
# start a worker with CURVE keys, submit examples/ and show what landed. Everything it
# starts it stops again; the data directory stays for inspection.
set -euo pipefail
PINGAN_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$PINGAN_ROOT/scripts/lib.sh"
build="$PINGAN_ROOT/build"
pgdir="$build/demo-pg"
port="${PINGAN_DEMO_PGPORT:-55432}"
endpoint="tcp://127.0.0.1:${PINGAN_DEMO_PORT:-5555}"

pa_install_deps
pa_build "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
pa_pg_start "$pgdir" "$port"
worker_pid=""
cleanup() {
  [ -n "$worker_pid" ] && kill -TERM "$worker_pid" 2>/dev/null && wait "$worker_pid" 2>/dev/null || true
  pa_pg_stop "$pgdir"
}
trap cleanup EXIT

# A fresh database each run: the demo shows a first submission, not leftovers.
dropdb --if-exists pingan
createdb pingan
export PGDATABASE=pingan
"$build/pingan-worker" --init-db
# 2023 city baselines, so that 2024 can be judged year on year (docs/sql.md).
psql -q -c "\\copy pingan.baseline_load FROM '$PINGAN_ROOT/examples/baseline-2023.csv' WITH (FORMAT csv, HEADER true)" \
     -c "SELECT pingan.load_baseline()" >/dev/null
# CURVE keys (docs/security.md): the worker's pair, and one for the demo's
# producer, a city office allowed every district. Made once, kept in the build tree.
keys="$build/demo-keys"
if [ ! -e "$keys/allow-list" ]; then
  rm -rf "$keys" && mkdir -m 700 "$keys"
  "$build/pingan-keygen" --name worker --out-dir "$keys" >/dev/null
  "$build/pingan-keygen" --name demo-city --out-dir "$keys" --districts '*' >"$keys/allow-list"
fi
# Least privilege (sql/015_roles.sql): the worker runs as a pingan_worker user,
# the queries below as a pingan_analyst user (the cluster trusts local users).
for role in worker analyst; do
  psql -q -c "SET client_min_messages = warning; DROP ROLE IF EXISTS demo_$role; CREATE ROLE demo_$role LOGIN IN ROLE pingan_$role"
done
PGUSER=demo_worker "$build/pingan-worker" --bind "$endpoint" --log-level info \
  --secret-key "$keys/worker.secret" --allow-list "$keys/allow-list" 2>"$build/demo-worker.log" &
worker_pid=$!
export PINGAN_KEY_FILE="$keys/demo-city.secret" PINGAN_SERVER_KEY_FILE="$keys/worker.public"

echo "== submitting examples/ (each report's status and id)"
set +e
reports=("$PINGAN_ROOT/examples/2023-03.csv" "$PINGAN_ROOT/examples/2024-03.csv" "$PINGAN_ROOT/examples/2024-03.json")
"$build/pingan-produce" --connect "$endpoint" --sender demo "${reports[@]}"
status=$?
echo "== submitting them again: every report is a duplicate, nothing is stored twice"
"$build/pingan-produce" --connect "$endpoint" --sender demo --quiet "${reports[@]}"
set -e

export PGUSER=demo_analyst
echo "== what landed in PostgreSQL (database pingan on 127.0.0.1:$port, read as $PGUSER)"
psql -P pager=off -c "SELECT district_code, d.name_en AS district, period_type, period_start, count(*) AS reports, sum(value_count) AS values
  FROM pingan.current_report r JOIN pingan.district d ON d.code = r.district_code
  GROUP BY 1, 2, 3, 4 ORDER BY 4, 1"
psql -P pager=off -c "SELECT period_start, indicator_code, sum(count) AS count,
    sum(numerator) AS numerator, sum(denominator) AS denominator,
    round((100 * sum(numerator) / nullif(sum(denominator), 0))::numeric, 2) AS percent
  FROM pingan.v_value GROUP BY 1, 2 ORDER BY 1, 2"
psql -P pager=off -c "SELECT district_code, town_code, town_name_zh, indicator_code, count, numerator, denominator
  FROM pingan.v_value WHERE period_start = '2024-03-01' ORDER BY district_code, town_code NULLS FIRST, indicator_code LIMIT 12"
for _ in $(seq 300); do
  [ "$(psql -qAt -c "SELECT queued_keys FROM pingan.v_aggregate_lag")" = 0 ] && break
  sleep 0.1
done
echo "== the March 2024 scorecard (pingan-report; also written as $build/scorecard-2024-03.html)"
"$build/pingan-report" --period 2024-03 --html "$build/scorecard-2024-03.html" | sed -n "1,40p"
echo "(worker log: $build/demo-worker.log; PostgreSQL data: $pgdir)"
exit "$status"
