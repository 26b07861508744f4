//===- StreamPuzzleEmbedding.cpp - a slot per batch row for puzzle rows ---===//
#include "trm/Dialect/TRM/Transforms/Passes.h"
#include "trm/Support/PassCounter.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMSTREAMPUZZLEEMBEDDING
#include "trm/Dialect/TRM/Transforms/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;
using namespace mlir::trm;

namespace {
struct StreamPuzzleEmbeddingPass
    : trm::impl::TRMStreamPuzzleEmbeddingBase<StreamPuzzleEmbeddingPass> {
  trm::PassCounter numStreamed{this, "tables-streamed",
                               "Puzzle embedding tables given batch slots"};

  LogicalResult stream(EmbedOp embed) {
    auto weight = embed.getPuzzleEmb()
                      ? embed.getPuzzleEmb().getDefiningOp<WeightOp>()
                      : WeightOp();
    if (!weight || weight->hasAttr(kStreamedRowsAttrName))
      return success();
    // The slots hold the rows of this embedding's samples only.
    if (!weight->hasOneUse())
      return weight.emitOpError("puzzle embedding table '")
             << weight.getKey()
             << "' has users besides one trm.embed: its rows cannot be "
                "streamed";
    auto ids = cast<RankedTensorType>(embed.getPuzzleIds().getType());
    RankedTensorType table = weight.getType();
    const int64_t batch = ids.getDimSize(0);
    OpBuilder b(embed);
    weight->setAttr(kStreamedRowsAttrName,
                    b.getI64IntegerAttr(table.getDimSize(0)));
    weight.getResult().setType(RankedTensorType::get(
        {batch, table.getDimSize(1)}, table.getElementType()));
    // Computed rather than a constant: a constant tensor would become a
    // host global, which a device kernel cannot read.
    Location loc = embed.getLoc();
    Value empty = tensor::EmptyOp::create(b, loc, ids.getShape(),
                                          ids.getElementType());
    auto iota = linalg::GenericOp::create(
        b, loc, TypeRange{ids}, ValueRange{}, ValueRange{empty},
        ArrayRef<AffineMap>{b.getMultiDimIdentityMap(1)},
        ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
        [&](OpBuilder &nb, Location nloc, ValueRange) {
          Value row = linalg::IndexOp::create(nb, nloc, 0);
          Value id = arith::IndexCastOp::create(nb, nloc,
                                                ids.getElementType(), row);
          linalg::YieldOp::create(nb, nloc, id);
        });
    Value slotIds = iota.getResult(0);
    embed.getPuzzleIdsMutable().assign(slotIds);
    ++numStreamed;
    return success();
  }

  void runOnOperation() override {
    WalkResult result = getOperation().walk([&](EmbedOp embed) {
      return failed(stream(embed)) ? WalkResult::interrupt()
                                   : WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
