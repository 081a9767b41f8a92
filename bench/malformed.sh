#!/usr/bin/env bash
# bench/malformed.sh [FRAMES] - does the worker's memory stay flat under a
# flood of malformed frames? Starts a throwaway PostgreSQL and a Release
# worker (build-bench, as bench/run.sh), sends FRAMES malformed frames
# (default 1000000: garbage, wrong frame counts, empty submissions,
# unsupported version, oversize) from bench/flood.c with a window of frames
# in flight, samples the worker's VmRSS as it goes, and prints the series,
# the ratio last/first-after-warm-up and the frame rate. Every frame must get
# a receipt and a quarantine row. Try `bench/malformed.sh 20000` first.
set -euo pipefail
PINGAN_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$PINGAN_ROOT/scripts/lib.sh"
frames="${1:-1000000}"
window="${PINGAN_FLOOD_WINDOW:-1000}"
build="$PINGAN_ROOT/build-bench"
pgdir="$build/pg-malformed"
port="${PINGAN_MALFORMED_PGPORT:-55481}"
endpoint="tcp://127.0.0.1:${PINGAN_MALFORMED_PORT:-5593}"
max_bytes=4096 # the worker's --max-submission-bytes; oversize frames are 5000 bytes
every=50000
[ "$frames" -lt $((every * 10)) ] && every=$(((frames + 19) / 20))

pa_install_deps
pa_build "$build" -DCMAKE_BUILD_TYPE=Release -DPINGAN_TESTS=OFF
# shellcheck disable=SC2046
cc -O2 -std=c11 -Wall -Wextra -Werror "$PINGAN_ROOT/bench/flood.c" \
  $(pkg-config --cflags --libs libzmq) -o "$build/flood"

pa_pg_start "$pgdir" "$port"
worker_pid=""
trap '[ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null; pa_pg_stop "$pgdir"' EXIT
dropdb --if-exists pingan_malformed && createdb pingan_malformed
export PGDATABASE=pingan_malformed
"$build/pingan-worker" --init-db 2>/dev/null

# warn would log one line per rejected frame: keep the log to errors.
"$build/pingan-worker" --bind "$endpoint" --log-level error --max-submission-bytes "$max_bytes" \
  2>"$build/malformed-worker.log" &
worker_pid=$!
sleep 1
kill -0 "$worker_pid" || { cat "$build/malformed-worker.log" >&2; exit 1; }

rc=0
"$build/flood" --connect "$endpoint" --count "$frames" --window "$window" --pid "$worker_pid" \
  --sample-every "$every" --oversize-bytes $((max_bytes + 904)) || rc=$?
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$worker_pid/status")
# Worker CPU seconds (utime + stime): against the flood's wall time, says
# whether the worker or PostgreSQL (one autocommitted INSERT per frame) limits.
worker_cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$worker_pid/stat")
kill -TERM "$worker_pid"
wait "$worker_pid" || true
worker_pid=""
rows=$(psql -qAt -c "SELECT count(*) FROM pingan.quarantine")
echo "worker peak RSS (VmHWM): $hwm KiB; worker CPU: $worker_cpu s; quarantine rows: $rows of $frames frames"
echo "by reason:"
psql -qAt -F ' ' -c "SELECT r->>'reason', count(*) FROM pingan.quarantine, jsonb_array_elements(reasons) r GROUP BY 1 ORDER BY 1" 2>/dev/null |
  sed 's/^/  /' || true
[ "$rows" = "$frames" ] || { echo "expected $frames quarantine rows" >&2; rc=1; }
if [ -s "$build/malformed-worker.log" ]; then
  echo "worker errors (first 5):" >&2
  head -n 5 "$build/malformed-worker.log" >&2
fi
exit "$rc"
