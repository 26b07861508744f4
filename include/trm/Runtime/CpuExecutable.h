//===- CpuExecutable.h - a trm model compiled for the host CPU ----*- C++ -*-===//
//
// Lowers a trm module with the trm-to-llvm pipeline, JIT-compiles it and
// calls its entry with caller-owned buffers. The runtime only moves data: all
// model arithmetic is in the generated code.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_RUNTIME_CPUEXECUTABLE_H
#define TRM_RUNTIME_CPUEXECUTABLE_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "trm/Pipelines/Pipelines.h"
#include "trm/Runtime/ModelSignature.h"

#include <memory>

namespace mlir::trm {

/// Host buffers of one batch: inputs, the packed weights and every output.
struct BatchBuffers {
  std::vector<int32_t> tokens;         // [B, S]
  std::vector<int32_t> puzzleIds;      // [B]
  std::vector<int32_t> predictions;    // [B, S]
  std::vector<float> logits;           // [B, S, V]
  std::vector<float> stepQLogits;      // [B, K, 2]
  std::vector<int32_t> steps;          // [B]
  std::vector<int32_t> stepPredictions; // [B, K, S]
  /// Rows 0..samples-1 are the batch's samples; the model computes no others.
  int32_t samples = 0;
  /// Network calls the model executed for the batch (rows times calls).
  int32_t networkCalls = 0;

  explicit BatchBuffers(const ModelSignature &sig);
  /// An error unless 0 <= samples <= the batch the buffers hold.
  llvm::Error checkSampleCount() const;
};

class CpuExecutable {
public:
  /// Compiles `module` (trm dialect, entry `sig.entry`) to native code. The
  /// module is lowered in place; `pm` carries the pass-manager CLI options
  /// (--mlir-timing, --mlir-print-ir-*).
  static llvm::Expected<std::unique_ptr<CpuExecutable>>
  compile(ModuleOp module, const ModelSignature &sig, PassManager &pm,
          const CPUCodegenOptions &options = {});

  /// The two halves of compile: lowering to the LLVM dialect (what a
  /// compiled artifact stores) and JIT-compiling a lowered module.
  static llvm::Error lower(ModuleOp module, PassManager &pm,
                           const CPUCodegenOptions &options = {});
  /// `threads` > 0 sets the OpenMP runtime's thread count (otherwise
  /// OMP_NUM_THREADS, or every core). The code is generated for
  /// sig.targetCpu and sig.targetFeatures (default: the host); an error
  /// names what the target needs that this CPU lacks, instead of a SIGILL
  /// at the first instruction it cannot execute.
  static llvm::Expected<std::unique_ptr<CpuExecutable>>
  load(ModuleOp loweredModule, const ModelSignature &sig, int64_t threads = 0);

  /// Runs one batch. `weights` is packed by sig.weightTable.
  llvm::Error run(const std::vector<float> &weights, BatchBuffers &buffers);

private:
  CpuExecutable(std::unique_ptr<ExecutionEngine> engine, ModelSignature sig)
      : engine(std::move(engine)), sig(std::move(sig)) {}
  std::unique_ptr<ExecutionEngine> engine;
  ModelSignature sig;
};

} // namespace mlir::trm

#endif
