//===- GridTest.cpp - ARC encoding, crop and augmentations ----------------===//
#include "trm/ARC/Grid.h"

#include "gtest/gtest.h"

#include <random>

using namespace mlir::trm::arc;

namespace {
Grid grid(std::vector<std::vector<int64_t>> rows) {
  auto g = makeGrid(rows, "test grid");
  EXPECT_TRUE(bool(g)) << llvm::toString(g.takeError());
  return *g;
}

Grid randomGrid(std::mt19937 &rng) {
  std::uniform_int_distribution<int64_t> side(1, 30), colour(0, 9);
  std::vector<std::vector<int64_t>> rows(side(rng));
  int64_t cols = side(rng);
  for (auto &row : rows)
    for (int64_t c = 0; c < cols; ++c)
      row.push_back(colour(rng));
  return grid(rows);
}

int32_t token(const std::vector<int32_t> &t, int64_t r, int64_t c) {
  return t[r * kCanvasSide + c];
}
} // namespace

TEST(ARCGrid, EncodingPlacesColoursAndEos) {
  std::vector<int32_t> t = encodeGrid(grid({{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 0, 1}}));
  ASSERT_EQ(t.size(), size_t(kSeqLen));
  EXPECT_EQ(token(t, 0, 0), 2);
  EXPECT_EQ(token(t, 2, 1), 11);
  // EOS: the row below (columns 0..3), the column right (rows 0..2), not
  // the corner.
  for (int64_t c = 0; c < 4; ++c)
    EXPECT_EQ(token(t, 3, c), kEosToken) << c;
  for (int64_t r = 0; r < 3; ++r)
    EXPECT_EQ(token(t, r, 4), kEosToken) << r;
  EXPECT_EQ(token(t, 3, 4), kPadToken);
  EXPECT_EQ(std::count(t.begin(), t.end(), kEosToken), 7);
  EXPECT_EQ(std::count(t.begin(), t.end(), kPadToken), 900 - 12 - 7);
}

TEST(ARCGrid, FullHeightOrWidthHasOneEosLine) {
  std::vector<std::vector<int64_t>> tall(30, std::vector<int64_t>(2, 5));
  std::vector<int32_t> t = encodeGrid(grid(tall));
  EXPECT_EQ(std::count(t.begin(), t.end(), kEosToken), 30); // column only
  std::vector<std::vector<int64_t>> full(30, std::vector<int64_t>(30, 3));
  t = encodeGrid(grid(full));
  EXPECT_EQ(std::count(t.begin(), t.end(), kEosToken), 0);
  EXPECT_EQ(std::count(t.begin(), t.end(), 5), 900);
}

TEST(ARCGrid, CropInvertsEncoding) {
  std::mt19937 rng(1);
  for (int i = 0; i < 200; ++i) {
    Grid g = randomGrid(rng);
    EXPECT_EQ(cropPrediction(encodeGrid(g)), g) << g.toJson();
  }
  std::vector<std::vector<int64_t>> full(30, std::vector<int64_t>(30, 7));
  EXPECT_EQ(cropPrediction(encodeGrid(grid(full))), grid(full));
  EXPECT_EQ(cropPrediction(encodeGrid(grid({{4}}))), grid({{4}}));
}

TEST(ARCGrid, CropOfPredictionsWithoutEos) {
  // No EOS at all: a 5x5 block of colours then padding (pad stops the scan
  // too).
  std::vector<int32_t> t(kSeqLen, kPadToken);
  for (int64_t r = 0; r < 5; ++r)
    for (int64_t c = 0; c < 5; ++c)
      t[r * kCanvasSide + c] = 3;
  Grid g = cropPrediction(t);
  EXPECT_EQ(g.rows, 5);
  EXPECT_EQ(g.cols, 5);
  // Every token a colour: the whole canvas.
  std::fill(t.begin(), t.end(), 9);
  EXPECT_EQ(cropPrediction(t).rows * cropPrediction(t).cols, 900);
  // A first token that is no colour: the empty grid.
  t[0] = kEosToken;
  EXPECT_EQ(cropPrediction(t).rows * cropPrediction(t).cols, 0);
}

