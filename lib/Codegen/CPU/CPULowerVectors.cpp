//===- CPULowerVectors.cpp - n-D vector ops to what LLVM lowers well ------===//
#include "trm/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMCPULOWERVECTORS
#include "trm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {

/// The AVX512-BF16 pair dot product's f32 lanes.
constexpr int64_t kDotLanes = 16;

/// A contraction acc[m, n] += sum_p lhs[m, p] * rhs[n, p] over bf16 pairs
/// (p spans 2, the innermost dimension of both operands; every other
/// dimension but one m and one n spans 1, n a multiple of 16) as
/// x86vector.avx512.dot: per row m, the pair lhs[m, :] broadcast to every
/// lane, dotted with 16 consecutive pairs of rhs into 16 accumulators.
struct ContractBF16PairsToDot : OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &rewriter) const override {
    auto accType = dyn_cast<VectorType>(op.getAccType());
    if (op.getKind() != vector::CombiningKind::ADD || !accType ||
        !accType.getElementType().isF32() ||
        !op.getLhsType().getElementType().isBF16() ||
        !op.getRhsType().getElementType().isBF16())
      return rewriter.notifyMatchFailure(op, "not a bf16 x bf16 -> f32 sum");
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    if (!llvm::all_of(maps, [](AffineMap m) { return m.isProjectedPermutation(); }))
      return failure();
    const unsigned numDims = maps[0].getNumDims();
    SmallVector<int64_t> size(numDims, 1);
    auto record = [&](AffineMap map, VectorType type) {
      for (auto [i, e] : llvm::enumerate(map.getResults()))
        size[cast<AffineDimExpr>(e).getPosition()] = type.getDimSize(i);
    };
    record(maps[0], op.getLhsType());
    record(maps[1], op.getRhsType());
    record(maps[2], accType);
    // Dimensions that span more than 1, in each operand's order.
    auto wide = [&](AffineMap map) {
      SmallVector<unsigned> dims;
      for (AffineExpr e : map.getResults())
        if (unsigned d = cast<AffineDimExpr>(e).getPosition(); size[d] != 1)
          dims.push_back(d);
      return dims;
    };
    SmallVector<unsigned> lhsDims = wide(maps[0]), rhsDims = wide(maps[1]),
                          accDims = wide(maps[2]);
    auto iterators = op.getIteratorTypesArray();
    // lhs [m?, p], rhs [n, p], acc [m?, n]: p a reduction over a pair.
    if (lhsDims.empty() || rhsDims.size() != 2 ||
        lhsDims.back() != rhsDims.back() || size[lhsDims.back()] != 2 ||
        iterators[lhsDims.back()] != vector::IteratorType::reduction ||
        lhsDims.size() > 2)
      return rewriter.notifyMatchFailure(op, "not [m, pair] x [n, pair]");
    const unsigned n = rhsDims.front();
    std::optional<unsigned> m;
    if (lhsDims.size() == 2)
      m = lhsDims.front();
    SmallVector<unsigned> wantAcc;
    if (m)
      wantAcc.push_back(*m);
    wantAcc.push_back(n);
    if (accDims != wantAcc || size[n] % kDotLanes != 0)
      return rewriter.notifyMatchFailure(op, "not acc [m, n], n % 16 == 0");
    const int64_t rows = m ? size[*m] : 1, cols = size[n];

    Location loc = op.getLoc();
    Type bf16 = rewriter.getBF16Type(), f32 = rewriter.getF32Type();
    Type i32 = rewriter.getI32Type();
    Value lhs = vector::ShapeCastOp::create(
        rewriter, loc, VectorType::get({rows, 2}, bf16), op.getLhs());
    Value rhs = vector::ShapeCastOp::create(
        rewriter, loc, VectorType::get({2 * cols}, bf16), op.getRhs());
    Value acc = vector::ShapeCastOp::create(
        rewriter, loc, VectorType::get({rows, cols}, f32), op.getAcc());
    auto pairsType = VectorType::get({2 * kDotLanes}, bf16);
    // Split as 32-bit words (a pair each): LLVM splits a wide i32 vector
    // into registers, but shuffles the halves of a bf16 one together.
    Value rhsWords = vector::BitCastOp::create(
        rewriter, loc, VectorType::get({cols}, i32), rhs);
    SmallVector<Value> rhsPairs;
    for (int64_t c = 0; c < cols; c += kDotLanes)
      rhsPairs.push_back(vector::BitCastOp::create(
          rewriter, loc, pairsType,
          vector::ExtractStridedSliceOp::create(
              rewriter, loc, rhsWords, ArrayRef<int64_t>{c},
              ArrayRef<int64_t>{kDotLanes}, ArrayRef<int64_t>{1})));
    Value result = acc;
    for (int64_t r = 0; r < rows; ++r) {
      // The pair as one 32-bit lane, broadcast to all of them.
      Value pair = vector::ExtractOp::create(rewriter, loc, lhs, r);
      Value asWord = vector::BitCastOp::create(
          rewriter, loc, VectorType::get({1}, i32), pair);
      Value word = vector::ExtractOp::create(rewriter, loc, asWord, 0);
      Value lanes = vector::BroadcastOp::create(
          rewriter, loc, VectorType::get({kDotLanes}, i32), word);
      Value lhsPairs =
          vector::BitCastOp::create(rewriter, loc, pairsType, lanes);
      Value row = vector::ExtractOp::create(rewriter, loc, acc, r);
      for (auto [c, rhsChunk] : llvm::enumerate(rhsPairs)) {
        const int64_t offset = static_cast<int64_t>(c) * kDotLanes;
        Value sums = vector::ExtractStridedSliceOp::create(
            rewriter, loc, row, ArrayRef<int64_t>{offset},
            ArrayRef<int64_t>{kDotLanes}, ArrayRef<int64_t>{1});
        Value dot = x86vector::DotBF16Op::create(
            rewriter, loc, sums.getType(), sums, lhsPairs, rhsChunk);
        row = vector::InsertStridedSliceOp::create(
            rewriter, loc, dot, row, ArrayRef<int64_t>{offset},
            ArrayRef<int64_t>{1});
      }
      result = vector::InsertOp::create(rewriter, loc, row, result, r);
    }
    rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(op, accType, result);
    return success();
  }
};

