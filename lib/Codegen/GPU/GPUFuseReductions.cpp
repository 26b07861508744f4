//===- GPUFuseReductions.cpp - norms and softmaxes in one kernel ----------===//
//
// An RMS norm is a reduction over each row (the sum of squares) and an
// element-wise op that reads the row's result (the scaling); a softmax is
// two such pairs. As loop nests they are two kernels, the second one
// rereading the row. Here each pair becomes one kernel. For a reduction
// over the innermost dimension, a gpu.launch with a workgroup per row: its
// invocations reduce a strided share of the row each, combine the shares
// in workgroup memory, and then compute the row's element-wise results
// with the total at hand. For a reduction over another dimension (the
// mlp_t norm sums over the sequence of [B, S, D]), the reduction's own
// invocations, one per (b, d), run the consumer's loop over that
// dimension after their sum.
//
//===----------------------------------------------------------------------===//
#include "trm/Codegen/GPU/Passes.h"
#include "trm/Support/PassCounter.h"
#include "trm/Codegen/Common/Utils.h"
#include "trm/Codegen/GPU/Utils.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMGPUFUSEREDUCTIONS
#include "trm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
/// Whether `value` is the identity of `combine` (0 for a sum, -inf or the
/// lowest float for a max), so that every invocation may start from it.
bool isIdentity(Operation *combine, Value value) {
  FloatAttr attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return false;
  APFloat v = attr.getValue();
  if (isa<arith::AddFOp>(combine))
    return v.isZero();
  if (isa<arith::MaximumFOp, arith::MaxNumFOp>(combine))
    return v.isNegative() && (v.isInfinity() || v.isLargest());
  return false;
}

/// `result[i..] = for k (acc = combine(acc, f(i.., k)))`: a reduction over
/// one dimension, stored at the others.
struct Reduction {
  scf::ParallelOp loop;
  scf::ForOp reduction;
  Operation *combine;
  memref::StoreOp store;
  SmallVector<int64_t> counts;
};

std::optional<Reduction> matchReduction(scf::ParallelOp loop) {
  std::optional<SmallVector<int64_t>> counts =
      trm::staticTripCounts(loop, /*normalized=*/true);
  Block *body = loop.getBody();
  if (!counts || !loop.getInitVals().empty() ||
      body->getOperations().size() != 3)
    return std::nullopt;
  auto reduction = dyn_cast<scf::ForOp>(&body->front());
  auto store = dyn_cast<memref::StoreOp>(body->front().getNextNode());
  if (!reduction || !store || reduction.getNumRegionIterArgs() != 1 ||
      store.getValueToStore() != reduction.getResult(0) ||
      !llvm::equal(store.getIndices(), loop.getInductionVars()) ||
      !loop.isDefinedOutsideOfLoop(store.getMemRef()) ||
      getConstantIntValue(reduction.getLowerBound()) != 0 ||
      getConstantIntValue(reduction.getStep()) != 1 ||
      !getConstantIntValue(reduction.getUpperBound()))
    return std::nullopt;
  // The accumulator feeds the combining op only, which is what is yielded.
  Value acc = reduction.getRegionIterArgs()[0];
  Operation *combine =
      reduction.getBody()->getTerminator()->getOperand(0).getDefiningOp();
  if (!combine || !acc.hasOneUse() || *acc.user_begin() != combine ||
      !isa<arith::AddFOp, arith::MaximumFOp, arith::MaxNumFOp>(combine) ||
      !isIdentity(combine, reduction.getInitArgs()[0]))
    return std::nullopt;
  // Nothing in the body writes memory.
  bool writes = false;
  reduction.getBody()->walk([&](Operation *op) {
    if (!isMemoryEffectFree(op) && !isa<memref::LoadOp>(op))
      writes = true;
  });
  if (writes)
    return std::nullopt;
  return Reduction{loop, reduction, combine, store, *counts};
}

