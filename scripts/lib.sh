# scripts/lib.sh - shared by demo.sh, test.sh and .ci/run: Debian packages
# and a throwaway PostgreSQL cluster under the build tree. Sourced, not run.

PINGAN_PACKAGES="build-essential cmake pkg-config protobuf-c-compiler libprotobuf-c-dev
  libzmq3-dev libpq-dev libcsv-dev libyajl-dev uuid-dev libcriterion-dev postgresql
  postgresql-client docker-compose valgrind clang-format clang-tidy chromium fonts-wqy-microhei clang-14 libclang-rt-14-dev"

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

# pa_pg_start DIR PORT: a cluster in DIR/data listening on 127.0.0.1:PORT
# with its socket in DIR; exports PGHOST, PGPORT, PGUSER, PGDATABASE.
pa_pg_start() {
  local dir="$1" port="$2" bin
  bin="$(pa_pg_bindir)"
  [ -n "$bin" ] || { echo "PostgreSQL server binaries not found" >&2; return 1; }
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  # initdb refuses to run as root: run the server as the postgres user.
  local run=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    chmod 755 "$dir"
    run=(runuser -u postgres --)
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    "${run[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; return 1; }
  fi
  local opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_locks_per_transaction=256"
  "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$opts" start >/dev/null ||
    { cat "$dir/server.log" >&2; return 1; }
  export PGHOST=127.0.0.1 PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
  # For the fault tests, which stop this cluster hard and start it again.
  export PINGAN_TEST_PG_STOP="${run[*]} $bin/pg_ctl -D $dir/data -m immediate -w stop"
  export PINGAN_TEST_PG_START="${run[*]} $bin/pg_ctl -D $dir/data -l $dir/server.log -w -t 60 -o '$opts' start"
}

pa_pg_stop() {
  local dir="$1" bin run=()
  bin="$(pa_pg_bindir)"
  [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
  [ -f "$dir/data/postmaster.pid" ] && "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
}

# pa_build BUILD_DIR [cmake args...]
pa_build() {
  local dir="$1"; shift
  cmake -S "$PINGAN_ROOT" -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}
