//===- Passes.td - passes both backends use ----------------*- tablegen -*-===//
//
// In the order the pipelines run them (lib/Pipelines/Pipelines.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef TRM_CODEGEN_COMMON_PASSES_TD
#define TRM_CODEGEN_COMMON_PASSES_TD

include "mlir/Pass/PassBase.td"

def TRMHoistLoopInvariants : Pass<"trm-hoist-loop-invariants"> {
  let summary = "Loop-invariant code motion that can leave large temporaries in their loop";
  let description = [{
    Upstream `loop-invariant-code-motion` (side-effect-free, speculatable
    ops whose operands are defined outside the loop leave it), except that a
    `tensor.empty` of at least `keep-bytes` bytes that an op of the loop
    fills anew at every iteration (its destination, directly or through a
    `linalg.fill`) stays in its loop, and so do the ops that initialise it.
    The destination of a loop-invariant op, such as a weight's transpose,
    leaves the loop with it. Hoisted, every temporary of the recursion
    would be allocated once per run and live for all of it: the full-size
    ARC model's attention scores alone would hold six 54 MB buffers at
    batch 2. Kept in the loop body, each is allocated and freed once per
    network call, so only one call's temporaries are live at a time (the
    CPU runtime's allocator hands the same large blocks out again). 0 keeps
    nothing in: the upstream pass.
  }];
  let options = [
    Option<"keepBytes", "keep-bytes", "int64_t", /*default=*/"0",
           "Temporaries of at least this many bytes stay in their loop (0: none)">,
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def TRMMemRefCopyToLinalg : Pass<"trm-memref-copy-to-linalg", "func::FuncOp"> {
  let summary = "Rewrite memref.copy as linalg.copy";
  let description = [{
    Bufferization copies buffers with memref.copy, which lowers to a host
    memcpy. On the GPU path every copy must become a kernel like any other
    element-wise op, so it is rewritten as linalg.copy before the linalg ops
    become parallel loops. On the CPU only strided copies are rewritten
    (`strided-only`): contiguous ones lower to memcpy, and the others would
    call MLIR's C runner utilities (memrefCopy), a library an ahead-of-time
    artifact would then depend on.
  }];
  let options = [
    Option<"stridedOnly", "strided-only", "bool", /*default=*/"false",
           "rewrite only copies whose operands are not both contiguous">,
  ];
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

def TRMHoistSmallAllocations : Pass<"trm-hoist-small-allocations", "func::FuncOp"> {
  let summary = "Move static memref.alloc ops smaller than a bound out of scf.for and scf.while loops";
  let description = [{
    Upstream `buffer-loop-hoisting`, but leaving alone buffers of at least
    `keep-bytes` bytes (those trm-hoist-loop-invariants kept in their loop
    on purpose) and never crossing a parallel loop (a buffer hoisted out of
    `scf.forall` would be shared by its threads). A buffer with a static
    shape that sits directly in the body of an `scf.for` or `scf.while`
    moves in front of the outermost such loop around it, so it is allocated
    once instead of at every iteration.
  }];
  let options = [
    Option<"keepBytes", "keep-bytes", "int64_t", /*default=*/"0",
           "Buffers of at least this many bytes stay in their loop (0: none)">,
  ];
}

def TRMDeallocAfterLastUse : Pass<"trm-dealloc-after-last-use", "func::FuncOp"> {
  let summary = "Move each buffer's memref.dealloc up to just after its last use";
  let description = [{
    The ownership-based deallocation pipeline frees a buffer at the end of
    the block that allocated it, so every temporary of a loop body (a
    network call) is live until the body ends. This pass moves a
    `memref.dealloc` of a `memref.alloc` of the same block to just after
    the last op of the block that uses the buffer or a view of it (uses in
    nested regions count as their ancestor in the block), so a buffer is
    free for the allocator to reuse as soon as nothing reads it. A buffer
    that may escape (yielded, returned, passed through an op that is not a
    view, or freed elsewhere) keeps its dealloc where it is.
  }];
}

#endif // TRM_CODEGEN_COMMON_PASSES_TD
