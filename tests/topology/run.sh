#!/usr/bin/env bash
# tests/topology/run.sh BUILD_DIR [PGPORT] - the deployment docker-compose.yml
# describes, started as plain processes from the compose file itself (so the
# two cannot drift): `docker-compose config`, read by compose_services.py,
# gives each service's entrypoint, command, environment and secrets, and this
# script runs exactly those, with only what a host has instead of containers
# rewritten: /run/secrets/T -> a directory of the service's own secrets,
# /usr/local/bin -> BUILD_DIR, PGHOST postgres -> 127.0.0.1:PGPORT, and the
# three worker replicas' tcp://*:5555 and :9555 -> a port each on 127.0.0.1.
#   postgres  a fresh cluster on PGPORT with password authentication, and the
#             compose image's own first-start script (docker/initdb) for roles
#   migrate   --init-db as pingan_migrate (a pingan_owner member)
#   worker    x3 as pingan_worker_svc (a pingan_worker member), CURVE keys and
#             allow-list from pingan-keygen via scripts/compose-secrets.sh
#   tests     scripts/topology-check.sh: examples through all three, counts,
#             which workers stored them, pingan-report
# Each worker's /metrics must answer on its own port. Exit 0 when all holds.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "$1" && pwd)"
# Its own cluster, next to the one the other integration tests use (PGPORT).
port="${2:-$((${PGPORT:?PGPORT is not set: run scripts/test.sh, which starts PostgreSQL} + 1))}"
replicas=3
work="$build/topology"
export PINGAN_ROOT="$root"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pa_pg_stop "$work/pg"
}
trap cleanup EXIT
fail() { echo "topology: $*" >&2; exit 1; }

pa_pg_stop "$work/pg"
rm -rf "$work"
mkdir -p "$work"
(cd "$root" && docker-compose -f docker-compose.yml config) >"$work/compose.yml"
python3 "$root/tests/topology/compose_services.py" <"$work/compose.yml" >"$work/services.sh"
postgres_secrets=() migrate_secrets=() worker_secrets=() tests_secrets=()
# shellcheck source=/dev/null
. "$work/services.sh"

# Secrets as compose-secrets.sh makes them for compose, then one
# /run/secrets stand-in per service holding only the secrets it lists.
PINGAN_KEYGEN="$build/pingan-keygen" "$root/scripts/compose-secrets.sh" "$work/secrets" >/dev/null
secrets_dir() { # SERVICE SOURCE:TARGET... -> prints the directory
  local svc="$1" d="$work/run-$1/secrets" s src file
  shift
  mkdir -p "$d"
  for s in "$@"; do
    src="${s%%:*}"
    file="secret_file_$src"
    [ -n "${!file:-}" ] || fail "service $svc names secret $src, which compose does not define"
    ln -sfn "$work/secrets/${!file}" "$d/${s#*:}"
  done
  printf '%s\n' "$d"
}
# The stand-ins for what a container has: REPLICA_BIND, REPLICA_METRICS.
rewrite() { # SECRETS_DIR STRING -> prints it with the host's paths and addresses
  local s="$2"
  s="${s//\$\$/\$}" # compose's escape for a literal $
  s="${s//\/run\/secrets\//$1/}"
  s="${s//\/usr\/local\/bin\/pingan-topology-check/$root/scripts/topology-check.sh}"
  s="${s//\/usr\/local\/bin\//$build/}"
  s="${s//\/usr\/share\/pingan\/examples\//$root/examples/}"
  s="${s//tcp:\/\/\*:5555/${REPLICA_BIND:-tcp://*:5555}}"
  s="${s//tcp:\/\/worker:5555/${WORKER_ENDPOINTS:-tcp://worker:5555}}"
  case "$s" in
    PGHOST=postgres) s="PGHOST=127.0.0.1" ;;
    PGPORT=5432) s="PGPORT=$port" ;;
    PINGAN_METRICS=:9555) s="PINGAN_METRICS=${REPLICA_METRICS:-:9555}" ;;
  esac
  printf '%s\n' "$s"
}
# run SERVICE ARGV_VAR ENV_VAR SECRETS_DIR [extra args...]: the service's
# process, in a clean environment (what the container would have, plus PATH).
service_cmd() {
  local dir="$4" a
  local -n argv="$2" envv="$3"
  cmd=(env -i "PATH=$build:/usr/bin:/bin" "HOME=$work" "ASAN_OPTIONS=${ASAN_OPTIONS:-}"
       "UBSAN_OPTIONS=${UBSAN_OPTIONS:-}")
  for a in "${envv[@]}"; do cmd+=("$(rewrite "$dir" "$a")"); done
  for a in "${argv[@]}"; do cmd+=("$(rewrite "$dir" "$a")"); done
  shift 4
  cmd+=("$@")
}

