//===- GPUFuseRowReductions.cpp - norms and softmaxes in one kernel -------===//
//
// An RMS norm is a reduction over each row (the sum of squares) and an
// element-wise op that reads the row's result (the scaling); a softmax is
// two such pairs. As loop nests they are two kernels, the second one
// rereading the row. Here each pair becomes one gpu.launch with a workgroup
// per row: its invocations reduce a strided share of the row each, combine
// the shares in workgroup memory, and then compute the row's element-wise
// results with the total at hand.
//
//===----------------------------------------------------------------------===//
#include "trm/Codegen/Passes.h"
#include "trm/Codegen/Utils.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMGPUFUSEROWREDUCTIONS
#include "trm/Codegen/Passes.h.inc"
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

/// `rows = for k (acc = combine(acc, f(row, k)))`, stored at the row.
struct RowReduction {
  scf::ParallelOp loop;
  scf::ForOp reduction;
  Operation *combine;
  memref::StoreOp store;
  SmallVector<int64_t> counts;
};

std::optional<RowReduction> matchRowReduction(scf::ParallelOp loop) {
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
  return RowReduction{loop, reduction, combine, store, *counts};
}

/// An element-wise loop over (rows.., n) right after the reduction that reads
/// the reduction's result only at its own row, and writes a buffer the
/// reduction reads only in place: through the same view, at (row.., j)
/// where the reduction reads (row.., k). A workgroup then writes only the
/// row that it alone reads, after it has read it.
bool consumesRows(RowReduction r, scf::ParallelOp consumer,
                  SmallVectorImpl<memref::LoadOp> &resultLoads) {
  std::optional<SmallVector<int64_t>> counts =
      trm::staticTripCounts(consumer, /*normalized=*/true);
  int64_t rank = r.counts.size();
  if (!counts || !consumer.getInitVals().empty() || int64_t(counts->size()) != rank + 1 ||
      ArrayRef<int64_t>(*counts).take_front(rank) != ArrayRef(r.counts))
    return false;
  Value result = r.store.getMemRef();
  Value resultRoot = trm::viewRoot(result);
  SmallVector<Value> consumerIvs = consumer.getInductionVars();
  ArrayRef<Value> rowIvs = ArrayRef(consumerIvs).take_front(rank);
  // Buffers the reduction reads, with the view it reads them through if it
  // reads them at (row.., k) only (else null).
  llvm::SmallDenseMap<Value, Value> readByReduction;
  SmallVector<Value> rowAndK = r.loop.getInductionVars();
  rowAndK.push_back(r.reduction.getInductionVar());
  r.reduction.getBody()->walk([&](memref::LoadOp load) {
    Value root = trm::viewRoot(load.getMemRef());
    bool inRow = llvm::equal(load.getIndices(), rowAndK);
    auto [it, inserted] =
        readByReduction.try_emplace(root, inRow ? load.getMemRef() : Value());
    if (!inserted && it->second != load.getMemRef())
      it->second = Value();
  });
  bool ok = true;
  consumer.getBody()->walk([&](Operation *op) {
    if (isa<scf::ParallelOp>(op) && op != consumer)
      ok = false;
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      if (trm::viewRoot(load.getMemRef()) != resultRoot)
        return;
      if (load.getMemRef() == result && llvm::equal(load.getIndices(), rowIvs) &&
          load->getParentOp() == consumer)
        resultLoads.push_back(load);
      else
        ok = false;
    } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
      Value root = trm::viewRoot(store.getMemRef());
      auto read = readByReduction.find(root);
      if (root == resultRoot ||
          (read != readByReduction.end() &&
           (read->second != store.getMemRef() ||
            !llvm::equal(store.getIndices(), consumerIvs))))
        ok = false;
    } else if (!isMemoryEffectFree(op) && !isa<scf::ReduceOp>(op)) {
      ok = false;
    }
  });
  return ok && !resultLoads.empty();
}

