//===- NetworkOps.cpp - the network's pieces to linalg --------------------===//
//
// Embedding, state initialisation, residual RMS norm, SwiGLU (over features
// or, in MLP-T models, over tokens), the two heads and the argmax, each one
// OpConversionPattern. Weights are stored [out, in], hence the transposed-B
// matmuls of linear().
//
//===----------------------------------------------------------------------===//
#include "LinalgBuilders.h"
#include "Patterns.h"

#include <cmath>

using namespace mlir;
using namespace mlir::trm;
using namespace mlir::trm::lowering;

namespace {
struct EmbedLowering : OpConversionPattern<EmbedOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(EmbedOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    ArrayRef<int64_t> out = shapeOf(op.getResult());
    const int64_t prefix = op.getPrefixLen(), hidden = out[2];
    Value tokens = adaptor.getTokens(), table = adaptor.getEmbedTokens();
    Value ids = adaptor.getPuzzleIds(), puzzle = adaptor.getPuzzleEmb(),
          positions = adaptor.getEmbedPos();
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
          Value tok =
              tensor::ExtractOp::create(nb, loc, tokens, ValueRange{bi, tp});
          Value row =
              arith::IndexCastOp::create(nb, loc, nb.getIndexType(), tok);
          Value v =
              tensor::ExtractOp::create(nb, loc, table, ValueRange{row, d});
          if (puzzle) {
            // Prefix position p holds puzzle_emb[id][p*D + d], zero past ndim.
            int64_t ndim = shapeOf(puzzle)[1];
            Value flat = arith::AddIOp::create(
                nb, loc,
                arith::MulIOp::create(nb, loc, p, indexConst(nb, loc, hidden)),
                d);
            Value last = indexConst(nb, loc, ndim - 1);
            Value inRange =
                arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::ult, flat,
                                      indexConst(nb, loc, ndim));
            Value col = arith::SelectOp::create(nb, loc, inRange, flat, last);
            Value id = tensor::ExtractOp::create(nb, loc, ids, ValueRange{bi});
            Value idRow =
                arith::IndexCastOp::create(nb, loc, nb.getIndexType(), id);
            Value pv = tensor::ExtractOp::create(nb, loc, puzzle,
                                                 ValueRange{idRow, col});
            pv = arith::SelectOp::create(nb, loc, inRange, pv,
                                         f32Const(nb, loc, 0.0));
            v = arith::SelectOp::create(nb, loc, isToken, v, pv);
          }
          if (positions) {
            Value pos =
                tensor::ExtractOp::create(nb, loc, positions, ValueRange{p, d});
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

struct InitStateLowering : OpConversionPattern<InitStateOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(InitStateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    ArrayRef<int64_t> out = shapeOf(op.getResult());
    Value result =
        generic(b, {adaptor.getInit()}, emptyTensor(b, out, b.getF32Type()),
                {pick(b.getContext(), 3, {2}), b.getMultiDimIdentityMap(3)},
                {kPar, kPar, kPar},
                [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ResidualNormLowering : OpConversionPattern<ResidualNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ResidualNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    unsigned axis = op.getAxis();
    ArrayRef<int64_t> s = shapeOf(op.getResult());
    unsigned rank = s.size();
    Value sum = addTensors(b, adaptor.getInput(), adaptor.getBranch());
    Value squares = reduceAxis(
        b, sum, axis, b.getF32FloatAttr(0),
        [](OpBuilder &nb, Location loc, Value x, Value acc) -> Value {
          return arith::AddFOp::create(nb, loc, acc,
                                       arith::MulFOp::create(nb, loc, x, x));
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
          Value mean =
              arith::MulFOp::create(nb, loc, a[1], f32Const(nb, loc, invCount));
          Value r = math::RsqrtOp::create(
              nb, loc,
              arith::AddFOp::create(nb, loc, mean, f32Const(nb, loc, eps)));
          return arith::MulFOp::create(nb, loc, a[0], r);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SwiGLULowering : OpConversionPattern<SwiGLUOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SwiGLUOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value h = adaptor.getHidden(), gateUp = adaptor.getGateUpWeight(),
          down = adaptor.getDownWeight();
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
    Value g =
        generic(b, {gateUp, h},
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

struct LMHeadLowering : OpConversionPattern<LMHeadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LMHeadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    ArrayRef<int64_t> s = shapeOf(adaptor.getAnswer());
    int64_t prefix = op.getPrefixLen();
    Value tokens = extractSlice(b, adaptor.getAnswer(), {0, prefix, 0},
                                {s[0], s[1] - prefix, s[2]});
    rewriter.replaceOp(op, linear(b, tokens, adaptor.getWeight()));
    return success();
  }
};

struct QHeadLowering : OpConversionPattern<QHeadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QHeadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    ArrayRef<int64_t> s = shapeOf(adaptor.getAnswer());
    auto firstType = RankedTensorType::get({s[0], s[2]}, b.getF32Type());
    Value first = extractSlice(b, adaptor.getAnswer(), {0, 0, 0},
                               {s[0], 1, s[2]}, firstType);
    Value q = matmulTransposedB(b, first, adaptor.getWeight());
    Value result = generic(
        b, {q, adaptor.getBias()}, emptyTensor(b, {s[0], 2}, b.getF32Type()),
        {b.getMultiDimIdentityMap(2), pick(b.getContext(), 2, {1}),
         b.getMultiDimIdentityMap(2)},
        {kPar, kPar}, [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
          return arith::AddFOp::create(nb, loc, a[0], a[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ArgmaxLowering : OpConversionPattern<ArgmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ArgmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    rewriter.replaceOp(op, argmax(b, adaptor.getLogits(),
                                  op.getResult().getType().getElementType()));
    return success();
  }
};

} // namespace

void mlir::trm::lowering::populateNetworkOpPatterns(
    RewritePatternSet &patterns) {
  patterns.add<EmbedLowering, InitStateLowering, ResidualNormLowering,
               SwiGLULowering, LMHeadLowering, QHeadLowering, ArgmaxLowering>(
      patterns.getContext());
}
