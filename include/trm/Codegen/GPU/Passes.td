//===- Passes.td - GPU kernel generation passes ------------*- tablegen -*-===//
//
// In the order the pipelines run them (lib/Pipelines/Pipelines.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef TRM_CODEGEN_GPU_PASSES_TD
#define TRM_CODEGEN_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def TRMGPUReductionsInnermost : Pass<"trm-gpu-reductions-innermost",
                                     "func::FuncOp"> {
  let summary = "Move the reduction loops of linalg.generic ops innermost";
  let description = [{
    A parallel loop nested below a reduction loop runs sequentially inside
    the kernel of the loops around the reduction. This pass interchanges
    the loops of every linalg.generic on buffers so that its parallel loops
    come first (in their order) and its reduction loops last: a reduction
    over a middle dimension (the mlp_t norm's sum over the sequence of a
    [B, S, D] tensor) then runs in one invocation per output element
    instead of one per batch.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def TRMGPUCollapseElementwise : Pass<"trm-gpu-collapse-elementwise",
                                     "func::FuncOp"> {
  let summary = "Element-wise ops iterate like the matmuls that feed them";
  let description = [{
    The matmuls run on [B*S, N] views, the element-wise ops that consume
    them (residual adds, norms' scaling) on [B, S, N]: two loop nests of
    different shapes, which `scf-parallel-loop-fusion` cannot fuse. This
    pass merges all leading loops of an all-parallel linalg.generic on
    buffers into one (`linalg::collapseOpIterationDims`, views through
    memref.collapse_shape) wherever every operand's merged dimensions are
    contiguous, so such an epilogue becomes a [B*S, N] loop that fuses into
    its matmul's kernel: one launch and one pass over memory fewer.

    Reductions over the innermost loop alone (RMS norm's sum of squares,
    softmax's max and sum) collapse the same way, onto the [rows, n] and
    [rows] views of the element-wise ops that consume their result, for
    trm-gpu-fuse-reductions.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def TRMGPUPromoteAccumulators : Pass<"trm-gpu-promote-accumulators"> {
  let summary = "Carry reduction accumulators through loops in registers";
  let description = [{
    A loop that loads an element of a buffer at loop-invariant indices and
    later stores that element again, with no other access to the buffer in
    the loop (the output of a linalg reduction lowered to loops), carries
    the value as a loop iteration argument instead: one load before the
    loop, one store after. Inside a kernel the downstream compiler cannot do
    this itself, because storage buffers may alias.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def TRMGPUFuseFillIntoReductions : Pass<"trm-gpu-fuse-fill-into-reductions"> {
  let summary = "Start reductions from the constant their output was filled with";
  let description = [{
    On parallel loops: a loop that stores one invariant value into every
    element of a buffer, directly followed (ops without memory effects
    aside) by a loop over the same elements that loads each element once as
    the initial value of its reduction and stores it back, is folded into
    the second loop: the load becomes the value and the fill loop goes. Run
    after trm-gpu-promote-accumulators, which puts that load in front of the
    reduction loop. One kernel instead of two per matmul and row reduction.
  }];
}

def TRMGPUFuseParallelLoops : Pass<"trm-gpu-fuse-parallel-loops",
                                   "func::FuncOp"> {
  let summary = "scf-parallel-loop-fusion that knows distinct buffers";
  let description = [{
    Upstream's fusion of adjacent scf.parallel loops over the same space
    (`scf::naivelyFuseParallelOps`) with a sharper aliasing rule: two
    buffers whose every root is an allocation (through views and
    `arith.select`) alias only if they share a root. The generic alias
    analysis cannot see through `arith.select`, which is how bufferization
    passes one of the recursion's two state buffers to the network, so it
    kept every epilogue that reads the state (the residual adds) out of its
    matmul's kernel. Anything else falls back to that analysis.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def TRMGPUForwardStateCopies : Pass<"trm-gpu-forward-state-copies",
                                    "func::FuncOp"> {
  let summary = "The network's last op also writes the recursion state "
                "buffer, instead of a copy kernel after it";
  let description = [{
    After each network call the recursion copies the result into the state
    buffer it replaces: `scf.if %c { copy out -> A } else { copy out -> B }`
    (whole-buffer copies). When the scf.parallel right before writes all of
    `out` (at its own indices, through collapse/expand views) and reads
    neither A nor B, it gets a second store of each element into
    `arith.select %c, A, B` (seen through the same views), and the copies
    are erased: one kernel and one pass over the state fewer per call.
    The stores to `out` stay, so whether `out` is read later does not
    matter.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def TRMGPUFuseReductions : Pass<"trm-gpu-fuse-reductions", "func::FuncOp"> {
  let summary = "A reduction and the element-wise loop that reads its result "
                "in one kernel (norms, softmax)";
  let description = [{
    An outermost scf.parallel whose body is
    `store (for k: acc = acc (+|max) f(i.., k)), result[i..]`, directly
    followed by an scf.parallel over the same dimensions plus the reduced
    one that reads `result` only at its own (i..) and writes what the
    reduction reads only in place (same view, its own indices), becomes
    one kernel. An RMS norm becomes one kernel instead of two, a softmax
    two instead of four.

    Reduced dimension innermost (a row: the norm over features, softmax):
    one gpu.launch with a workgroup of `workgroup-size` invocations per
    row. Each invocation reduces every workgroup-size-th element of the
    row, the shares are combined pairwise in workgroup memory (log2
    rounds, a barrier each; the combining ops are marked
    `trm.accumulation`), invocation 0 stores the total to `result`, and
    the invocations then compute the row's element-wise results with the
    total in a register. The reduction's initial value must be the
    identity of its combining op (0 for a sum, -inf or the lowest float
    for a max): every share starts from it. The sum's order changes
    (strided shares, then a tree).

    Reduced dimension elsewhere (a column: the mlp_t norm over the
    sequence of [B, S, D]): each iteration of the reduction loop runs the
    consumer's loop over that dimension after its sum; the result is an
    ordinary scf.parallel over (b, d).
  }];
  let options = [
    Option<"workgroupSize", "workgroup-size", "int64_t", /*default=*/"64",
           "invocations per row (a power of two)">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::spirv::SPIRVDialect"];
}

def TRMGPUTileMatmuls : Pass<"trm-gpu-tile-matmuls", "func::FuncOp"> {
  let summary = "Workgroup tiles for matmul loops, operands staged in "
                "workgroup (shared) memory";
  let description = [{
    An outermost scf.parallel whose body is a reduction loop
    `acc = acc + A[.., i, .., k] * B[.., k, .., j]` (A not indexed by the
    innermost dimension j, B not by the second-innermost dimension i)
    followed by any epilogue becomes a gpu.launch of its own. A workgroup
    of `threads-x` x `threads-y` invocations computes a block of
    `threads-y * rows-per-invocation` rows by
    `threads-x * cols-per-invocation` columns. For every `k-tile` slice of
    the reduction the workgroup first copies the slices of A and B it needs
    into workgroup memory (consecutive invocations load consecutive
    addresses), waits at a barrier, and then each invocation updates its
    `rows x cols` accumulators from workgroup memory only: each loaded A
    element is used `cols` times and each B element `rows` times. An
    invocation's rows are `threads-y` apart and its columns `threads-x`
    apart, so the invocations of a subgroup read consecutive B elements and
    one A element.

    Edges: the rows and columns past the end are clamped to the last one
    when staging, and the epilogue of those is skipped (`scf.if`); a
    reduction slice past the end is staged as zeros. Other dimensions of
    the loop (batch, heads) go to the z workgroup id. Loops narrower or
    shorter than one block are left to trm-gpu-map-parallel-loops.
  }];
  let options = [
    Option<"threadsX", "threads-x", "int64_t", /*default=*/"16",
           "invocations of a workgroup along the columns">,
    Option<"threadsY", "threads-y", "int64_t", /*default=*/"8",
           "invocations of a workgroup along the rows">,
    Option<"rowsPerInvocation", "rows-per-invocation", "int64_t",
           /*default=*/"4", "accumulator rows of one invocation">,
    Option<"colsPerInvocation", "cols-per-invocation", "int64_t",
           /*default=*/"4", "accumulator columns of one invocation">,
    Option<"kTile", "k-tile", "int64_t", /*default=*/"16",
           "reduction steps staged in workgroup memory at a time">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::spirv::SPIRVDialect"];
}

def TRMGPUMapParallelLoops : Pass<"trm-gpu-map-parallel-loops", "func::FuncOp"> {
  let summary = "Tile outermost scf.parallel loops into workgroups and map them";
  let description = [{
    Every outermost scf.parallel (with static bounds) is tiled so that one
    workgroup of at most `workgroup-size` invocations covers its innermost
    dimensions (innermost first, up to three; power-of-two tile extents, the
    tail guarded by an scf.if), and both loops get the gpu mapping
    attributes: the innermost dimensions go to x, then y and z, for block
    ids and thread ids alike, so consecutive invocations touch consecutive
    addresses. Dimensions beyond three stay sequential loops inside the
    kernel. `convert-parallel-loops-to-gpu` then turns each loop nest into a
    gpu.launch.

    A loop with a reduction loop inside (a matmul) first gets a register
    tile: each invocation computes `rows-per-invocation` (or fewer, a power
    of two) consecutive rows of the innermost dimension but one that the
    count divides, in a sequential loop marked `trm.register_tile` for
    trm-gpu-unroll-jam-register-tiles. If no count divides (97 rows: a
    Sudoku batch of one), the second-innermost dimension is tiled anyway.
    The last group's rows past the end are clamped to the last row, so
    their loads stay in bounds, and their stores are skipped (`scf.if`), so
    nothing is written twice.
  }];
  let options = [
    Option<"workgroupSize", "workgroup-size", "int64_t", /*default=*/"64",
           "invocations per workgroup (a power of two)">,
    Option<"rowsPerInvocation", "rows-per-invocation", "int64_t",
           /*default=*/"4",
           "rows of the second-innermost dimension one invocation computes "
           "in loops with a reduction inside (1: one output per invocation)">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::scf::SCFDialect"];
}

def TRMGPUSinkViews : Pass<"trm-gpu-sink-views", "func::FuncOp"> {
  let summary = "Sink memref views and constants into gpu.launch bodies";
  let description = [{
    Kernel arguments must be whole buffers: a Vulkan storage buffer is bound
    at its start, and the SPIR-V ABI has no strided descriptors. Views
    (subview, cast, reinterpret_cast, and expand/collapse_shape with a
    strided result) and constants used inside a gpu.launch are cloned into
    it, so outlining passes the
    underlying allocation and `fold-memref-alias-ops` turns the view into
    index arithmetic in the kernel. An index value from the host crosses
    as i32 (the kernel's index width) and is widened inside.
  }];
}

def TRMGPUUnrollJamRegisterTiles : Pass<"trm-gpu-unroll-jam-register-tiles"> {
  let summary = "Unroll-and-jam the rows one invocation computes";
  let description = [{
    Every scf.for marked `trm.register_tile` (by trm-gpu-map-parallel-loops)
    with a static trip count is unrolled by that count and jammed into the
    loops it contains, so the reduction loop updates all rows' accumulators
    per step and loads the shared operand once (after CSE). Run after
    trm-gpu-promote-accumulators and canonicalize.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def TRMGPUF16Arithmetic : Pass<"trm-gpu-f16-arithmetic", "gpu::GPUModuleOp"> {
  let summary = "Kernel arithmetic in f16, sums accumulated in f32";
  let description = [{
    The `--vulkan-f16` option of trm-run. Inside every kernel, f32
    arithmetic (`arith` add, sub, mul, div, neg, min/max, compare, select)
    is rebuilt on f16 operands (`arith.truncf` before, `arith.extf` after;
    canonicalization then drops the pairs between consecutive f16 ops).
    Buffers stay f32 (no 16-bit storage capability needed), and so do math
    functions (exp, rsqrt: few per element, and f32 keeps softmax and the
    norms accurate). One more exception keeps the error of long reductions
    down: an `arith.addf` with a loop-carried operand (a reduction's
    accumulator: matmul, norm and softmax sums) stays f32, and so does one
    marked `trm.accumulation` (a sum of partial sums, from
    trm-gpu-fuse-reductions), so products are f16 and sums f32, like
    tensor cores do. The SPIR-V target then needs
    the Float16 capability and the device the shaderFloat16 feature, which
    trm-run queries rather than assumes.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def TRMGPUAssignMemory : Pass<"trm-gpu-assign-memory", "ModuleOp"> {
  let summary = "Put kernel buffers in device memory; fence host accesses";
  let description = [{
    Runs on the host side after kernel outlining. Buffers are grouped into
    alias classes (views, loop-carried and branch values, calls). A class
    that reaches a gpu.launch_func operand lives in device memory: its
    memref.alloc ops become `gpu.alloc` (device memory the host never maps)
    or, where the host also reads or writes the class, `gpu.alloc
    host_shared`; its deallocs become a call to `trmGpuFree`. Every host operation that reads or writes such a
    buffer (the halting decision, for instance) is preceded by a call to
    `trmGpuFence`, which waits for the kernels queued so far; kernel launches
    themselves queue without waiting. Host-only buffers (the bookkeeping of
    the ownership-based deallocation) stay in host memory.

    Kernels take buffers only: a 32-bit scalar kernel operand (a loop
    counter) is passed in a one-element device buffer that the runtime
    fills in stream order (`trmGpuWriteWord`), and the kernel loads it.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect"];
}

def TRMGPUNameKernels : Pass<"trm-gpu-name-kernels", "ModuleOp"> {
  let summary = "Name each outlined kernel after the trm op it came from";
  let description = [{
    After gpu-kernel-outlining every kernel is `@<func>_kernel` in its own
    gpu.module. This pass renames each kernel after the trm op its launch's
    location names (trm-name-locations), with the op's source line when the
    location has one: `trm_attention_l14`. The name becomes the SPIR-V
    entry point, which the Vulkan runtime receives and prints in
    `--vulkan-profile` rows. Kernels whose location names no trm op keep
    their name.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // TRM_CODEGEN_GPU_PASSES_TD
