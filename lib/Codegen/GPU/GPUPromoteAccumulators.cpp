//===- GPUPromoteAccumulators.cpp - reduction accumulators in registers ---===//
//
// Loops from linalg reductions read and write the output element on every
// iteration (C[i,j] += A[i,k] * B[k,j] loads and stores C[i,j] for each k).
// In a kernel the compiler below cannot keep C[i,j] in a register, because
// storage buffers may alias. This pass carries the element through the loop
// instead: one load before, one store after.
//
//===----------------------------------------------------------------------===//
#include "trm/Codegen/GPU/Passes.h"
#include "trm/Support/PassCounter.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMGPUPROMOTEACCUMULATORS
#include "trm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
/// A load and a later store of the same element of a buffer that nothing
/// else in the loop touches, at loop-invariant indices.
struct Accumulator {
  memref::LoadOp load;
  memref::StoreOp store;
};

std::optional<Accumulator> findAccumulator(scf::ForOp loop) {
  for (Operation &op : loop.getBody()->without_terminator()) {
    auto load = dyn_cast<memref::LoadOp>(op);
    if (!load)
      continue;
    Value buffer = load.getMemRef();
    if (!loop.isDefinedOutsideOfLoop(buffer) ||
        !llvm::all_of(load.getIndices(), [&](Value i) {
          return loop.isDefinedOutsideOfLoop(i);
        }))
      continue;
    memref::StoreOp store;
    bool other = false;
    for (Operation *user : buffer.getUsers()) {
      if (!loop->isProperAncestor(user) || user == load)
        continue;
      auto s = dyn_cast<memref::StoreOp>(user);
      if (s && !store && s->getBlock() == loop.getBody() &&
          load->isBeforeInBlock(s) && s.getIndices() == load.getIndices())
        store = s;
      else
        other = true;
    }
    if (store && !other)
      return Accumulator{load, store};
  }
  return std::nullopt;
}

struct GPUPromoteAccumulatorsPass
    : trm::impl::TRMGPUPromoteAccumulatorsBase<GPUPromoteAccumulatorsPass> {
  trm::PassCounter numPromoted{this,
      "promoted", "Accumulators carried in registers"};

  void runOnOperation() override {
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) { loops.push_back(loop); });
    IRRewriter rewriter(&getContext());
    for (scf::ForOp loop : loops) {
      while (std::optional<Accumulator> acc = findAccumulator(loop)) {
        memref::LoadOp load = acc->load;
        memref::StoreOp store = acc->store;
        rewriter.setInsertionPoint(loop);
        auto initial = memref::LoadOp::create(rewriter, load.getLoc(),
                                              load.getMemRef(),
                                              load.getIndices());
        Value stored = store.getValueToStore();
        FailureOr<LoopLikeOpInterface> replaced =
            loop.replaceWithAdditionalYields(
                rewriter, initial.getResult(),
                /*replaceInitOperandUsesInLoop=*/false,
                [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                  return SmallVector<Value>{stored};
                });
        if (failed(replaced))
          return signalPassFailure();
        loop = cast<scf::ForOp>(replaced->getOperation());
        rewriter.replaceOp(load, loop.getRegionIterArgs().back());
        rewriter.setInsertionPointAfter(loop);
        memref::StoreOp::create(rewriter, store.getLoc(),
                                loop.getResults().back(), store.getMemRef(),
                                store.getIndices());
        rewriter.eraseOp(store);
        ++numPromoted;
      }
    }
  }
};
} // namespace
