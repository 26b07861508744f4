//===- ModelBuilder.h - build a trm module from a configuration --*- C++ -*-===//
#ifndef TRM_BUILDER_MODELBUILDER_H
#define TRM_BUILDER_MODELBUILDER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "trm/Config/TRMConfig.h"
#include "trm/Dialect/TRM/IR/TRMOps.h"

namespace mlir::trm {

struct ModelBuildOptions {
  /// Largest batch the entry function runs at once; the runtime runs larger
  /// inputs in chunks of this size, and a chunk may hold fewer samples.
  int64_t batch = kDefaultMaxBatch;
  static constexpr int64_t kDefaultMaxBatch = 8;
  HaltingPolicy policy = HaltingPolicy::Fixed;
  std::string entryName = "trm_main";
};

/// Name of the module attribute recording the configuration the module was
/// built from (a dictionary with the reference's field names).
inline constexpr llvm::StringLiteral kConfigAttrName = "trm.config";
/// Name of the module attribute naming the weights file trm-import checked
/// the module against (the trainer's checkpoint itself, or the copy it was
/// asked to write): trm-run's weights when --weights is not given.
inline constexpr llvm::StringLiteral kWeightsFileAttrName = "trm.weights_file";

/// Builds the whole TRM inference as one function:
///   @trm_main(tokens [B,S] i32, puzzle_ids [B] i32, samples [1] i32)
///     -> (predictions [B,S] i32, logits [B,S,V] f32, q logits [B,K,2] f32,
///         steps taken [B] i32, per-step predictions [B,K,S] i32,
///         network calls executed [1] i32)
/// Only the first `samples` rows (at most B) are computed; the others are
/// left at the fill values (steps 0).
/// The configuration must pass validateConfig.
OwningOpRef<ModuleOp> buildModel(MLIRContext &context, const TRMConfig &config,
                                 const ModelBuildOptions &options);

} // namespace mlir::trm

#endif // TRM_BUILDER_MODELBUILDER_H
