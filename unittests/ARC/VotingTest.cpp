//===- VotingTest.cpp - ARC candidates, pass@K and attempts ---------------===//
#include "trm/ARC/Voting.h"

#include "gtest/gtest.h"

using namespace mlir::trm::arc;

namespace {
Grid cell(int64_t colour) {
  Grid g;
  g.rows = g.cols = 1;
  g.cells = {uint8_t(colour)};
  return g;
}
} // namespace

TEST(ARCVoting, MoreVotesBeatHigherConfidence) {
  auto ranked = rankCandidates({{cell(1), 0.1}, {cell(2), 0.99}, {cell(1), 0.2}});
  ASSERT_EQ(ranked.size(), 2u);
  EXPECT_EQ(ranked[0].grid, cell(1));
  EXPECT_EQ(ranked[0].votes, 2);
  EXPECT_DOUBLE_EQ(ranked[0].meanConfidence, 0.15000000000000002);
  EXPECT_EQ(ranked[1].grid, cell(2));
}

TEST(ARCVoting, EqualVotesRankByMeanConfidence) {
  auto ranked = rankCandidates({{cell(1), 0.4}, {cell(2), 0.5}, {cell(1), 0.8},
                                {cell(2), 0.6}});
  EXPECT_EQ(ranked[0].grid, cell(1)); // 0.6 mean against 0.55
}

TEST(ARCVoting, FullTiesKeepTheOrderOfFirstAppearance) {
  auto ab = rankCandidates({{cell(1), 0.5}, {cell(2), 0.5}, {cell(3), 0.5}});
  EXPECT_EQ(ab[0].grid, cell(1));
  EXPECT_EQ(ab[1].grid, cell(2));
  EXPECT_EQ(ab[2].grid, cell(3));
  auto ba = rankCandidates({{cell(2), 0.5}, {cell(1), 0.5}, {cell(3), 0.5}});
  EXPECT_EQ(ba[0].grid, cell(2));
  EXPECT_EQ(ba[1].grid, cell(1));
}

TEST(ARCVoting, PassAtK) {
  auto ranked = rankCandidates({{cell(1), 0.9}, {cell(1), 0.9}, {cell(2), 0.9},
                                {cell(3), 0.1}});
  EXPECT_TRUE(passesAt(ranked, cell(1), 1));
  EXPECT_FALSE(passesAt(ranked, cell(2), 1));
  EXPECT_TRUE(passesAt(ranked, cell(2), 2));
  EXPECT_FALSE(passesAt(ranked, cell(3), 2));
  EXPECT_TRUE(passesAt(ranked, cell(3), 1000));
  EXPECT_FALSE(passesAt(ranked, cell(4), 1000));
}

TEST(ARCVoting, GridsOfOtherShapesAreOtherCandidates) {
  Grid wide;
  wide.rows = 1;
  wide.cols = 2;
  wide.cells = {1, 1};
  Grid tall = wide;
  tall.rows = 2;
  tall.cols = 1;
  auto ranked = rankCandidates({{wide, 0.5}, {tall, 0.5}});
  EXPECT_EQ(ranked.size(), 2u);
}

TEST(ARCVoting, OneCandidateIsBothAttempts) {
  auto one = rankCandidates({{cell(5), 0.3}, {cell(5), 0.4}});
  auto [first, second] = submissionAttempts(one);
  EXPECT_EQ(first, cell(5));
  EXPECT_EQ(second, cell(5));
  auto two = rankCandidates({{cell(5), 0.3}, {cell(6), 0.4}, {cell(6), 0.4}});
  auto [a, b] = submissionAttempts(two);
  EXPECT_EQ(a, cell(6));
  EXPECT_EQ(b, cell(5));
}
