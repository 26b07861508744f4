//===- GPUForwardStateCopies.cpp - the network writes the state itself ----===//
//
// The recursion keeps z_H and z_L in two buffers and, after each network
// call, copies the call's result into the one it replaces:
//
//   scf.parallel (..) { y = ..; store y, out[..] }         // the last op
//   scf.if %updates_h { copy out -> z_H } else { copy out -> z_L }
//
// On a GPU the copy is a kernel of its own that reads back what the one
// before has just written. Here the last op also stores each element
// into the state buffer (`arith.select` of the two), and the copy goes.
// `out` keeps its own stores, so nothing needs to know whether it is read
// later.
//
//===----------------------------------------------------------------------===//
#include "trm/Codegen/GPU/Passes.h"
#include "trm/Support/PassCounter.h"
#include "trm/Codegen/Common/Utils.h"
#include "trm/Codegen/GPU/Utils.h"

#include "mlir/IR/Dominance.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMGPUFORWARDSTATECOPIES
#include "trm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
/// `scf.parallel (ivs) = (0..) to (shape) { store (load src[ivs]), dst[ivs] }`
/// over the whole of `src`: returns dst.
Value copyDestination(Block &block, Value &src) {
  if (block.getOperations().size() != 2)
    return {};
  auto loop = dyn_cast<scf::ParallelOp>(block.front());
  if (!loop || !loop.getInitVals().empty())
    return {};
  std::optional<SmallVector<int64_t>> counts =
      trm::staticTripCounts(loop, /*normalized=*/true);
  Block *body = loop.getBody();
  if (!counts || body->getOperations().size() != 3)
    return {};
  auto load = dyn_cast<memref::LoadOp>(body->front());
  auto store = dyn_cast<memref::StoreOp>(load->getNextNode());
  if (!load || !store || store.getValueToStore() != load.getResult() ||
      !llvm::equal(load.getIndices(), loop.getInductionVars()) ||
      !llvm::equal(store.getIndices(), loop.getInductionVars()) ||
      load.getMemRefType().getShape() != ArrayRef<int64_t>(*counts) ||
      store.getMemRefType() != load.getMemRefType() ||
      !loop.isDefinedOutsideOfLoop(load.getMemRef()) ||
      !loop.isDefinedOutsideOfLoop(store.getMemRef()))
    return {};
  src = load.getMemRef();
  return store.getMemRef();
}

/// Whether `v` views an argument of the function: memory that cannot be
/// any the function allocated.
bool isFunctionArgument(Value v) {
  auto arg = dyn_cast<BlockArgument>(trm::viewRoot(v));
  return arg && isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
}

