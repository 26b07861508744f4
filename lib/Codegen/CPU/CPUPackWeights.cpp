//===- CPUPackWeights.cpp - loop-invariant matmul operands as panels ------===//
#include "trm/Codegen/CPU/Passes.h"
#include "trm/Codegen/Common/Utils.h"
#include "trm/Support/PassCounter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMCPUPACKWEIGHTS
#include "trm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {

/// Whether `op` is C[m, n] += A[m, k] * B[k, n] on static tensors of one
/// element type, one dimension each, in exactly those indexing maps.
bool isPlainMatmul(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op->getNumResults() != 1 ||
      op.hasDynamicShape() || !linalg::isaContractionOpInterface(op) ||
      // The rewrite is a linalg.contract.
      !trm::hasOneElementType(op))
    return false;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
      dims->k.size() != 1 || !dims->batch.empty())
    return false;
  MLIRContext *ctx = op.getContext();
  auto map = [&](unsigned a, unsigned b) {
    return AffineMap::get(3, 0,
                          {getAffineDimExpr(a, ctx), getAffineDimExpr(b, ctx)},
                          ctx);
  };
  const unsigned m = dims->m[0], n = dims->n[0], k = dims->k[0];
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  return maps[0] == map(m, k) && maps[1] == map(k, n) && maps[2] == map(m, n);
}

/// Whether `op` is C[b, m, n] += A[m, k] * B[b, k, n] on static f32
/// tensors in exactly those indexing maps: a weight applied on the left of
/// each sample (mlp_t's token mixing, whose k is the sequence).
bool isLeftWeightBatchedMatmul(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op->getNumResults() != 1 ||
      op.hasDynamicShape() || !linalg::isaContractionOpInterface(op) ||
      !trm::hasOneElementType(op) ||
      !getElementTypeOrSelf(op->getResult(0).getType()).isF32())
    return false;
  MLIRContext *ctx = op.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> want = {AffineMap::get(4, 0, {d(1), d(3)}, ctx),
                                 AffineMap::get(4, 0, {d(0), d(3), d(2)}, ctx),
                                 AffineMap::get(4, 0, {d(0), d(1), d(2)}, ctx)};
  return op.getIndexingMapsArray() == want &&
         op.getIteratorTypesArray() ==
             SmallVector<utils::IteratorType>{utils::IteratorType::parallel,
                                              utils::IteratorType::parallel,
                                              utils::IteratorType::parallel,
                                              utils::IteratorType::reduction};
}