TEST(ARCGrid, CropKeepsTheLargestTopLeftRectangle) {
  // Rows of 6, 6, 2, 2, 2, 2, 2, 2 colour cells: 2x6 = 12 < 8x2 = 16; a
  // tie keeps the first (fewer rows).
  std::vector<int32_t> t(kSeqLen, kEosToken);
  int64_t widths[] = {6, 6, 2, 2, 2, 2, 2, 2};
  for (int64_t r = 0; r < 8; ++r)
    for (int64_t c = 0; c < widths[r]; ++c)
      t[r * kCanvasSide + c] = 2 + (r + c) % 10;
  Grid g = cropPrediction(t);
  EXPECT_EQ(g.rows, 8);
  EXPECT_EQ(g.cols, 2);
  EXPECT_EQ(g.at(7, 1), (7 + 1) % 10);
  // A row wider than the one above does not widen the rectangle.
  std::vector<int32_t> u(kSeqLen, kEosToken);
  for (int64_t c = 0; c < 3; ++c)
    u[c] = 2;
  for (int64_t c = 0; c < 10; ++c)
    u[kCanvasSide + c] = 2;
  EXPECT_EQ(cropPrediction(u).cols, 3);
  EXPECT_EQ(cropPrediction(u).rows, 2);
  // Tie: 1x4 and 2x2 have area 4; the first (1x4) stays.
  std::vector<int32_t> v(kSeqLen, kEosToken);
  for (int64_t c = 0; c < 4; ++c)
    v[c] = 2;
  v[kCanvasSide] = v[kCanvasSide + 1] = 2;
  EXPECT_EQ(cropPrediction(v).rows, 1);
  EXPECT_EQ(cropPrediction(v).cols, 4);
}

TEST(ARCGrid, DihedralTransformsAreNumpys) {
  Grid g = grid({{1, 2, 3}, {4, 5, 6}});
  // numpy: [a, rot90(a), rot90(a, 2), rot90(a, 3), fliplr(a), flipud(a),
  // a.T, fliplr(rot90(a))] of [[1, 2, 3], [4, 5, 6]].
  std::vector<std::vector<std::vector<int64_t>>> expected = {
      {{1, 2, 3}, {4, 5, 6}}, {{3, 6}, {2, 5}, {1, 4}},
      {{6, 5, 4}, {3, 2, 1}}, {{4, 1}, {5, 2}, {6, 3}},
      {{3, 2, 1}, {6, 5, 4}}, {{4, 5, 6}, {1, 2, 3}},
      {{1, 4}, {2, 5}, {3, 6}}, {{6, 3}, {5, 2}, {4, 1}}};
  for (int k = 0; k < 8; ++k)
    EXPECT_EQ(dihedral(g, k), grid(expected[k])) << "transform " << k;
}

TEST(ARCGrid, InverseTransformsUndoEveryTransform) {
  std::mt19937 rng(2);
  for (int i = 0; i < 50; ++i) {
    Grid g = randomGrid(rng);
    for (int k = 0; k < 8; ++k)
      EXPECT_EQ(dihedral(dihedral(g, k), inverseDihedral(k)), g) << k;
  }
}

TEST(ARCGrid, IdentifierNamesCarryTheAugmentation) {
  auto plain = parseAugmentation("007bbfb7");
  ASSERT_TRUE(bool(plain));
  EXPECT_EQ(plain->task, "007bbfb7");
  EXPECT_TRUE(plain->isOriginal());
  auto aug = parseAugmentation("007bbfb7|||t7|||0381742956");
  ASSERT_TRUE(bool(aug));
  EXPECT_EQ(aug->task, "007bbfb7");
  EXPECT_EQ(aug->transform, 7);
  EXPECT_FALSE(aug->isOriginal());
  // numpy: dihedral_7(m[x]) and argsort(m)[inverse_dihedral_7(.)].
  Grid x = grid({{0, 1, 2}, {3, 4, 9}});
  Grid variant = aug->apply(x);
  EXPECT_EQ(variant, grid({{6, 8}, {7, 3}, {1, 0}}));
  EXPECT_EQ(aug->invert(variant), x);
  for (const char *bad :
       {"t|||t8|||0123456789", "t|||t1|||012345678", "t|||t1|||0123456788",
        "t|||x1|||0123456789", "t|||t1", "t|||t12|||0123456789"}) {
    auto parsed = parseAugmentation(bad);
    EXPECT_FALSE(bool(parsed)) << bad;
    llvm::consumeError(parsed.takeError());
  }
}

TEST(ARCGrid, EveryAugmentationInverts) {
  std::mt19937 rng(3);
  for (int i = 0; i < 100; ++i) {
    Augmentation aug;
    aug.transform = i % 8;
    std::shuffle(aug.colours.begin() + 1, aug.colours.end(), rng);
    Grid g = randomGrid(rng);
    EXPECT_EQ(aug.invert(aug.apply(g)), g);
  }
}

TEST(ARCGrid, BadGridsAreErrors) {
  std::vector<std::vector<int64_t>> ragged = {{1, 2}, {3}};
  std::vector<std::vector<int64_t>> colour = {{1, 10}};
  std::vector<std::vector<int64_t>> wide = {std::vector<int64_t>(31, 0)};
  for (auto *rows : {&ragged, &colour, &wide}) {
    auto g = makeGrid(*rows, "task x test 0");
    ASSERT_FALSE(bool(g));
    EXPECT_NE(llvm::toString(g.takeError()).find("task x test 0: "),
              std::string::npos);
  }
  auto empty = makeGrid({}, "g");
  EXPECT_FALSE(bool(empty));
  llvm::consumeError(empty.takeError());
}
