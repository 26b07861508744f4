#!/bin/bash
# Builds the libFuzzer harnesses (fuzz/CMakeLists.txt, own build directory)
# and runs each for N seconds (default 20) from the seed corpus. Exits
# non-zero on a finding (crash, sanitizer report, leak, timeout, OOM); the
# reproducer is left in $BUILD/artifacts/.
#
#   fuzz/run.sh [seconds] [harness...]
#
# Harnesses: pickle torch_zip safetensors npy config dataset_json runtime
# (libtrmrt's safetensors reader and container; built here), and artifact, which needs MLIR and comes from the sanitizer build
# (scripts/sanitize.sh builds $TRM_ASAN_BUILD_DIR/fuzz/fuzz_artifact; it runs
# by default when that exists). Inputs go up to 256 KiB: deep nesting that
# overflowed a stack took 70 KB.
#
# Environment: TRM_FUZZ_BUILD (default <repo>/build-fuzz), CXX (default
# clang++-22), TRM_FUZZ_JOBS (ninja -j, default 1), TRM_FUZZ_ARGS (extra
# libFuzzer flags, e.g. "-jobs=2 -workers=2" or "-runs=1000000"),
# TRM_ASAN_BUILD_DIR (default <repo>/build-asan).
set -euo pipefail

SECONDS_EACH=${1:-20}
shift || true
HARNESSES=("$@")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TRM_FUZZ_BUILD:-$ROOT/build-fuzz}
ASAN_BUILD=${TRM_ASAN_BUILD_DIR:-$ROOT/build-asan}
if [ ${#HARNESSES[@]} -eq 0 ]; then
  HARNESSES=(pickle torch_zip safetensors npy config dataset_json runtime)
  [ -x "$ASAN_BUILD/fuzz/fuzz_artifact" ] && HARNESSES+=(artifact)
fi
CXX=${CXX:-clang++-22}

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$ROOT/fuzz" -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$BUILD" -j"${TRM_FUZZ_JOBS:-1}" >/dev/null

# The artifact harness's seeds are made fresh: an artifact's key changes
# with the pipeline, and one with a stale key stops at the key check.
artifact_seeds() {
  local seeds="$BUILD/seeds/artifact" tiny="$ROOT/test/Import/Inputs/tiny"
  mkdir -p "$seeds"
  "$ASAN_BUILD/bin/trm-import" --config "$tiny/all_config.yaml" \
    --dataset-json "$tiny/dataset.json" --batch 1 -o "$BUILD/seeds/tiny.mlir" &&
    "$ASAN_BUILD/bin/trm-compile" "$BUILD/seeds/tiny.mlir" --device vulkan \
      --vulkan-device-kind gpu -o "$seeds/tiny.trmc" >/dev/null || return 1
  local key
  key=$("$ASAN_BUILD/bin/trm-opt" "$seeds/tiny.trmc" |
        grep -o 'key = "trm-vulkan-[0-9A-F]*"' | head -1)
  sed "s/@KEY@/$key/" "$ROOT/fuzz/artifact_seed.mlir.in" > "$seeds/signature.mlir"
}

mkdir -p "$BUILD/artifacts"
status=0
for h in "${HARNESSES[@]}"; do
  work="$BUILD/corpus/$h"
  mkdir -p "$work"
  seeds="$ROOT/fuzz/corpus/$h"
  # The runtime reads the same weights files as the importer.
  [ "$h" = runtime ] && seeds="$ROOT/fuzz/corpus/safetensors"
  if [ "$h" = artifact ]; then
    seeds="$BUILD/seeds/artifact"
    ASAN_OPTIONS="detect_leaks=0:allow_user_poisoning=0" artifact_seeds ||
      { echo "fuzz_artifact: cannot make its seeds"; status=1; continue; }
  fi
  log="$BUILD/$h.log"
  binary="$BUILD/fuzz_$h"
  [ "$h" = artifact ] && binary="$ASAN_BUILD/fuzz/fuzz_artifact"
  set +e
  # As in scripts/sanitize.sh: LLVM's allocator poisoning is only coherent
  # when all of LLVM is instrumented.
  # shellcheck disable=SC2086
  ASAN_OPTIONS="allow_user_poisoning=0:${ASAN_OPTIONS:-}" \
  "$binary" -max_total_time="$SECONDS_EACH" -timeout=10 \
    -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
    -dict="$ROOT/fuzz/$h.dict" -artifact_prefix="$BUILD/artifacts/$h-" \
    ${TRM_FUZZ_ARGS:-} "$work" "$seeds" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  corpus=$(find "$work" -type f | wc -l)
  if [ $rc -eq 0 ]; then
    echo "fuzz_$h: ok, ${execs:-?} executions in ${took:-$SECONDS_EACH}s, coverage ${cov:-?}, corpus $corpus"
  else
    status=1
    echo "fuzz_$h: FINDING (exit $rc), see $log"
    grep -E '==ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -5 || true
  fi
done
exit $status
