#!/usr/bin/env bash
# topology-check.sh - what the compose `tests` service runs against postgres,
# migrate and the workers, and what tests/topology/run.sh runs against the
# same topology as plain processes: submit the examples through the workers,
# submit them again (every report must come back duplicate), wait until the
# aggregation has caught up, then check as the analyst what landed (report and
# value counts against the producer's receipts, which workers stored them) and
# that pingan-report gives the scorecard of the month. Exit 0 when all holds,
# 1 when a check fails, 2 on usage errors.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: topology-check.sh --connect EP[,EP...] [options] FILE...
  --connect EP[,EP...]     worker endpoints; a tcp:// host that resolves to several
                           addresses (a scaled compose service) stands for all of them
  --expect-workers N       the first submission must be stored by N distinct workers
                           (0, the default: do not check; use on a fresh database)
  --pg-password-file FILE  the analyst's password (PGPASSWORD for psql and pingan-report)
  --period ID              the scorecard period to print (default 2024-03)
  --out-dir DIR            where the scorecard and the producer's output go (default: a
                           temporary directory, removed afterwards)
  --bin-dir DIR            where pingan-produce and pingan-report are (default: PATH)
  --deadline-s N           bound on each submission and on the aggregation (default 120)
  -h, --help               this text
The producer reads its key from PINGAN_KEY_FILE and the workers' public key from
PINGAN_SERVER_KEY_FILE (pingan-produce --help); psql and pingan-report connect
through PGHOST, PGPORT, PGDATABASE and PGUSER.
EOF
}

files=() connect="" expect_workers=0 pwfile="" period="2024-03" out="" bin="" deadline=120
while [ $# -gt 0 ]; do
  case "$1" in
    --connect) connect="$2"; shift 2 ;;
    --expect-workers) expect_workers="$2"; shift 2 ;;
    --pg-password-file) pwfile="$2"; shift 2 ;;
    --period) period="$2"; shift 2 ;;
    --out-dir) out="$2"; shift 2 ;;
    --bin-dir) bin="$2/"; shift 2 ;;
    --deadline-s) deadline="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; files+=("$@"); break ;;
    -?*) echo "topology-check: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
  esac
done
if [ -z "$connect" ] || [ ${#files[@]} = 0 ]; then usage >&2; exit 2; fi
case "$expect_workers" in '' | *[!0-9]*) echo "topology-check: --expect-workers N" >&2; exit 2 ;; esac
if [ -n "$pwfile" ]; then
  PGPASSWORD="$(cat "$pwfile")"
  export PGPASSWORD
fi
if [ -z "$out" ]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
fail() { echo "topology-check: $*" >&2; exit 1; }
q() { psql -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }

# tcp://NAME:PORT -> one endpoint per address of NAME (docker's DNS answers a
# scaled service with every replica's address; ZeroMQ would take only one).
eps=""
IFS=',' read -r -a given <<<"$connect"
for ep in "${given[@]}"; do
  case "$ep" in
    tcp://*:*)
      hostport="${ep#tcp://}"
      host="${hostport%:*}" port="${hostport##*:}"
      addrs="$(getent ahostsv4 "$host" 2>/dev/null | awk '{print $1}' | sort -u)" || true
      [ -n "$addrs" ] || addrs="$host"
      for a in $addrs; do eps="$eps${eps:+,}tcp://$a:$port"; done
      ;;
    *) eps="$eps${eps:+,}$ep" ;;
  esac
done
echo "topology-check: workers at $eps"

reports_before="$(q "SELECT count(*) FROM pingan.current_report")"
# One report per submission, so that the round robin reaches every worker.
"${bin}pingan-produce" --connect "$eps" --batch-reports 1 --deadline "$deadline" "${files[@]}" \
  >"$out/first.txt" || fail "first submission failed (exit $?): $(tail -n 5 "$out/first.txt")"
n_reports="$(grep -c -E '^(stored|duplicate) ' "$out/first.txt")" || true
n_stored="$(grep -c '^stored ' "$out/first.txt")" || true
n_values="$(awk '/^(stored|duplicate) / { sub("values=", "", $NF); s += $NF } END { print s + 0 }' "$out/first.txt")"
[ "$n_reports" -gt 0 ] || fail "the producer settled no report"
echo "topology-check: first submission: $n_reports reports ($n_stored new), $n_values values"

"${bin}pingan-produce" --connect "$eps" --batch-reports 1 --deadline "$deadline" "${files[@]}" \
  >"$out/second.txt" || fail "second submission failed (exit $?)"
n_dup="$(grep -c '^duplicate ' "$out/second.txt")" || true
[ "$n_dup" = "$n_reports" ] || fail "second submission: $n_dup of $n_reports reports duplicate"

# What the receipts promise is in the database: every report and value.
ids="$(awk '/^(stored|duplicate) / { printf "%s\x27%s\x27", (n++ ? "," : ""), $5 }' "$out/first.txt")"
got_reports="$(q "SELECT count(*) FROM pingan.current_report WHERE report_id IN ($ids)")"
got_values="$(q "SELECT count(*) FROM pingan.v_value WHERE report_id IN ($ids)")"
[ "$got_reports" = "$n_reports" ] || fail "$got_reports of $n_reports reports are stored"
[ "$got_values" = "$n_values" ] || fail "$got_values of $n_values values are stored"
reports_after="$(q "SELECT count(*) FROM pingan.current_report")"
[ "$((reports_after - reports_before))" = "$n_stored" ] ||
  fail "$((reports_after - reports_before)) reports appeared, the producer stored $n_stored"
echo "topology-check: stored: $got_reports reports, $got_values values"

if [ "$expect_workers" -gt 0 ]; then
  [ "$n_stored" = "$n_reports" ] || fail "--expect-workers needs a fresh database ($n_stored of $n_reports new)"
  workers="$(q "SELECT count(DISTINCT worker) FROM pingan.current_report WHERE report_id IN ($ids)")"
  [ "$workers" = "$expect_workers" ] || fail "$workers workers stored the reports, expected $expect_workers"
  echo "topology-check: $workers workers stored them"
fi

# The scorecard is read from the judgements: wait until they are current.
end=$((SECONDS + deadline))
until [ "$(q "SELECT queued_keys FROM pingan.v_aggregate_lag")" = 0 ]; do
  [ "$SECONDS" -lt "$end" ] || fail "aggregation still queued after ${deadline}s"
  sleep 0.2
done
for fmt in csv json; do
  "${bin}pingan-report" --period "$period" --format "$fmt" >"$out/report.$fmt" ||
    fail "pingan-report --format $fmt failed"
done
# Every district of the examples is in the scorecard, judged on its figures
# (area_code is the 7th column, status the 9th; the ones before hold no comma).
awk '/^(stored|duplicate) / { print $2 }' "$out/first.txt" | sort -u | while read -r d; do
  grep -q -E "^([^,]*,){6}\"?$d\"?,[^,]*,\"?(met|missed|at_risk|incomplete)\"?," "$out/report.csv" ||
    fail "district $d is not judged in the $period scorecard"
done
echo "topology-check: pingan-report --period $period: $(wc -l <"$out/report.csv") csv lines"
echo "topology-check: ok"
