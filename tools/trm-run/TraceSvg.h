//===- TraceSvg.h - a reasoning trace as a picture ----------------*- C++ -*-===//
#ifndef TRM_TOOLS_TRMRUN_TRACESVG_H
#define TRM_TOOLS_TRMRUN_TRACESVG_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>

namespace trmrun {

/// One sample's trace on a square grid task (tokens with the Sudoku-style
/// encoding: 0 pad, 1 blank, t >= 2 shows t - 1).
struct GridTrace {
  llvm::ArrayRef<int64_t> input;                // [S]
  llvm::ArrayRef<int32_t> stepPredictions;      // [K, S], row k = step k + 1
  llvm::ArrayRef<float> stepQLogits;            // [K, 2]
  int64_t stepsTaken = 0;
  std::optional<llvm::ArrayRef<int64_t>> label; // [S]
};

/// Whether a sequence of `cells` tokens is a square grid, which
/// writeTraceSvg needs.
bool isSquareGrid(int64_t cells);

/// Writes an SVG with one frame per supervision step (cells that changed since
/// the previous step highlighted, cells that disagree with the label in red,
/// givens in grey) and a plot of sigmoid(q_halt) per step.
void writeTraceSvg(llvm::raw_ostream &os, const GridTrace &trace);

} // namespace trmrun

#endif
