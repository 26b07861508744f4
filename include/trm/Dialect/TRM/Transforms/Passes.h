//===- Passes.h - trm dialect transformations --------------------*- C++ -*-===//
#ifndef TRM_DIALECT_TRM_TRANSFORMS_PASSES_H
#define TRM_DIALECT_TRM_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"
#include "trm/Dialect/TRM/IR/TRMOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::trm {
#define GEN_PASS_DECL
#include "trm/Dialect/TRM/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trm/Dialect/TRM/Transforms/Passes.h.inc"
} // namespace mlir::trm

#endif // TRM_DIALECT_TRM_TRANSFORMS_PASSES_H