struct GPUFuseRowReductionsPass
    : trm::impl::TRMGPUFuseRowReductionsBase<GPUFuseRowReductionsPass> {
  using Base::Base;

  void fuse(RowReduction r, scf::ParallelOp consumer,
            ArrayRef<memref::LoadOp> resultLoads, RewriterBase &rewriter);

  void runOnOperation() override {
    if (!llvm::isPowerOf2_64(workgroupSize) || workgroupSize <= 0) {
      getOperation().emitError("trm-gpu-fuse-row-reductions: workgroup-size ")
          << workgroupSize.getValue() << " is not a power of two";
      return signalPassFailure();
    }
    SmallVector<std::tuple<RowReduction, scf::ParallelOp,
                           SmallVector<memref::LoadOp>>>
        pairs;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (loop->getParentOfType<scf::ParallelOp>())
        return;
      std::optional<RowReduction> r = matchRowReduction(loop);
      auto consumer =
          dyn_cast_or_null<scf::ParallelOp>(loop->getNextNode());
      SmallVector<memref::LoadOp> resultLoads;
      int64_t rows = 1;
      if (r)
        for (int64_t c : r->counts)
          rows *= c;
      // One workgroup per row along x: at most 65535 of them on every
      // Vulkan device.
      if (r && consumer && rows <= 65535 &&
          consumesRows(*r, consumer, resultLoads))
        pairs.emplace_back(*r, consumer, resultLoads);
    });
    IRRewriter rewriter(&getContext());
    for (auto &[r, consumer, resultLoads] : pairs) {
      fuse(r, consumer, resultLoads, rewriter);
      ++numFused;
    }
  }
};

void GPUFuseRowReductionsPass::fuse(RowReduction r,
                                    scf::ParallelOp consumer,
                                    ArrayRef<memref::LoadOp> resultLoads,
                                    RewriterBase &rewriter) {
  Location loc = r.loop.getLoc();
  int64_t threads = workgroupSize;
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  };
  int64_t rows = 1;
  for (int64_t c : r.counts)
    rows *= c;

  rewriter.setInsertionPoint(r.loop);
  auto launch = gpu::LaunchOp::create(rewriter, loc, index(rows), index(1),
                                      index(1), index(threads), index(1),
                                      index(1));
  rewriter.setInsertionPointToEnd(&launch.getBody().front());
  gpu::TerminatorOp::create(rewriter, loc);
  rewriter.setInsertionPointToStart(&launch.getBody().front());
  Value tx = launch.getThreadIds().x;

  // The row: the workgroup id, innermost dimension fastest.
  SmallVector<Value> row(r.counts.size());
  Value linear = launch.getBlockIds().x;
  for (int64_t d = r.counts.size() - 1; d >= 0; --d) {
    Value count = index(r.counts[d]);
    row[d] = d == 0 ? linear
                    : arith::RemUIOp::create(rewriter, loc, linear, count)
                          .getResult();
    if (d > 0)
      linear = arith::DivUIOp::create(rewriter, loc, linear, count);
  }

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
                                     consumer.getUpperBound()[rank],
                                     index(threads));
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(elements.getBody()->getTerminator());
    IRMapping consumerMapping;
    SmallVector<Value> consumerIvs = consumer.getInductionVars();
    for (auto [iv, value] : llvm::zip(consumerIvs, row))
      consumerMapping.map(iv, value);
    consumerMapping.map(consumerIvs[rank], elements.getInductionVar());
    for (memref::LoadOp load : resultLoads)
      consumerMapping.map(load.getResult(), total);
    for (Operation &op : consumer.getBody()->without_terminator())
      if (!llvm::is_contained(resultLoads, dyn_cast<memref::LoadOp>(op)))
        rewriter.clone(op, consumerMapping);
  }
  rewriter.eraseOp(consumer);
  rewriter.eraseOp(r.loop);
}
} // namespace
