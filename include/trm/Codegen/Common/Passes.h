//===- Passes.h - passes both backends use ----------------------*- C++ -*-===//
#ifndef TRM_CODEGEN_COMMON_PASSES_H
#define TRM_CODEGEN_COMMON_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Pass/Pass.h"

namespace mlir::trm {
#define GEN_PASS_DECL
#include "trm/Codegen/Common/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trm/Codegen/Common/Passes.h.inc"
} // namespace mlir::trm

#endif // TRM_CODEGEN_COMMON_PASSES_H
