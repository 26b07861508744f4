//===- Grid.cpp - ARC grids, their encoding and augmentations -------------===//
#include "trm/ARC/Grid.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <numeric>

using namespace mlir::trm::arc;

std::string Grid::toJson() const {
  std::string text = "[";
  for (int64_t r = 0; r < rows; ++r) {
    text += r ? ", [" : "[";
    for (int64_t c = 0; c < cols; ++c)
      text += (c ? ", " : "") + std::to_string(at(r, c));
    text += "]";
  }
  return text + "]";
}

llvm::Expected<Grid>
mlir::trm::arc::makeGrid(llvm::ArrayRef<std::vector<int64_t>> rows,
                         llvm::StringRef what) {
  auto bad = [&](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   what + ": " + why);
  };
  if (rows.empty() || int64_t(rows.size()) > kCanvasSide)
    return bad(llvm::formatv("a grid has 1 to 30 rows, not {0}", rows.size()));
  Grid grid;
  grid.rows = rows.size();
  grid.cols = rows[0].size();
  if (grid.cols == 0 || grid.cols > kCanvasSide)
    return bad(llvm::formatv("a grid has 1 to 30 columns, not {0}", grid.cols));
  for (auto [r, row] : llvm::enumerate(rows)) {
    if (int64_t(row.size()) != grid.cols)
      return bad(llvm::formatv("row {0} has {1} cells, row 0 has {2}", r,
                               row.size(), grid.cols));
    for (int64_t colour : row) {
      if (colour < 0 || colour > 9)
        return bad(llvm::formatv("row {0}: colour {1} is not 0-9", r, colour));
      grid.cells.push_back(colour);
    }
  }
  return grid;
}

std::vector<int32_t> mlir::trm::arc::encodeGrid(const Grid &grid) {
  std::vector<int32_t> tokens(kSeqLen, kPadToken);
  for (int64_t r = 0; r < grid.rows; ++r)
    for (int64_t c = 0; c < grid.cols; ++c)
      tokens[r * kCanvasSide + c] = grid.at(r, c) + kColourToken0;
  if (grid.rows < kCanvasSide)
    for (int64_t c = 0; c < grid.cols; ++c)
      tokens[grid.rows * kCanvasSide + c] = kEosToken;
  if (grid.cols < kCanvasSide)
    for (int64_t r = 0; r < grid.rows; ++r)
      tokens[r * kCanvasSide + grid.cols] = kEosToken;
  return tokens;
}

Grid mlir::trm::arc::cropPrediction(llvm::ArrayRef<int32_t> tokens) {
  // Row by row, the columns of colour tokens from the left, never more than
  // the row above has; the rectangle of largest area wins (the first on a
  // tie).
  int64_t bestArea = 0, bestRows = 0, bestCols = 0, cols = kCanvasSide;
  for (int64_t r = 1; r <= kCanvasSide; ++r) {
    for (int64_t c = 1; c <= cols; ++c) {
      int32_t t = tokens[(r - 1) * kCanvasSide + (c - 1)];
      if (t < kColourToken0 || t > kColourToken0 + 9) {
        cols = c - 1;
        break;
      }
    }
    if (r * cols > bestArea) {
      bestArea = r * cols;
      bestRows = r;
      bestCols = cols;
    }
  }
  Grid grid;
  grid.rows = bestRows;
  grid.cols = bestCols;
  for (int64_t r = 0; r < bestRows; ++r)
    for (int64_t c = 0; c < bestCols; ++c)
      grid.cells.push_back(tokens[r * kCanvasSide + c] - kColourToken0);
  return grid;
}

/// out[i][j] = grid[from(i, j)] for an output of `rows` x `cols`.
template <typename From>
static Grid remap(const Grid &grid, int64_t rows, int64_t cols, From from) {
  Grid out;
  out.rows = rows;
  out.cols = cols;
  out.cells.resize(rows * cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      auto [r, c] = from(i, j);
      out.cells[i * cols + j] = grid.at(r, c);
    }
  return out;
}

Grid mlir::trm::arc::dihedral(const Grid &g, int transform) {
  const int64_t R = g.rows, C = g.cols;
  using P = std::pair<int64_t, int64_t>;
  switch (transform) {
  case 1: // numpy rot90: out[i][j] = in[j][C-1-i]
    return remap(g, C, R, [&](int64_t i, int64_t j) { return P{j, C - 1 - i}; });
  case 2:
    return remap(g, R, C,
                 [&](int64_t i, int64_t j) { return P{R - 1 - i, C - 1 - j}; });
  case 3: // rot270: out[i][j] = in[R-1-j][i]
    return remap(g, C, R, [&](int64_t i, int64_t j) { return P{R - 1 - j, i}; });
  case 4:
    return remap(g, R, C, [&](int64_t i, int64_t j) { return P{i, C - 1 - j}; });
  case 5:
    return remap(g, R, C, [&](int64_t i, int64_t j) { return P{R - 1 - i, j}; });
  case 6:
    return remap(g, C, R, [&](int64_t i, int64_t j) { return P{j, i}; });
  case 7: // fliplr(rot90): out[i][j] = rot90[i][R-1-j] = in[R-1-j][C-1-i]
    return remap(g, C, R,
                 [&](int64_t i, int64_t j) { return P{R - 1 - j, C - 1 - i}; });
  default:
    return g;
  }
}

int mlir::trm::arc::inverseDihedral(int transform) {
  static constexpr int kInverse[8] = {0, 3, 2, 1, 4, 5, 6, 7};
  return transform >= 0 && transform < 8 ? kInverse[transform] : 0;
}

bool Augmentation::isOriginal() const {
  return transform == 0 && colours == Augmentation().colours;
}

Grid Augmentation::apply(const Grid &grid) const {
  Grid mapped = grid;
  for (uint8_t &cell : mapped.cells)
    cell = colours[cell];
  return dihedral(mapped, transform);
}

Grid Augmentation::invert(const Grid &grid) const {
  std::array<uint8_t, 10> inverse{};
  for (uint8_t colour = 0; colour < 10; ++colour)
    inverse[colours[colour]] = colour;
  Grid out = dihedral(grid, inverseDihedral(transform));
  for (uint8_t &cell : out.cells)
    cell = inverse[cell];
  return out;
}

llvm::Expected<Augmentation>
mlir::trm::arc::parseAugmentation(llvm::StringRef name) {
  static constexpr llvm::StringLiteral kSeparator = "|||";
  Augmentation aug;
  auto [task, rest] = name.split(kSeparator);
  aug.task = task.str();
  if (rest.empty() && !name.contains(kSeparator))
    return aug;
  auto bad = [&](const llvm::Twine &why) {
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "puzzle identifier '" + name + "': " + why +
            " (expected <task>|||t<0-7>|||<a permutation of 0123456789>)");
  };
  auto [transform, colours] = rest.split(kSeparator);
  if (transform.size() != 2 || transform[0] != 't' || transform[1] < '0' ||
      transform[1] > '7')
    return bad("'" + transform + "' is no dihedral transform");
  aug.transform = transform[1] - '0';
  std::array<bool, 10> seen{};
  if (colours.size() != 10)
    return bad("the colour map has " + llvm::Twine(colours.size()) +
               " digits, not 10");
  for (size_t c = 0; c < 10; ++c) {
    if (colours[c] < '0' || colours[c] > '9' || seen[colours[c] - '0'])
      return bad("the colour map '" + colours + "' is no permutation");
    seen[colours[c] - '0'] = true;
    aug.colours[c] = colours[c] - '0';
  }
  return aug;
}
