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
/// `op` as a linalg.contract when it is a linalg.generic contraction whose
/// body multiplies and adds in its one element type (what linalg.contract
/// computes): the vectorizer turns named contractions into vector.contract,
/// whose outer products become FMAs, where a generic becomes a multiply and
/// a reduction LLVM does not fuse.
linalg::LinalgOp asNamedContraction(RewriterBase &rewriter,
                                    linalg::LinalgOp op) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || !linalg::isaContractionOpInterface(op) ||
      generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1)
    return op;
  if (!trm::hasOneElementType(op))
    return op;
  // Exactly yield(acc + in0 * in1), in either operand order, no fast-math
  // flags (linalg.contract has none).
  Block &body = generic.getRegion().front();
  if (body.getOperations().size() != 3)
    return op;
  auto mul = dyn_cast<arith::MulFOp>(body.front());
  auto add = dyn_cast<arith::AddFOp>(*std::next(body.begin()));
  if (!mul || !add || body.getTerminator()->getOperand(0) != add.getResult() ||
      mul.getFastmath() != arith::FastMathFlags::none ||
      add.getFastmath() != arith::FastMathFlags::none)
    return op;
  auto is = [](Value x, Value y, Value p, Value q) {
    return (x == p && y == q) || (x == q && y == p);
  };
  if (!is(mul.getLhs(), mul.getRhs(), body.getArgument(0),
          body.getArgument(1)) ||
      !is(add.getLhs(), add.getRhs(), body.getArgument(2), mul.getResult()))
    return op;
  rewriter.setInsertionPoint(generic);
  auto contract = linalg::ContractOp::create(
      rewriter, generic.getLoc(), generic->getResultTypes(),
      generic.getDpsInputs(), generic.getDpsInits(),
      generic.getIndexingMaps());
  rewriter.replaceOp(generic, contract->getResults());
  return contract;
}

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
      // Contractions go straight to vector.contract, which lowers to outer
      // products (broadcast + FMA) instead of generic broadcasts.
      bool contraction = linalg::isaContractionOpInterface(op);
      if (contraction)
        op = asNamedContraction(rewriter, op);
      rewriter.setInsertionPoint(op);
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
