//===- GPUCollapseElementwise.cpp - element-wise ops on matmul-shaped views ===//
#include "trm/Codegen/GPU/Passes.h"
#include "trm/Support/PassCounter.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMGPUCOLLAPSEELEMENTWISE
#include "trm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
/// The reassociation that merges all leading loops of an n-D op into one:
/// {0 .. n-2}, {n-1}.
SmallVector<ReassociationIndices> leadingIntoOne(unsigned rank) {
  ReassociationIndices leading;
  for (unsigned d = 0; d + 1 < rank; ++d)
    leading.push_back(d);
  return {leading, {static_cast<int64_t>(rank - 1)}};
}

/// Whether every buffer operand can be viewed with the collapsed loops'
/// dimensions merged (memref.collapse_shape needs them contiguous).
bool operandsCollapsible(linalg::GenericOp op,
                         ArrayRef<ReassociationIndices> loops) {
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      return false;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    // The operand dims that the merged loops map to, in order.
    SmallVector<ReassociationIndices> dims;
    for (const ReassociationIndices &group : loops) {
      ReassociationIndices operandDims;
      for (int64_t loop : group)
        for (unsigned r = 0; r < map.getNumResults(); ++r)
          if (map.getResult(r) == getAffineDimExpr(loop, op.getContext()))
            operandDims.push_back(r);
      if (!operandDims.empty())
        dims.push_back(operandDims);
    }
    if (dims.size() > 0 && type.getRank() > 0 &&
        !memref::CollapseShapeOp::isGuaranteedCollapsible(type, dims))
      return false;
  }
  return true;
}

/// A reduction over the innermost loop only (a norm's sum of squares, a
/// softmax's max and sum): its leading loops collapse like an element-wise
/// op's, onto the same [rows, n] views as the element-wise ops that use
/// its result, so trm-gpu-fuse-reductions can pair them.
bool isRowReduction(linalg::GenericOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  return op.getNumReductionLoops() == 1 &&
         iterators.back() == utils::IteratorType::reduction;
}

struct GPUCollapseElementwisePass
    : trm::impl::TRMGPUCollapseElementwiseBase<GPUCollapseElementwisePass> {
  trm::PassCounter numCollapsed{this,
      "collapsed", "Element-wise ops and row reductions collapsed"};

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> candidates;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op.getNumLoops() >= 3 && op.hasPureBufferSemantics() &&
          (op.getNumParallelLoops() == op.getNumLoops() || isRowReduction(op)))
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : candidates) {
      SmallVector<ReassociationIndices> loops = leadingIntoOne(op.getNumLoops());
      if (!linalg::areDimSequencesPreserved(op.getIndexingMapsArray(), loops) ||
          !operandsCollapsible(op, loops))
        continue;
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::CollapseResult> collapsed =
          linalg::collapseOpIterationDims(op, loops, rewriter);
      if (failed(collapsed))
        continue;
      rewriter.eraseOp(op);
      ++numCollapsed;
      // The views go right after their sources: scf-parallel-loop-fusion
      // fuses two loops only if the second one uses nothing defined between
      // them.
      for (Value operand : collapsed->collapsedOp->getOperands()) {
        auto view = operand.getDefiningOp<memref::CollapseShapeOp>();
        if (!view)
          continue;
        Block *block = view->getBlock();
        Operation *source = view.getSrc().getDefiningOp();
        if (source && source->getBlock() == block)
          view->moveAfter(source);
        else
          view->moveBefore(&block->front());
      }
    }
  }
};
} // namespace
