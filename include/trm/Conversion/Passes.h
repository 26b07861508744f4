//===- Passes.h - trm conversion passes --------------------------*- C++ -*-===//
#ifndef TRM_CONVERSION_PASSES_H
#define TRM_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "trm/Conversion/TRMToLinalg/TRMToLinalg.h"

namespace mlir::trm {
#define GEN_PASS_DECL
#include "trm/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trm/Conversion/Passes.h.inc"
} // namespace mlir::trm

#endif // TRM_CONVERSION_PASSES_H
