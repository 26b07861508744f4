//===- Compaction.cpp - supervision steps over the running rows only ------===//
//
// Under early halting (or with fewer samples than rows), a step gathers the
// rows that still run into sub-batches, runs a copy of the step region on
// each and scatters the results back: a halted row, or a row that is no
// sample, costs no network calls.
//
//===----------------------------------------------------------------------===//
#include "Compaction.h"
#include "LinalgBuilders.h"

using namespace mlir;
using namespace mlir::trm;
using namespace mlir::trm::lowering;

namespace {
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

using RowOf = function_ref<Value(OpBuilder &, Location, Value)>;

/// The rows rowOf(0..rows-1) of `batched`, copied into a [rows, ...]
/// tensor of their own: the recursion then carries contiguous buffers, not
/// views with a dynamic offset into the batch, which kernels (SPIR-V)
/// cannot take as arguments. Each row goes through a buffer of its own
/// too: a copy kernel takes at most one view with a dynamic offset.
Value gatherRows(ImplicitLocOpBuilder &b, Value batched, int64_t rows,
                 RowOf rowOf) {
  auto type = cast<RankedTensorType>(batched.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = rows;
  Location loc = b.getLoc();
  auto loop = scf::ForOp::create(
      b, indexConst(b, loc, 0), indexConst(b, loc, rows), indexConst(b, loc, 1),
      ValueRange{emptyTensor(b, shape, type.getElementType())},
      [&](OpBuilder &nb, Location l, Value j, ValueRange own) {
        ImplicitLocOpBuilder lb(l, nb);
        Value row = sampleSlice(lb, batched, rowOf(lb, l, j));
        Value copy =
            linalg::CopyOp::create(
                lb, row, emptyTensor(lb, shapeOf(row), type.getElementType()))
                .getResult(0);
        scf::YieldOp::create(lb, insertSample(lb, copy, own[0], j));
      });
  return loop.getResult(0);
}

/// Writes row j of each [rows, ...] `out` into row rowOf(j) of the
/// matching batched `into`.
SmallVector<Value> scatterRows(ImplicitLocOpBuilder &b, ValueRange out,
                               ValueRange into, int64_t rows, RowOf rowOf) {
  Location loc = b.getLoc();
  auto loop = scf::ForOp::create(
      b, indexConst(b, loc, 0), indexConst(b, loc, rows), indexConst(b, loc, 1),
      into, [&](OpBuilder &nb, Location l, Value j, ValueRange acc) {
        ImplicitLocOpBuilder lb(l, nb);
        Value i = rowOf(lb, l, j);
        SmallVector<Value> merged;
        for (auto [o, a] : llvm::zip(out, acc))
          merged.push_back(insertSample(lb, sampleSlice(lb, o, j), a, i));
        scf::YieldOp::create(lb, merged);
      });
  return SmallVector<Value>(loop.getResults());
}

} // namespace

SmallVector<Value> lowering::compactedStep(ImplicitLocOpBuilder &b, ActOp op,
                                           DeepRecursionOp recursion,
                                           Value answer, Value latent,
                                           Value halted, int64_t subBatches) {
  Region &step = op.getStep();
  auto yield = step.front().getTerminator();
  SmallVector<Type> types(yield->getOperandTypes());
  const int64_t batch = shapeOf(halted)[0];
  Value input = recursion.getInput();
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
        Value list =
            tensor::InsertOp::create(lb, i, acc[0], ValueRange{acc[1]});
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
    inits.push_back(
        filled(b, cast<RankedTensorType>(t).getShape(), b.getF32FloatAttr(0)));
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
  Value rowsRun =
      arith::MulIOp::create(b, batchedTrips, indexConst(b, loc, batch));
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
              input, capturedInput ? gatherRows(lb, input, rows, rowOf) : input,
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
