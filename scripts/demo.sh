#!/usr/bin/env bash
# The main job on the bundled model: build trm-mlir, import the model and
# show its trm module through trm-opt.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${TRM_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" trm-opt trm-import

MODEL_CONFIG="$ROOT/test/Inputs/sudoku_mlpt.json"
OUT="${TRM_DEMO_DIR:-$BUILD/demo}"
mkdir -p "$OUT"
echo "== trm-import: $MODEL_CONFIG -> $OUT/sudoku.mlir (batch 8, q_halt halting)"
"$BUILD/bin/trm-import" --config "$MODEL_CONFIG" --batch 8 --halting q_halt -o "$OUT/sudoku.mlir"
echo "== trm-opt (verify + print)"
"$BUILD/bin/trm-opt" "$OUT/sudoku.mlir"
