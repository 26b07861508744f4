//===- GridJson.h - ARC grids as the task files write them --------*- C++ -*-===//
//
// A grid is a JSON list of rows, each a list of colours: the challenges,
// solutions and submission files' form, and trm-run's own result files'.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_ARC_GRIDJSON_H
#define TRM_ARC_GRIDJSON_H

#include "trm/ARC/Grid.h"
#include "trm/ARC/Voting.h"

#include "llvm/Support/JSON.h"

namespace mlir::trm::arc {

/// Reads [[row], ...]; `what` names the value in errors.
llvm::Expected<Grid> readGridJson(const llvm::json::Value *value,
                                  const llvm::Twine &what);
/// Writes `grid` as nested arrays.
void writeGridJson(llvm::json::OStream &j, const Grid &grid);
/// Writes a candidate as {"grid": ..., "votes": n, "mean_confidence": x}
/// (the confidence with every digit a double needs to read back the same).
void writeCandidateJson(llvm::json::OStream &j, const Candidate &candidate);

} // namespace mlir::trm::arc

#endif // TRM_ARC_GRIDJSON_H
