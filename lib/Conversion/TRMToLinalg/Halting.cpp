//===- Halting.cpp - trm.act to an scf.while over supervision steps -------===//
//
// The halting loop runs up to max_steps supervision steps while some sample
// has not halted. Each step runs the step region (batched, or over the
// running rows only: Compaction.cpp), then records per sample the step's
// q logits and prediction, the logits of its last running step and the
// number of steps it ran; under q_halt a sample halts after the first step
// whose q_halt is positive.
//
//===----------------------------------------------------------------------===//
#include "Compaction.h"
#include "LinalgBuilders.h"
#include "Patterns.h"

using namespace mlir;
using namespace mlir::trm;
using namespace mlir::trm::lowering;

namespace {
/// The values the halting loop carries, in order.
enum Carried : unsigned {
  kStepIndex,
  kAnswer,
  kLatent,
  kFinalLogits,
  kStepQLogits,
  kStepPredictions,
  kStepsTaken,
  kHalted,
  // Rows computed so far, summed over the steps.
  kRowsRun,
};

/// The halted mask before the first step: rows at or past the sample
/// count are not samples and count as halted; without a count every row
/// is a sample.
Value initialMask(ImplicitLocOpBuilder &b, Value samples, int64_t batch) {
  Type mask = b.getI8Type();
  if (!samples)
    return filled(b, {batch}, b.getIntegerAttr(mask, 0));
  // The count is read inside the loop body, not extracted first: a scalar
  // would make the op a fill of a computed i8 once the row index folds (a
  // batch of one), and kernels cannot take i8 scalars (SPIR-V).
  MLIRContext *ctx = b.getContext();
  AffineMap id1 = b.getMultiDimIdentityMap(1);
  AffineMap first = AffineMap::get(1, 0, getAffineConstantExpr(0, ctx), ctx);
  return generic(
      b, {samples}, emptyTensor(b, {batch}, mask), {first, id1}, {kPar},
      [&](OpBuilder &nb, Location loc, ValueRange a) -> Value {
        Value samples =
            arith::IndexCastOp::create(nb, loc, nb.getIndexType(), a[0]);
        Value row = linalg::IndexOp::create(nb, loc, 0);
        Value notSample = arith::CmpIOp::create(
            nb, loc, arith::CmpIPredicate::uge, row, samples);
        return arith::ExtUIOp::create(nb, loc, mask, notSample);
      });
}

/// The loop's condition: continue while steps remain and some sample has
/// not halted.
void buildContinueCondition(ImplicitLocOpBuilder &b, Block *before,
                            int64_t maxSteps) {
  Type mask = b.getI8Type();
  Value k = before->getArgument(kStepIndex),
        halted = before->getArgument(kHalted);
  Value stepsLeft = arith::CmpIOp::create(b, arith::CmpIPredicate::ult, k,
                                          indexConst(b, b.getLoc(), maxSteps));
  Value allHalted =
      reduceAxis(b, halted, 0, b.getIntegerAttr(mask, 1),
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

/// After a step that produced `logits`, `q` and `preds`: the records of
/// every sample still running (the final logits, this step's row of q
/// logits and of predictions, the steps taken), the next step index and,
/// under q_halt, the new halted mask. Returns them at their Carried
/// positions from kStepIndex to kHalted, without the state.
///
/// The records are updated in place: each generic's destination is the
/// loop-carried record it replaces, and the old value is read through the
/// destination's block argument (a read-modify-write that tiling and
/// bufferization keep in place), so the halting loop carries the same
/// buffers from step to step.
SmallVector<Value> recordStep(ImplicitLocOpBuilder &b, Block *after,
                              Value logits, Value q, Value preds, bool qHalt) {
  MLIRContext *ctx = b.getContext();
  Value k = after->getArgument(kStepIndex);
  Value finalLogits = after->getArgument(kFinalLogits),
        stepQ = after->getArgument(kStepQLogits),
        stepPreds = after->getArgument(kStepPredictions),
        steps = after->getArgument(kStepsTaken),
        halted = after->getArgument(kHalted);
  ArrayRef<int64_t> logitsShape = shapeOf(logits);
  const int64_t batch = logitsShape[0], seq = logitsShape[1];
  Type predElt = cast<RankedTensorType>(preds.getType()).getElementType();
  Type stepsElt = cast<RankedTensorType>(steps.getType()).getElementType();

  AffineMap perSample3 = pick(ctx, 3, {0});
  AffineMap id3 = b.getMultiDimIdentityMap(3);
  AffineMap id2 = b.getMultiDimIdentityMap(2);
  AffineMap perSample2 = pick(ctx, 2, {0});
  Value newFinal =
      generic(b, {halted, logits}, finalLogits, {perSample3, id3, id3},
              {kPar, kPar, kPar},
              [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
                // a = (halted, new, old): a halted sample keeps its old value.
                return arith::SelectOp::create(nb, loc, isSet(nb, loc, a[0]),
                                               a[2], a[1]);
              });
  // This step's row of q logits (0 for halted samples) and predictions (-1
  // for halted samples).
  Value qRow =
      generic(b, {halted, q}, emptyTensor(b, {batch, 2}, b.getF32Type()),
              {perSample2, id2, id2}, {kPar, kPar},
              [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
                return arith::SelectOp::create(nb, loc, isSet(nb, loc, a[0]),
                                               f32Const(nb, loc, 0.0), a[1]);
              });
  Value predRow =
      generic(b, {halted, preds}, emptyTensor(b, {batch, seq}, predElt),
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
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(batch), b.getIndexAttr(1),
                                       b.getIndexAttr(width)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    return tensor::InsertSliceOp::create(b, row, into, offsets, sizes, strides);
  };
  Value newStepQ = insertRow(qRow, stepQ, 2);
  Value newStepPreds = insertRow(predRow, stepPreds, seq);
  Value kNext = arith::AddIOp::create(b, k, indexConst(b, b.getLoc(), 1));
  Value kNextInt = arith::IndexCastOp::create(b, stepsElt, kNext);
  AffineMap id1 = b.getMultiDimIdentityMap(1);
  Value newSteps =
      generic(b, {halted}, steps, {id1, id1}, {kPar},
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
              nb, loc, arith::CmpFPredicate::OGT, a[0], f32Const(nb, loc, 0.0));
          return arith::OrIOp::create(
              nb, loc, a[1],
              arith::ExtUIOp::create(nb, loc, nb.getI8Type(), positive));
        });
  }
  return {kNext,    Value(),      Value(),  newFinal,
          newStepQ, newStepPreds, newSteps, newHalted};
}