/// A contraction of narrower float operands than its accumulator (bf16
/// products no dot product instruction took) with its operands extended to
/// the accumulator's type: exact, since an f32 holds every bf16 and the
/// product of two.
struct WidenMixedContraction : OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &rewriter) const override {
    Type accElt = getElementTypeOrSelf(op.getAccType());
    auto widen = [&](Value v) -> Value {
      auto type = cast<VectorType>(v.getType());
      if (type.getElementType() == accElt)
        return v;
      return arith::ExtFOp::create(rewriter, op.getLoc(),
                                   type.clone(accElt), v);
    };
    if (!isa<FloatType>(accElt) ||
        (op.getLhsType().getElementType() == accElt &&
         op.getRhsType().getElementType() == accElt))
      return failure();
    Value lhs = widen(op.getLhs()), rhs = widen(op.getRhs());
    rewriter.modifyOpInPlace(op, [&] {
      op.getLhsMutable().assign(lhs);
      op.getRhsMutable().assign(rhs);
    });
    return success();
  }
};

struct LowerVectorsPass : trm::impl::TRMCPULowerVectorsBase<LowerVectorsPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // 1. Recognise mul + reduce as contractions and drop unit dimensions.
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorReductionToContractPatterns(patterns);
      vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
      vector::populateDropUnitDimWithShapeCastPatterns(patterns);
      vector::populateSinkVectorOpsPatterns(patterns);
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
    }
    // 1b. bf16 pair contractions: AVX512-BF16 dot products where the target
    // has them, else products of the operands extended to f32.
    {
      RewritePatternSet patterns(ctx);
      if (bf16DotProduct)
        patterns.add<ContractBF16PairsToDot>(ctx);
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
      RewritePatternSet widen(ctx);
      widen.add<WidenMixedContraction>(ctx);
      // Without AVX512-BF16, LLVM rounds f32 to bf16 with a libcall
      // (__truncsfbf2) that the runtime does not provide: integer
      // arithmetic instead (round to nearest even, NaN kept).
      if (!bf16DotProduct)
        arith::populateExpandBFloat16Patterns(widen);
      // A transfer of contiguous memory as one 1-D vector: a bf16 tile's
      // [32, 2] pairs are one 128-byte load, not 32 loads of one pair. After
      // the dot products, whose 1-D views of the pairs then fold away.
      vector::populateFlattenVectorTransferPatterns(widen);
      // (A unit-dimension broadcast is a shape_cast, and chains of those
      // fold.)
      vector::BroadcastOp::getCanonicalizationPatterns(widen, ctx);
      vector::ShapeCastOp::getCanonicalizationPatterns(widen, ctx);
      if (failed(applyPatternsGreedily(getOperation(), std::move(widen))))
        return signalPassFailure();
    }
    // 2. Contractions become outer products (broadcast + FMA); the remaining
    // n-D ops become 1-D ones.
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorContractLoweringPatterns(
          patterns, vector::VectorContractLowering::OuterProduct);
      vector::populateVectorOuterProductLoweringPatterns(patterns);
      vector::populateVectorMultiReductionLoweringPatterns(
          patterns, vector::VectorMultiReductionLowering::InnerReduction);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorBroadcastLoweringPatterns(patterns);
      vector::populateVectorShapeCastLoweringPatterns(patterns);
      vector::populateVectorTransposeLoweringPatterns(
          patterns, vector::VectorTransposeLowering::EltWise);
      vector::populateVectorMaskOpLoweringPatterns(patterns);
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
    }
  }
};
} // namespace
