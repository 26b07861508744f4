//===- Passes.h - GPU kernel generation passes ------------------*- C++ -*-===//
#ifndef TRM_CODEGEN_GPU_PASSES_H
#define TRM_CODEGEN_GPU_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir::trm {
/// Marks the loop over the rows one invocation computes
/// (trm-gpu-map-parallel-loops), for trm-gpu-unroll-jam-register-tiles.
inline constexpr llvm::StringLiteral kRegisterTileAttr = "trm.register_tile";
/// Marks a sum of partial sums (trm-gpu-fuse-reductions' combining
/// tree), which trm-gpu-f16-arithmetic keeps in f32 like loop-carried sums.
inline constexpr llvm::StringLiteral kAccumulationAttr = "trm.accumulation";

#define GEN_PASS_DECL
#include "trm/Codegen/GPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::trm

#endif // TRM_CODEGEN_GPU_PASSES_H
