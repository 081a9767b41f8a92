#!/usr/bin/env bash
# compose-secrets.sh [DIR] - what docker-compose.yml needs before its first
# `up`: random PostgreSQL passwords and the CURVE keys (pingan-keygen), in DIR
# (default secrets/, next to docker-compose.yml; git ignores it). Never
# replaces a file that exists. docs/security.md.
set -euo pipefail
PINGAN_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$PINGAN_ROOT/secrets}"
keygen="${PINGAN_KEYGEN:-$PINGAN_ROOT/build/pingan-keygen}"
[ -x "$keygen" ] || { echo "no $keygen: build first (cmake -S . -B build && cmake --build build)" >&2; exit 2; }
mkdir -p "$dir"
umask 077
for user in postgres pingan_migrate pingan_worker_svc pingan_analyst_svc; do
  f="$dir/$user.password"
  [ -e "$f" ] || head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$f"
done
[ -e "$dir/worker.secret" ] || "$keygen" --name worker --out-dir "$dir" >/dev/null
# The examples hold several districts: the demo producer is a city office.
if [ ! -e "$dir/examples.secret" ]; then
  { echo "# pingan allow-list: <public-key-z85> <name> <district,...> (docs/security.md)"
    "$keygen" --name examples --out-dir "$dir" --districts '*'; } >>"$dir/allow-list"
fi
# The containers run as nobody and see each file bind-mounted: the files must
# be readable, and the directory (not mounted) keeps them from other users.
chmod 644 "$dir"/*
chmod 700 "$dir"
echo "secrets in $dir (keep them out of version control)"
