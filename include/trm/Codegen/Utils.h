//===- Utils.h - helpers shared by the codegen passes -------------*- C++ -*-===//
#ifndef TRM_CODEGEN_UTILS_H
#define TRM_CODEGEN_UTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::trm {
/// True when the op's body reads a tensor at computed indices (a gather, e.g.
/// the embedding lookup). Such ops stay scalar loops.
bool hasGather(linalg::LinalgOp op);

/// True when an operand or result has i1 elements. Those stay scalar: LLVM
/// stores vectors of i1 as packed bits while scalar i1 loads and stores use a
/// byte each, so mixing the two corrupts the data.
bool hasBoolOperands(linalg::LinalgOp op);

/// The buffer a chain of views (subviews, reshapes, casts) of `v` starts
/// from: `v` itself if it is no view.
Value viewRoot(Value v);

/// A buffer type in workgroup (shared) memory, for a memref.alloc inside a
/// kernel: convert-gpu-to-spirv turns such an alloc into a Workgroup
/// variable.
MemRefType workgroupMemRefType(ArrayRef<int64_t> shape, Type elementType);

/// The allocations `v` may view: through views and arith.select (which is
/// how bufferization picks between the recursion's two state buffers).
/// Returns false if some root is not an allocation (an argument, a call
/// result, a loop-carried buffer): then nothing is known.
bool allocationRoots(Value v, SmallPtrSetImpl<Operation *> &roots);

/// The trip count of every dimension of a parallel loop with static bounds
/// and positive steps, or nothing if one is dynamic. With `normalized`, also
/// nothing unless every lower bound is 0 and every step 1 (so the induction
/// variables are the indices themselves) and no count is 0.
std::optional<SmallVector<int64_t>>
staticTripCounts(scf::ParallelOp loop, bool normalized = false);
} // namespace mlir::trm

#endif
