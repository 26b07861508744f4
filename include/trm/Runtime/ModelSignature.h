//===- ModelSignature.h - what a compiled trm entry expects -------*- C++ -*-===//
#ifndef TRM_RUNTIME_MODELSIGNATURE_H
#define TRM_RUNTIME_MODELSIGNATURE_H

#include "mlir/IR/BuiltinOps.h"
#include "trm/Pipelines/Pipelines.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir {
class PassManager;
}

namespace mlir::trm {

/// One packed parameter: canonical key, shape, offset in f32 elements.
struct PackedWeight {
  std::string key;
  std::vector<int64_t> shape;
  int64_t offset = 0;
  /// For a streamed table (trm-stream-puzzle-embedding): the rows of the
  /// file's table, of which `shape` holds one per batch row, filled by
  /// puzzle id before each batch. 0: packed whole.
  int64_t streamedRows = 0;
  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

/// The canonical key of the puzzle embedding table.
inline constexpr llvm::StringLiteral kPuzzleEmbeddingKey = "puzzle_emb.weights";

/// The shapes of a trm entry function (see ModelBuilder.h) and, once
/// trm-bind-weights ran, its weight packing table.
struct ModelSignature {
  std::string entry = "trm_main";
  int64_t batch = 0, seqLen = 0, vocab = 0, maxSteps = 0;
  /// Rows of the puzzle embedding table (the bound on puzzle ids); 0: the
  /// model has no puzzle embedding.
  int64_t numPuzzleIds = 0;
  int64_t hCycles = 0, lCycles = 0;
  std::vector<PackedWeight> weightTable;
  int64_t packedSize = 0;
  /// The CPU the machine code is generated for (LLVM names, as llc's -mcpu
  /// and -mattr take them); both empty: the host. Recorded in an artifact.
  std::string targetCpu, targetFeatures;

  /// Reads the entry's types and the module's trm.config attribute.
  static llvm::Expected<ModelSignature> fromModule(ModuleOp module,
                                                   llvm::StringRef entry);
  /// Reads trm.weight_table from the entry after trm-bind-weights.
  llvm::Error readWeightTable(ModuleOp module);
  /// Name of the module attribute that marks a compiled artifact: the
  /// signature, the halting policy it was compiled with and a key that ties
  /// it to the compiler and pipeline that made it.
  static constexpr llvm::StringLiteral kArtifactAttrName = "trm.artifact";
  /// The key of artifacts this build writes and accepts for a device
  /// ("cpu" or "vulkan"; `vulkan`: what the Vulkan kernels were made for).
  static std::string artifactKey(llvm::StringRef device,
                                 const VulkanCodegenOptions &vulkan = {});
  /// Marks a lowered module as an artifact of this signature, policy and
  /// device.
  void writeArtifactAttr(ModuleOp lowered, llvm::StringRef policy,
                         llvm::StringRef device,
                         const VulkanCodegenOptions &vulkan = {}) const;
  /// Reads an artifact's signature, policy, device, precision and device
  /// kind; rejects artifacts of another key.
  static llvm::Expected<ModelSignature>
  fromArtifact(ModuleOp module, llvm::StringRef path, std::string &policy,
               std::string &device, VulkanCodegenOptions &vulkan);

  /// Network calls one sample makes per supervision step: T * (n + 1).
  int64_t callsPerStep() const { return hCycles * (lCycles + 1); }
};

} // namespace mlir::trm

#endif