/// The element-wise loop that reads a reduction's result: its dimensions are
/// the reduction's with one more, the reduced one, at `reducedDim`.
struct Consumer {
  scf::ParallelOp loop;
  int64_t reducedDim;
  SmallVector<memref::LoadOp> resultLoads;
};

/// Whether the consumer adds the innermost dimension: the reduction is over
/// rows (a workgroup each) rather than over a middle dimension.
bool reducesRows(const Reduction &r, const Consumer &consumer) {
  return consumer.reducedDim == int64_t(r.counts.size());
}

/// `values` with `inserted` at `position`.
SmallVector<Value> insertAt(ArrayRef<Value> values, int64_t position,
                            Value inserted) {
  SmallVector<Value> result(values);
  result.insert(result.begin() + position, inserted);
  return result;
}

/// `values` without the one at `position`.
template <typename T>
SmallVector<T> eraseAt(ArrayRef<T> values, int64_t position) {
  SmallVector<T> result(values);
  result.erase(result.begin() + position);
  return result;
}

/// A loop over the reduction's dimensions plus the reduced one, right after
/// the reduction, that reads the reduction's result only at its own
/// position (its indices without the reduced one), and writes a buffer the
/// reduction reads only in place: through the same view, at its own indices
/// where the reduction reads them with k in the reduced one's place. Each
/// workgroup (row) or invocation (column) then writes only what it alone
/// reads, after it has read it.
std::optional<Consumer> matchConsumer(Reduction r, scf::ParallelOp loop) {
  std::optional<SmallVector<int64_t>> counts =
      trm::staticTripCounts(loop, /*normalized=*/true);
  int64_t rank = r.counts.size();
  if (!counts || !loop.getInitVals().empty() ||
      int64_t(counts->size()) != rank + 1)
    return std::nullopt;
  Value result = r.store.getMemRef();
  SmallVector<Value> ivs = loop.getInductionVars();
  // The reduced dimension: the one whose removal leaves the reduction's
  // dimensions and the result's indices (innermost first: the row case).
  std::optional<int64_t> reducedDim;
  for (int64_t d = rank; d >= 0 && !reducedDim; --d) {
    if (eraseAt<int64_t>(*counts, d) != r.counts)
      continue;
    SmallVector<Value> otherIvs = eraseAt<Value>(ivs, d);
    bool indexedRight = false;
    loop.getBody()->walk([&](memref::LoadOp load) {
      if (load.getMemRef() == result &&
          llvm::equal(load.getIndices(), otherIvs))
        indexedRight = true;
    });
    if (indexedRight)
      reducedDim = d;
  }
  if (!reducedDim)
    return std::nullopt;
  Consumer consumer{loop, *reducedDim, {}};
  Value resultRoot = trm::viewRoot(result);
  SmallVector<Value> otherIvs = eraseAt<Value>(ivs, *reducedDim);
  // Buffers the reduction reads, with the view it reads them through if it
  // reads them with k at reducedDim only (else null).
  llvm::SmallDenseMap<Value, Value> readByReduction;
  SmallVector<Value> withK = insertAt(r.loop.getInductionVars(), *reducedDim,
                                      r.reduction.getInductionVar());
  r.reduction.getBody()->walk([&](memref::LoadOp load) {
    Value root = trm::viewRoot(load.getMemRef());
    bool inPlace = llvm::equal(load.getIndices(), withK);
    auto [it, inserted] = readByReduction.try_emplace(
        root, inPlace ? load.getMemRef() : Value());
    if (!inserted && it->second != load.getMemRef())
      it->second = Value();
  });
  bool ok = true;
  loop.getBody()->walk([&](Operation *op) {
    if (isa<scf::ParallelOp>(op))
      ok = false;
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      if (trm::viewRoot(load.getMemRef()) != resultRoot)
        return;
      if (load.getMemRef() == result &&
          llvm::equal(load.getIndices(), otherIvs) &&
          load->getParentOp() == loop)
        consumer.resultLoads.push_back(load);
      else
        ok = false;
    } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
      Value root = trm::viewRoot(store.getMemRef());
      auto read = readByReduction.find(root);
      if (root == resultRoot ||
          (read != readByReduction.end() &&
           (read->second != store.getMemRef() ||
            !llvm::equal(store.getIndices(), ivs))))
        ok = false;
    } else if (!isMemoryEffectFree(op) && !isa<scf::ReduceOp>(op)) {
      ok = false;
    }
  });
  if (!ok)
    return std::nullopt;
  return consumer;
}