struct ActLowering : OpConversionPattern<ActOp> {
  ActLowering(MLIRContext *ctx, bool compactHalted, int64_t subBatches)
      : OpConversionPattern(ctx), compactHalted(compactHalted),
        subBatches(subBatches) {}
  bool compactHalted;
  int64_t subBatches;

  LogicalResult
  matchAndRewrite(ActOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    ArrayRef<int64_t> logitsShape = shapeOf(op.getLogits());
    const int64_t batch = logitsShape[0], seq = logitsShape[1],
                  vocab = logitsShape[2], maxSteps = op.getMaxSteps();
    const bool qHalt = op.getPolicy() == HaltingPolicy::QHalt;
    // Rows can stop being computed when samples halt, or when some rows are
    // no samples.
    const bool compact =
        compactHalted && batch > 1 && (qHalt || adaptor.getSamples());
    // The step's one recursion (the verifier requires exactly one). The
    // conversion visits ops in pre-order, so the act is lowered before the
    // ops of its region: the recursion is still there.
    DeepRecursionOp recursion =
        *op.getStep().front().getOps<DeepRecursionOp>().begin();
    const int64_t callsPerRow =
        recursion.getHCycles() * (recursion.getLCycles() + 1);
    // The halted mask holds one byte per sample (0 or 1): bytes are stored
    // alike on every backend, unlike i1 (packed bits in LLVM vectors, no
    // storage type in SPIR-V).
    Type predElt = op.getStepPredictions().getType().getElementType();
    Type stepsElt = op.getSteps().getType().getElementType();
    Type callsElt = op.getNetworkCalls().getType().getElementType();

    SmallVector<Value> inits = {
        indexConst(b, b.getLoc(), 0),
        adaptor.getAnswer(),
        adaptor.getLatent(),
        filled(b, {batch, seq, vocab}, b.getF32FloatAttr(0)),
        filled(b, {batch, maxSteps, 2}, b.getF32FloatAttr(0)),
        filled(b, {batch, maxSteps, seq}, b.getIntegerAttr(predElt, -1)),
        filled(b, {batch}, b.getIntegerAttr(stepsElt, 0)),
        initialMask(b, adaptor.getSamples(), batch),
        indexConst(b, b.getLoc(), 0),
    };
    SmallVector<Type> types;
    for (Value v : inits)
      types.push_back(v.getType());
    SmallVector<Location> locs(types.size(), b.getLoc());

    auto loop = scf::WhileOp::create(b, types, inits);
    Block *before = b.createBlock(&loop.getBefore(), {}, types, locs);
    b.setInsertionPointToStart(before);
    buildContinueCondition(b, before, maxSteps);

    // One supervision step, then the records of each running sample.
    Block *after = b.createBlock(&loop.getAfter(), {}, types, locs);
    b.setInsertionPointToStart(after);
    Value answer = after->getArgument(kAnswer),
          latent = after->getArgument(kLatent);
    SmallVector<Value> stepOut;
    Value rowsThisStep;
    if (compact) {
      stepOut = compactedStep(b, op, recursion, answer, latent,
                              after->getArgument(kHalted), subBatches);
      rowsThisStep = stepOut.pop_back_val();
    } else {
      stepOut = inlineBody(b, op.getStep(), {answer, latent});
      rowsThisStep = indexConst(b, b.getLoc(), batch);
    }
    Value rowsRun =
        arith::AddIOp::create(b, after->getArgument(kRowsRun), rowsThisStep);
    Value logits = stepOut[2], q = stepOut[3];
    Value preds = argmax(b, logits, predElt);
    SmallVector<Value> next = recordStep(b, after, logits, q, preds, qHalt);
    next[kAnswer] = stepOut[0];
    next[kLatent] = stepOut[1];
    next.push_back(rowsRun);
    scf::YieldOp::create(b, next);

    b.setInsertionPointAfter(loop);
    Value calls = arith::IndexCastOp::create(
        b, callsElt,
        arith::MulIOp::create(b, loop.getResult(kRowsRun),
                              indexConst(b, b.getLoc(), callsPerRow)));
    Value networkCalls =
        linalg::FillOp::create(b, calls, emptyTensor(b, {1}, callsElt))
            .getResult(0);
    rewriter.replaceOp(op, {loop.getResult(kFinalLogits),
                            loop.getResult(kStepQLogits),
                            loop.getResult(kStepPredictions),
                            loop.getResult(kStepsTaken), networkCalls});
    return success();
  }
};
} // namespace

void mlir::trm::lowering::populateHaltingPatterns(RewritePatternSet &patterns,
                                                  bool compactHalted,
                                                  int64_t subBatches) {
  patterns.add<ActLowering>(patterns.getContext(), compactHalted, subBatches);
}
