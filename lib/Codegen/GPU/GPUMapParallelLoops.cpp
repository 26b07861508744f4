//===- GPUMapParallelLoops.cpp - workgroup tiling of scf.parallel ---------===//
#include "trm/Codegen/GPU/Passes.h"
#include "trm/Codegen/GPU/Utils.h"

#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMGPUMAPPARALLELLOOPS
#include "trm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
/// The mapping of `loop`: dimensions with `mapped[d]` get the processors
/// `first`, first+1, first+2 from the innermost outwards; the rest run
/// sequentially.
void setMapping(scf::ParallelOp loop, ArrayRef<bool> mapped,
                gpu::Processor first) {
  MLIRContext *ctx = loop.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(1, ctx);
  SmallVector<gpu::ParallelLoopDimMappingAttr> attrs(
      mapped.size(), gpu::ParallelLoopDimMappingAttr::get(
                         ctx, gpu::Processor::Sequential, identity, identity));
  int next = 0;
  for (int64_t d = mapped.size() - 1; d >= 0 && next < 3; --d) {
    if (!mapped[d])
      continue;
    attrs[d] = gpu::ParallelLoopDimMappingAttr::get(
        ctx, static_cast<gpu::Processor>(static_cast<int>(first) + next++),
        identity, identity);
  }
  (void)gpu::setMappingAttr(loop, attrs);
}

/// A parallel loop nested below another one but not directly in it (a
/// reduction loop sits between them) cannot become a launch of its own:
/// it runs as sequential loops inside the outer loop's kernel.
void toNestedFors(scf::ParallelOp loop, RewriterBase &rewriter) {
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> ivs;
  Operation *innermostYield = nullptr;
  for (auto [lb, ub, step] : llvm::zip(loop.getLowerBound(),
                                       loop.getUpperBound(), loop.getStep())) {
    auto forOp = scf::ForOp::create(rewriter, loc, lb, ub, step);
    ivs.push_back(forOp.getInductionVar());
    innermostYield = forOp.getBody()->getTerminator();
    rewriter.setInsertionPoint(innermostYield);
  }
  Block *body = loop.getBody();
  rewriter.eraseOp(body->getTerminator());
  rewriter.inlineBlockBefore(body, innermostYield, ivs);
  rewriter.eraseOp(loop);
}

/// Splits up to `maxRows` consecutive iterations of one dimension (not the
/// innermost) off a loop that contains a reduction loop, into a sequential
/// loop inside it marked as a register tile; returns the remaining outer
/// loop.
std::optional<scf::ParallelOp> registerTile(scf::ParallelOp loop,
                                            ArrayRef<int64_t> counts,
                                            int64_t maxRows,
                                            RewriterBase &rewriter) {
  int64_t rank = counts.size();
  bool hasReduction = false;
  loop.getBody()->walk([&](scf::ForOp) { hasReduction = true; });
  if (rank < 2 || !hasReduction)
    return std::nullopt;
  // The second-innermost dimension if the rows divide it, else the next
  // one out: any dimension but the innermost (the one invocations of a
  // workgroup share) gives each loaded element of one operand several uses.
  int64_t d = -1, rows = 1;
  for (int64_t r = maxRows; r > 1 && d < 0; r /= 2)
    for (int64_t dim = rank - 2; dim >= 0 && d < 0; --dim)
      if (counts[dim] % r == 0) {
        d = dim;
        rows = r;
      }
  // No dimension divides: tile the second-innermost one anyway. The last
  // group's rows past the end are clamped to the last row, so every load
  // stays in bounds, and their stores are skipped, so nothing is written
  // twice (a read-modify-write stays correct).
  bool clamp = false;
  if (d < 0 && maxRows > 1 && counts[rank - 2] > 1) {
    d = rank - 2;
    rows = std::min<int64_t>(maxRows, llvm::PowerOf2Ceil(counts[d]));
    clamp = true;
  }
  if (d < 0)
    return std::nullopt;
  // Rewritten by hand rather than with tileParallelLoop: the outer loop
  // keeps unit steps (dimension d counts row groups), which the mapping to
  // workgroups expects.
  for (auto [lb, step] : llvm::zip(loop.getLowerBound(), loop.getStep()))
    if (getConstantIntValue(lb) != 0 || getConstantIntValue(step) != 1)
      return std::nullopt;
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> upper(loop.getUpperBound());
  upper[d] = arith::ConstantIndexOp::create(
      rewriter, loc, llvm::divideCeil(counts[d], rows));
  auto outer = scf::ParallelOp::create(rewriter, loc, loop.getLowerBound(),
                                       upper, loop.getStep());
  rewriter.setInsertionPointToStart(outer.getBody());
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  Value rowCount = arith::ConstantIndexOp::create(rewriter, loc, rows);
  auto rowLoop = scf::ForOp::create(rewriter, loc, zero, rowCount, one);
  rowLoop->setAttr(trm::kRegisterTileAttr, rewriter.getUnitAttr());
  rewriter.setInsertionPoint(rowLoop.getBody()->getTerminator());
  SmallVector<Value> ivs(outer.getInductionVars());
  Value first = arith::MulIOp::create(rewriter, loc, ivs[d], rowCount);
  ivs[d] = arith::AddIOp::create(rewriter, loc, first,
                                 rowLoop.getInductionVar());
  Value inRange;
  if (clamp) {
    Value count = arith::ConstantIndexOp::create(rewriter, loc, counts[d]);
    inRange = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ult,
                                    ivs[d], count);
    ivs[d] = arith::MinUIOp::create(
        rewriter, loc, ivs[d],
        arith::ConstantIndexOp::create(rewriter, loc, counts[d] - 1));
  }
  Block *body = loop.getBody();
  rewriter.eraseOp(body->getTerminator());
  rewriter.inlineBlockBefore(body, rowLoop.getBody()->getTerminator(), ivs);
  rewriter.eraseOp(loop);
  if (inRange) {
    SmallVector<memref::StoreOp> stores;
    rowLoop.getBody()->walk([&](memref::StoreOp store) {
      stores.push_back(store);
    });
    for (memref::StoreOp store : stores) {
      rewriter.setInsertionPoint(store);
      auto guard = scf::IfOp::create(rewriter, store.getLoc(), inRange);
      rewriter.moveOpBefore(store, guard.thenBlock()->getTerminator());
    }
  }
  return outer;
}