/// The consumer's body for one element: its induction variables replaced
/// by `ivs`, its loads of the reduction's result by `result`.
void cloneConsumerBody(Consumer consumer, ValueRange ivs, Value result,
                       RewriterBase &rewriter) {
  IRMapping mapping;
  mapping.map(consumer.loop.getInductionVars(), ivs);
  for (memref::LoadOp load : consumer.resultLoads)
    mapping.map(load.getResult(), result);
  for (Operation &op : consumer.loop.getBody()->without_terminator())
    if (!llvm::is_contained(consumer.resultLoads,
                            dyn_cast<memref::LoadOp>(op)))
      rewriter.clone(op, mapping);
}

/// A reduction over a middle dimension: each of its iterations runs the
/// consumer's loop over that dimension after the sum. The result is an
/// scf.parallel like any other, mapped by trm-gpu-map-parallel-loops.
void fuseAsLoop(Reduction r, Consumer consumer,
                RewriterBase &rewriter) {
  Location loc = r.loop.getLoc();
  rewriter.setInsertionPointAfter(r.store);
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  auto elements = scf::ForOp::create(
      rewriter, loc, zero,
      consumer.loop.getUpperBound()[consumer.reducedDim], one);
  rewriter.setInsertionPoint(elements.getBody()->getTerminator());
  cloneConsumerBody(consumer,
                    insertAt(r.loop.getInductionVars(), consumer.reducedDim,
                             elements.getInductionVar()),
                    r.reduction.getResult(0), rewriter);
  rewriter.eraseOp(consumer.loop);
}

struct GPUFuseReductionsPass
    : trm::impl::TRMGPUFuseReductionsBase<GPUFuseReductionsPass> {
  using Base::Base;
  trm::PassCounter numFused{this,
      "fused", "Reductions fused with their consumer"};

  void fuseAsWorkgroups(Reduction r, Consumer consumer,
                        RewriterBase &rewriter);

  void runOnOperation() override {
    if (!llvm::isPowerOf2_64(workgroupSize) || workgroupSize <= 0) {
      getOperation().emitError("trm-gpu-fuse-reductions: workgroup-size ")
          << workgroupSize.getValue() << " is not a power of two";
      return signalPassFailure();
    }
    SmallVector<std::pair<Reduction, Consumer>> pairs;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (loop->getParentOfType<scf::ParallelOp>())
        return;
      std::optional<Reduction> r = matchReduction(loop);
      auto next = dyn_cast_or_null<scf::ParallelOp>(loop->getNextNode());
      if (!r || !next)
        return;
      std::optional<Consumer> consumer = matchConsumer(*r, next);
      if (!consumer)
        return;
      // One workgroup per row along x: at most 65535 of them on every
      // Vulkan device.
      if (reducesRows(*r, *consumer) && computeProduct(r->counts) > 65535)
        return;
      pairs.emplace_back(*r, *consumer);
    });
    IRRewriter rewriter(&getContext());
    for (auto &[r, consumer] : pairs) {
      if (reducesRows(r, consumer))
        fuseAsWorkgroups(r, consumer, rewriter);
      else
        fuseAsLoop(r, consumer, rewriter);
      ++numFused;
    }
  }
};

