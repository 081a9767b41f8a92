#!/usr/bin/env bash
# fuzz/run.sh SECONDS [CMAKE_BUILD_DIR] - builds the libFuzzer targets
# (fuzz_submission, fuzz_input) with clang, ASan and UBSan, builds seed
# corpora from examples/, and runs each target for SECONDS with its
# dictionary (fuzz/submission.dict, fuzz/input.dict). Everything goes
# under build-fuzz/ (PINGAN_FUZZ_BUILD): the repository is only read, and
# fuzz/regressions/ is copied into the corpora, never written. The generated
# protobuf-c code and libpingan (for make_seeds) come from CMAKE_BUILD_DIR, or
# from a CMake build the script makes in build-fuzz/cmake. Exits non-zero on
# any crash, leak, timeout or sanitizer report and prints the input's path.
set -euo pipefail
PINGAN_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
secs="${1:?usage: fuzz/run.sh SECONDS [CMAKE_BUILD_DIR]}"
out="${PINGAN_FUZZ_BUILD:-$PINGAN_ROOT/build-fuzz}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

cc="${PINGAN_FUZZ_CC:-}"
if [ -z "$cc" ]; then
  for c in clang-14 clang; do command -v "$c" >/dev/null && { cc="$c"; break; }; done
fi
[ -n "$cc" ] || { echo "fuzz: clang not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }

if [ $# -ge 2 ]; then
  cmake_dir="$(cd "$2" && pwd)"
else
  cmake_dir="$out/cmake"
  cmake -S "$PINGAN_ROOT" -B "$cmake_dir" -DCMAKE_BUILD_TYPE=Debug -DPINGAN_TESTS=OFF >/dev/null
  cmake --build "$cmake_dir" --target pingan -j "$(nproc)" >/dev/null
fi
gen="$cmake_dir/gen"
[ -f "$gen/pingan.pb-c.c" ] && [ -f "$cmake_dir/libpingan.a" ] ||
  { echo "fuzz: $cmake_dir has no gen/pingan.pb-c.c or libpingan.a: build it first" >&2; exit 1; }

# The library modules on the decode, validate and read paths (no libpq, no libzmq).
lib_mods="pa_codec pa_codec_query pa_answer pa_validate pa_catalog pa_report pa_problem pa_period pa_err pa_input pa_csv pa_json
  pa_reader pa_field pa_str pa_arena pa_hash pa_vec"
# shellcheck disable=SC2207
libs=($(pkg-config --libs libprotobuf-c yajl uuid libpq) -lcsv -lm)
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cflags="-std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -I$PINGAN_ROOT/lib -I$gen $(pkg-config --cflags libpq)"

echo "== fuzz: building with $cc"
mkdir -p "$out/obj"
objs=()
for m in $lib_mods; do
  # shellcheck disable=SC2086
  "$cc" $cflags $san -fsanitize=fuzzer-no-link -c "$PINGAN_ROOT/lib/$m.c" -o "$out/obj/$m.o"
  objs+=("$out/obj/$m.o")
done
# Generated code is not ours to warn about (as in CMakeLists.txt).
# shellcheck disable=SC2086
"$cc" $cflags -Wno-error $san -fsanitize=fuzzer-no-link -c "$gen/pingan.pb-c.c" -o "$out/obj/pingan.pb-c.o"
objs+=("$out/obj/pingan.pb-c.o")
for t in submission input; do
  # shellcheck disable=SC2086
  "$cc" $cflags $san -fsanitize=fuzzer "$PINGAN_ROOT/fuzz/fuzz_$t.c" "${objs[@]}" \
    "$cmake_dir/libpingan.a" $(pkg-config --libs libzmq) "${libs[@]}" \
    -o "$out/fuzz_$t"
done
# The seed builder is an ordinary program against the ordinary library (built
# with the sanitizers when that library was, as in scripts/test.sh's tree).
seed_san=""
grep -q '^PINGAN_SANITIZE:BOOL=ON' "$cmake_dir/CMakeCache.txt" 2>/dev/null && seed_san="$san"
# shellcheck disable=SC2086
cc $cflags $seed_san "$PINGAN_ROOT/fuzz/make_seeds.c" "$cmake_dir/libpingan.a" "${libs[@]}" \
  -o "$out/make_seeds"

echo "== fuzz: seeds"
mkdir -p "$out/corpus-submission" "$out/corpus-input"
"$out/make_seeds" "$PINGAN_ROOT/examples" "$out/corpus-submission" "$out/corpus-input"
# Past crashers and the hand-made nasty inputs seed the corpora too, except the
# few above 64 KiB (tests/unit/test_fuzz_regressions.c replays those): each
# would slow every mutation of it to a crawl.
for t in submission input; do
  find "$PINGAN_ROOT/fuzz/regressions/$t" -type f -size -64k -exec cp {} "$out/corpus-$t/" \;
done

export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}${UBSAN_OPTIONS:+:}print_stacktrace=1:halt_on_error=1"
failed=0
for t in submission input; do
  case "$t" in
    submission) max_len=1048576 ;; # the protocol's payloads; 16 MiB is the worker's default cap
    input) max_len=65536 ;;        # files are read in fixed chunks: size adds little
  esac
  mkdir -p "$out/artifacts/$t"
  log="$out/fuzz_$t.log"
  echo "== fuzz: fuzz_$t for ${secs}s (log $log)"
  rc=0
  # Each target has a dictionary of the tokens its parser knows (fuzz/*.dict).
  "$out/fuzz_$t" -max_total_time="$secs" -max_len="$max_len" -timeout=30 -rss_limit_mb=2560 \
    -dict="$PINGAN_ROOT/fuzz/$t.dict" \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/$t/" \
    "$out/corpus-$t" >"$log" 2>&1 || rc=$?
  execs=$(awk -F: '/stat::number_of_executed_units/ {gsub(/ /, "", $NF); print $NF}' "$log")
  rate=$(awk -F: '/stat::average_exec_per_sec/ {gsub(/ /, "", $NF); print $NF}' "$log")
  echo "fuzz_$t: rc=$rc execs=${execs:-?} execs/s=${rate:-?} corpus=$(ls "$out/corpus-$t" | wc -l)"
  if [ "$rc" != 0 ]; then
    failed=1
    grep -E 'ERROR: |runtime error|invariant broken|SUMMARY' "$log" | head -n 20 >&2 || true
    crasher=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    echo "fuzz_$t FAILED: crasher ${crasher:-not written (see $log)}" >&2
    echo "  replay: $out/fuzz_$t ${crasher:-CRASHER}" >&2
    echo "  keep it: cp ${crasher:-CRASHER} $PINGAN_ROOT/fuzz/regressions/$t/ (after the fix)" >&2
  fi
done
[ "$failed" = 0 ] && echo "fuzz: no crash, leak or sanitizer report"
exit "$failed"
