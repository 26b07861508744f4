//===- CPUApproximateMath.cpp - SIMD polynomials for vector math ----------===//
#include "trm/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMCPUAPPROXIMATEMATH
#include "trm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
struct ApproximateMathPass
    : trm::impl::TRMCPUApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef name) { return name == math::ExpOp::getOperationName(); });
    // The patterns also match scalars; only vectors are worth it (libm's
    // scalar expf is exact to the last ulp and equally fast).
    FrozenRewritePatternSet frozen(std::move(patterns));
    SmallVector<Operation *> vectorExps;
    getOperation().walk([&](math::ExpOp op) {
      if (isa<VectorType>(op.getType()))
        vectorExps.push_back(op);
    });
    if (failed(applyOpPatternsGreedily(vectorExps, frozen)))
      return signalPassFailure();
  }
};
} // namespace
