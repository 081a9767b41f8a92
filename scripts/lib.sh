# scripts/lib.sh - shared by demo.sh, test.sh and .ci/run: Debian packages
# and a throwaway PostgreSQL cluster under the build tree. Sourced, not run.

PINGAN_PACKAGES="build-essential cmake pkg-config protobuf-c-compiler libprotobuf-c-dev
  libzmq3-dev libpq-dev libcsv-dev libyajl-dev uuid-dev libmicrohttpd-dev libcriterion-dev postgresql
  postgresql-client docker-compose valgrind clang-format clang-tidy chromium fonts-wqy-microhei clang-14 libclang-rt-14-dev"
# Only the tests need these (scripts/test.sh adds them): promtool checks /metrics.
PINGAN_TEST_PACKAGES="prometheus"

pa_sudo() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs what is missing (dpkg-query first, so a warm machine skips apt).
pa_install_deps() {
  local missing=""
  for p in $PINGAN_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    echo "installing:$missing"
    pa_sudo apt-get update -qq
    pa_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  fi
}

pa_pg_bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# pa_pg_clusterdir DIR: where the cluster for DIR lives. As root the server
# runs as the postgres user, who often cannot traverse the clone's parents
# (root's home is mode 700, so is many a user's): then the cluster lives in a
# postgres-owned directory under /var/tmp named after DIR's hash, and DIR/data
# and DIR/server.log are symlinks to it, so that DIR stays the one place to look.
# We never chmod the user's directories.
pa_pg_clusterdir() {
  local dir="$1"
  if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -x "$dir" -a -w "$dir" 2>/dev/null ||
     { [ ! -L "$dir/data" ] && runuser -u postgres -- test -x "$(dirname "$dir")" 2>/dev/null; }; then
    printf '%s\n' "$dir"
  else
    printf '/var/tmp/pingan-pg-%s\n' "$(printf '%s' "$dir" | sha256sum | cut -c1-16)"
  fi
}

# pa_pg_start DIR PORT: a cluster in DIR/data listening on 127.0.0.1:PORT
# with its socket in DIR (or in the directory pa_pg_clusterdir picks);
# exports PGHOST, PGPORT, PGUSER, PGDATABASE.
# PINGAN_PG_DURABLE=1 keeps PostgreSQL's default durability (fsync on), as a
# deployment would: the benchmarks use it. Tests and the demo run without.
pa_pg_start() {
  local dir="$1" port="$2" bin cdir durability="-c fsync=off -c synchronous_commit=off"
  [ "${PINGAN_PG_DURABLE:-0}" = 1 ] && durability=""
  bin="$(pa_pg_bindir)"
  [ -n "$bin" ] || { echo "PostgreSQL server binaries not found" >&2; return 1; }
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  cdir="$(pa_pg_clusterdir "$dir")"
  # initdb refuses to run as root: run the server as the postgres user.
  local run=()
  if [ "$(id -u)" = 0 ]; then
    run=(runuser -u postgres --)
    if [ "$cdir" = "$dir" ]; then
      chown postgres "$dir"
      chmod 755 "$dir"
    else
      # /var/tmp is world-writable: refuse a directory someone else planted.
      if [ -e "$cdir" ] || [ -L "$cdir" ]; then
        [ -d "$cdir" ] && [ ! -L "$cdir" ] && [ "$(stat -c %U "$cdir")" = postgres ] ||
          { echo "$cdir exists and is not a directory owned by postgres: remove it" >&2; return 1; }
      else
        install -d -m 700 -o postgres -g postgres "$cdir"
      fi
      ln -sfn "$cdir/data" "$dir/data"
      ln -sfn "$cdir/server.log" "$dir/server.log"
    fi
  fi
  # The postgres user's commands start in a directory it can enter.
  [ ${#run[@]} = 0 ] || run=(env -C "$cdir" "${run[@]}")
  if [ ! -f "$cdir/data/PG_VERSION" ]; then
    "${run[@]}" "$bin/initdb" -D "$cdir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; return 1; }
  fi
  local opts="-p $port -k $cdir -c listen_addresses=127.0.0.1 $durability -c max_locks_per_transaction=256"
  "${run[@]}" "$bin/pg_ctl" -D "$cdir/data" -l "$cdir/server.log" -w -t 60 -o "$opts" start >/dev/null ||
    { cat "$cdir/server.log" >&2; return 1; }
  export PGHOST=127.0.0.1 PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
  # For the fault tests, which stop this cluster hard and start it again.
  export PINGAN_TEST_PG_STOP="${run[*]} $bin/pg_ctl -D $cdir/data -m immediate -w stop"
  export PINGAN_TEST_PG_START="${run[*]} $bin/pg_ctl -D $cdir/data -l $cdir/server.log -w -t 60 -o '$opts' start"
}

# pa_pg_stop DIR: stops the cluster pa_pg_start DIR started, wherever it lives.
pa_pg_stop() {
  local dir="$1" bin cdir run=()
  bin="$(pa_pg_bindir)"
  [ -d "$dir" ] || return 0
  dir="$(cd "$dir" && pwd)"
  cdir="$(pa_pg_clusterdir "$dir")"
  [ "$(id -u)" = 0 ] && run=(env -C "$cdir" runuser -u postgres --)
  [ -f "$cdir/data/postmaster.pid" ] && "${run[@]}" "$bin/pg_ctl" -D "$cdir/data" -m fast -w stop >/dev/null || true
}

# pa_build BUILD_DIR [cmake args...]
pa_build() {
  local dir="$1"; shift
  cmake -S "$PINGAN_ROOT" -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}
