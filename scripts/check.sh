#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test suite:
# lit (IR, passes, end-to-end), GoogleTest unit tests, both again built
# with ASan and UBSan (scripts/sanitize.sh), and a short fuzz run.
# Exits non-zero when anything fails; the last lines summarise the counts.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${TRM_BUILD_DIR:-$ROOT/build}"
cd "$ROOT"

"$ROOT/scripts/setup.sh" || { echo "check.sh: setup failed"; exit 1; }
start=$(date +%s)
"$ROOT/scripts/build.sh" all TRMUnitTests || { echo "check.sh: build failed"; exit 1; }
echo "check.sh: build took $(( $(date +%s) - start )) s"

status=0
summary=()

# lit: IR round trips, verifiers, passes, importer and end-to-end runs.
lit_out="$BUILD/lit-results.txt"
/usr/lib/llvm-22/bin/lit -sv "$BUILD/test" 2>&1 | tee "$lit_out"
lit_rc=${PIPESTATUS[0]}
[ "$lit_rc" -eq 0 ] || status=1
summary+=("lit:   $(grep -E '^\s*(Passed|Failed|Unsupported|Expectedly Failed|Unresolved)' "$lit_out" | tr -s ' ' | paste -sd',' -) (exit $lit_rc)")

# GoogleTest unit tests.
unit_pass=0; unit_fail=0
for t in "$BUILD"/unittests/*; do
  [ -f "$t" ] && [ -x "$t" ] || continue
  out=$("$t" --gtest_brief=1 2>&1); rc=$?
  echo "$out" | tail -3
  p=$(echo "$out" | sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  f=$(echo "$out" | sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  unit_pass=$((unit_pass + ${p:-0})); unit_fail=$((unit_fail + ${f:-0}))
  if [ $rc -ne 0 ]; then status=1; [ -z "$f" ] && unit_fail=$((unit_fail + 1)); fi
done
summary+=("unit:  Passed: $unit_pass, Failed: $unit_fail")

# The lit and unit suites again, under AddressSanitizer and UBSan.
start=$(date +%s)
if "$ROOT/scripts/sanitize.sh" > "$BUILD/sanitize.log" 2>&1; then
  summary+=("asan:  $(grep -E '^\s*(Passed|Failed|Unsupported)' "${TRM_ASAN_BUILD_DIR:-$ROOT/build-asan}/lit-results.txt" | tr -s ' ' | paste -sd',' -), unit tests passed, no sanitizer report ($(( $(date +%s) - start )) s)")
else
  status=1
  summary+=("asan:  FAILED (see $BUILD/sanitize.log)")
  grep -E '^(FAIL|UNRESOLVED):|ERROR: AddressSanitizer|runtime error:|sanitize.sh:' "$BUILD/sanitize.log" | head -20
fi

# Short fuzz run of every reader (the artifact harness comes from the
# sanitizer build).
if [ -x "$ROOT/fuzz/run.sh" ]; then
  if "$ROOT/fuzz/run.sh" "${TRM_FUZZ_SECONDS:-15}"; then
    summary+=("fuzz:  no findings")
  else
    summary+=("fuzz:  FINDINGS (see above)"); status=1
  fi
fi

echo
echo "==================== trm-mlir check summary ===================="
for line in "${summary[@]}"; do echo "$line"; done
if [ $status -eq 0 ]; then echo "RESULT: PASS"; else echo "RESULT: FAIL"; fi
exit $status
