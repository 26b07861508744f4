//===- CPUVectorize.cpp - vectorize register-sized linalg tiles -----------===//
#include "trm/Codegen/CPU/Passes.h"
#include "trm/Support/PassCounter.h"
#include "trm/Codegen/Common/Utils.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMCPUVECTORIZE
#include "trm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
struct VectorizePass : trm::impl::TRMCPUVectorizeBase<VectorizePass> {
  using Base::Base;
  trm::PassCounter numVectorized{this, "vectorized", "Linalg tiles vectorized"};
  trm::PassCounter numScalar{this,
      "scalar", "Linalg tiles left scalar (not vectorizable)"};

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> tiles;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!op.hasPureTensorSemantics() || op.hasDynamicShape() ||
          trm::hasGather(op) || trm::hasBoolOperands(op))
        return;
      int64_t volume = 1;
      for (int64_t r : op.getStaticLoopRanges())
        volume *= r;
      if (volume <= maxVolume)
        tiles.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : tiles) {
      // A tile the vectorizer cannot express (e.g. an argmax, whose two
      // outputs are combined by a compare and selects, not by a reduction
      // kind vector.multi_reduction knows) stays a linalg op and becomes
      // scalar loops: a slower tile, never a failed compilation.
      if (failed(linalg::vectorizeOpPrecondition(op))) {
        ++numScalar;
        continue;
      }
      rewriter.setInsertionPoint(op);
      // Contractions go straight to vector.contract, which lowers to outer
      // products (broadcast + FMA) instead of generic broadcasts.
      bool contraction = linalg::isaContractionOpInterface(op);
      FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(
          rewriter, op, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
          /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
          /*assumeDynamicDimsMatchVecSizes=*/false,
          /*createNamedContraction=*/contraction);
      if (failed(vectorized)) {
        op->emitError("passed the vectorization precondition but did not "
                      "vectorize");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, vectorized->replacements);
      ++numVectorized;
    }
  }
};
} // namespace
