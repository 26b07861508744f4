//===- Utils.h - helpers shared by the CPU codegen passes ---------*- C++ -*-===//
#ifndef TRM_CODEGEN_UTILS_H
#define TRM_CODEGEN_UTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::trm {
/// True when the op's body reads a tensor at computed indices (a gather, e.g.
/// the embedding lookup). Such ops stay scalar loops.
bool hasGather(linalg::LinalgOp op);
} // namespace mlir::trm

#endif