/// The chain of view ops from `root` to `v` (outermost first), if `v` is
/// `root` seen through collapse_shape and expand_shape ops only.
std::optional<SmallVector<Operation *>> viewChain(Value v, Value root) {
  SmallVector<Operation *> chain;
  while (v != root) {
    Operation *def = v.getDefiningOp();
    if (!def || !isa<memref::CollapseShapeOp, memref::ExpandShapeOp>(def))
      return std::nullopt;
    chain.push_back(def);
    v = def->getOperand(0);
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

struct GPUForwardStateCopiesPass
    : trm::impl::TRMGPUForwardStateCopiesBase<GPUForwardStateCopiesPass> {
  trm::PassCounter numForwarded{this, "forwarded", "State copies forwarded"};

  void runOnOperation() override {
    SmallVector<scf::IfOp> copies;
    getOperation().walk([&](scf::IfOp ifOp) {
      if (ifOp.getNumResults() == 0 && ifOp.elseBlock())
        copies.push_back(ifOp);
    });
    IRRewriter rewriter(&getContext());
    DominanceInfo dominance(getOperation());
    for (scf::IfOp ifOp : copies)
      if (succeeded(forward(ifOp, dominance, rewriter)))
        ++numForwarded;
  }

  LogicalResult forward(scf::IfOp ifOp, DominanceInfo &dominance,
                        RewriterBase &rewriter) {
    Value src, elseSrc;
    Value thenDst = copyDestination(*ifOp.thenBlock(), src);
    Value elseDst = copyDestination(*ifOp.elseBlock(), elseSrc);
    if (!thenDst || !elseDst || src != elseSrc ||
        thenDst.getType() != elseDst.getType())
      return failure();
    // The op right before writes all of `src` at its own indices, through
    // views of it, and reads neither state buffer.
    auto writer = dyn_cast_or_null<scf::ParallelOp>(ifOp->getPrevNode());
    if (!writer || !writer.getInitVals().empty())
      return failure();
    std::optional<SmallVector<int64_t>> counts =
        trm::staticTripCounts(writer, /*normalized=*/true);
    // `src` and both state buffers must be allocations, so that their roots
    // tell what else may touch them.
    SmallPtrSet<Operation *, 4> srcRoots, stateRoots, readRoots, writtenRoots;
    if (!counts || !trm::allocationRoots(src, srcRoots) ||
        !trm::allocationRoots(thenDst, stateRoots) ||
        !trm::allocationRoots(elseDst, stateRoots))
      return failure();
    memref::StoreOp srcStore;
    bool ok = true;
    writer.getBody()->walk([&](Operation *op) {
      if (auto load = dyn_cast<memref::LoadOp>(op)) {
        if (!isFunctionArgument(load.getMemRef()) &&
            !trm::allocationRoots(load.getMemRef(), readRoots))
          ok = false;
      } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
        if (trm::viewRoot(store.getMemRef()) != trm::viewRoot(src)) {
          // Another store into a state buffer could land after the added one.
          if (!isFunctionArgument(store.getMemRef()) &&
              !trm::allocationRoots(store.getMemRef(), writtenRoots))
            ok = false;
          return;
        }
        if (srcStore || store->getParentOp() != writer)
          ok = false;
        srcStore = store;
      } else if (isa<scf::ParallelOp, scf::ForOp>(op) && op != writer) {
        ok = false;
      }
    });
    auto touchesState = [&](const SmallPtrSetImpl<Operation *> &roots) {
      return llvm::any_of(roots,
                          [&](Operation *r) { return stateRoots.contains(r); });
    };
    if (!ok || !srcStore || touchesState(readRoots) ||
        touchesState(writtenRoots) ||
        !llvm::equal(srcStore.getIndices(), writer.getInductionVars()) ||
        srcStore.getMemRefType().getShape() != ArrayRef<int64_t>(*counts) ||
        !dominance.properlyDominates(ifOp.getCondition(), writer))
      return failure();
    std::optional<SmallVector<Operation *>> chain =
        viewChain(srcStore.getMemRef(), src);
    if (!chain)
      return failure();

    // The state buffer, seen the way the writer sees `src`, built as early
    // as its operands allow: the loop fusions after this pass pair only
    // adjacent loops.
    Block *block = writer->getBlock();
    Operation *lastOperand = nullptr;
    for (Value v : {Value(ifOp.getCondition()), thenDst, elseDst}) {
      Operation *def = v.getDefiningOp();
      if (def && def->getBlock() == block &&
          (!lastOperand || lastOperand->isBeforeInBlock(def)))
        lastOperand = def;
    }
    if (lastOperand)
      rewriter.setInsertionPointAfter(lastOperand);
    else
      rewriter.setInsertionPointToStart(block);
    Value state = arith::SelectOp::create(rewriter, ifOp.getLoc(),
                                          ifOp.getCondition(), thenDst,
                                          elseDst);
    for (Operation *view : *chain) {
      IRMapping mapping;
      mapping.map(view->getOperand(0), state);
      state = rewriter.clone(*view, mapping)->getResult(0);
    }
    rewriter.setInsertionPointAfter(srcStore);
    memref::StoreOp::create(rewriter, srcStore.getLoc(),
                            srcStore.getValueToStore(), state,
                            srcStore.getIndices());
    rewriter.eraseOp(ifOp);
    return success();
  }
};
} // namespace
