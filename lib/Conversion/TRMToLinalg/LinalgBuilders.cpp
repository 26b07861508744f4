//===- LinalgBuilders.cpp - linalg-on-tensors building blocks -------------===//
#include "LinalgBuilders.h"

using namespace mlir;
using namespace mlir::trm;
using namespace mlir::trm::lowering;

ArrayRef<int64_t> lowering::shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

Value lowering::emptyTensor(ImplicitLocOpBuilder &b, ArrayRef<int64_t> shape,
                            Type elt) {
  return tensor::EmptyOp::create(b, shape, elt);
}

Value lowering::filled(ImplicitLocOpBuilder &b, ArrayRef<int64_t> shape,
                       TypedAttr value) {
  Value init = emptyTensor(b, shape, value.getType());
  Value scalar = arith::ConstantOp::create(b, value);
  return linalg::FillOp::create(b, scalar, init).getResult(0);
}

Value lowering::f32Const(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

Value lowering::indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value lowering::extractSlice(ImplicitLocOpBuilder &b, Value src,
                             ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes,
                             RankedTensorType resultType) {
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

AffineMap lowering::pick(MLIRContext *ctx, unsigned numDims,
                         ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d : dims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(numDims, 0, exprs, ctx);
}

Value lowering::generic(
    ImplicitLocOpBuilder &b, ValueRange inputs, Value init,
    ArrayRef<AffineMap> maps, ArrayRef<IteratorType> iterators,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto op = linalg::GenericOp::create(
      b, TypeRange{init.getType()}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location loc, ValueRange args) {
        linalg::YieldOp::create(nb, loc, body(nb, loc, args));
      });
  return op.getResult(0);
}

Value lowering::elementwise(
    ImplicitLocOpBuilder &b, ValueRange inputs,
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

Value lowering::addTensors(ImplicitLocOpBuilder &b, Value lhs, Value rhs) {
  return elementwise(b, {lhs, rhs},
                     [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
                       return arith::AddFOp::create(nb, loc, a[0], a[1]);
                     });
}

Value lowering::transpose2d(ImplicitLocOpBuilder &b, Value w) {
  ArrayRef<int64_t> s = shapeOf(w);
  Value init = emptyTensor(b, {s[1], s[0]}, b.getF32Type());
  return linalg::TransposeOp::create(b, w, init, ArrayRef<int64_t>{1, 0})
      ->getResult(0);
}

Value lowering::matmulTransposedB(ImplicitLocOpBuilder &b, Value x, Value w) {
  int64_t m = shapeOf(x)[0], n = shapeOf(w)[0];
  Value acc = filled(b, {m, n}, b.getF32FloatAttr(0));
  return linalg::MatmulOp::create(b, TypeRange{acc.getType()},
                                  ValueRange{x, transpose2d(b, w)},
                                  ValueRange{acc})
      ->getResult(0);
}

Value lowering::linear(ImplicitLocOpBuilder &b, Value x, Value w) {
  ArrayRef<int64_t> s = shapeOf(x);
  int64_t n = shapeOf(w)[0];
  SmallVector<ReassociationIndices> reassoc = {{0, 1}, {2}};
  Value flat = tensor::CollapseShapeOp::create(b, x, reassoc);
  Value out = matmulTransposedB(b, flat, w);
  auto outType = RankedTensorType::get({s[0], s[1], n}, b.getF32Type());
  return tensor::ExpandShapeOp::create(b, outType, out, reassoc);
}

Value lowering::swigluGate(ImplicitLocOpBuilder &b, Value gu, unsigned axis) {
  ArrayRef<int64_t> s = shapeOf(gu);
  int64_t inter = s[axis] / 2;
  SmallVector<int64_t> sizes(s.begin(), s.end());
  sizes[axis] = inter;
  SmallVector<int64_t> offsets(s.size(), 0);
  Value g = extractSlice(b, gu, offsets, sizes);
  offsets[axis] = inter;
  Value u = extractSlice(b, gu, offsets, sizes);
  return elementwise(
      b, {g, u}, [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
        // silu(g) = g / (1 + exp(-g))
        Value neg = arith::NegFOp::create(nb, loc, a[0]);
        Value e = math::ExpOp::create(nb, loc, neg);
        Value den = arith::AddFOp::create(nb, loc, f32Const(nb, loc, 1.0), e);
        Value silu = arith::DivFOp::create(nb, loc, a[0], den);
        return arith::MulFOp::create(nb, loc, silu, a[1]);
      });
}

Value lowering::reduceAxis(
    ImplicitLocOpBuilder &b, Value x, unsigned axis, TypedAttr init,
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

Value lowering::argmax(ImplicitLocOpBuilder &b, Value logits, Type indexType) {
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

SmallVector<Value>
lowering::inlineBody(OpBuilder &b, Region &region, ValueRange args,
                     IRMapping mapping,
                     function_ref<void(Operation *)> onClone) {
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

Value lowering::isSet(OpBuilder &b, Location loc, Value maskByte) {
  Value zero = arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(maskByte.getType(), 0));
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, maskByte,
                               zero);
}
