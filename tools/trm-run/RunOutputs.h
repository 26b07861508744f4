//===- RunOutputs.h - the files one trm-run writes ---------------*- C++ -*-===//
//
// The result arrays of --output-dir, the --trace text and the --trace-svg
// pictures of one run, written as one OutputSet: every destination is
// opened before the computation starts, and the files appear together once
// all of them are written, or not at all.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_TOOLS_TRMRUN_RUNOUTPUTS_H
#define TRM_TOOLS_TRMRUN_RUNOUTPUTS_H

#include "trm/Import/AtomicFile.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trmrun {

/// A predicted token as the digit it writes (token - 1, the Sudoku
/// encoding); 0 (pad) and the -1 after a sample halted stay as they are.
inline int32_t tokenAsDigit(int32_t token) {
  return token > 0 ? token - 1 : token;
}

/// What a run computed, for all its samples.
struct RunResults {
  int64_t count = 0, seqLen = 0, vocab = 0, maxSteps = 0;
  std::vector<int32_t> predictions;     // [N, S]
  std::vector<float> logits;            // [N, S, V]
  std::vector<float> stepQLogits;       // [N, K, 2]
  std::vector<int32_t> steps;           // [N]
  std::vector<int32_t> stepPredictions; // [N, K, S]
};

/// Where the outputs go; empty strings are outputs not asked for.
struct OutputRequest {
  std::string directory;
  std::string tracePath;
  std::string svgPrefix;
  int64_t svgSamples = 0;
  /// predictions.npy and step_predictions.npy as digits (token - 1; the -1
  /// after a sample halted stays -1).
  bool predictionsAsDigits = false;
};

class RunOutputs {
public:
  /// Creates the output directory and the temporary file of every output,
  /// for `count` samples of `seqLen` tokens.
  static llvm::Expected<RunOutputs> open(const OutputRequest &request,
                                         int64_t count, int64_t seqLen);

  /// Writes every output of `results` (`tokens` and `labels` [N, S] go into
  /// the pictures) and renames them into place together.
  llvm::Error write(const RunResults &results,
                    llvm::ArrayRef<int64_t> tokens,
                    std::optional<llvm::ArrayRef<int64_t>> labels);

  /// Every output's final path, in the order they were opened.
  llvm::ArrayRef<std::string> paths() const { return finalPaths; }

private:
  RunOutputs() = default;
  mlir::trm::OutputSet files;
  bool predictionsAsDigits = false;
  // Streams into `files`, in the order of kArrayNames, then the trace.
  std::vector<llvm::raw_ostream *> arrays;
  llvm::raw_ostream *trace = nullptr;
  std::vector<llvm::raw_ostream *> svgs;
  std::vector<std::string> finalPaths;
};

} // namespace trmrun

#endif
