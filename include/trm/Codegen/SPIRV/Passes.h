//===- Passes.h - SPIR-V passes ---------------------------------*- C++ -*-===//
#ifndef TRM_CODEGEN_SPIRV_PASSES_H
#define TRM_CODEGEN_SPIRV_PASSES_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir::trm {
#define GEN_PASS_DECL
#include "trm/Codegen/SPIRV/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trm/Codegen/SPIRV/Passes.h.inc"
} // namespace mlir::trm

#endif // TRM_CODEGEN_SPIRV_PASSES_H
