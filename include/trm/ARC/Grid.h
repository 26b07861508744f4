//===- Grid.h - ARC grids, their encoding and augmentations -------*- C++ -*-===//
//
// The reference's ARC rules (dataset/build_arc_dataset.py, dataset/common.py,
// evaluators/arc.py), as TRM-SPEC.md states them: a grid of colours 0..9 is
// written into a 30x30 canvas of tokens (colour + 2, PAD 0, an EOS 1 row
// below and column right of it); a prediction is cropped back to the
// largest top-left rectangle of colour tokens; a variant of a task is a
// colour map then one of the 8 dihedral transforms, named in its puzzle
// identifier, and inverted on the predictions before they are voted on.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_ARC_GRID_H
#define TRM_ARC_GRID_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace mlir::trm::arc {

/// The canvas side and the sequence a grid is encoded into.
inline constexpr int64_t kCanvasSide = 30;
inline constexpr int64_t kSeqLen = kCanvasSide * kCanvasSide;
/// Tokens: 0 pad, 1 end of grid, colour c is c + 2.
inline constexpr int32_t kPadToken = 0, kEosToken = 1, kColourToken0 = 2;

/// A grid of colours 0..9, row-major; 0x0 is a valid (empty) grid.
struct Grid {
  int64_t rows = 0, cols = 0;
  std::vector<uint8_t> cells;

  uint8_t at(int64_t r, int64_t c) const { return cells[r * cols + c]; }
  bool operator==(const Grid &other) const {
    return rows == other.rows && cols == other.cols && cells == other.cells;
  }
  bool operator!=(const Grid &other) const { return !(*this == other); }
  /// The grid as the task JSON writes it: [[row], ...].
  std::string toJson() const;
};

/// A grid from rows of colours; an error unless the rows are equally long,
/// 1..30 of them, 1..30 long, with colours 0..9. `what` names the grid.
llvm::Expected<Grid> makeGrid(llvm::ArrayRef<std::vector<int64_t>> rows,
                              llvm::StringRef what);

/// The 900 tokens of a grid at the top-left of the canvas, as the builder
/// writes test inputs (no translation).
std::vector<int32_t> encodeGrid(const Grid &grid);

/// The largest top-left rectangle of colour tokens of a 900-token
/// prediction, as colours (the evaluator's _crop).
Grid cropPrediction(llvm::ArrayRef<int32_t> tokens);

/// Dihedral transform k (0 identity, 1 rot90 counter-clockwise, 2 rot180,
/// 3 rot270, 4 left-right flip, 5 up-down flip, 6 transpose, 7 left-right
/// flip of rot90) and its inverse.
Grid dihedral(const Grid &grid, int transform);
int inverseDihedral(int transform);

/// A variant of a task: colours mapped by `colours` (old colour -> new),
/// then dihedral `transform`. The identity for the original task.
struct Augmentation {
  std::string task;
  int transform = 0;
  std::array<uint8_t, 10> colours = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};

  bool isOriginal() const;
  Grid apply(const Grid &grid) const;
  /// Undoes apply: the inverse transform, then the inverse colour map.
  Grid invert(const Grid &grid) const;
};

/// The augmentation a puzzle identifier's name carries:
/// "<task>|||t<k>|||<ten digits>" or a plain "<task>". An error for a name
/// of another shape (k outside 0..7, a colour map that is no permutation of
/// 0..9).
llvm::Expected<Augmentation> parseAugmentation(llvm::StringRef name);

} // namespace mlir::trm::arc

#endif
