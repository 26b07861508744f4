//===- Report.h - what trm-run prints about a run ----------------*- C++ -*-===//
//
// Results (answers, solve counts, the --json summary) go to stdout;
// everything about how the run went (header, timing, step counts, Vulkan
// statistics, the files written) to stderr, so that a pipe or redirect of
// stdout holds results only.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_TOOLS_TRMRUN_REPORT_H
#define TRM_TOOLS_TRMRUN_REPORT_H

#include "Inputs.h"
#include "RunOutputs.h"

#include "trm/Runtime/VulkanRuntime.h"

#include "llvm/Support/JSON.h"

#include <functional>

#include <optional>
#include <string>
#include <vector>

namespace trmrun {

/// How a run went: what ran where, and what it cost.
struct RunStats {
  std::string model;
  std::string device;            ///< cpu | vulkan
  std::string deviceDescription; ///< the header's words for it
  std::string policy;
  /// What the phase between loading and running did: compiled the module,
  /// JIT-compiled a bytecode artifact, or loaded machine code (an AOT
  /// artifact, or one from the compilation cache). The timing line's words
  /// and --json's "code_from"; its seconds are --json's "compile" whatever
  /// it did.
  std::string codePhase = "compile", codeFrom = "compiled";
  int64_t batch = 0;
  double loadSeconds = 0, compileSeconds = 0, runSeconds = 0;
  /// Network calls: executed, needed by the samples' steps, and what the
  /// same batches would cost with every row running every step.
  int64_t executedCalls = 0, neededCalls = 0, fullCalls = 0;
  int64_t executedSteps = 0;
  std::optional<mlir::trm::VulkanRuntimeStats> vulkan;
  int64_t uploadedWeightBytes = 0;
  std::vector<std::string> written;
};

/// The header line, before the run.
void printHeader(llvm::raw_ostream &os, const RunStats &stats, int64_t count);

/// Each sample's puzzle and answer as grids (square sequences, Sudoku
/// digits), when `grids`; the exact solves when there are labels.
/// `allSteps`: the fixed policy, where no sample halts early.
void printResults(llvm::raw_ostream &os, const RunResults &results,
                  const RunInputs &inputs, bool grids, bool allSteps);

/// Timing, step counts and the Vulkan counters.
void printStatistics(llvm::raw_ostream &os, const RunStats &stats,
                     const RunResults &results);

/// One JSON object: the run, its cost, and every sample's steps, final
/// q_halt and prediction (digits when `digits`), solved or not with labels.
/// `extra`, when given, adds attributes and replaces the per-sample results
/// (the ARC evaluation's scores).
void writeJsonSummary(
    llvm::raw_ostream &os, const RunStats &stats, const RunResults &results,
    const RunInputs &inputs, bool digits,
    const std::function<void(llvm::json::OStream &)> &extra = nullptr);

} // namespace trmrun

#endif
