//===- TRMToLinalg.h - trm to linalg-on-tensors patterns ----------*- C++ -*-===//
#ifndef TRM_CONVERSION_TRMTOLINALG_TRMTOLINALG_H
#define TRM_CONVERSION_TRMTOLINALG_TRMTOLINALG_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::trm {
/// Name of the function attribute listing the packed parameters, each a
/// dictionary {key, offset, shape}; offsets and sizes count f32 elements.
inline constexpr llvm::StringLiteral kWeightTableAttrName = "trm.weight_table";

/// Patterns lowering every trm op except trm.weight (see trm-bind-weights)
/// to linalg/tensor/arith/math/scf on tensors.
/// `compactHalted`, `subBatches`, `attentionPerSample`: see the
/// convert-trm-to-linalg pass options.
void populateTRMToLinalgConversionPatterns(RewritePatternSet &patterns,
                                           bool compactHalted = true,
                                           int64_t subBatches = 2,
                                           bool attentionPerSample = false);
} // namespace mlir::trm

#endif
