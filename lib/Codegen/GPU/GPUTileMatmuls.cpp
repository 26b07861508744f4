//===- GPUTileMatmuls.cpp - shared-memory workgroup tiles for matmuls -----===//
//
// convert-parallel-loops-to-gpu cannot express a barrier between the
// invocations of a workgroup (it refuses side effects outside the innermost
// mapped loop), so a matmul loop that stages its operands in workgroup
// memory is turned into a gpu.launch here, directly.
//
//===----------------------------------------------------------------------===//
#include "trm/Codegen/GPU/Passes.h"
#include "trm/Support/PassCounter.h"

#include "trm/Codegen/GPU/Utils.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMGPUTILEMATMULS
#include "trm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
/// An scf.parallel (i0, .., i, j) whose body starts with
/// `acc = for k (acc + lhs[..] * rhs[..])` and goes on with an epilogue.
struct MatmulLoop {
  scf::ParallelOp loop;
  scf::ForOp reduction;
  memref::LoadOp lhs, rhs;
  arith::MulFOp product;
  arith::AddFOp sum;
  SmallVector<int64_t> counts; // trip counts of the parallel dimensions
  int64_t depth;               // trip count of the reduction
};

bool usesValue(memref::LoadOp load, Value v) {
  return llvm::is_contained(load.getIndices(), v);
}

std::optional<MatmulLoop> matchMatmul(scf::ParallelOp loop) {
  MatmulLoop m{loop, {}, {}, {}, {}, {}, {}, 0};
  std::optional<SmallVector<int64_t>> counts =
      trm::staticTripCounts(loop, /*normalized=*/true);
  if (!counts || !loop.getInitVals().empty() || loop.getNumLoops() < 2)
    return std::nullopt;
  m.counts = *counts;
  // Nested parallel loops would need mapping of their own.
  if (loop.getBody()
          ->walk([](scf::ParallelOp) { return WalkResult::interrupt(); })
          .wasInterrupted())
    return std::nullopt;
  m.reduction = dyn_cast<scf::ForOp>(&loop.getBody()->front());
  if (!m.reduction || m.reduction.getNumRegionIterArgs() != 1 ||
      getConstantIntValue(m.reduction.getLowerBound()) != 0 ||
      getConstantIntValue(m.reduction.getStep()) != 1 ||
      !loop.isDefinedOutsideOfLoop(m.reduction.getInitArgs()[0]))
    return std::nullopt;
  std::optional<int64_t> depth = getConstantIntValue(m.reduction.getUpperBound());
  if (!depth || *depth <= 0)
    return std::nullopt;
  m.depth = *depth;

  // The body is exactly: two loads, their product, its sum with acc.
  Block *body = m.reduction.getBody();
  if (body->getOperations().size() != 5)
    return std::nullopt;
  auto yield = cast<scf::YieldOp>(body->getTerminator());
  m.sum = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!m.sum)
    return std::nullopt;
  Value acc = m.reduction.getRegionIterArgs()[0];
  Value productValue = m.sum.getLhs() == acc ? m.sum.getRhs() : m.sum.getLhs();
  if (m.sum.getLhs() != acc && m.sum.getRhs() != acc)
    return std::nullopt;
  m.product = productValue.getDefiningOp<arith::MulFOp>();
  if (!m.product || m.product->getBlock() != body)
    return std::nullopt;
  auto a = m.product.getLhs().getDefiningOp<memref::LoadOp>();
  auto b = m.product.getRhs().getDefiningOp<memref::LoadOp>();
  if (!a || !b || a == b || a->getBlock() != body || b->getBlock() != body)
    return std::nullopt;

  // Every index is a parallel induction variable, k, or defined outside.
  Value k = m.reduction.getInductionVar();
  auto indexOk = [&](Value index) {
    return index == k || loop.isDefinedOutsideOfLoop(index) ||
           llvm::is_contained(loop.getInductionVars(), index);
  };
  for (memref::LoadOp load : {a, b})
    if (!loop.isDefinedOutsideOfLoop(load.getMemRef()) ||
        !llvm::all_of(load.getIndices(), indexOk) || !usesValue(load, k) ||
        !load.getType().isF32())
      return std::nullopt;
  Value row = loop.getInductionVars()[m.counts.size() - 2];
  Value col = loop.getInductionVars().back();
  auto isLhs = [&](memref::LoadOp l) { return !usesValue(l, col); };
  auto isRhs = [&](memref::LoadOp l) { return !usesValue(l, row); };
  if (isLhs(a) && isRhs(b)) {
    m.lhs = a;
    m.rhs = b;
  } else if (isLhs(b) && isRhs(a)) {
    m.lhs = b;
    m.rhs = a;
  } else {
    return std::nullopt;
  }
  return m;
}

