#!/usr/bin/env bash
# Builds trm-mlir with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-asan/ (with the artifact fuzz harness, which fuzz/run.sh then runs)
# and runs the lit and GoogleTest suites with it. Any sanitizer
# report fails the run (UBSan does not recover; ASan aborts on the first
# error). Used by check.sh; on its own:
#
#   scripts/sanitize.sh            build, then lit + unit tests
#
# Environment: TRM_ASAN_BUILD_DIR (default <repo>/build-asan), TRM_JOBS.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${TRM_ASAN_BUILD_DIR:-$ROOT/build-asan}"
JOBS="${TRM_JOBS:-$(nproc)}"

cmake -G Ninja -S "$ROOT" -B "$BUILD" \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DLLVM_USE_LINKER=lld "-DLLVM_USE_SANITIZER=Address;Undefined" \
  -DTRM_BUILD_FUZZERS=ON >/dev/null ||
  { echo "sanitize.sh: configure failed"; exit 1; }
ninja -C "$BUILD" -j"$JOBS" all TRMUnitTests fuzz_artifact ||
  { echo "sanitize.sh: build failed"; exit 1; }

# Leak checking stays off: the Vulkan loader, the driver and LLVM's JIT keep
# allocations until exit by design. Manual poisoning is off because LLVM's
# headers poison and unpoison allocator slabs only when compiled with ASan:
# an instrumented inline copy in our code paired with the uninstrumented one
# in the LLVM and MLIR libraries reports use-after-poison on valid memory.
# Everything else ASan finds is an error.
export ASAN_OPTIONS="detect_leaks=0:allow_user_poisoning=0:abort_on_error=1:${ASAN_OPTIONS:-}"
# Both abort on a report: a plain exit 1 would pass a `not trm-run ...` test.
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:${UBSAN_OPTIONS:-}"

status=0
/usr/lib/llvm-22/bin/lit -sv "$BUILD/test" 2>&1 | tee "$BUILD/lit-results.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
for t in "$BUILD"/unittests/*; do
  [ -f "$t" ] && [ -x "$t" ] || continue
  # A sanitizer report ends in its shadow-memory legend: keep its first lines.
  out=$("$t" --gtest_brief=1 2>&1)
  if [ $? -eq 0 ]; then
    echo "$out" | tail -3
  else
    status=1
    echo "$out" | grep -v '^  0x' | head -40
    echo "sanitize.sh: $(basename "$t") failed"
  fi
done
exit $status
