//===- Utils.h - helpers of every backend's passes --------------*- C++ -*-===//
#ifndef TRM_CODEGEN_COMMON_UTILS_H
#define TRM_CODEGEN_COMMON_UTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::trm {
/// True when the op's body reads a tensor at computed indices (a gather, e.g.
/// the embedding lookup). Such ops stay scalar loops.
bool hasGather(linalg::LinalgOp op);

/// True when an operand or result has i1 elements. Those stay scalar: LLVM
/// stores vectors of i1 as packed bits while scalar i1 loads and stores use a
/// byte each, so mixing the two corrupts the data.
bool hasBoolOperands(linalg::LinalgOp op);

/// True when every operand and result has the same element type: then a
/// linalg.contract, which multiplies and adds in the result's type, computes
/// what a plain multiply-add contraction body does.
bool hasOneElementType(linalg::LinalgOp op);

/// The buffer a chain of views (subviews, reshapes, casts) of `v` starts
/// from: `v` itself if it is no view.
Value viewRoot(Value v);

/// The bytes a tensor or buffer of a static shape holds (an element that is
/// neither integer nor float, such as index, counted as 8 bytes);
/// std::nullopt for a dynamic shape.
std::optional<int64_t> staticByteSize(ShapedType type);

} // namespace mlir::trm

#endif // TRM_CODEGEN_COMMON_UTILS_H