struct PackWeightsPass
    : trm::impl::TRMCPUPackWeightsBase<PackWeightsPass> {
  using Base::Base;
  trm::PassCounter numPacked{this, "packed", "Matmul operands packed"};
  trm::PassCounter numPackedBF16{this, "packed-bf16",
                                 "Matmul operands packed as bf16 pairs"};
  trm::PassCounter numLeftBF16{
      this, "left-weight-bf16",
      "Weights applied on the left of each sample, in bf16 pairs"};

  /// Sets the insertion point right after `v` is defined.
  static void setInsertionPointAfterValue(RewriterBase &rewriter, Value v) {
    if (Operation *def = v.getDefiningOp())
      rewriter.setInsertionPointAfter(def);
    else
      rewriter.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
  }

  /// `b` as panels [n / nTile, k, nTile], built where `b` is defined.
  Value packPanels(RewriterBase &rewriter, Location loc, Value b) {
    OpBuilder::InsertionGuard guard(rewriter);
    setInsertionPointAfterValue(rewriter, b);
    auto type = cast<RankedTensorType>(b.getType());
    const int64_t k = type.getDimSize(0), panels = type.getDimSize(1) / nTile;
    Type elt = type.getElementType();
    Value expanded = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({k, panels, nTile}, elt), b,
        SmallVector<ReassociationIndices>{{0}, {1, 2}});
    Value init = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef<int64_t>{panels, k, nTile}, elt);
    return linalg::TransposeOp::create(rewriter, loc, expanded, init,
                                       ArrayRef<int64_t>{1, 0, 2})
        ->getResult(0);
  }

  /// `in` (f32) rounded to bf16 into a new tensor of `shape` whose element
  /// i is in[inMap(i)]: the rounding and the layout change in one pass.
  static Value roundToBF16(RewriterBase &rewriter, Location loc, Value in,
                           AffineMap inMap, ArrayRef<int64_t> shape) {
    Type bf16 = rewriter.getBF16Type();
    Value init = tensor::EmptyOp::create(rewriter, loc, shape, bf16);
    SmallVector<AffineMap> maps = {
        inMap, AffineMap::getMultiDimIdentityMap(shape.size(),
                                                 rewriter.getContext())};
    SmallVector<utils::IteratorType> iterators(shape.size(),
                                               utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               rewriter, loc, init.getType(), in, init, maps, iterators,
               [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
                 linalg::YieldOp::create(
                     nested, nestedLoc,
                     arith::TruncFOp::create(nested, nestedLoc, bf16, args[0])
                         .getResult());
               })
        ->getResult(0);
  }

  /// `b` rounded to bf16 as panels of pairs [n / nTile, k / 2, nTile, 2]:
  /// element (nb, kk, j, p) is B[2 kk + p, nb nTile + j], so one register
  /// tile row reads the pairs of k its bf16 dot products take, contiguous.
  /// Built where `b` is defined.
  Value packPairPanels(RewriterBase &rewriter, Location loc, Value b) {
    OpBuilder::InsertionGuard guard(rewriter);
    setInsertionPointAfterValue(rewriter, b);
    auto type = cast<RankedTensorType>(b.getType());
    const int64_t k = type.getDimSize(0), panels = type.getDimSize(1) / nTile;
    Type f32 = type.getElementType();
    Value expanded = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({k / 2, 2, panels, nTile}, f32),
        b, SmallVector<ReassociationIndices>{{0, 1}, {2, 3}});
    MLIRContext *ctx = rewriter.getContext();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    return roundToBF16(rewriter, loc, expanded,
                       AffineMap::get(4, 0, {d(1), d(3), d(0), d(2)}, ctx),
                       {panels, k / 2, nTile, 2});
  }

  /// `a` [m, k] rounded to bf16 and viewed as pairs [m, k / 2, 2].
  Value roundToPairs(RewriterBase &rewriter, Location loc, Value a) {
    auto type = cast<RankedTensorType>(a.getType());
    const int64_t m = type.getDimSize(0), k = type.getDimSize(1);
    Type bf16 = rewriter.getBF16Type();
    Value rounded = roundToBF16(
        rewriter, loc, a,
        AffineMap::getMultiDimIdentityMap(2, rewriter.getContext()), {m, k});
    return tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({m, k / 2, 2}, bf16), rounded,
        SmallVector<ReassociationIndices>{{0}, {1, 2}});
  }

  /// `op` over the packed panels of its B: loops (m, nb, j, k), or with
  /// bf16 products (m, nb, j, kk, p) over pairs of k, k = 2 kk + p.
  void rewriteOverPanels(RewriterBase &rewriter, linalg::LinalgOp op) {
    Location loc = op.getLoc();
    Value a = op.getDpsInputOperand(0)->get();
    Value b = op.getDpsInputOperand(1)->get();
    Value c = op.getDpsInitOperand(0)->get();
    auto cType = cast<RankedTensorType>(c.getType());
    const int64_t m = cType.getDimSize(0), panels = cType.getDimSize(1) / nTile;
    const bool pairs = usesBF16Pairs(op);
    Value packed = pairs ? packPairPanels(rewriter, loc, b)
                         : packPanels(rewriter, loc, b);
    rewriter.setInsertionPoint(op);
    if (pairs)
      a = roundToPairs(rewriter, loc, a);
    SmallVector<ReassociationIndices> split = {{0}, {1, 2}};
    Value c3 = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({m, panels, nTile}, cType.getElementType()), c,
        split);
    MLIRContext *ctx = op.getContext();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineMap> maps =
        pairs ? SmallVector<AffineMap>{
                    AffineMap::get(5, 0, {d(0), d(3), d(4)}, ctx),
                    AffineMap::get(5, 0, {d(1), d(3), d(2), d(4)}, ctx),
                    AffineMap::get(5, 0, {d(0), d(1), d(2)}, ctx)}
              : SmallVector<AffineMap>{
                    AffineMap::get(4, 0, {d(0), d(3)}, ctx),
                    AffineMap::get(4, 0, {d(1), d(3), d(2)}, ctx),
                    AffineMap::get(4, 0, {d(0), d(1), d(2)}, ctx)};
    // A named contraction: the vectorizer turns it into vector.contract,
    // whose outer products become FMAs, as it does the matmul. With bf16
    // operands it extends them to the f32 of its result.
    auto contract = linalg::ContractOp::create(
        rewriter, loc, TypeRange{c3.getType()}, ValueRange{a, packed},
        ValueRange{c3}, rewriter.getAffineMapArrayAttr(maps));
    Value result = tensor::CollapseShapeOp::create(
        rewriter, loc, cType, contract->getResult(0), split);
    rewriter.replaceOp(op, result);
    ++(pairs ? numPackedBF16 : numPacked);
  }

  /// Whether `op` (a plain matmul) gets bf16 operands: asked for, in f32,
  /// over an even k.
  bool usesBF16Pairs(linalg::LinalgOp op) {
    auto aType = cast<RankedTensorType>(op.getDpsInputOperand(0)->get().getType());
    return bf16 && aType.getElementType().isF32() && aType.getDimSize(1) % 2 == 0;
  }

  /// `t` with `extra` zeros appended to dimension `dim`.
  static Value padWithZeros(RewriterBase &rewriter, Location loc, Value t,
                            unsigned dim, int64_t extra) {
    if (extra == 0)
      return t;
    auto type = cast<RankedTensorType>(t.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[dim] += extra;
    SmallVector<OpFoldResult> low(type.getRank(), rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> high = low;
    high[dim] = rewriter.getIndexAttr(extra);
    Value zero = arith::ConstantOp::create(
        rewriter, loc, rewriter.getZeroAttr(type.getElementType()));
    return tensor::PadOp::create(
        rewriter, loc, RankedTensorType::get(shape, type.getElementType()), t,
        low, high, zero);
  }

  /// C[b, m, n] += W[m, k] X[b, k, n] with bf16 products: W rounded into
  /// pairs [m, k/2, 2] once, where it is defined; X rounded into pairs
  /// [b, k/2, n, 2] per use, so that a register tile row reads the pairs of
  /// n-tile consecutive columns. An odd k gets one zero pair element.
  /// Loops (b, m, n, kk, p).
  void rewriteLeftWeightInPairs(RewriterBase &rewriter, linalg::LinalgOp op) {
    Location loc = op.getLoc();
    Value w = op.getDpsInputOperand(0)->get();
    Value x = op.getDpsInputOperand(1)->get();
    Value c = op.getDpsInitOperand(0)->get();
    auto xType = cast<RankedTensorType>(x.getType());
    const int64_t batch = xType.getDimSize(0), k = xType.getDimSize(1),
                  n = xType.getDimSize(2), extra = k % 2, half = (k + 1) / 2;
    Type f32 = xType.getElementType();
    Value wPairs;
    {
      OpBuilder::InsertionGuard guard(rewriter);
      setInsertionPointAfterValue(rewriter, w);
      wPairs = roundToPairs(rewriter, loc,
                            padWithZeros(rewriter, loc, w, 1, extra));
    }
    rewriter.setInsertionPoint(op);
    Value padded = padWithZeros(rewriter, loc, x, 1, extra);
    Value expanded = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({batch, half, 2, n}, f32), padded,
        SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}});
    MLIRContext *ctx = op.getContext();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    Value xPairs = roundToBF16(
        rewriter, loc, expanded,
        AffineMap::get(4, 0, {d(0), d(1), d(3), d(2)}, ctx),
        {batch, half, n, 2});
    SmallVector<AffineMap> maps = {
        AffineMap::get(5, 0, {d(1), d(3), d(4)}, ctx),
        AffineMap::get(5, 0, {d(0), d(3), d(2), d(4)}, ctx),
        AffineMap::get(5, 0, {d(0), d(1), d(2)}, ctx)};
    auto contract = linalg::ContractOp::create(
        rewriter, loc, TypeRange{c.getType()}, ValueRange{wPairs, xPairs},
        ValueRange{c}, rewriter.getAffineMapArrayAttr(maps));
    rewriter.replaceOp(op, contract->getResults());
    ++numLeftBF16;
  }

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> leftWeights;
    if (bf16)
      getOperation().walk([&](linalg::LinalgOp op) {
        auto loop = op->getParentOfType<LoopLikeOpInterface>();
        if (isLeftWeightBatchedMatmul(op) && loop &&
            loop.isDefinedOutsideOfLoop(op.getDpsInputOperand(0)->get()))
          leftWeights.push_back(op);
      });
    SmallVector<linalg::LinalgOp> candidates;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!isPlainMatmul(op))
        return;
      auto loop = op->getParentOfType<LoopLikeOpInterface>();
      Value b = op.getDpsInputOperand(1)->get();
      const int64_t n = cast<RankedTensorType>(b.getType()).getDimSize(1);
      // Packed once, used by every iteration of the loop around the op.
      if (loop && loop.isDefinedOutsideOfLoop(b) && n % nTile == 0 &&
          n / nTile >= 2)
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates)
      rewriteOverPanels(rewriter, op);
    for (linalg::LinalgOp op : leftWeights)
      rewriteLeftWeightInPairs(rewriter, op);
  }
};
} // namespace
