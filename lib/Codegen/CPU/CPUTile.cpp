//===- CPUTile.cpp - tile linalg ops into register-sized blocks ------------===//
#include "trm/Codegen/CPU/Passes.h"
#include "trm/Support/PassCounter.h"
#include "trm/Codegen/Common/Utils.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/Threading.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMCPUTILE
#include "trm/Codegen/CPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {

struct TilePass : trm::impl::TRMCPUTileBase<TilePass> {
  using Base::Base;
  trm::PassCounter numContractions{this, "contractions", "Contractions tiled"};
  trm::PassCounter numOthers{this, "others", "Other linalg ops tiled"};
  trm::PassCounter numScalar{this, "scalar", "Linalg ops left untiled"};
  trm::PassCounter numParallel{this,
      "parallel", "Ops split across threads"};

  /// Tile sizes for a contraction: batch 1, innermost m mTile, innermost n
  /// nTile, other m/n dims 1, k dims 1 (outer products).
  std::optional<SmallVector<int64_t>> contractionTiles(linalg::LinalgOp op) {
    if (!linalg::isaContractionOpInterface(op))
      return std::nullopt;
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    if (failed(dims) || dims->m.empty() || dims->n.empty())
      return std::nullopt;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<int64_t> tiles(ranges.size(), 1);
    tiles[dims->m.back()] = std::min<int64_t>(mTile, ranges[dims->m.back()]);
    tiles[dims->n.back()] = std::min<int64_t>(nTile, ranges[dims->n.back()]);
    if (std::optional<unsigned> pair = bf16PairDim(op, dims->k))
      tiles[*pair] = 2;
    return tiles;
  }

  /// The k dimension of a bf16 contraction that spans a pair of k, the
  /// innermost of both operands (trm-cpu-pack-weights' bf16 panels): it
  /// stays whole in every tile, since AVX512-BF16 multiplies and adds the
  /// two products of a pair in one instruction.
  static std::optional<unsigned> bf16PairDim(linalg::LinalgOp op,
                                             ArrayRef<unsigned> kDims) {
    if (op.getNumDpsInputs() != 2)
      return std::nullopt;
    for (OpOperand *input : op.getDpsInputOperands())
      if (!getElementTypeOrSelf(input->get().getType()).isBF16())
        return std::nullopt;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    for (unsigned d : kDims) {
      if (ranges[d] != 2)
        continue;
      bool innermost = llvm::all_of(op.getDpsInputOperands(), [&](OpOperand *in) {
        AffineMap map = op.getMatchingIndexingMap(in);
        return map.getNumResults() > 0 &&
               map.getResults().back() == getAffineDimExpr(d, op.getContext());
      });
      if (innermost)
        return d;
    }
    return std::nullopt;
  }

  /// Loop order for a contraction's tiles: the innermost n dimension
  /// outermost, so that one n-tile wide panel of the right-hand side (the
  /// weights) stays in cache while every m tile streams past it, instead of
  /// the whole right-hand side being read again for every m tile.
  /// With several n dimensions (trm-cpu-pack-weights' panels and their
  /// columns) all of them go first, in order, so that the panels are read
  /// one after another.
  SmallVector<int64_t> nOuterLoopOrder(linalg::LinalgOp op) {
    SmallVector<unsigned, 2> nDims = linalg::inferContractionDims(op)->n;
    SmallVector<int64_t> order(nDims.begin(), nDims.end());
    for (unsigned d = 0, e = op.getNumLoops(); d < e; ++d)
      if (!llvm::is_contained(nDims, d))
        order.push_back(d);
    return order;
  }

  /// Splits a contraction's n dimension into equal static chunks, one per
  /// thread, as an scf.forall (later an OpenMP parallel loop): the
  /// innermost when it splits evenly into chunks of at least one register
  /// tile, else the first outer one (the panels of packed weights) that
  /// splits evenly. Returns the per-thread op, or the op itself when no n
  /// dimension splits.
  linalg::LinalgOp splitAcrossThreads(RewriterBase &rewriter,
                                      linalg::LinalgOp op, int64_t threads) {
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    if (threads < 2 || failed(dims) || dims->n.empty())
      return op;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    std::optional<unsigned> split;
    unsigned innermost = dims->n.back();
    if (ranges[innermost] % threads == 0 &&
        ranges[innermost] / threads >= nTile)
      split = innermost;
    for (unsigned d : dims->n)
      if (!split && d != innermost && ranges[d] % threads == 0)
        split = d;
    if (!split)
      return op;
    return splitDimension(rewriter, op, *split, threads);
  }

