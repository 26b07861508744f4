//===- GPUFuseParallelLoops.cpp - fuse loops, knowing which buffers differ -===//
#include "trm/Codegen/GPU/Passes.h"
#include "trm/Codegen/GPU/Utils.h"

#include "mlir/Analysis/AliasAnalysis.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMGPUFUSEPARALLELLOOPS
#include "trm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
struct GPUFuseParallelLoopsPass
    : trm::impl::TRMGPUFuseParallelLoopsBase<GPUFuseParallelLoopsPass> {
  void runOnOperation() override {
    AliasAnalysis &aliasAnalysis = getAnalysis<AliasAnalysis>();
    auto mayAlias = [&](Value a, Value b) -> bool {
      SmallPtrSet<Operation *, 4> rootsA, rootsB;
      if (trm::allocationRoots(a, rootsA) && trm::allocationRoots(b, rootsB))
        return llvm::any_of(rootsA,
                            [&](Operation *r) { return rootsB.contains(r); });
      return !aliasAnalysis.alias(a, b).isNo();
    };
    getOperation()->walk([&](Operation *op) {
      for (Region &region : op->getRegions())
        scf::naivelyFuseParallelOps(region, mayAlias);
    });
  }
};
} // namespace
