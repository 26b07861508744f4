//===- Attention.cpp - trm.attention to linalg ----------------------------===//
//
// Multi-head self-attention without masking: one QKV projection, rotary
// embeddings when the op has a theta, scores, a softmax over f32 and the
// output projection.
//
//===----------------------------------------------------------------------===//
#include "LinalgBuilders.h"
#include "Patterns.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::trm;
using namespace mlir::trm::lowering;

namespace {
struct AttentionLowering : OpConversionPattern<AttentionOp> {
  AttentionLowering(MLIRContext *ctx, bool perSample)
      : OpConversionPattern(ctx), perSample(perSample) {}
  bool perSample;

  /// cos and sin tables [L, hd/2] of angle = p * theta^(-2i/hd), computed in
  /// f32 like the reference's cached tables. They depend on nothing inside
  /// the recursion, so loop-invariant code motion computes them once.
  static std::pair<Value, Value> ropeTables(ImplicitLocOpBuilder &b,
                                            int64_t len, int64_t headDim,
                                            double theta) {
    int64_t half = headDim / 2;
    auto table = [&](bool sine) {
      return generic(
          b, {}, emptyTensor(b, {len, half}, b.getF32Type()),
          {b.getMultiDimIdentityMap(2)}, {kPar, kPar},
          [&](OpBuilder &nb, Location loc, ValueRange) -> Value {
            Value p = linalg::IndexOp::create(nb, loc, 0);
            Value i = linalg::IndexOp::create(nb, loc, 1);
            auto toF32 = [&](Value idx) -> Value {
              return arith::UIToFPOp::create(
                  nb, loc, nb.getF32Type(),
                  arith::IndexCastUIOp::create(nb, loc, nb.getI32Type(), idx));
            };
            Value expo = arith::MulFOp::create(
                nb, loc, toF32(i), f32Const(nb, loc, 2.0 / double(headDim)));
            Value denom =
                math::PowFOp::create(nb, loc, f32Const(nb, loc, theta), expo);
            Value invFreq =
                arith::DivFOp::create(nb, loc, f32Const(nb, loc, 1.0), denom);
            Value angle = arith::MulFOp::create(nb, loc, toF32(p), invFreq);
            return sine ? Value(math::SinOp::create(nb, loc, angle))
                        : Value(math::CosOp::create(nb, loc, angle));
          });
    };
    return {table(false), table(true)};
  }

  /// Rotary embedding of x [B, L, H, hd]: with x1, x2 the two halves of the
  /// head dimension, rotate_half(x) = (-x2, x1), so the result is
  /// (x1*cos - x2*sin, x2*cos + x1*sin).
  static Value rope(ImplicitLocOpBuilder &b, Value x, Value cosT, Value sinT) {
    ArrayRef<int64_t> s = shapeOf(x);
    int64_t half = s[3] / 2;
    SmallVector<int64_t> halfShape = {s[0], s[1], s[2], half};
    Value x1 = extractSlice(b, x, {0, 0, 0, 0}, halfShape);
    Value x2 = extractSlice(b, x, {0, 0, 0, half}, halfShape);
    AffineMap id4 = b.getMultiDimIdentityMap(4);
    AffineMap table = pick(b.getContext(), 4, {1, 3});
    auto rotate = [&](bool first) {
      return generic(
          b, {x1, x2, cosT, sinT}, emptyTensor(b, halfShape, b.getF32Type()),
          {id4, id4, table, table, id4}, {kPar, kPar, kPar, kPar},
          [&](OpBuilder &nb, Location loc, ValueRange a) -> Value {
            Value own = first ? a[0] : a[1], other = first ? a[1] : a[0];
            Value c = arith::MulFOp::create(nb, loc, own, a[2]);
            Value t = arith::MulFOp::create(nb, loc, other, a[3]);
            return first ? Value(arith::SubFOp::create(nb, loc, c, t))
                         : Value(arith::AddFOp::create(nb, loc, c, t));
          });
    };
    Value out = emptyTensor(b, s, b.getF32Type());
    SmallVector<OpFoldResult> zero(4, b.getIndexAttr(0)),
        ones(4, b.getIndexAttr(1));
    SmallVector<OpFoldResult> sizes = {
        b.getIndexAttr(s[0]), b.getIndexAttr(s[1]), b.getIndexAttr(s[2]),
        b.getIndexAttr(half)};
    SmallVector<OpFoldResult> second = zero;
    second[3] = b.getIndexAttr(half);
    out =
        tensor::InsertSliceOp::create(b, rotate(true), out, zero, sizes, ones);
    return tensor::InsertSliceOp::create(b, rotate(false), out, second, sizes,
                                         ones);
  }

