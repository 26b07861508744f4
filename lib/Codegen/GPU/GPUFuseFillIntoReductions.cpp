//===- GPUFuseFillIntoReductions.cpp - initial values from fills ----------===//
//
// A reduction (matmul, row sum) whose output was just filled with a
// constant costs two kernels: the fill and the reduction that reads the
// constant back as its initial value. After its accumulator is carried in a
// register (trm-gpu-promote-accumulators), the reduction loads the output
// element once before its loop; this pass replaces that load by the fill's
// value and drops the fill.
//
//===----------------------------------------------------------------------===//
#include "trm/Codegen/GPU/Passes.h"
#include "trm/Support/PassCounter.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMGPUFUSEFILLINTOREDUCTIONS
#include "trm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
/// The root allocation of a view chain of whole-buffer reshapes with
/// identity layouts (views that alias every element in order), or nothing.
Value wholeBufferRoot(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity())
    return {};
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(def))
      break;
    v = def->getOperand(0);
    auto t = cast<MemRefType>(v.getType());
    if (!t.getLayout().isIdentity())
      return {};
  }
  return v;
}

/// True if `loop` has lower bounds 0, steps 1 and upper bounds equal to the
/// shape of `buffer`, and `indices` are its induction variables in order.
bool coversInOrder(scf::ParallelOp loop, Value buffer, ValueRange indices) {
  ArrayRef<int64_t> shape = cast<MemRefType>(buffer.getType()).getShape();
  if (shape.size() != loop.getNumLoops() ||
      ValueRange(loop.getInductionVars()) != indices)
    return false;
  for (auto [lb, ub, step, size] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep(),
                 shape))
    if (getConstantIntValue(lb) != 0 || getConstantIntValue(step) != 1 ||
        getConstantIntValue(ub) != size)
      return false;
  return true;
}

/// A loop that stores one loop-invariant value into every element.
std::optional<std::pair<Value, Value>> asFill(scf::ParallelOp loop) {
  Block *body = loop.getBody();
  if (body->getOperations().size() != 2 || !loop.getInitVals().empty())
    return std::nullopt;
  auto store = dyn_cast<memref::StoreOp>(body->front());
  if (!store || !loop.isDefinedOutsideOfLoop(store.getValueToStore()) ||
      !coversInOrder(loop, store.getMemRef(), store.getIndices()))
    return std::nullopt;
  Value root = wholeBufferRoot(store.getMemRef());
  if (!root)
    return std::nullopt;
  return std::make_pair(root, store.getValueToStore());
}

struct GPUFuseFillIntoReductionsPass
    : trm::impl::TRMGPUFuseFillIntoReductionsBase<
          GPUFuseFillIntoReductionsPass> {
  trm::PassCounter numFused{this, "fused", "Fills folded into reductions"};

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    getOperation()->walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>())
        loops.push_back(loop);
    });
    for (scf::ParallelOp reduction : loops) {
      // The nearest earlier op with memory effects must be the fill.
      Operation *prev = reduction->getPrevNode();
      while (prev && isMemoryEffectFree(prev))
        prev = prev->getPrevNode();
      auto fillLoop = dyn_cast_or_null<scf::ParallelOp>(prev);
      if (!fillLoop)
        continue;
      std::optional<std::pair<Value, Value>> fill = asFill(fillLoop);
      if (!fill)
        continue;
      Value root = fill->first, value = fill->second;
      // The reduction reads the buffer once per output element, at its own
      // indices, and writes every element back.
      memref::LoadOp init;
      bool otherUse = false, storesEveryElement = false;
      reduction.getBody()->walk([&](Operation *op) {
        Value buffer;
        if (auto load = dyn_cast<memref::LoadOp>(op))
          buffer = load.getMemRef();
        else if (auto store = dyn_cast<memref::StoreOp>(op))
          buffer = store.getMemRef();
        else
          return;
        if (wholeBufferRoot(buffer) != root)
          return;
        auto load = dyn_cast<memref::LoadOp>(op);
        auto store = dyn_cast<memref::StoreOp>(op);
        if (load && !init && load->getParentOp() == reduction &&
            coversInOrder(reduction, buffer, load.getIndices()))
          init = load;
        else if (store && store->getParentOp() == reduction &&
                 coversInOrder(reduction, buffer, store.getIndices()))
          storesEveryElement = true;
        else
          otherUse = true;
      });
      // Without the store, later readers would need the fill.
      if (!init || !storesEveryElement || otherUse)
        continue;
      init.replaceAllUsesWith(value);
      init.erase();
      fillLoop.erase();
      ++numFused;
    }
  }
};
} // namespace
