//===- Voting.h - ARC candidates, pass@K and attempts -------------*- C++ -*-===//
//
// The evaluator's vote (evaluators/arc.py): per task and test input, every
// variant's inverted prediction is a vote with the confidence
// sigmoid(q_halt) in float64; distinct grids are the candidates, ranked by
// votes, then by mean confidence, both descending, a tie keeping the order
// in which the candidates first appeared.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_ARC_VOTING_H
#define TRM_ARC_VOTING_H

#include "trm/ARC/Grid.h"

#include <utility>

namespace mlir::trm::arc {

struct Vote {
  Grid prediction;
  double confidence = 0; ///< sigmoid(q_halt), in float64
};

struct Candidate {
  Grid grid;
  int64_t votes = 0;
  double meanConfidence = 0;
};

/// The candidates of `votes` (in the order the votes were cast), best
/// first.
std::vector<Candidate> rankCandidates(llvm::ArrayRef<Vote> votes);

/// Whether `label` is among the first `k` candidates (pass@k).
bool passesAt(llvm::ArrayRef<Candidate> ranked, const Grid &label, int64_t k);

/// The submission's attempt_1 and attempt_2: the two best candidates, the
/// best twice when there is only one. `ranked` must not be empty.
std::pair<Grid, Grid> submissionAttempts(llvm::ArrayRef<Candidate> ranked);

} // namespace mlir::trm::arc

#endif