  /// Element-wise ops and reductions of at least kMinParallelVolume points,
  /// split like contractions along their first parallel dimension that
  /// splits evenly (the innermost one only into chunks of at least one
  /// vector): otherwise one thread computes them while the others wait.
  static constexpr int64_t kMinParallelVolume = 16384;
  linalg::LinalgOp splitOthersAcrossThreads(RewriterBase &rewriter,
                                            linalg::LinalgOp op,
                                            int64_t threads) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t volume = 1;
    for (int64_t r : ranges)
      volume *= r;
    if (threads < 2 || volume < kMinParallelVolume)
      return op;
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    for (unsigned d = 0, e = ranges.size(); d < e; ++d) {
      if (iterators[d] != utils::IteratorType::parallel ||
          ranges[d] % threads != 0)
        continue;
      if (d + 1 == e && ranges[d] / threads < vectorWidth)
        continue;
      return splitDimension(rewriter, op, d, threads);
    }
    return op;
  }

  /// Loop `dim` of `op` in `threads` equal chunks, as an scf.forall; the
  /// per-thread op, or `op` when tiling fails.
  linalg::LinalgOp splitDimension(RewriterBase &rewriter, linalg::LinalgOp op,
                                  unsigned dim, int64_t threads) {
    int64_t extent = op.getStaticLoopRanges()[dim];
    SmallVector<OpFoldResult> sizes(op.getNumLoops(), rewriter.getIndexAttr(0));
    sizes[dim] = rewriter.getIndexAttr(extent / threads);
    scf::SCFTilingOptions options;
    options.setTileSizes(sizes);
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled) || tiled->tiledOps.size() != 1)
      return op;
    rewriter.replaceOp(op, tiled->replacements);
    ++numParallel;
    return cast<linalg::LinalgOp>(tiled->tiledOps.front());
  }

  /// Mark on the loops tiling creates, so that peeling finds them again
  /// after it clones them.
  static constexpr llvm::StringLiteral kPeelMark = "__trm_peel__";

  LogicalResult tile(RewriterBase &rewriter, linalg::LinalgOp op,
                     ArrayRef<int64_t> tiles, ArrayRef<int64_t> interchange) {
    SmallVector<OpFoldResult> sizes;
    for (int64_t t : tiles)
      sizes.push_back(rewriter.getIndexAttr(t));
    scf::SCFTilingOptions options;
    options.setTileSizes(sizes);
    options.setInterchange(interchange);
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return failure();
    rewriter.replaceOp(op, tiled->replacements);
    for (LoopLikeOpInterface loop : tiled->loops)
      loop->setAttr(kPeelMark, rewriter.getUnitAttr());
    return success();
  }

  /// Splits every tile loop into full tiles and one partial tile, so that
  /// after canonicalization each tiled op has a static shape and needs no
  /// masks. Peeling clones inner loops into the partial iteration; those are
  /// peeled in the next round.
  void peelTileLoops(RewriterBase &rewriter) {
    while (true) {
      SmallVector<scf::ForOp> loops;
      getOperation().walk([&](scf::ForOp loop) {
        if (loop->hasAttr(kPeelMark))
          loops.push_back(loop);
      });
      if (loops.empty())
        return;
      for (scf::ForOp loop : loops) {
        loop->removeAttr(kPeelMark);
        scf::ForOp partial;
        rewriter.setInsertionPoint(loop);
        if (succeeded(scf::peelForLoopAndSimplifyBounds(rewriter, loop,
                                                        partial)) &&
            partial)
          partial->removeAttr(kPeelMark);
      }
    }
  }

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics())
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    const int64_t threadCount =
        threads > 0 ? threads
                    : static_cast<int64_t>(llvm::get_physical_cores());
    for (linalg::LinalgOp op : ops) {
      if (trm::hasGather(op) || trm::hasBoolOperands(op) || op->getNumResults() != 1 || op.hasDynamicShape()) {
        ++numScalar;
        continue;
      }
      SmallVector<int64_t> tiles, interchange;
      if (contractionTiles(op)) {
        op = splitAcrossThreads(rewriter, op, threadCount);
        tiles = *contractionTiles(op);
        interchange = nOuterLoopOrder(op);
        ++numContractions;
      } else {
        // One vector along the innermost loop, everything else tiled by 1.
        op = splitOthersAcrossThreads(rewriter, op, threadCount);
        SmallVector<int64_t> ranges = op.getStaticLoopRanges();
        if (ranges.empty()) {
          ++numScalar;
          continue;
        }
        tiles.assign(ranges.size(), 1);
        tiles.back() = std::min<int64_t>(vectorWidth, ranges.back());
        ++numOthers;
      }
      // An op tiling cannot handle keeps its whole iteration space and
      // becomes scalar loops; trm-cpu-vectorize leaves it alone.
      if (failed(tile(rewriter, op, tiles, interchange)))
        ++numScalar;
    }
    peelTileLoops(rewriter);
  }
};
} // namespace
