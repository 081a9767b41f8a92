#!/usr/bin/env bash
# scripts/check-compose.sh BUILD_DIR [COMPOSE_FILE] - every flag and PINGAN_* variable that
# docker-compose.yml gives a pingan service must be one its program knows
# (its --help lists it), so that the compose file cannot drift from the code.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$1"
compose="${2:-$root/docker-compose.yml}"
status=0
# service -> program: the image's entrypoints (migrate and worker run the
# worker through the password wrapper, producer the producer, tests the
# check script, which hands PINGAN_KEY_FILE and the like to the producer).
program_of() {
  case "$1" in
    migrate | worker) echo "$build/pingan-worker" ;;
    producer) echo "$build/pingan-produce" ;;
    tests) echo "$root/scripts/topology-check.sh" ;;
    *) echo "" ;;
  esac
}
# "service<TAB>token" for every --flag in a command and PINGAN_* key in an
# environment, by the two-space indentation of the services.
awk '
  /^services:/ { in_services = 1; next }
  /^[^ #]/ { in_services = 0 }
  in_services && /^  [a-z][a-z0-9_-]*:/ { svc = $1; sub(":", "", svc); next }
  in_services && svc != "" {
    line = $0
    while (match(line, /"--[a-z][a-z0-9-]*/)) {
      print svc "\t" substr(line, RSTART + 1, RLENGTH - 1)
      line = substr(line, RSTART + RLENGTH)
    }
    if (match($0, /^ +PINGAN_[A-Z0-9_]+:/)) {
      v = substr($0, RSTART, RLENGTH); gsub(/[ :]/, "", v); print svc "\t" v
    }
  }' "$compose" | sort -u | while IFS=$'\t' read -r svc token; do
  prog="$(program_of "$svc")"
  [ -n "$prog" ] || continue
  if ! "$prog" --help 2>&1 | grep -qE -- "(^|[ \[])${token}([ =]|\]|$)"; then
    echo "docker-compose.yml: service $svc gives $token, which $prog --help does not list" >&2
    exit 1
  fi
  echo "$svc: $token (${prog##*/})"
done || status=1
exit "$status"
