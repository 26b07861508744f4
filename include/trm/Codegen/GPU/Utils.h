//===- Utils.h - helpers of the GPU kernel passes ---------------*- C++ -*-===//
#ifndef TRM_CODEGEN_GPU_UTILS_H
#define TRM_CODEGEN_GPU_UTILS_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Value.h"

namespace mlir::trm {
/// A buffer type in workgroup (shared) memory, for a memref.alloc inside a
/// kernel: convert-gpu-to-spirv turns such an alloc into a Workgroup
/// variable.
MemRefType workgroupMemRefType(ArrayRef<int64_t> shape, Type elementType);

/// The trip count of every dimension of a parallel loop with static bounds
/// and positive steps, or nothing if one is dynamic. With `normalized`, also
/// nothing unless every lower bound is 0 and every step 1 (so the induction
/// variables are the indices themselves) and no count is 0.
std::optional<SmallVector<int64_t>> staticTripCounts(scf::ParallelOp loop,
                                                     bool normalized = false);

/// A gpu.launch of `grid` workgroups of `block` invocations (x, y, z) with
/// its terminator, for passes that build kernels themselves; the insertion
/// point is left at the start of its body.
gpu::LaunchOp createLaunch(OpBuilder &b, Location loc,
                           std::array<int64_t, 3> grid,
                           std::array<int64_t, 3> block);

/// The indices of the linear index `linear` in the row-major space of
/// `counts` (the innermost dimension fastest).
SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                               ArrayRef<int64_t> counts);

/// The allocations `v` may view: through views and arith.select (which is
/// how bufferization picks between the recursion's two state buffers).
/// Returns false if some root is not an allocation (an argument, a call
/// result, a loop-carried buffer): then nothing is known.
bool allocationRoots(Value v, SmallPtrSetImpl<Operation *> &roots);
} // namespace mlir::trm

#endif // TRM_CODEGEN_GPU_UTILS_H
