//===- Passes.td - passes both backends use ----------------*- tablegen -*-===//
//
// In the order the pipelines run them (lib/Pipelines/Pipelines.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef TRM_CODEGEN_COMMON_PASSES_TD
#define TRM_CODEGEN_COMMON_PASSES_TD

include "mlir/Pass/PassBase.td"

def TRMMemRefCopyToLinalg : Pass<"trm-memref-copy-to-linalg", "func::FuncOp"> {
  let summary = "Rewrite memref.copy as linalg.copy";
  let description = [{
    Bufferization copies buffers with memref.copy, which lowers to a host
    memcpy. On the GPU path every copy must become a kernel like any other
    element-wise op, so it is rewritten as linalg.copy before the linalg ops
    become parallel loops.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def TRMFoldFillCopies : Pass<"trm-fold-fill-copies", "func::FuncOp"> {
  let summary = "A copy from a buffer only ever filled with a constant is a fill";
  let description = [{
    On buffers: a linalg.copy whose source buffer (through any views) is
    written by exactly one linalg.fill of the whole buffer, which dominates
    the copy, and by nothing else, becomes a linalg.fill of the target with
    the same value. Loop-invariant code motion leaves such copies in front
    of every accumulator of the recursion.
  }];
}

#endif // TRM_CODEGEN_COMMON_PASSES_TD