# postgres: the cluster, password authentication for everyone but the local
# superuser (the first-start script's psql), then that script.
pa_pg_start "$work/pg" "$port" >/dev/null
pgsock="$(pa_pg_clusterdir "$work/pg")"
hba="$(psql -X -qAt -h "$pgsock" -p "$port" -U postgres -d postgres -c 'SHOW hba_file')"
printf '%s\n' "local all postgres trust" "local all all scram-sha-256" \
  "host all all 127.0.0.1/32 scram-sha-256" >"$hba"
psql -X -qAt -h "$pgsock" -p "$port" -U postgres -d postgres -c 'SELECT pg_reload_conf()' >/dev/null
pgsecrets="$(secrets_dir postgres "${postgres_secrets[@]}")"
sed "s#/run/secrets/#$pgsecrets/#g" "$root/docker/initdb/10-pingan-roles.sh" |
  PGHOST="$pgsock" PGPORT="$port" POSTGRES_USER=postgres sh || fail "docker/initdb failed"
# Password authentication is real: a wrong password is refused.
PGPASSWORD=wrong psql -X -qAt -h 127.0.0.1 -p "$port" -U pingan_worker_svc -d pingan -c 'SELECT 1' \
  >/dev/null 2>&1 && fail "a wrong password was accepted"

# migrate: once, to completion.
service_cmd migrate migrate_argv migrate_env "$(secrets_dir migrate "${migrate_secrets[@]}")"
"${cmd[@]}" >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log" >&2; fail "migrate failed"; }
owner="$(psql -X -qAt -h "$pgsock" -p "$port" -U postgres -d pingan \
  -c "SELECT tableowner FROM pg_tables WHERE schemaname = 'pingan' AND tablename = 'report'")"
[ "$owner" = pingan_owner ] || fail "the schema belongs to '$owner', not pingan_owner"

# worker x3: the same service, a port each, as compose's --scale would run them.
free_ports() { # N -> N ports nothing listens on now
  python3 -c 'import socket,sys
socks=[socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}
read -r -a ports <<<"$(free_ports $((2 * replicas)))"
wsecrets="$(secrets_dir worker "${worker_secrets[@]}")"
endpoints=""
for i in $(seq 0 $((replicas - 1))); do
  REPLICA_BIND="tcp://127.0.0.1:${ports[$i]}" REPLICA_METRICS="127.0.0.1:${ports[$((replicas + i))]}" \
    service_cmd worker worker_argv worker_env "$wsecrets" --name "worker-$((i + 1))"
  "${cmd[@]}" >"$work/worker-$i.log" 2>&1 &
  pids+=("$!")
  endpoints="$endpoints${endpoints:+,}tcp://127.0.0.1:${ports[$i]}"
done
# Ready when each answers /metrics on its own port.
for i in $(seq 0 $((replicas - 1))); do
  end=$((SECONDS + 60))
  until python3 -c 'import sys,urllib.request
sys.exit(0 if b"pingan_" in urllib.request.urlopen(sys.argv[1], timeout=2).read() else 1)' \
    "http://127.0.0.1:${ports[$((replicas + i))]}/metrics" 2>/dev/null; do
    kill -0 "${pids[$i]}" 2>/dev/null || { cat "$work/worker-$i.log" >&2; fail "worker $i exited"; }
    [ "$SECONDS" -lt "$end" ] || fail "worker $i did not serve /metrics within 60 s"
    sleep 0.2
  done
done
echo "topology: postgres, migrate and $replicas workers up ($endpoints)"

# tests: the compose service's check, which must see all three workers store.
WORKER_ENDPOINTS="$endpoints" service_cmd tests tests_argv tests_env \
  "$(secrets_dir tests "${tests_secrets[@]}")" --expect-workers "$replicas" --out-dir "$work/check"
"${cmd[@]}" || fail "the compose tests service's check failed"

# The workers stop cleanly on SIGTERM, as `docker-compose stop` asks.
for i in $(seq 0 $((replicas - 1))); do
  kill -TERM "${pids[$i]}"
  wait "${pids[$i]}" || { cat "$work/worker-$i.log" >&2; fail "worker $i exited with $? on SIGTERM"; }
done
pids=()
echo "topology: ok"