struct TileShape {
  int64_t threadsX, threadsY, rows, cols, kTile;
  int64_t blockRows() const { return threadsY * rows; }
  int64_t blockCols() const { return threadsX * cols; }
  int64_t threads() const { return threadsX * threadsY; }
};

class MatmulTiler {
public:
  MatmulTiler(MatmulLoop m, const TileShape &shape,
              RewriterBase &rewriter)
      : m(m), shape(shape), rewriter(rewriter), loc(m.loop.getLoc()),
        row(m.loop.getInductionVars()[m.counts.size() - 2]),
        col(m.loop.getInductionVars().back()),
        k(m.reduction.getInductionVar()) {}

  void rewrite();

private:
  Value index(int64_t v) {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  }
  Value add(Value a, Value b) {
    return arith::AddIOp::create(rewriter, loc, a, b);
  }
  Value mul(Value a, Value b) {
    return arith::MulIOp::create(rewriter, loc, a, b);
  }
  Value less(Value a, int64_t bound) {
    return arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ult, a,
                                 index(bound));
  }
  /// The trip count of `iv` (the row, the column or the reduction), and
  /// how much of it one block (or k slice) covers.
  int64_t extentOf(Value iv) {
    return iv == k ? m.depth : iv == row ? m.counts.end()[-2] : m.counts.back();
  }
  int64_t blockOf(Value iv) {
    return iv == k ? shape.kTile
                   : iv == row ? shape.blockRows() : shape.blockCols();
  }
  /// Whether the last block along `iv` reaches past the end.
  bool isRagged(Value iv) { return extentOf(iv) % blockOf(iv) != 0; }
  Value clampTo(Value a, int64_t count) {
    return arith::MinUIOp::create(rewriter, loc, a, index(count - 1));
  }
  /// `load` issued again with `firstIv` at `firstAt` and `secondIv` at
  /// `secondAt` (each clamped to its last index where blocks are ragged, so
  /// the load stays in bounds) and the batch dimensions at this workgroup's;
  /// zero where the reduction index is past the end, so it adds nothing.
  Value loadAt(memref::LoadOp load, Value firstIv, Value firstAt,
               Value secondIv, Value secondAt);
  /// Copies the block of `load`'s buffer that starts at (`rowStart`,
  /// `colStart`) of the two dimensions `rowIv` and `colIv` of its indices
  /// into `tile`: every invocation copies every threads()-th element, in
  /// row-major order.
  void stage(memref::LoadOp load, Value tile, Value rowIv, Value rowStart,
             Value colIv, Value colStart);
  /// The launch of one workgroup per block (batch dimensions along z); sets
  /// the invocation and block coordinates below.
  void createLaunchAndIndices();
  /// The rows and columns invocation (ty, tx) computes: r and c in
  /// [0, shape.rows) and [0, shape.cols), interleaved across invocations.
  Value rowOf(int64_t r) { return add(ty, index(r * shape.threadsY)); }
  Value colOf(int64_t c) { return add(tx, index(c * shape.threadsX)); }
  /// The loop over k slices: each slice staged into workgroup memory (where
  /// the operand goes through it), then kTile multiply-add steps on the
  /// invocation's rows x cols accumulators.
  scf::ForOp createKLoop();
  /// One multiply-add step at k offset `kk` of the slice at `kStart`.
  void createKStep(scf::ForOp step, Value kStart);
  /// One copy of the loop's epilogue per accumulator, at its row and
  /// column (guarded where the last block is ragged).
  void createEpilogues(scf::ForOp kLoop);

  MatmulLoop m;
  const TileShape &shape;
  RewriterBase &rewriter;
  Location loc;
  Value row, col, k; // the parallel loop's last two ivs, the reduction's
  IRMapping outerIvs; // batch dimensions -> their workgroup's values
  Value threadLinear;
  Value tx, ty;                 // the invocation within its workgroup
  Value rowStart, colStart;     // the workgroup's first row and column
  Value lhsTile, rhsTile;       // workgroup-memory copies, where used
};

Value MatmulTiler::loadAt(memref::LoadOp load, Value firstIv, Value firstAt,
                          Value secondIv, Value secondAt) {
  Value inRange;
  SmallVector<Value> indices;
  for (Value i : load.getIndices()) {
    if (i != firstIv && i != secondIv) {
      indices.push_back(outerIvs.lookupOrDefault(i));
      continue;
    }
    Value at = i == firstIv ? firstAt : secondAt;
    int64_t count = extentOf(i);
    if (!isRagged(i)) {
      indices.push_back(at);
      continue;
    }
    if (i == k)
      inRange = less(at, count);
    indices.push_back(clampTo(at, count));
  }
  Value value = memref::LoadOp::create(rewriter, loc, load.getMemRef(),
                                       indices);
  if (!inRange)
    return value;
  return arith::SelectOp::create(
      rewriter, loc, inRange, value,
      arith::ConstantOp::create(rewriter, loc,
                                rewriter.getF32FloatAttr(0.0f)));
}

