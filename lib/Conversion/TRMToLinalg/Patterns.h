//===- Patterns.h - the pattern groups of convert-trm-to-linalg --*- C++
//-*-===//
//
// One OpConversionPattern per trm op, grouped by file: the network's pieces
// (NetworkOps.cpp), attention (Attention.cpp), the deep recursion
// (Recursion.cpp) and the halting loop (Halting.cpp, with Compaction.cpp).
// populateTRMToLinalgConversionPatterns adds them all.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_LIB_CONVERSION_TRMTOLINALG_PATTERNS_H
#define TRM_LIB_CONVERSION_TRMTOLINALG_PATTERNS_H

#include "mlir/Transforms/DialectConversion.h"

namespace mlir::trm::lowering {
void populateNetworkOpPatterns(RewritePatternSet &patterns);
/// `perSample`: the convert-trm-to-linalg option attention-per-sample.
void populateAttentionPatterns(RewritePatternSet &patterns, bool perSample);
void populateRecursionPatterns(RewritePatternSet &patterns);
/// `compactHalted`, `subBatches`: the convert-trm-to-linalg options.
void populateHaltingPatterns(RewritePatternSet &patterns, bool compactHalted,
                             int64_t subBatches);
} // namespace mlir::trm::lowering

#endif // TRM_LIB_CONVERSION_TRMTOLINALG_PATTERNS_H
