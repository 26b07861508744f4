//===- GPUReductionsInnermost.cpp - reduction loops inside parallel ones --===//
//
// convert-linalg-to-parallel-loops nests the loops in the op's order, and a
// parallel loop below a reduction loop cannot become invocations of their
// own: trm-gpu-map-parallel-loops runs it sequentially in the kernel. The
// mlp_t variant's norm reduces [B, S, D] over S, so its whole reduction
// ran in B invocations (one, at batch 1). With the reduction loops moved
// innermost, every (b, d) gets an invocation, and consecutive ones read
// consecutive addresses.
//
//===----------------------------------------------------------------------===//
#include "trm/Codegen/GPU/Passes.h"
#include "trm/Support/PassCounter.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMGPUREDUCTIONSINNERMOST
#include "trm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
struct GPUReductionsInnermostPass
    : trm::impl::TRMGPUReductionsInnermostBase<GPUReductionsInnermostPass> {
  trm::PassCounter numInterchanged{this,
      "interchanged", "Ops whose reduction loops were moved innermost"};

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> ops;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op.hasPureBufferSemantics())
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : ops) {
      // Parallel loops first, in their order, then the reduction loops.
      SmallVector<unsigned> parallel, reduction;
      for (auto [i, type] : llvm::enumerate(op.getIteratorTypesArray()))
        (type == utils::IteratorType::parallel ? parallel : reduction)
            .push_back(i);
      SmallVector<unsigned> order = parallel;
      order.append(reduction);
      if (llvm::equal(order, llvm::seq<unsigned>(0, order.size())))
        continue;
      rewriter.setInsertionPoint(op);
      if (succeeded(linalg::interchangeGenericOp(rewriter, op, order)))
        ++numInterchanged;
    }
  }
};
} // namespace