void MatmulTiler::stage(memref::LoadOp load, Value tile, Value rowIv,
                        Value rowStart, Value colIv, Value colStart) {
  int64_t tileCols = blockOf(colIv);
  int64_t elements = blockOf(rowIv) * tileCols;
  int64_t trips = llvm::divideCeil(elements, shape.threads());
  auto loop = scf::ForOp::create(rewriter, loc, index(0), index(trips),
                                 index(1));
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(loop.getBody()->getTerminator());
  Value element =
      add(mul(loop.getInductionVar(), index(shape.threads())), threadLinear);
  if (elements % shape.threads() != 0) {
    auto inTile = scf::IfOp::create(rewriter, loc, less(element, elements));
    rewriter.setInsertionPoint(inTile.thenBlock()->getTerminator());
  }
  Value tileRow =
      arith::DivUIOp::create(rewriter, loc, element, index(tileCols));
  Value tileCol =
      arith::RemUIOp::create(rewriter, loc, element, index(tileCols));
  Value value = loadAt(load, rowIv, add(rowStart, tileRow), colIv,
                       add(colStart, tileCol));
  memref::StoreOp::create(rewriter, loc, value, tile,
                          ValueRange{tileRow, tileCol});
}

void MatmulTiler::createLaunchAndIndices() {
  scf::ParallelOp loop = m.loop;
  int64_t rowCount = extentOf(row), colCount = extentOf(col);
  ArrayRef<int64_t> batchCounts = ArrayRef(m.counts).drop_back(2);
  rewriter.setInsertionPoint(loop);
  gpu::LaunchOp launch = trm::createLaunch(
      rewriter, loc,
      {llvm::divideCeilSigned(colCount, shape.blockCols()),
       llvm::divideCeilSigned(rowCount, shape.blockRows()),
       computeProduct(batchCounts)},
      {shape.threadsX, shape.threadsY, 1});

  // A workgroup one invocation wide indexes with a constant, which tells
  // the driver that the index is the same for all invocations.
  tx = shape.threadsX > 1 ? launch.getThreadIds().x : index(0);
  ty = shape.threadsY > 1 ? launch.getThreadIds().y : index(0);
  threadLinear = add(mul(ty, index(shape.threadsX)), tx);
  // Batch dimensions: the z workgroup id, innermost dimension fastest.
  for (auto [iv, value] :
       llvm::zip(loop.getInductionVars(),
                 trm::delinearize(rewriter, loc, launch.getBlockIds().z,
                                  batchCounts)))
    outerIvs.map(iv, value);
  rowStart = mul(launch.getBlockIds().y, index(shape.blockRows()));
  colStart = mul(launch.getBlockIds().x, index(shape.blockCols()));
}

scf::ForOp MatmulTiler::createKLoop() {
  int64_t accumulators = shape.rows * shape.cols;
  Value init = m.reduction.getInitArgs()[0];
  auto kLoop = scf::ForOp::create(
      rewriter, loc, index(0), index(m.depth), index(shape.kTile),
      SmallVector<Value>(accumulators, init));
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(kLoop.getBody());
  Value kStart = kLoop.getInductionVar();
  if (lhsTile)
    stage(m.lhs, lhsTile, row, rowStart, k, kStart);
  if (rhsTile)
    stage(m.rhs, rhsTile, k, kStart, col, colStart);
  if (lhsTile || rhsTile)
    gpu::BarrierOp::create(rewriter, loc);
  auto step = scf::ForOp::create(rewriter, loc, index(0), index(shape.kTile),
                                 index(1), kLoop.getRegionIterArgs());
  createKStep(step, kStart);
  // The next slice may only be staged once every invocation is done with
  // this one.
  if (lhsTile || rhsTile)
    gpu::BarrierOp::create(rewriter, loc);
  scf::YieldOp::create(rewriter, loc, step.getResults());
  return kLoop;
}

