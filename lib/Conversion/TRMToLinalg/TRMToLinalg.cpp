//===- TRMToLinalg.cpp - lower trm to linalg/tensor/scf on tensors --------===//
//
// Structure: the halting loop becomes an scf.while over supervision steps,
// the deep recursion an scf.for over its T*(n+1) network calls around one
// copy of the network body; the network's pieces become linalg.matmul
// (weights are stored [out, in], hence transposed-B maps), contractions and
// element-wise linalg.generic ops. All arithmetic is f32; reductions
// (norms, softmax) accumulate in f32 like the reference.
//
//===----------------------------------------------------------------------===//
#include "trm/Conversion/Passes.h"
#include "trm/Dialect/TRM/IR/TRMOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include <cmath>

namespace mlir::trm {
#define GEN_PASS_DEF_CONVERTTRMTOLINALG
#include "trm/Conversion/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;
using namespace mlir::trm;

namespace {
using utils::IteratorType;
constexpr IteratorType kPar = IteratorType::parallel;
constexpr IteratorType kRed = IteratorType::reduction;

//===----------------------------------------------------------------------===//
// Building blocks
//===----------------------------------------------------------------------===//

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

Value emptyTensor(ImplicitLocOpBuilder &b, ArrayRef<int64_t> shape, Type elt) {
  return tensor::EmptyOp::create(b, shape, elt);
}

Value filled(ImplicitLocOpBuilder &b, ArrayRef<int64_t> shape, TypedAttr value) {
  Value init = emptyTensor(b, shape, value.getType());
  Value scalar = arith::ConstantOp::create(b, value);
  return linalg::FillOp::create(b, scalar, init).getResult(0);
}

Value f32Const(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// Static slice with unit strides; `resultType` drops unit dimensions.
Value extractSlice(ImplicitLocOpBuilder &b, Value src,
                   ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes,
                   RankedTensorType resultType = {}) {
  SmallVector<OpFoldResult> o, s, st;
  for (auto [off, size] : llvm::zip(offsets, sizes)) {
    o.push_back(b.getIndexAttr(off));
    s.push_back(b.getIndexAttr(size));
    st.push_back(b.getIndexAttr(1));
  }
  if (resultType)
    return tensor::ExtractSliceOp::create(b, resultType, src, o, s, st);
  return tensor::ExtractSliceOp::create(b, src, o, s, st);
}

/// Affine map over `numDims` loops picking the dims `dims`.
AffineMap pick(MLIRContext *ctx, unsigned numDims, ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d : dims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(numDims, 0, exprs, ctx);
}

/// A linalg.generic with one result; `body` gets the block arguments and
/// returns the value to yield.
Value generic(ImplicitLocOpBuilder &b, ValueRange inputs, Value init,
              ArrayRef<AffineMap> maps, ArrayRef<IteratorType> iterators,
              function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto op = linalg::GenericOp::create(
      b, TypeRange{init.getType()}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location loc, ValueRange args) {
        linalg::YieldOp::create(nb, loc, body(nb, loc, args));
      });
  return op.getResult(0);
}

/// Element-wise op over same-shaped tensors.
Value elementwise(ImplicitLocOpBuilder &b, ValueRange inputs,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto type = cast<RankedTensorType>(inputs.front().getType());
  unsigned rank = type.getRank();
  AffineMap id = b.getMultiDimIdentityMap(rank);
  SmallVector<AffineMap> maps(inputs.size() + 1, id);
  SmallVector<IteratorType> iters(rank, kPar);
  return generic(b, inputs,
                 emptyTensor(b, type.getShape(), type.getElementType()), maps,
                 iters, body);
}

Value addTensors(ImplicitLocOpBuilder &b, Value lhs, Value rhs) {
  return elementwise(b, {lhs, rhs}, [](OpBuilder &nb, Location loc,
                                       ValueRange a) -> Value {
    return arith::AddFOp::create(nb, loc, a[0], a[1]);
  });
}

/// Transposes a 2-D tensor.
Value transpose2d(ImplicitLocOpBuilder &b, Value w) {
  ArrayRef<int64_t> s = shapeOf(w);
  Value init = emptyTensor(b, {s[1], s[0]}, b.getF32Type());
  return linalg::TransposeOp::create(b, w, init, ArrayRef<int64_t>{1, 0})
      ->getResult(0);
}

/// x [M, K] times w [N, K] transposed: [M, N]. Weights are stored [out, in];
/// the matmul reads them as [in, out] so the output dimension is contiguous
/// (what a vectorized microkernel wants). The transpose depends only on the
/// weight, so loop-invariant code motion moves it out of the recursion and
/// it runs once per call.
Value matmulTransposedB(ImplicitLocOpBuilder &b, Value x, Value w) {
  int64_t m = shapeOf(x)[0], n = shapeOf(w)[0];
  Value acc = filled(b, {m, n}, b.getF32FloatAttr(0));
  return linalg::MatmulOp::create(b, TypeRange{acc.getType()},
                                  ValueRange{x, transpose2d(b, w)},
                                  ValueRange{acc})
      ->getResult(0);
}

/// x [B, L, K] through a bias-free linear layer w [N, K]: [B, L, N].
Value linear(ImplicitLocOpBuilder &b, Value x, Value w) {
  ArrayRef<int64_t> s = shapeOf(x);
  int64_t n = shapeOf(w)[0];
  SmallVector<ReassociationIndices> reassoc = {{0, 1}, {2}};
  Value flat = tensor::CollapseShapeOp::create(b, x, reassoc);
  Value out = matmulTransposedB(b, flat, w);
  auto outType = RankedTensorType::get({s[0], s[1], n}, b.getF32Type());
  return tensor::ExpandShapeOp::create(b, outType, out, reassoc);
}

/// silu(g) * u for g = gu[..., :I], u = gu[..., I:] along axis `axis`.
Value swigluGate(ImplicitLocOpBuilder &b, Value gu, unsigned axis) {
  ArrayRef<int64_t> s = shapeOf(gu);
  int64_t inter = s[axis] / 2;
  SmallVector<int64_t> sizes(s.begin(), s.end());
  sizes[axis] = inter;
  SmallVector<int64_t> offsets(s.size(), 0);
  Value g = extractSlice(b, gu, offsets, sizes);
  offsets[axis] = inter;
  Value u = extractSlice(b, gu, offsets, sizes);
  return elementwise(b, {g, u}, [](OpBuilder &nb, Location loc,
                                   ValueRange a) -> Value {
    // silu(g) = g / (1 + exp(-g))
    Value neg = arith::NegFOp::create(nb, loc, a[0]);
    Value e = math::ExpOp::create(nb, loc, neg);
    Value den = arith::AddFOp::create(nb, loc, f32Const(nb, loc, 1.0), e);
    Value silu = arith::DivFOp::create(nb, loc, a[0], den);
    return arith::MulFOp::create(nb, loc, silu, a[1]);
  });
}

/// Sum over `axis` of f(x): a tensor without that axis.
Value reduceAxis(ImplicitLocOpBuilder &b, Value x, unsigned axis, TypedAttr init,
                 function_ref<Value(OpBuilder &, Location, Value, Value)> step) {
  ArrayRef<int64_t> s = shapeOf(x);
  unsigned rank = s.size();
  SmallVector<int64_t> outShape;
  SmallVector<unsigned> outDims;
  SmallVector<IteratorType> iters;
  for (unsigned d = 0; d < rank; ++d) {
    iters.push_back(d == axis ? kRed : kPar);
    if (d != axis) {
      outShape.push_back(s[d]);
      outDims.push_back(d);
    }
  }
  MLIRContext *ctx = b.getContext();
  return generic(b, {x}, filled(b, outShape, init),
                 {b.getMultiDimIdentityMap(rank), pick(ctx, rank, outDims)},
                 iters, [&](OpBuilder &nb, Location loc, ValueRange a) {
                   return step(nb, loc, a[0], a[1]);
                 });
}

//===----------------------------------------------------------------------===//
// Patterns for the network's pieces
//===----------------------------------------------------------------------===//

struct EmbedLowering : OpRewritePattern<EmbedOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EmbedOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    ArrayRef<int64_t> out = shapeOf(op.getResult());
    const int64_t prefix = op.getPrefixLen(), hidden = out[2];
    Value tokens = op.getTokens(), table = op.getEmbedTokens();
    Value ids = op.getPuzzleIds(), puzzle = op.getPuzzleEmb(),
          positions = op.getEmbedPos();
    Value init = emptyTensor(b, out, b.getF32Type());
    Value result = generic(
        b, {}, init, {b.getMultiDimIdentityMap(3)}, {kPar, kPar, kPar},
        [&](OpBuilder &nb, Location loc, ValueRange) -> Value {
          Value bi = linalg::IndexOp::create(nb, loc, 0);
          Value p = linalg::IndexOp::create(nb, loc, 1);
          Value d = linalg::IndexOp::create(nb, loc, 2);
          Value prefixC = indexConst(nb, loc, prefix);
          Value zero = indexConst(nb, loc, 0);
          // Token rows; prefix positions read token 0 and are replaced below.
          Value isToken = arith::CmpIOp::create(
              nb, loc, arith::CmpIPredicate::sge, p, prefixC);
          Value tp = arith::SelectOp::create(
              nb, loc, isToken, arith::SubIOp::create(nb, loc, p, prefixC),
              zero);
          Value tok = tensor::ExtractOp::create(nb, loc, tokens,
                                                ValueRange{bi, tp});
          Value row = arith::IndexCastOp::create(nb, loc, nb.getIndexType(),
                                                 tok);
          Value v = tensor::ExtractOp::create(nb, loc, table,
                                              ValueRange{row, d});
          if (puzzle) {
            // Prefix position p holds puzzle_emb[id][p*D + d], zero past ndim.
            int64_t ndim = shapeOf(puzzle)[1];
            Value flat = arith::AddIOp::create(
                nb, loc,
                arith::MulIOp::create(nb, loc, p, indexConst(nb, loc, hidden)),
                d);
            Value last = indexConst(nb, loc, ndim - 1);
            Value inRange = arith::CmpIOp::create(
                nb, loc, arith::CmpIPredicate::ult, flat,
                indexConst(nb, loc, ndim));
            Value col = arith::SelectOp::create(nb, loc, inRange, flat, last);
            Value id = tensor::ExtractOp::create(nb, loc, ids, ValueRange{bi});
            Value idRow = arith::IndexCastOp::create(nb, loc,
                                                     nb.getIndexType(), id);
            Value pv = tensor::ExtractOp::create(nb, loc, puzzle,
                                                 ValueRange{idRow, col});
            pv = arith::SelectOp::create(nb, loc, inRange, pv,
                                         f32Const(nb, loc, 0.0));
            v = arith::SelectOp::create(nb, loc, isToken, v, pv);
          }
          if (positions) {
            Value pos = tensor::ExtractOp::create(nb, loc, positions,
                                                  ValueRange{p, d});
            v = arith::MulFOp::create(nb, loc, f32Const(nb, loc, 0.707106781),
                                      arith::AddFOp::create(nb, loc, v, pos));
          }
          return arith::MulFOp::create(
              nb, loc, v, f32Const(nb, loc, std::sqrt(double(hidden))));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct InitStateLowering : OpRewritePattern<InitStateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(InitStateOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    ArrayRef<int64_t> out = shapeOf(op.getResult());
    Value result = generic(
        b, {op.getInit()}, emptyTensor(b, out, b.getF32Type()),
        {pick(b.getContext(), 3, {2}), b.getMultiDimIdentityMap(3)},
        {kPar, kPar, kPar},
        [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ResidualNormLowering : OpRewritePattern<ResidualNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ResidualNormOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    unsigned axis = op.getAxis();
    ArrayRef<int64_t> s = shapeOf(op.getResult());
    unsigned rank = s.size();
    Value sum = addTensors(b, op.getInput(), op.getBranch());
    Value squares = reduceAxis(
        b, sum, axis, b.getF32FloatAttr(0),
        [](OpBuilder &nb, Location loc, Value x, Value acc) -> Value {
          return arith::AddFOp::create(
              nb, loc, acc, arith::MulFOp::create(nb, loc, x, x));
        });
    SmallVector<unsigned> keep;
    for (unsigned d = 0; d < rank; ++d)
      if (d != axis)
        keep.push_back(d);
    double invCount = 1.0 / double(s[axis]);
    double eps = op.getEpsilon().convertToDouble();
    Value result = generic(
        b, {sum, squares}, emptyTensor(b, s, b.getF32Type()),
        {b.getMultiDimIdentityMap(rank), pick(b.getContext(), rank, keep),
         b.getMultiDimIdentityMap(rank)},
        SmallVector<IteratorType>(rank, kPar),
        [&](OpBuilder &nb, Location loc, ValueRange a) -> Value {
          Value mean = arith::MulFOp::create(nb, loc, a[1],
                                             f32Const(nb, loc, invCount));
          Value r = math::RsqrtOp::create(
              nb, loc, arith::AddFOp::create(nb, loc, mean,
                                             f32Const(nb, loc, eps)));
          return arith::MulFOp::create(nb, loc, a[0], r);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SwiGLULowering : OpRewritePattern<SwiGLUOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SwiGLUOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value h = op.getHidden(), gateUp = op.getGateUpWeight(),
          down = op.getDownWeight();
    if (op.getMix() == MixAxis::Features) {
      Value act = swigluGate(b, linear(b, h, gateUp), 2);
      rewriter.replaceOp(op, linear(b, act, down));
      return success();
    }
    // Token mixing in the [B, N, D] layout: G[b,n,d] = sum_l W[n,l] h[b,l,d]
    // and out[b,l,d] = sum_i down[l,i] act[b,i,d]; no transposes needed.
    ArrayRef<int64_t> s = shapeOf(h);
    int64_t batch = s[0], len = s[1], hidden = s[2];
    int64_t twoInter = shapeOf(gateUp)[0];
    MLIRContext *ctx = b.getContext();
    auto mac = [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
      return arith::AddFOp::create(nb, loc, a[2],
                                   arith::MulFOp::create(nb, loc, a[0], a[1]));
    };
    // Loops (b, n, d, l).
    Value g = generic(b, {gateUp, h},
                      filled(b, {batch, twoInter, hidden}, b.getF32FloatAttr(0)),
                      {pick(ctx, 4, {1, 3}), pick(ctx, 4, {0, 3, 2}),
                       pick(ctx, 4, {0, 1, 2})},
                      {kPar, kPar, kPar, kRed}, mac);
    Value act = swigluGate(b, g, 1);
    // Loops (b, l, d, i).
    Value out = generic(b, {down, act},
                        filled(b, {batch, len, hidden}, b.getF32FloatAttr(0)),
                        {pick(ctx, 4, {1, 3}), pick(ctx, 4, {0, 3, 2}),
                         pick(ctx, 4, {0, 1, 2})},
                        {kPar, kPar, kPar, kRed}, mac);
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct AttentionLowering : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

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
            Value denom = math::PowFOp::create(nb, loc,
                                               f32Const(nb, loc, theta), expo);
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
    SmallVector<OpFoldResult> zero(4, b.getIndexAttr(0)), ones(4, b.getIndexAttr(1));
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(s[0]), b.getIndexAttr(s[1]),
                                       b.getIndexAttr(s[2]), b.getIndexAttr(half)};
    SmallVector<OpFoldResult> second = zero;
    second[3] = b.getIndexAttr(half);
    out = tensor::InsertSliceOp::create(b, rotate(true), out, zero, sizes, ones);
    return tensor::InsertSliceOp::create(b, rotate(false), out, second, sizes,
                                         ones);
  }

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    MLIRContext *ctx = b.getContext();
    ArrayRef<int64_t> s = shapeOf(op.getHidden());
    const int64_t batch = s[0], len = s[1], hidden = s[2];
    const int64_t heads = op.getNumHeads(), headDim = hidden / heads;
    Value qkv = linear(b, op.getHidden(), op.getQkvWeight());
    auto split = RankedTensorType::get({batch, len, 3, heads, headDim},
                                       b.getF32Type());
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
      auto [cosT, sinT] =
          ropeTables(b, len, headDim, theta->convertToDouble());
      q = rope(b, q, cosT, sinT);
      k = rope(b, k, cosT, sinT);
    }
    auto mac = [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
      return arith::AddFOp::create(nb, loc, a[2],
                                   arith::MulFOp::create(nb, loc, a[0], a[1]));
    };
    // kT[b,h,d,j] = k[b,j,h,d], so the scores' j dimension reads contiguously.
    Value kT = linalg::TransposeOp::create(
                   b, k, emptyTensor(b, {batch, heads, headDim, len},
                                     b.getF32Type()),
                   ArrayRef<int64_t>{0, 2, 3, 1})
                   ->getResult(0);
    // scores[b,h,i,j] = sum_d q[b,i,h,d] kT[b,h,d,j]; loops (b,h,i,j,d).
    Value scores = generic(
        b, {q, kT}, filled(b, {batch, heads, len, len}, b.getF32FloatAttr(0)),
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
    Value exps = generic(
        b, {scores, maxes},
        emptyTensor(b, {batch, heads, len, len}, b.getF32Type()),
        {id4, row, id4}, {kPar, kPar, kPar, kPar},
        [&](OpBuilder &nb, Location loc, ValueRange a) -> Value {
          Value shifted = arith::SubFOp::create(nb, loc, a[0], a[1]);
          return math::ExpOp::create(
              nb, loc,
              arith::MulFOp::create(nb, loc, shifted, f32Const(nb, loc, scale)));
        });
    Value sums = reduceAxis(
        b, exps, 3, b.getF32FloatAttr(0),
        [](OpBuilder &nb, Location loc, Value x, Value acc) -> Value {
          return arith::AddFOp::create(nb, loc, acc, x);
        });
    Value probs = generic(
        b, {exps, sums},
        emptyTensor(b, {batch, heads, len, len}, b.getF32Type()),
        {id4, row, id4}, {kPar, kPar, kPar, kPar},
        [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
          return arith::DivFOp::create(nb, loc, a[0], a[1]);
        });
    // ctx[b,i,h,d] = sum_j probs[b,h,i,j] v[b,j,h,d]; loops (b,i,h,d,j).
    Value attn = generic(
        b, {probs, v},
        filled(b, {batch, len, heads, headDim}, b.getF32FloatAttr(0)),
        {pick(ctx, 5, {0, 2, 1, 4}), pick(ctx, 5, {0, 4, 2, 3}),
         pick(ctx, 5, {0, 1, 2, 3})},
        {kPar, kPar, kPar, kPar, kRed}, mac);
    Value merged = tensor::CollapseShapeOp::create(
        b, attn, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
    rewriter.replaceOp(op, linear(b, merged, op.getOWeight()));
    return success();
  }
};

struct LMHeadLowering : OpRewritePattern<LMHeadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LMHeadOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    ArrayRef<int64_t> s = shapeOf(op.getAnswer());
    int64_t prefix = op.getPrefixLen();
    Value tokens = extractSlice(b, op.getAnswer(), {0, prefix, 0},
                                {s[0], s[1] - prefix, s[2]});
    rewriter.replaceOp(op, linear(b, tokens, op.getWeight()));
    return success();
  }
};

struct QHeadLowering : OpRewritePattern<QHeadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QHeadOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    ArrayRef<int64_t> s = shapeOf(op.getAnswer());
    auto firstType = RankedTensorType::get({s[0], s[2]}, b.getF32Type());
    Value first =
        extractSlice(b, op.getAnswer(), {0, 0, 0}, {s[0], 1, s[2]}, firstType);
    Value q = matmulTransposedB(b, first, op.getWeight());
    Value result = generic(
        b, {q, op.getBias()}, emptyTensor(b, {s[0], 2}, b.getF32Type()),
        {b.getMultiDimIdentityMap(2), pick(b.getContext(), 2, {1}),
         b.getMultiDimIdentityMap(2)},
        {kPar, kPar}, [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
          return arith::AddFOp::create(nb, loc, a[0], a[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// First index of the maximum along the last axis.
Value argmax(ImplicitLocOpBuilder &b, Value logits, Type indexType) {
  ArrayRef<int64_t> s = shapeOf(logits);
  unsigned rank = s.size();
  SmallVector<int64_t> outShape(s.drop_back());
  SmallVector<unsigned> outDims;
  SmallVector<IteratorType> iters(rank - 1, kPar);
  iters.push_back(kRed);
  for (unsigned d = 0; d + 1 < rank; ++d)
    outDims.push_back(d);
  AffineMap outMap = pick(b.getContext(), rank, outDims);
  Value maxInit = filled(
      b, outShape, b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
  Value idxInit = filled(b, outShape, b.getIntegerAttr(indexType, 0));
  auto op = linalg::GenericOp::create(
      b, TypeRange{maxInit.getType(), idxInit.getType()}, ValueRange{logits},
      ValueRange{maxInit, idxInit},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank), outMap, outMap},
      iters, [&](OpBuilder &nb, Location loc, ValueRange a) {
        Value j = linalg::IndexOp::create(nb, loc, rank - 1);
        Value jInt = arith::IndexCastOp::create(nb, loc, indexType, j);
        // Strictly greater keeps the first maximum, like torch.argmax.
        Value greater = arith::CmpFOp::create(
            nb, loc, arith::CmpFPredicate::OGT, a[0], a[1]);
        Value newMax = arith::SelectOp::create(nb, loc, greater, a[0], a[1]);
        Value newIdx = arith::SelectOp::create(nb, loc, greater, jInt, a[2]);
        linalg::YieldOp::create(nb, loc, ValueRange{newMax, newIdx});
      });
  return op.getResult(1);
}

struct ArgmaxLowering : OpRewritePattern<ArgmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ArgmaxOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    rewriter.replaceOp(op, argmax(b, op.getLogits(),
                                  op.getResult().getType().getElementType()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Recursion and halting
//===----------------------------------------------------------------------===//

/// Clones the single block of `region` at the builder's insertion point with
/// its arguments bound to `args`; returns the values its terminator yields.
/// `mapping` may already replace values captured from outside the region;
/// `onClone` sees each cloned top-level op.
SmallVector<Value> inlineBody(OpBuilder &b, Region &region, ValueRange args,
                              IRMapping mapping = {},
                              function_ref<void(Operation *)> onClone = {}) {
  Block &block = region.front();
  mapping.map(block.getArguments(), args);
  for (Operation &op : block.without_terminator()) {
    Operation *clone = b.clone(op, mapping);
    if (onClone)
      onClone(clone);
  }
  SmallVector<Value> results;
  for (Value v : block.getTerminator()->getOperands())
    results.push_back(mapping.lookupOrDefault(v));
  return results;
}

/// Clones the supervision-step region for a sub-batch of `rows` samples:
/// `args` are their [rows, ...] state, and `input`, the (batched) recursion
/// input captured from outside the region, becomes `inputRows`. Every tensor
/// that depends on the state or the input has the batch as its leading
/// dimension, so the clones' types are those of the batched region with that
/// dimension set to `rows`; weights and constants do not depend on them and
/// keep their types. Returns the values the step yields, for the rows.
SmallVector<Value> inlineStepForRows(OpBuilder &b, Region &step,
                                     ValueRange args, Value input,
                                     Value inputRows, int64_t rows) {
  IRMapping mapping;
  if (input != inputRows)
    mapping.map(input, inputRows);
  DenseSet<Value> perSample(args.begin(), args.end());
  perSample.insert(inputRows);
  auto toRows = [&](Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[0] = rows;
    v.setType(type.clone(shape));
    perSample.insert(v);
  };
  return inlineBody(b, step, args, mapping, [&](Operation *clone) {
    clone->walk<WalkOrder::PreOrder>([&](Operation *nested) {
      // The network region's arguments are the recursion state.
      for (Region &region : nested->getRegions())
        for (BlockArgument arg : region.getArguments())
          toRows(arg);
      if (llvm::any_of(nested->getOperands(),
                       [&](Value v) { return perSample.contains(v); }))
        llvm::for_each(nested->getResults(), toRows);
    });
  });
}

/// Offsets, sizes and strides of row `i` of a tensor shaped like `batched`.
struct SampleRow {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  SampleRow(OpBuilder &b, Value batched, Value i) {
    auto type = cast<RankedTensorType>(batched.getType());
    offsets.assign(type.getRank(), b.getIndexAttr(0));
    strides.assign(type.getRank(), b.getIndexAttr(1));
    offsets[0] = i;
    for (int64_t d : type.getShape())
      sizes.push_back(b.getIndexAttr(d));
    sizes[0] = b.getIndexAttr(1);
  }
};

/// Row `i` of a batched tensor as a [1, ...] slice.
Value sampleSlice(ImplicitLocOpBuilder &b, Value batched, Value i) {
  SampleRow row(b, batched, i);
  return tensor::ExtractSliceOp::create(b, batched, row.offsets, row.sizes,
                                        row.strides);
}

/// Writes the [1, ...] `sample` into row `i` of `batched`.
Value insertSample(ImplicitLocOpBuilder &b, Value sample, Value batched,
                   Value i) {
  SampleRow row(b, batched, i);
  return tensor::InsertSliceOp::create(b, sample, batched, row.offsets,
                                       row.sizes, row.strides);
}

struct DeepRecursionLowering : OpRewritePattern<DeepRecursionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DeepRecursionOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    const int64_t n = op.getLCycles(), perCycle = n + 1;
    const int64_t calls = op.getHCycles() * perCycle;
    Value x = op.getInput();
    // Call c of each cycle of n+1: c < n updates the latent from
    // (latent, answer + x), c == n updates the answer from (answer, latent).
    auto loop = scf::ForOp::create(
        b, indexConst(b, b.getLoc(), 0), indexConst(b, b.getLoc(), calls),
        indexConst(b, b.getLoc(), 1),
        ValueRange{op.getAnswer(), op.getLatent()},
        [&](OpBuilder &nb, Location loc, Value iv, ValueRange carried) {
          ImplicitLocOpBuilder lb(loc, nb);
          Value y = carried[0], z = carried[1];
          Value c = arith::RemUIOp::create(lb, iv, indexConst(lb, loc, perCycle));
          Value latentCall = arith::CmpIOp::create(
              lb, arith::CmpIPredicate::ult, c, indexConst(lb, loc, n));
          // answer + input is computed on every call (not only in the
          // latent branch), so that its buffer is an intermediate of the
          // loop body, which bufferization hoists out of the loop.
          Value injected = addTensors(lb, y, x);
          auto inputs = scf::IfOp::create(
              lb, latentCall,
              [&](OpBuilder &tb, Location tl) {
                scf::YieldOp::create(tb, tl, ValueRange{z, injected});
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(eb, el, ValueRange{y, z});
              });
          Value out = inlineBody(lb, op.getNetwork(), inputs.getResults())[0];
          // The new state is copied into the buffer of the state it replaces
          // (dead by now: the network read it first), so the loop carries
          // the same two buffers throughout instead of allocating a state
          // per call.
          auto overwrite = [&](OpBuilder &ob, Location ol, Value into) {
            return linalg::CopyOp::create(ob, ol, out, into).getResult(0);
          };
          auto next = scf::IfOp::create(
              lb, latentCall,
              [&](OpBuilder &tb, Location tl) {
                scf::YieldOp::create(tb, tl, ValueRange{y, overwrite(tb, tl, z)});
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(eb, el, ValueRange{overwrite(eb, el, y), z});
              });
          scf::YieldOp::create(lb, next.getResults());
        });
    rewriter.replaceOp(op, loop.getResults());
    return success();
  }
};

/// True where a byte of the halted mask is set.
Value isSet(OpBuilder &b, Location loc, Value maskByte) {
  Value zero = arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(maskByte.getType(), 0));
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, maskByte,
                               zero);
}

/// The sizes of the sub-batches a step over some of a batch's rows runs in,
/// largest first: the `count - 1` largest powers of two below the batch, and
/// 1. Each size runs as often as it fits in the rows the larger ones leave,
/// and 1 fits any remainder, so every running row is computed once and no
/// other row is. Each size is one more copy of the step to compile.
SmallVector<int64_t> subBatchSizes(int64_t batch, int64_t count) {
  SmallVector<int64_t> sizes;
  for (int64_t size = llvm::PowerOf2Ceil(batch) / 2;
       size > 1 && static_cast<int64_t>(sizes.size()) + 1 < count; size /= 2)
    sizes.push_back(size);
  sizes.push_back(1);
  return sizes;
}

struct ActLowering : OpRewritePattern<ActOp> {
  ActLowering(MLIRContext *ctx, bool compactHalted, int64_t subBatches)
      : OpRewritePattern(ctx), compactHalted(compactHalted),
        subBatches(subBatches) {}
  bool compactHalted;
  int64_t subBatches;

  /// The step's one trm.deep_recursion (the verifier guarantees it). The
  /// greedy driver visits ops top-down, so the act is lowered before the ops
  /// in its region and the recursion is still there.
  static DeepRecursionOp recursionOf(ActOp op) {
    return *op.getStep().front().getOps<DeepRecursionOp>().begin();
  }

  /// One supervision step with batch compaction: when every row runs, the
  /// step runs batched; otherwise the running rows are gathered into
  /// sub-batches of the sizes subBatchSizes() gives and only they are
  /// computed, so a halted row, or a row that
  /// is no sample, costs no network calls. Halted rows keep their state;
  /// their logits and q rows are zero and are discarded by the caller's
  /// select. Returns the step's (answer, latent, logits, q) like the
  /// region's yield, then the number of rows the step computed.
  ///
  /// Every path is a loop, not a branch: the batched one runs 0 or 1 times,
  /// each sub-batch size as many times as it is used. Inside loops (and not
  /// in scf.if regions) the weight transposes stay hoistable by
  /// loop-invariant code motion and the intermediates' buffers by
  /// buffer-loop-hoisting, so no path allocates or transposes per step.
  SmallVector<Value> compactedStep(ImplicitLocOpBuilder &b, ActOp op,
                                   Value answer, Value latent,
                                   Value halted) const {
    Region &step = op.getStep();
    auto yield = step.front().getTerminator();
    SmallVector<Type> types(yield->getOperandTypes());
    const int64_t batch = shapeOf(halted)[0];
    Value input = recursionOf(op).getInput();
    // An input computed inside the step is per-row already.
    const bool capturedInput = !step.isAncestor(input.getParentRegion());
    Location loc = b.getLoc();
    Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);

    // The running samples, in order: list[0, count).
    Type indexType = b.getIndexType();
    auto listing = scf::ForOp::create(
        b, zero, indexConst(b, loc, batch), one,
        ValueRange{emptyTensor(b, {batch}, indexType), zero},
        [&](OpBuilder &nb, Location l, Value i, ValueRange acc) {
          ImplicitLocOpBuilder lb(l, nb);
          Value h = tensor::ExtractOp::create(lb, halted, ValueRange{i});
          // Written at the end of the list either way; only a running
          // sample moves the end on.
          Value list = tensor::InsertOp::create(lb, i, acc[0], ValueRange{acc[1]});
          Value next = arith::SelectOp::create(
              lb, isSet(lb, l, h), acc[1],
              arith::AddIOp::create(lb, acc[1], indexConst(lb, l, 1)));
          scf::YieldOp::create(lb, ValueRange{list, next});
        });
    Value list = listing.getResult(0), count = listing.getResult(1);
    Value full = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, count,
                                       indexConst(b, loc, batch));

    SmallVector<Value> inits = {answer, latent};
    for (Type t : ArrayRef<Type>(types).drop_front(2))
      inits.push_back(filled(b, cast<RankedTensorType>(t).getShape(),
                             b.getF32FloatAttr(0)));
    Value batchedTrips = arith::SelectOp::create(b, full, one, zero);
    auto batched = scf::ForOp::create(
        b, zero, batchedTrips, one, inits,
        [&](OpBuilder &nb, Location l, Value, ValueRange acc) {
          SmallVector<Value> out = inlineBody(nb, step, {acc[0], acc[1]});
          // Logits and q are copied into the carried records so that the
          // loop yields the buffers it was given.
          for (unsigned r : {2u, 3u})
            out[r] = linalg::CopyOp::create(nb, l, out[r], acc[r]).getResult(0);
          scf::YieldOp::create(nb, l, out);
        });

    SmallVector<Value> acc(batched.getResults());
    Value rowsRun = arith::MulIOp::create(b, batchedTrips,
                                          indexConst(b, loc, batch));
    Value left = arith::SelectOp::create(b, full, zero, count);
    Value done = zero;
    for (int64_t rows : subBatchSizes(batch, subBatches)) {
      Value size = indexConst(b, loc, rows);
      Value trips = arith::DivUIOp::create(b, left, size);
      left = arith::RemUIOp::create(b, left, size);
      Value first = done;
      auto loop = scf::ForOp::create(
          b, zero, trips, one, acc,
          [&](OpBuilder &nb, Location l, Value c, ValueRange carried) {
            ImplicitLocOpBuilder lb(l, nb);
            Value base = arith::AddIOp::create(
                lb, first, arith::MulIOp::create(lb, c, size));
            auto rowOf = [&](OpBuilder &ob, Location ol, Value j) -> Value {
              Value at = arith::AddIOp::create(ob, ol, base, j);
              return tensor::ExtractOp::create(ob, ol, list, ValueRange{at});
            };
            SmallVector<Value> out = inlineStepForRows(
                lb, step,
                {gatherRows(lb, carried[0], rows, rowOf),
                 gatherRows(lb, carried[1], rows, rowOf)},
                input,
                capturedInput ? gatherRows(lb, input, rows, rowOf) : input,
                rows);
            scf::YieldOp::create(lb, scatterRows(lb, out, carried, rows, rowOf));
          });
      acc.assign(loop.getResults().begin(), loop.getResults().end());
      Value ran = arith::MulIOp::create(b, trips, size);
      done = arith::AddIOp::create(b, done, ran);
      rowsRun = arith::AddIOp::create(b, rowsRun, ran);
    }
    acc.push_back(rowsRun);
    return acc;
  }

  using RowOf = function_ref<Value(OpBuilder &, Location, Value)>;

  /// The rows rowOf(0..rows-1) of `batched`, copied into a [rows, ...]
  /// tensor of their own: the recursion then carries contiguous buffers, not
  /// views with a dynamic offset into the batch, which kernels (SPIR-V)
  /// cannot take as arguments. Each row goes through a buffer of its own
  /// too: a copy kernel takes at most one view with a dynamic offset.
  static Value gatherRows(ImplicitLocOpBuilder &b, Value batched,
                          int64_t rows, RowOf rowOf) {
    auto type = cast<RankedTensorType>(batched.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[0] = rows;
    Location loc = b.getLoc();
    auto loop = scf::ForOp::create(
        b, indexConst(b, loc, 0), indexConst(b, loc, rows),
        indexConst(b, loc, 1),
        ValueRange{emptyTensor(b, shape, type.getElementType())},
        [&](OpBuilder &nb, Location l, Value j, ValueRange own) {
          ImplicitLocOpBuilder lb(l, nb);
          Value row = sampleSlice(lb, batched, rowOf(lb, l, j));
          Value copy = linalg::CopyOp::create(
                           lb, row,
                           emptyTensor(lb, shapeOf(row), type.getElementType()))
                           .getResult(0);
          scf::YieldOp::create(lb, insertSample(lb, copy, own[0], j));
        });
    return loop.getResult(0);
  }

  /// Writes row j of each [rows, ...] `out` into row rowOf(j) of the
  /// matching batched `into`.
  static SmallVector<Value> scatterRows(ImplicitLocOpBuilder &b,
                                        ValueRange out, ValueRange into,
                                        int64_t rows, RowOf rowOf) {
    Location loc = b.getLoc();
    auto loop = scf::ForOp::create(
        b, indexConst(b, loc, 0), indexConst(b, loc, rows),
        indexConst(b, loc, 1), into,
        [&](OpBuilder &nb, Location l, Value j, ValueRange acc) {
          ImplicitLocOpBuilder lb(l, nb);
          Value i = rowOf(lb, l, j);
          SmallVector<Value> merged;
          for (auto [o, a] : llvm::zip(out, acc))
            merged.push_back(insertSample(lb, sampleSlice(lb, o, j), a, i));
          scf::YieldOp::create(lb, merged);
        });
    return SmallVector<Value>(loop.getResults());
  }

  /// The halted mask before the first step: rows at or past the sample
  /// count are not samples and count as halted; without a count every row
  /// is a sample.
  static Value initialMask(ImplicitLocOpBuilder &b, ActOp op, int64_t batch) {
    Type mask = b.getI8Type();
    if (!op.getSamples())
      return filled(b, {batch}, b.getIntegerAttr(mask, 0));
    // The count is read inside the loop body, not extracted first: a scalar
    // would make the op a fill of a computed i8 once the row index folds (a
    // batch of one), and kernels cannot take i8 scalars (SPIR-V).
    MLIRContext *ctx = b.getContext();
    AffineMap id1 = b.getMultiDimIdentityMap(1);
    AffineMap first = AffineMap::get(1, 0, getAffineConstantExpr(0, ctx), ctx);
    return generic(
        b, {op.getSamples()}, emptyTensor(b, {batch}, mask), {first, id1},
        {kPar}, [&](OpBuilder &nb, Location loc, ValueRange a) -> Value {
          Value samples =
              arith::IndexCastOp::create(nb, loc, nb.getIndexType(), a[0]);
          Value row = linalg::IndexOp::create(nb, loc, 0);
          Value notSample = arith::CmpIOp::create(
              nb, loc, arith::CmpIPredicate::uge, row, samples);
          return arith::ExtUIOp::create(nb, loc, mask, notSample);
        });
  }

  LogicalResult matchAndRewrite(ActOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    MLIRContext *ctx = b.getContext();
    ArrayRef<int64_t> logitsShape = shapeOf(op.getLogits());
    const int64_t batch = logitsShape[0], seq = logitsShape[1],
                  vocab = logitsShape[2], maxSteps = op.getMaxSteps();
    const bool qHalt = op.getPolicy() == HaltingPolicy::QHalt;
    // Rows can stop being computed when samples halt, or when some rows are
    // no samples.
    const bool compact =
        compactHalted && batch > 1 && (qHalt || op.getSamples());
    DeepRecursionOp recursion = recursionOf(op);
    const int64_t callsPerRow =
        recursion.getHCycles() * (recursion.getLCycles() + 1);
    // The halted mask holds one byte per sample (0 or 1): bytes are stored
    // alike on every backend, unlike i1 (packed bits in LLVM vectors, no
    // storage type in SPIR-V).
    Type mask = b.getI8Type();
    Type predElt = op.getStepPredictions().getType().getElementType();
    Type stepsElt = op.getSteps().getType().getElementType();
    Type callsElt = op.getNetworkCalls().getType().getElementType();

    SmallVector<Value> inits = {
        indexConst(b, b.getLoc(), 0),
        op.getAnswer(),
        op.getLatent(),
        filled(b, {batch, seq, vocab}, b.getF32FloatAttr(0)),
        filled(b, {batch, maxSteps, 2}, b.getF32FloatAttr(0)),
        filled(b, {batch, maxSteps, seq}, b.getIntegerAttr(predElt, -1)),
        filled(b, {batch}, b.getIntegerAttr(stepsElt, 0)),
        initialMask(b, op, batch),
        // Rows computed so far, summed over the steps.
        indexConst(b, b.getLoc(), 0),
    };
    SmallVector<Type> types;
    for (Value v : inits)
      types.push_back(v.getType());
    SmallVector<Location> locs(types.size(), b.getLoc());

    auto loop = scf::WhileOp::create(b, types, inits);
    // Before: continue while steps remain and some sample has not halted.
    {
      Block *before = b.createBlock(&loop.getBefore(), {}, types, locs);
      b.setInsertionPointToStart(before);
      Value k = before->getArgument(0), halted = before->getArgument(7);
      Value stepsLeft = arith::CmpIOp::create(
          b, arith::CmpIPredicate::ult, k, indexConst(b, b.getLoc(), maxSteps));
      Value allHalted = reduceAxis(
          b, halted, 0, b.getIntegerAttr(mask, 1),
          [](OpBuilder &nb, Location loc, Value x, Value acc) -> Value {
            return arith::AndIOp::create(nb, loc, acc, x);
          });
      Value all = tensor::ExtractOp::create(b, allHalted, ValueRange{});
      Value someActive = arith::CmpIOp::create(
          b, arith::CmpIPredicate::eq, all,
          arith::ConstantOp::create(b, b.getIntegerAttr(mask, 0)));
      Value more = arith::AndIOp::create(b, stepsLeft, someActive);
      scf::ConditionOp::create(b, more, before->getArguments());
    }
    // After: one supervision step, then record each active sample's outputs.
    {
      Block *after = b.createBlock(&loop.getAfter(), {}, types, locs);
      b.setInsertionPointToStart(after);
      Value k = after->getArgument(0);
      Value finalLogits = after->getArgument(3), stepQ = after->getArgument(4),
            stepPreds = after->getArgument(5), steps = after->getArgument(6),
            halted = after->getArgument(7), rowsSoFar = after->getArgument(8);
      SmallVector<Value> stepOut;
      Value rowsThisStep;
      if (compact) {
        stepOut = compactedStep(b, op, after->getArgument(1),
                                after->getArgument(2), halted);
        rowsThisStep = stepOut.pop_back_val();
      } else {
        stepOut = inlineBody(b, op.getStep(),
                             {after->getArgument(1), after->getArgument(2)});
        rowsThisStep = indexConst(b, b.getLoc(), batch);
      }
      Value rowsRun = arith::AddIOp::create(b, rowsSoFar, rowsThisStep);
      Value logits = stepOut[2], q = stepOut[3];
      Value preds = argmax(b, logits, predElt);

      AffineMap perSample3 = pick(ctx, 3, {0});
      AffineMap id3 = b.getMultiDimIdentityMap(3);
      AffineMap id2 = b.getMultiDimIdentityMap(2);
      AffineMap perSample2 = pick(ctx, 2, {0});
      // The records are updated in place: each generic's destination is
      // the loop-carried record it replaces, and the old value is read
      // through the destination's block argument (a read-modify-write that
      // tiling and bufferization keep in place), so the halting loop carries
      // the same buffers from step to step.
      Value newFinal = generic(
          b, {halted, logits}, finalLogits, {perSample3, id3, id3},
          {kPar, kPar, kPar},
          [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
            // a = (halted, new, old): a halted sample keeps its old value.
            return arith::SelectOp::create(nb, loc, isSet(nb, loc, a[0]),
                                           a[2], a[1]);
          });
      // This step's row of q logits (0 for halted samples) and predictions
      // (-1 for halted samples).
      Value qRow = generic(
          b, {halted, q}, emptyTensor(b, {batch, 2}, b.getF32Type()),
          {perSample2, id2, id2}, {kPar, kPar},
          [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
            return arith::SelectOp::create(nb, loc, isSet(nb, loc, a[0]),
                                           f32Const(nb, loc, 0.0), a[1]);
          });
      Value predRow = generic(
          b, {halted, preds}, emptyTensor(b, {batch, seq}, predElt),
          {perSample2, id2, id2}, {kPar, kPar},
          [&](OpBuilder &nb, Location loc, ValueRange a) -> Value {
            Value none = arith::ConstantOp::create(
                nb, loc, nb.getIntegerAttr(predElt, -1));
            return arith::SelectOp::create(nb, loc, isSet(nb, loc, a[0]),
                                           none, a[1]);
          });
      auto insertRow = [&](Value row, Value into, int64_t width) -> Value {
        // Insert [B, width] as row k of [B, K, width].
        SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), k,
                                             b.getIndexAttr(0)};
        SmallVector<OpFoldResult> sizes = {b.getIndexAttr(batch),
                                           b.getIndexAttr(1),
                                           b.getIndexAttr(width)};
        SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
        return tensor::InsertSliceOp::create(b, row, into, offsets, sizes,
                                             strides);
      };
      Value newStepQ = insertRow(qRow, stepQ, 2);
      Value newStepPreds = insertRow(predRow, stepPreds, seq);
      Value kNext = arith::AddIOp::create(b, k, indexConst(b, b.getLoc(), 1));
      Value kNextInt = arith::IndexCastOp::create(b, stepsElt, kNext);
      AffineMap id1 = b.getMultiDimIdentityMap(1);
      Value newSteps = generic(
          b, {halted}, steps, {id1, id1}, {kPar},
          [&](OpBuilder &nb, Location loc, ValueRange a) -> Value {
            return arith::SelectOp::create(nb, loc, isSet(nb, loc, a[0]),
                                           a[1], kNextInt);
          });
      Value newHalted = halted;
      if (qHalt) {
        // q_halt is column 0; a sample halts after the first step with
        // q_halt > 0.
        Value qHaltCol =
            extractSlice(b, q, {0, 0}, {batch, 1},
                         RankedTensorType::get({batch}, b.getF32Type()));
        newHalted = generic(
            b, {qHaltCol}, halted, {id1, id1}, {kPar},
            [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
              // a = (q_halt, halted so far).
              Value positive = arith::CmpFOp::create(
                  nb, loc, arith::CmpFPredicate::OGT, a[0],
                  f32Const(nb, loc, 0.0));
              return arith::OrIOp::create(
                  nb, loc, a[1],
                  arith::ExtUIOp::create(nb, loc, nb.getI8Type(), positive));
            });
      }
      scf::YieldOp::create(b, ValueRange{kNext, stepOut[0], stepOut[1],
                                         newFinal, newStepQ, newStepPreds,
                                         newSteps, newHalted, rowsRun});
    }
    b.setInsertionPointAfter(loop);
    Value calls = arith::IndexCastOp::create(
        b, callsElt,
        arith::MulIOp::create(b, loop.getResult(8),
                              indexConst(b, b.getLoc(), callsPerRow)));
    Value networkCalls =
        linalg::FillOp::create(b, calls, emptyTensor(b, {1}, callsElt))
            .getResult(0);
    rewriter.replaceOp(op, {loop.getResult(3), loop.getResult(4),
                            loop.getResult(5), loop.getResult(6),
                            networkCalls});
    return success();
  }
};

struct ConvertTRMToLinalgPass
    : trm::impl::ConvertTRMToLinalgBase<ConvertTRMToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateTRMToLinalgConversionPatterns(patterns, compactHalted, subBatches);
    GreedyRewriteConfig config;
    config.setUseTopDownTraversal(true);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)))
      return signalPassFailure();
    WalkResult left = getOperation().walk([](Operation *op) {
      if (!isa<TRMDialect>(op->getDialect()))
        return WalkResult::advance();
      op->emitOpError(isa<WeightOp>(op)
                          ? "is not bound: run trm-bind-weights first"
                          : "was not lowered");
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace

void mlir::trm::populateTRMToLinalgConversionPatterns(
    RewritePatternSet &patterns, bool compactHalted, int64_t subBatches) {
  patterns.add<EmbedLowering, InitStateLowering, ResidualNormLowering,
               SwiGLULowering, AttentionLowering, LMHeadLowering,
               QHeadLowering, ArgmaxLowering, DeepRecursionLowering>(
      patterns.getContext());
  patterns.add<ActLowering>(patterns.getContext(), compactHalted, subBatches);
}
