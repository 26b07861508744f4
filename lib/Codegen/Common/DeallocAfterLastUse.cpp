//===- DeallocAfterLastUse.cpp - free buffers as soon as they are dead ----===//
#include "trm/Codegen/Common/Passes.h"
#include "trm/Support/PassCounter.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMDEALLOCAFTERLASTUSE
#include "trm/Codegen/Common/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
/// The op of `block` after which nothing uses `alloc` or a view of it
/// (`dealloc` aside), or nullptr when a use might let the buffer escape.
Operation *lastUseInBlock(memref::AllocOp alloc, memref::DeallocOp dealloc,
                          Block *block) {
  Operation *last = alloc;
  SmallVector<Value> worklist = {alloc.getResult()};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (user == dealloc.getOperation())
        continue;
      if (isa<memref::DeallocOp>(user) || user->hasTrait<OpTrait::IsTerminator>())
        return nullptr;
      auto view = dyn_cast<ViewLikeOpInterface>(user);
      if (view && view.getViewSource() == value) {
        for (Value result : user->getResults())
          worklist.push_back(result);
      } else if (llvm::any_of(user->getResultTypes(),
                              llvm::IsaPred<BaseMemRefType>)) {
        return nullptr; // may alias the buffer in a way not followed here
      }
      Operation *ancestor = block->findAncestorOpInBlock(*user);
      if (!ancestor)
        return nullptr;
      if (last->isBeforeInBlock(ancestor))
        last = ancestor;
    }
  }
  return last;
}

struct DeallocAfterLastUsePass
    : trm::impl::TRMDeallocAfterLastUseBase<DeallocAfterLastUsePass> {
  trm::PassCounter numMoved{this, "deallocs-moved",
                            "Deallocations moved up to a buffer's last use"};

  void runOnOperation() override {
    SmallVector<memref::DeallocOp> deallocs;
    getOperation().walk([&](memref::DeallocOp d) { deallocs.push_back(d); });
    for (memref::DeallocOp dealloc : deallocs) {
      auto alloc = dealloc.getMemref().getDefiningOp<memref::AllocOp>();
      if (!alloc || alloc->getBlock() != dealloc->getBlock())
        continue;
      Operation *last = lastUseInBlock(alloc, dealloc, dealloc->getBlock());
      if (!last || !last->isBeforeInBlock(dealloc) ||
          last->getNextNode() == dealloc.getOperation())
        continue;
      dealloc->moveAfter(last);
      ++numMoved;
    }
  }
};
} // namespace