void MatmulTiler::createKStep(scf::ForOp step, Value kStart) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(step.getBody());
  Value kk = step.getInductionVar();
  SmallVector<Value> lhsValues, rhsValues, updated;
  Value kAt = add(kStart, kk);
  for (int64_t r = 0; r < shape.rows; ++r)
    lhsValues.push_back(
        lhsTile ? memref::LoadOp::create(rewriter, loc, lhsTile,
                                         ValueRange{rowOf(r), kk})
                      .getResult()
                : loadAt(m.lhs, row, add(rowStart, rowOf(r)), k, kAt));
  for (int64_t c = 0; c < shape.cols; ++c)
    rhsValues.push_back(
        rhsTile ? memref::LoadOp::create(rewriter, loc, rhsTile,
                                         ValueRange{kk, colOf(c)})
                      .getResult()
                : loadAt(m.rhs, k, kAt, col, add(colStart, colOf(c))));
  for (int64_t r = 0; r < shape.rows; ++r)
    for (int64_t c = 0; c < shape.cols; ++c) {
      IRMapping mapping;
      mapping.map(m.lhs.getResult(), lhsValues[r]);
      mapping.map(m.rhs.getResult(), rhsValues[c]);
      mapping.map(m.reduction.getRegionIterArgs()[0],
                  step.getRegionIterArgs()[r * shape.cols + c]);
      rewriter.clone(*m.product, mapping);
      updated.push_back(rewriter.clone(*m.sum, mapping)->getResult(0));
    }
  scf::YieldOp::create(rewriter, loc, updated);
}

void MatmulTiler::createEpilogues(scf::ForOp kLoop) {
  int64_t rowCount = extentOf(row), colCount = extentOf(col);
  bool ragged = isRagged(row) || isRagged(col);
  for (int64_t r = 0; r < shape.rows; ++r)
    for (int64_t c = 0; c < shape.cols; ++c) {
      OpBuilder::InsertionGuard guard(rewriter);
      Value rowAt = add(rowStart, rowOf(r));
      Value colAt = add(colStart, colOf(c));
      if (ragged) {
        Value inside = arith::AndIOp::create(rewriter, loc,
                                             less(rowAt, rowCount),
                                             less(colAt, colCount));
        auto ifOp = scf::IfOp::create(rewriter, loc, inside);
        rewriter.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      }
      IRMapping mapping = outerIvs;
      mapping.map(row, rowAt);
      mapping.map(col, colAt);
      mapping.map(m.reduction.getResult(0),
                  kLoop.getResult(r * shape.cols + c));
      for (Operation &op : llvm::make_range(
               std::next(Block::iterator(m.reduction.getOperation())),
               Block::iterator(m.loop.getBody()->getTerminator())))
        rewriter.clone(op, mapping);
    }
}

void MatmulTiler::rewrite() {
  createLaunchAndIndices();
  // An operand goes through workgroup memory when several invocations read
  // each of its elements: A when the workgroup is more than one column
  // wide, B when it is more than one row high. Otherwise each invocation
  // loads its own elements.
  Type f32 = rewriter.getF32Type();
  if (shape.threadsX > 1)
    lhsTile = memref::AllocOp::create(
        rewriter, loc,
        trm::workgroupMemRefType({shape.blockRows(), shape.kTile}, f32));
  if (shape.threadsY > 1)
    rhsTile = memref::AllocOp::create(
        rewriter, loc,
        trm::workgroupMemRefType({shape.kTile, shape.blockCols()}, f32));
  scf::ForOp kLoop = createKLoop();
  createEpilogues(kLoop);
  rewriter.eraseOp(m.loop);
}

struct GPUTileMatmulsPass
    : trm::impl::TRMGPUTileMatmulsBase<GPUTileMatmulsPass> {
  using Base::Base;
  trm::PassCounter numTiled{this,
      "tiled", "Matmul loops given workgroup tiles"};

  void runOnOperation() override {
    TileShape shape{threadsX, threadsY, rowsPerInvocation, colsPerInvocation,
                    kTile};
    if (shape.threadsX <= 0 || shape.threadsY <= 0 || shape.rows <= 0 ||
        shape.cols <= 0 || shape.kTile <= 0) {
      getOperation().emitError("trm-gpu-tile-matmuls: tile sizes must be "
                               "positive");
      return signalPassFailure();
    }
    SmallVector<MatmulLoop> matmuls;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (loop->getParentOfType<scf::ParallelOp>())
        return;
      std::optional<MatmulLoop> m = matchMatmul(loop);
      // Smaller than one block: the plain mapping wastes less.
      int64_t rank = m ? m->counts.size() : 0;
      if (m && m->counts[rank - 2] >= shape.blockRows() &&
          m->counts[rank - 1] >= shape.blockCols())
        matmuls.push_back(*m);
    });
    IRRewriter rewriter(&getContext());
    for (MatmulLoop &m : matmuls) {
      MatmulTiler(m, shape, rewriter).rewrite();
      ++numTiled;
    }
  }
};
} // namespace
