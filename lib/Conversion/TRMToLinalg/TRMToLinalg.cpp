//===- TRMToLinalg.cpp - lower trm to linalg/tensor/scf on tensors --------===//
//
// Structure: the halting loop becomes an scf.while over supervision steps
// (Halting.cpp, Compaction.cpp), the deep recursion an scf.for over its
// T*(n+1) network calls around one copy of the network body
// (Recursion.cpp); the network's pieces become linalg.matmul (weights are
// stored [out, in], hence transposed-B maps), contractions and element-wise
// linalg.generic ops (NetworkOps.cpp, Attention.cpp). All arithmetic is f32;
// reductions (norms, softmax) accumulate in f32 like the reference.
//
// The conversion visits ops in pre-order: the act and the recursion are
// lowered before the ops of their regions, which they clone, and the
// clones are converted in turn. The ConversionTarget makes "no trm op is
// left" the pass's guarantee.
//
//===----------------------------------------------------------------------===//
#include "Patterns.h"

#include "trm/Conversion/Passes.h"
#include "trm/Conversion/TRMToLinalg/TRMToLinalg.h"
#include "trm/Dialect/TRM/IR/TRMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::trm {
#define GEN_PASS_DEF_CONVERTTRMTOLINALG
#include "trm/Conversion/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;
using namespace mlir::trm;

namespace {
struct ConvertTRMToLinalgPass
    : trm::impl::ConvertTRMToLinalgBase<ConvertTRMToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    // trm-bind-weights turns weights into slices of the packed buffer; one
    // left means it did not run, which deserves its own message.
    WalkResult unbound = getOperation().walk([](WeightOp op) {
      op.emitOpError("is not bound: run trm-bind-weights first");
      return WalkResult::interrupt();
    });
    if (unbound.wasInterrupted())
      return signalPassFailure();

    ConversionTarget target(getContext());
    target.addIllegalDialect<TRMDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    RewritePatternSet patterns(&getContext());
    populateTRMToLinalgConversionPatterns(patterns, compactHalted, subBatches,
                                          attentionPerSample);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
    // The patterns make their constants where they need them; folding
    // (with no patterns) deduplicates them and hoists them to the function
    // entry, so the output is as small as the greedy lowering's was.
    GreedyRewriteConfig config;
    config.setUseTopDownTraversal(true);
    if (failed(applyPatternsGreedily(getOperation(),
                                     FrozenRewritePatternSet(), config)))
      signalPassFailure();
  }
};
} // namespace

void mlir::trm::populateTRMToLinalgConversionPatterns(
    RewritePatternSet &patterns, bool compactHalted, int64_t subBatches,
    bool attentionPerSample) {
  lowering::populateNetworkOpPatterns(patterns);
  lowering::populateAttentionPatterns(patterns, attentionPerSample);
  lowering::populateRecursionPatterns(patterns);
  lowering::populateHaltingPatterns(patterns, compactHalted, subBatches);
}