struct GPUMapParallelLoopsPass
    : trm::impl::TRMGPUMapParallelLoopsBase<GPUMapParallelLoopsPass> {
  using Base::Base;
  void runOnOperation() override {
    if (!llvm::isPowerOf2_64(workgroupSize) || workgroupSize <= 0) {
      getOperation().emitError("trm-gpu-map-parallel-loops: workgroup-size ")
          << workgroupSize.getValue() << " is not a power of two";
      return signalPassFailure();
    }
    SmallVector<scf::ParallelOp> outermost, nested;
    getOperation().walk([&](scf::ParallelOp loop) {
      (loop->getParentOfType<scf::ParallelOp>() ? nested : outermost)
          .push_back(loop);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp loop : nested) {
      if (!loop.getInitVals().empty()) {
        loop.emitError("trm-gpu-map-parallel-loops: nested parallel "
                       "reductions are not supported");
        return signalPassFailure();
      }
      toNestedFors(loop, rewriter);
    }
    for (scf::ParallelOp loop : outermost) {
      std::optional<SmallVector<int64_t>> counts = trm::staticTripCounts(loop);
      if (!counts) {
        loop.emitError("trm-gpu-map-parallel-loops: dynamic loop bounds are "
                       "not supported");
        return signalPassFailure();
      }
      if (std::optional<scf::ParallelOp> outer =
              registerTile(loop, *counts, rowsPerInvocation, rewriter)) {
        loop = *outer;
        counts = trm::staticTripCounts(loop);
      }
      // Thread tile: innermost dimensions first, power-of-two extents.
      int64_t rank = counts->size(), budget = workgroupSize;
      SmallVector<int64_t> tile(rank, 1);
      for (int64_t d = rank - 1; d >= std::max<int64_t>(0, rank - 3) &&
                                 budget > 1;
           --d) {
        tile[d] = std::min<int64_t>(llvm::PowerOf2Ceil((*counts)[d]), budget);
        budget /= tile[d];
      }
      auto [blocks, threads] =
          scf::tileParallelLoop(loop, tile, /*noMinMaxBounds=*/true);
      SmallVector<bool> allDims(rank, true), tiledDims;
      for (int64_t t : tile)
        tiledDims.push_back(t > 1);
      setMapping(blocks, allDims, gpu::Processor::BlockX);
      setMapping(threads, tiledDims, gpu::Processor::ThreadX);
    }
  }
};
} // namespace