void GPUFuseReductionsPass::fuseAsWorkgroups(Reduction r,
                                             Consumer consumer,
                                             RewriterBase &rewriter) {
  Location loc = r.loop.getLoc();
  int64_t threads = workgroupSize;
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  };
  rewriter.setInsertionPoint(r.loop);
  gpu::LaunchOp launch = trm::createLaunch(
      rewriter, loc, {computeProduct(r.counts), 1, 1}, {threads, 1, 1});
  Value tx = launch.getThreadIds().x;

  // The row: the workgroup id, innermost dimension fastest.
  SmallVector<Value> row =
      trm::delinearize(rewriter, loc, launch.getBlockIds().x, r.counts);

  // Each invocation's share: every threads-th element of the row.
  IRMapping mapping;
  for (auto [iv, value] : llvm::zip(r.loop.getInductionVars(), row))
    mapping.map(iv, value);
  auto share = scf::ForOp::create(rewriter, loc, tx,
                                  r.reduction.getUpperBound(), index(threads),
                                  r.reduction.getInitArgs());
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(share.getBody());
    mapping.map(r.reduction.getInductionVar(), share.getInductionVar());
    mapping.map(r.reduction.getRegionIterArgs()[0],
                share.getRegionIterArgs()[0]);
    for (Operation &op : r.reduction.getBody()->without_terminator())
      rewriter.clone(op, mapping);
    scf::YieldOp::create(
        rewriter, loc,
        mapping.lookup(r.reduction.getBody()->getTerminator()->getOperand(0)));
  }

  // The shares combined pairwise in workgroup memory, halving each round.
  Value shares = memref::AllocOp::create(
      rewriter, loc,
      trm::workgroupMemRefType({threads}, share.getResult(0).getType()));
  memref::StoreOp::create(rewriter, loc, share.getResult(0), shares, tx);
  gpu::BarrierOp::create(rewriter, loc);
  Value acc = r.reduction.getRegionIterArgs()[0];
  for (int64_t half = threads / 2; half >= 1; half /= 2) {
    Value active = arith::CmpIOp::create(rewriter, loc,
                                         arith::CmpIPredicate::ult, tx,
                                         index(half));
    auto ifOp = scf::IfOp::create(rewriter, loc, active);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      Value mine = memref::LoadOp::create(rewriter, loc, shares, tx);
      Value other = memref::LoadOp::create(
          rewriter, loc, shares,
          ValueRange{arith::AddIOp::create(rewriter, loc, tx, index(half))});
      IRMapping operands;
      for (Value operand : r.combine->getOperands())
        operands.map(operand, operand == acc ? mine : other);
      Operation *combined = rewriter.clone(*r.combine, operands);
      combined->setAttr(trm::kAccumulationAttr, rewriter.getUnitAttr());
      memref::StoreOp::create(rewriter, loc, combined->getResult(0), shares,
                              tx);
    }
    gpu::BarrierOp::create(rewriter, loc);
  }
  Value total = memref::LoadOp::create(rewriter, loc, shares, index(0));

  // The reduction's result stays in memory for later users.
  {
    OpBuilder::InsertionGuard guard(rewriter);
    Value first = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                        tx, index(0));
    auto ifOp = scf::IfOp::create(rewriter, loc, first);
    rewriter.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    memref::StoreOp::create(rewriter, loc, total, r.store.getMemRef(), row);
  }

  // The consumer's elements of this row, every threads-th one per
  // invocation, with the total instead of its loads.
  int64_t rank = r.counts.size();
  auto elements = scf::ForOp::create(rewriter, loc, tx,
                                     consumer.loop.getUpperBound()[rank],
                                     index(threads));
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(elements.getBody()->getTerminator());
    SmallVector<Value> ivs(row);
    ivs.push_back(elements.getInductionVar());
    cloneConsumerBody(consumer, ivs, total, rewriter);
  }
  rewriter.eraseOp(consumer.loop);
  rewriter.eraseOp(r.loop);
}
} // namespace
