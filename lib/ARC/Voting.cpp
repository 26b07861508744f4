//===- Voting.cpp - ARC candidates, pass@K and attempts -------------------===//
#include "trm/ARC/Voting.h"

#include <algorithm>

using namespace mlir::trm::arc;

std::vector<Candidate>
mlir::trm::arc::rankCandidates(llvm::ArrayRef<Vote> votes) {
  std::vector<Candidate> candidates;
  std::vector<double> sums;
  for (const Vote &vote : votes) {
    auto it = llvm::find_if(candidates, [&](const Candidate &c) {
      return c.grid == vote.prediction;
    });
    if (it == candidates.end()) {
      candidates.push_back({vote.prediction, 0, 0});
      sums.push_back(0);
      it = candidates.end() - 1;
    }
    ++it->votes;
    sums[it - candidates.begin()] += vote.confidence;
  }
  for (size_t i = 0; i < candidates.size(); ++i)
    candidates[i].meanConfidence = sums[i] / candidates[i].votes;
  // Python's sorted(..., reverse=True) is stable: equal keys keep their
  // order of first appearance, which is the candidates' order here.
  std::vector<size_t> order(candidates.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Candidate &x = candidates[a], &y = candidates[b];
    if (x.votes != y.votes)
      return x.votes > y.votes;
    if (x.meanConfidence != y.meanConfidence)
      return x.meanConfidence > y.meanConfidence;
    return a < b;
  });
  std::vector<Candidate> ranked;
  for (size_t i : order)
    ranked.push_back(std::move(candidates[i]));
  return ranked;
}

bool mlir::trm::arc::passesAt(llvm::ArrayRef<Candidate> ranked,
                              const Grid &label, int64_t k) {
  for (const Candidate &c : ranked.take_front(k))
    if (c.grid == label)
      return true;
  return false;
}

std::pair<Grid, Grid>
mlir::trm::arc::submissionAttempts(llvm::ArrayRef<Candidate> ranked) {
  return {ranked[0].grid, ranked[ranked.size() > 1 ? 1 : 0].grid};
}
