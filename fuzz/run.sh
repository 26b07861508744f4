#!/bin/bash
# Builds the libFuzzer harnesses (fuzz/CMakeLists.txt, own build directory)
# and runs each for N seconds (default 20) from the seed corpus. Exits
# non-zero on a finding (crash, sanitizer report, leak, timeout, OOM); the
# reproducer is left in $BUILD/artifacts/.
#
#   fuzz/run.sh [seconds] [harness...]     harnesses: pickle torch_zip safetensors npy config dataset_json
#
# Environment: TRM_FUZZ_BUILD (default <repo>/build-fuzz), CXX (default
# clang++-22), TRM_FUZZ_JOBS (ninja -j, default 1), TRM_FUZZ_ARGS (extra
# libFuzzer flags, e.g. "-jobs=2 -workers=2").
set -euo pipefail

SECONDS_EACH=${1:-20}
shift || true
HARNESSES=("$@")
[ ${#HARNESSES[@]} -eq 0 ] && HARNESSES=(pickle torch_zip safetensors npy config dataset_json)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TRM_FUZZ_BUILD:-$ROOT/build-fuzz}
CXX=${CXX:-clang++-22}

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$ROOT/fuzz" -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$BUILD" -j"${TRM_FUZZ_JOBS:-1}" >/dev/null

mkdir -p "$BUILD/artifacts"
status=0
for h in "${HARNESSES[@]}"; do
  work="$BUILD/corpus/$h"
  mkdir -p "$work"
  log="$BUILD/$h.log"
  set +e
  # shellcheck disable=SC2086
  "$BUILD/fuzz_$h" -max_total_time="$SECONDS_EACH" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -dict="$ROOT/fuzz/$h.dict" -artifact_prefix="$BUILD/artifacts/$h-" \
    ${TRM_FUZZ_ARGS:-} "$work" "$ROOT/fuzz/corpus/$h" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  corpus=$(find "$work" -type f | wc -l)
  if [ $rc -eq 0 ]; then
    echo "fuzz_$h: ok, ${execs:-?} executions in ${SECONDS_EACH}s, coverage ${cov:-?}, corpus $corpus"
  else
    status=1
    echo "fuzz_$h: FINDING (exit $rc), see $log"
    grep -E '==ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -5 || true
  fi
done
exit $status
