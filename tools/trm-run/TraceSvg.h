//===- TraceSvg.h - a reasoning trace as a picture ----------------*- C++ -*-===//
#ifndef TRM_TOOLS_TRMRUN_TRACESVG_H
#define TRM_TOOLS_TRMRUN_TRACESVG_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>

namespace trmrun {

/// One sample's trace on a square grid task.
struct GridTrace {
  llvm::ArrayRef<int64_t> input;           // [S]
  llvm::ArrayRef<int32_t> stepPredictions; // [K, S], row k = step k + 1
  llvm::ArrayRef<float> stepQLogits;       // [K, 2] (q_halt, q_continue)
  int64_t stepsTaken = 0;
  std::optional<llvm::ArrayRef<int64_t>> label; // [S]
  /// The model's vocabulary size, which picks how tokens are drawn (see
  /// chooseGridEncoding); 0 when unknown, which draws the raw token ids.
  int64_t vocab = 0;
};

/// How a grid's tokens are drawn.
enum class GridEncoding {
  /// The reference Sudoku data: 0 pad, 1 blank ('.'), token t >= 2 is the
  /// digit t - 1; givens shaded, sub-box lines.
  Sudoku,
  /// The reference ARC data: 0 pad (white), 1 end of grid (hatched), tokens
  /// 2..11 are the colours 0..9 of the standard ARC palette.
  Arc,
  /// Anything else: the token id as a number.
  Raw,
};

/// Sudoku when the vocabulary is exactly the pad, the blank and the digits of
/// a 4x4, 6x6 or 9x9 grid (vocab == side + 2: 6, 8, 11); ARC for its
/// 12-token vocabulary; raw token ids otherwise, since a guessed encoding
/// would draw wrong digits.
GridEncoding chooseGridEncoding(int64_t side, int64_t vocab);

/// Whether a sequence of `cells` tokens is a square grid, which
/// writeTraceSvg needs.
bool isSquareGrid(int64_t cells);

/// Writes an SVG with one frame per supervision step taken (wrapped into
/// rows; changed cells, cells that differ from the label and the number of
/// them, givens, the step it halted at) and a plot of sigmoid(q_halt) per
/// step that marks the first step with q_halt > 0 and the step it halted at.
void writeTraceSvg(llvm::raw_ostream &os, const GridTrace &trace);

} // namespace trmrun

#endif
