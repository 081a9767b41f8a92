#!/usr/bin/env bash
# The README's test command (and what .ci/run calls): install, build with
# AddressSanitizer and UndefinedBehaviorSanitizer, start a throwaway
# PostgreSQL under the build tree, run every unit and integration test, and
# check the compose file and the formatting. A test that cannot reach
# PostgreSQL fails; nothing is skipped.
set -euo pipefail
PINGAN_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$PINGAN_ROOT/scripts/lib.sh"
build="${PINGAN_TEST_BUILD:-$PINGAN_ROOT/build-test}"
# Below Linux's ephemeral range (32768-60999): the clusters the tests start on
# port..port+7 must not collide with the local port of some test's TCP
# connection or ZeroMQ endpoint (integration.growth's replica once failed to
# bind 55442 that way).
port="${PINGAN_TEST_PGPORT:-25439}"

PINGAN_PACKAGES="$PINGAN_PACKAGES $PINGAN_TEST_PACKAGES"
pa_install_deps
pa_build "$build" -DCMAKE_BUILD_TYPE=Debug -DPINGAN_SANITIZE=ON
pa_pg_start "$build/pg" "$port"
trap 'pa_pg_stop "$build/pg"' EXIT

# Sanitizer reports go to files: Criterion runs each test in a child whose
# LeakSanitizer report would otherwise only be printed, not fail the test.
san="$build/sanitizer-reports"
rm -rf "$san" && mkdir -p "$san"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$san/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$san/ubsan"
(cd "$build" && ctest --output-on-failure --timeout 600 -j 2)
echo "== fuzzing decode-and-validate and the file readers (60 s each)"
PINGAN_FUZZ_BUILD="$build/fuzz" "$PINGAN_ROOT/fuzz/run.sh" 60 "$build"
if [ -n "$(ls -A "$san")" ]; then
  echo "sanitizer reports:" >&2
  cat "$san"/* >&2
  exit 1
fi
echo "sanitizers: no reports"

echo "== a clone in a directory only its owner can enter (root's home is mode 700)"
# The README's commands must work from wherever root clones: the cluster then
# lives where the postgres user can reach it (pa_pg_clusterdir). Proven on a
# throwaway cluster of a clone inside a mode-700 directory.
locked="$(mktemp -d)"
chmod 700 "$locked"
git -C "$PINGAN_ROOT" ls-files -z | (cd "$PINGAN_ROOT" && xargs -0 cp --parents -t "$locked")
(
  PINGAN_ROOT="$locked"
  . "$locked/scripts/lib.sh"
  pa_pg_start "$locked/build/pg" "$((port + 7))" >/dev/null
  psql -qAt -c "SELECT 1" >/dev/null
  pa_pg_stop "$locked/build/pg"
  cdir="$(pa_pg_clusterdir "$(cd "$locked/build/pg" && pwd)")"
  case "$cdir" in /var/tmp/pingan-pg-*) rm -rf "$cdir" ;; esac
) || { echo "a cluster for a clone in a mode-700 directory did not start" >&2; exit 1; }
rm -rf "$locked"
echo "mode-700 clone: ok"

echo "== docker-compose.yml"
(cd "$PINGAN_ROOT" && docker-compose -f docker-compose.yml config -q)
echo "docker-compose config: ok"
"$PINGAN_ROOT/scripts/check-compose.sh" "$build" >/dev/null
echo "every flag and PINGAN_* variable in docker-compose.yml is in its program's --help: ok"

echo "== clang-tidy (.clang-tidy)"
(cd "$PINGAN_ROOT" && clang-tidy -p "$build" --quiet --extra-arg=-Wno-unknown-warning-option \
  lib/*.c producers/*.c workers/*.c tools/*.c)
echo "clang-tidy: ok"

echo "== clang-format"
(cd "$PINGAN_ROOT" && git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror)
echo "clang-format: ok"
echo "all tests passed"
