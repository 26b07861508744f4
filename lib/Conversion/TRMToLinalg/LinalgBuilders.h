//===- LinalgBuilders.h - linalg-on-tensors building blocks -------*- C++
//-*-===//
//
// The small constructions every trm lowering is made of: constant and empty
// tensors, slices, single-result linalg.generic ops, matmuls against
// weights stored [out, in], reductions along one axis, and the inlining of a
// trm region. Internal to the TRMToLinalg library.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_LIB_CONVERSION_TRMTOLINALG_LINALGBUILDERS_H
#define TRM_LIB_CONVERSION_TRMTOLINALG_LINALGBUILDERS_H

#include "trm/Dialect/TRM/IR/TRMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::trm::lowering {

using utils::IteratorType;
inline constexpr IteratorType kPar = IteratorType::parallel;
inline constexpr IteratorType kRed = IteratorType::reduction;

/// The static shape of a ranked tensor value.
ArrayRef<int64_t> shapeOf(Value v);

Value emptyTensor(ImplicitLocOpBuilder &b, ArrayRef<int64_t> shape, Type elt);
/// A tensor of `shape` filled with `value` (linalg.fill).
Value filled(ImplicitLocOpBuilder &b, ArrayRef<int64_t> shape, TypedAttr value);
Value f32Const(OpBuilder &b, Location loc, double v);
Value indexConst(OpBuilder &b, Location loc, int64_t v);

/// Static slice with unit strides; `resultType` drops unit dimensions.
Value extractSlice(ImplicitLocOpBuilder &b, Value src,
                   ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes,
                   RankedTensorType resultType = {});

/// Affine map over `numDims` loops picking the dims `dims`.
AffineMap pick(MLIRContext *ctx, unsigned numDims, ArrayRef<unsigned> dims);

/// A linalg.generic with one result; `body` gets the block arguments and
/// returns the value to yield.
Value generic(ImplicitLocOpBuilder &b, ValueRange inputs, Value init,
              ArrayRef<AffineMap> maps, ArrayRef<IteratorType> iterators,
              function_ref<Value(OpBuilder &, Location, ValueRange)> body);

/// Element-wise op over same-shaped tensors.
Value elementwise(ImplicitLocOpBuilder &b, ValueRange inputs,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> body);

Value addTensors(ImplicitLocOpBuilder &b, Value lhs, Value rhs);

/// Transposes a 2-D tensor.
Value transpose2d(ImplicitLocOpBuilder &b, Value w);

/// x [M, K] times w [N, K] transposed: [M, N]. Weights are stored [out, in];
/// the matmul reads them as [in, out] so the output dimension is contiguous
/// (what a vectorized microkernel wants). The transpose depends only on the
/// weight, so loop-invariant code motion moves it out of the recursion and
/// it runs once per call.
Value matmulTransposedB(ImplicitLocOpBuilder &b, Value x, Value w);

/// x [B, L, K] through a bias-free linear layer w [N, K]: [B, L, N].
Value linear(ImplicitLocOpBuilder &b, Value x, Value w);

/// silu(g) * u for g = gu[..., :I], u = gu[..., I:] along axis `axis`.
Value swigluGate(ImplicitLocOpBuilder &b, Value gu, unsigned axis);

/// Sum over `axis` of f(x): a tensor without that axis.
Value reduceAxis(ImplicitLocOpBuilder &b, Value x, unsigned axis,
                 TypedAttr init,
                 function_ref<Value(OpBuilder &, Location, Value, Value)> step);

/// First index of the maximum along the last axis, as `indexType`.
Value argmax(ImplicitLocOpBuilder &b, Value logits, Type indexType);

/// Clones the single block of `region` at the builder's insertion point with
/// its arguments bound to `args`; returns the values its terminator yields.
/// `mapping` may already replace values captured from outside the region;
/// `onClone` sees each cloned top-level op.
SmallVector<Value> inlineBody(OpBuilder &b, Region &region, ValueRange args,
                              IRMapping mapping = {},
                              function_ref<void(Operation *)> onClone = {});

/// True where a byte of the halted mask is set.
Value isSet(OpBuilder &b, Location loc, Value maskByte);

} // namespace mlir::trm::lowering

#endif // TRM_LIB_CONVERSION_TRMTOLINALG_LINALGBUILDERS_H
