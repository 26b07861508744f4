#!/usr/bin/env bash
# The main job: build trm-mlir, import the bundled trained TRM (a 6x6 Sudoku
# solver trained with tools/train/, checkpoint in the reference trainer's
# format), compile it for the CPU and solve bundled held-out puzzles, showing
# each puzzle, the answer, whether it is right, the step at which the model
# halted and the time taken; then score the whole held-out set; then the
# same on Vulkan (lavapipe where there is no GPU).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${TRM_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" trm-import trm-opt trm-run

MODEL="$ROOT/models/sudoku6"
DATA="$ROOT/data/sudoku6"
OUT="${TRM_DEMO_DIR:-$BUILD/demo}"
CHECKPOINT="$(ls "$MODEL"/step_* | sort -t_ -k2 -n | tail -1)"
mkdir -p "$OUT"

echo "== trm-import: $CHECKPOINT (PyTorch state_dict) -> trm module + weights"
"$BUILD/bin/trm-import" --config "$MODEL/all_config.yaml" \
  --dataset-json "$MODEL/dataset.json" --checkpoint "$CHECKPOINT" \
  --weights-out "$OUT/weights.safetensors" --batch 16 -o "$OUT/sudoku6.mlir"
echo "== the model as trm IR: $OUT/sudoku6.mlir ($(wc -l < "$OUT/sudoku6.mlir") lines)"
grep -E "trm\.(act|deep_recursion)" "$OUT/sudoku6.mlir" | sed 's/^ */   /'

echo
echo "== five held-out puzzles (rows 0, 1, 2, 496, 5 of the test set) on the CPU,"
echo "   early halting (q_halt > 0); traces rendered to $OUT/trace<i>.svg"
"$BUILD/bin/trm-run" "$OUT/sudoku6.mlir" --device cpu \
  --weights "$OUT/weights.safetensors" --halting q --print-grids \
  --input "$DATA/demo_inputs.npy" --labels "$DATA/demo_labels.npy" \
  --trace "$OUT/demo-trace.txt" --trace-svg "$OUT/trace"

echo
echo "== the whole held-out set, both halting policies"
for policy in fixed q; do
  "$BUILD/bin/trm-run" "$OUT/sudoku6.mlir" --device cpu \
    --weights "$OUT/weights.safetensors" --halting "$policy" \
    --input "$DATA/test__inputs.npy" --labels "$DATA/test__labels.npy" \
    --puzzle-ids "$DATA/test__puzzle_identifiers.npy"
done

echo
echo "== the same five puzzles on Vulkan ($("$BUILD/bin/trm-run" --list-devices | grep -m1 '^vulkan 0' || echo 'no Vulkan device'))"
echo "   with the validation layer on"
"$BUILD/bin/trm-run" "$OUT/sudoku6.mlir" --device vulkan --vulkan-validation \
  --weights "$OUT/weights.safetensors" --halting q --print-grids \
  --input "$DATA/demo_inputs.npy" --labels "$DATA/demo_labels.npy"

echo
echo "== the first 256 held-out puzzles on Vulkan and on the CPU, early halting:"
echo "   the same answers and halting steps"
for device in vulkan cpu; do
  "$BUILD/bin/trm-run" "$OUT/sudoku6.mlir" --device "$device" \
    --weights "$OUT/weights.safetensors" --halting q --first 256 \
    --input "$DATA/test__inputs.npy" --labels "$DATA/test__labels.npy" \
    --puzzle-ids "$DATA/test__puzzle_identifiers.npy" \
    --output-dir "$OUT/first256-$device"
done
for f in predictions steps; do
  cmp "$OUT/first256-vulkan/$f.npy" "$OUT/first256-cpu/$f.npy"
  echo "   $f.npy: Vulkan and CPU identical"
done