  /// softmax(q k^T / sqrt(hd)) v for `rows` samples: q, k, v and the
  /// result are [rows, L, H, hd].
  Value scoresAndContext(ImplicitLocOpBuilder &b, Value q, Value k, Value v,
                         int64_t rows) const {
    MLIRContext *ctx = b.getContext();
    ArrayRef<int64_t> s = shapeOf(q);
    const int64_t len = s[1], heads = s[2], headDim = s[3];
    auto mac = [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
      return arith::AddFOp::create(nb, loc, a[2],
                                   arith::MulFOp::create(nb, loc, a[0], a[1]));
    };
    // kT[b,h,d,j] = k[b,j,h,d], so the scores' j dimension reads contiguously.
    Value kT =
        linalg::TransposeOp::create(
            b, k, emptyTensor(b, {rows, heads, headDim, len}, b.getF32Type()),
            ArrayRef<int64_t>{0, 2, 3, 1})
            ->getResult(0);
    // scores[b,h,i,j] = sum_d q[b,i,h,d] kT[b,h,d,j]; loops (b,h,i,j,d).
    Value scores = generic(
        b, {q, kT}, filled(b, {rows, heads, len, len}, b.getF32FloatAttr(0)),
        {pick(ctx, 5, {0, 2, 1, 4}), pick(ctx, 5, {0, 1, 4, 3}),
         pick(ctx, 5, {0, 1, 2, 3})},
        {kPar, kPar, kPar, kPar, kRed}, mac);
    // Softmax over j of scores / sqrt(hd).
    double scale = 1.0 / std::sqrt(double(headDim));
    Value maxes = reduceAxis(
        b, scores, 3,
        b.getF32FloatAttr(-std::numeric_limits<float>::infinity()),
        [](OpBuilder &nb, Location loc, Value x, Value acc) -> Value {
          return arith::MaximumFOp::create(nb, loc, acc, x);
        });
    AffineMap id4 = b.getMultiDimIdentityMap(4);
    AffineMap row = pick(ctx, 4, {0, 1, 2});
    // The exponentials and then the probabilities overwrite the scores
    // (each element reads only itself there): one [B, H, L, L] buffer
    // instead of three.
    Value exps =
        generic(b, {maxes}, scores, {row, id4}, {kPar, kPar, kPar, kPar},
                [&](OpBuilder &nb, Location loc, ValueRange a) -> Value {
                  Value shifted = arith::SubFOp::create(nb, loc, a[1], a[0]);
                  return math::ExpOp::create(
                      nb, loc,
                      arith::MulFOp::create(nb, loc, shifted,
                                            f32Const(nb, loc, scale)));
                });
    Value sums = reduceAxis(
        b, exps, 3, b.getF32FloatAttr(0),
        [](OpBuilder &nb, Location loc, Value x, Value acc) -> Value {
          return arith::AddFOp::create(nb, loc, acc, x);
        });
    Value probs =
        generic(b, {sums}, exps, {row, id4}, {kPar, kPar, kPar, kPar},
                [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
                  return arith::DivFOp::create(nb, loc, a[1], a[0]);
                });
    // ctx[b,i,h,d] = sum_j probs[b,h,i,j] v[b,j,h,d]; loops (b,i,h,d,j).
    return generic(
        b, {probs, v},
        filled(b, {rows, len, heads, headDim}, b.getF32FloatAttr(0)),
        {pick(ctx, 5, {0, 2, 1, 4}), pick(ctx, 5, {0, 4, 2, 3}),
         pick(ctx, 5, {0, 1, 2, 3})},
        {kPar, kPar, kPar, kPar, kRed}, mac);
  }

  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    ArrayRef<int64_t> s = shapeOf(adaptor.getHidden());
    const int64_t batch = s[0], len = s[1], hidden = s[2];
    const int64_t heads = op.getNumHeads(), headDim = hidden / heads;
    Value qkv = linear(b, adaptor.getHidden(), adaptor.getQkvWeight());
    auto split =
        RankedTensorType::get({batch, len, 3, heads, headDim}, b.getF32Type());
    Value qkv5 = tensor::ExpandShapeOp::create(
        b, split, qkv, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3, 4}});
    auto headType =
        RankedTensorType::get({batch, len, heads, headDim}, b.getF32Type());
    auto part = [&](int64_t which) -> Value {
      return extractSlice(b, qkv5, {0, 0, which, 0, 0},
                          {batch, len, 1, heads, headDim}, headType);
    };
    Value q = part(0), k = part(1), v = part(2);
    if (std::optional<APFloat> theta = op.getRopeTheta()) {
      auto [cosT, sinT] = ropeTables(b, len, headDim, theta->convertToDouble());
      q = rope(b, q, cosT, sinT);
      k = rope(b, k, cosT, sinT);
    }
    Value attn;
    if (perSample && batch > 1) {
      // One sample at a time, its context inserted into the batch's.
      Value all = emptyTensor(b, {batch, len, heads, headDim}, b.getF32Type());
      Value c0 = arith::ConstantIndexOp::create(b, 0);
      Value c1 = arith::ConstantIndexOp::create(b, 1);
      Value cb = arith::ConstantIndexOp::create(b, batch);
      auto loop = scf::ForOp::create(b, c0, cb, c1, ValueRange{all});
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value i = loop.getInductionVar();
      auto sample = RankedTensorType::get({1, len, heads, headDim},
                                          b.getF32Type());
      SmallVector<OpFoldResult> offsets = {i, b.getIndexAttr(0),
                                           b.getIndexAttr(0),
                                           b.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(len),
                                         b.getIndexAttr(heads),
                                         b.getIndexAttr(headDim)};
      SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
      auto slice = [&](Value x) -> Value {
        return tensor::ExtractSliceOp::create(b, sample, x, offsets, sizes,
                                              strides);
      };
      Value one = scoresAndContext(b, slice(q), slice(k), slice(v), 1);
      Value updated = tensor::InsertSliceOp::create(
          b, one, loop.getRegionIterArg(0), offsets, sizes, strides);
      scf::YieldOp::create(b, updated);
      attn = loop.getResult(0);
    } else {
      attn = scoresAndContext(b, q, k, v, batch);
    }
    Value merged = tensor::CollapseShapeOp::create(
        b, attn, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
    rewriter.replaceOp(op, linear(b, merged, adaptor.getOWeight()));
    return success();
  }
};

} // namespace

void mlir::trm::lowering::populateAttentionPatterns(
    RewritePatternSet &patterns, bool perSample) {
  patterns.add<AttentionLowering>(patterns.getContext(), perSample);
}
