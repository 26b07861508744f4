//===- FoldFillCopies.cpp - copies of constant buffers become fills -------===//
//
// Loop-invariant code motion hoists linalg.fill out of the recursion, so
// after bufferization each network call copies a zero-filled buffer into
// the accumulator of its matmul. When a buffer is written by nothing but
// one fill, a copy from it is a fill of the target; the next passes can
// then fold the fill into the reduction that follows it.
//
//===----------------------------------------------------------------------===//
#include "trm/Codegen/Common/Passes.h"
#include "trm/Support/PassCounter.h"
#include "trm/Codegen/Common/Utils.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMFOLDFILLCOPIES
#include "trm/Codegen/Common/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
/// The only op that writes the buffer `root` (through any view), if that op
/// is a linalg.fill; nothing if any use might write it otherwise or escape.
linalg::FillOp soleFill(Value root) {
  linalg::FillOp fill;
  SmallVector<Value> worklist = {root};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
        if (view.getViewSource() == v)
          for (Value r : user->getResults())
            worklist.push_back(r);
        continue;
      }
      if (isa<memref::DeallocOp, memref::ExtractStridedMetadataOp,
              memref::ExtractAlignedPointerAsIndexOp, memref::LoadOp>(user))
        continue;
      if (auto f = dyn_cast<linalg::FillOp>(user)) {
        if (fill || use.getOperandNumber() == 0)
          return {};
        fill = f;
        continue;
      }
      auto linalgOp = dyn_cast<linalg::LinalgOp>(user);
      if (linalgOp && linalgOp.isDpsInput(&use))
        continue;
      return {}; // a write, a loop-carried value or a call: unknown
    }
  }
  return fill;
}

struct FoldFillCopiesPass
    : trm::impl::TRMFoldFillCopiesBase<FoldFillCopiesPass> {
  trm::PassCounter numFolded{this, "folded", "Copies turned into fills"};

  void runOnOperation() override {
    DominanceInfo dominance(getOperation());
    SmallVector<linalg::CopyOp> copies;
    getOperation().walk([&](linalg::CopyOp op) { copies.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::CopyOp copy : copies) {
      if (!copy.hasPureBufferSemantics())
        continue;
      Value root = trm::viewRoot(copy.getInputs()[0]);
      if (!root.getDefiningOp<memref::AllocOp>())
        continue;
      linalg::FillOp fill = soleFill(root);
      // The fill must write the whole buffer before the copy reads it.
      if (!fill || !dominance.properlyDominates(fill.getOperation(), copy) ||
          cast<MemRefType>(fill.getOutputs()[0].getType()).getNumElements() !=
              cast<MemRefType>(root.getType()).getNumElements())
        continue;
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::FillOp>(
          copy, fill.getInputs()[0], copy.getOutputs()[0]);
      ++numFolded;
    }
  }
};
} // namespace
