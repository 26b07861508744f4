//===- BindWeights.cpp - trm.weight to slices of one packed argument ------===//
#include "trm/Conversion/Passes.h"
#include "trm/Support/PassCounter.h"
#include "trm/Dialect/TRM/IR/TRMOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMBINDWEIGHTS
#include "trm/Conversion/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;
using namespace mlir::trm;

namespace {
/// Alignment of every parameter in the packed buffer, in f32 elements.
constexpr int64_t kAlignElements = 16;

struct BindWeightsPass : trm::impl::TRMBindWeightsBase<BindWeightsPass> {
  using Base::Base;
  trm::PassCounter numParameters{this,
      "parameters", "Distinct parameters bound"};

  LogicalResult bindFunction(func::FuncOp func) {
    llvm::MapVector<StringRef, SmallVector<WeightOp>> uses;
    func.walk([&](WeightOp op) { uses[op.getKey()].push_back(op); });
    if (uses.empty())
      return success();

    OpBuilder b(func.getContext());
    // Lay the parameters out in order of first use.
    SmallVector<Attribute> table;
    SmallVector<int64_t> offsets;
    int64_t size = 0;
    for (auto &[key, ops] : uses) {
      RankedTensorType type = ops.front().getType();
      for (WeightOp op : ops)
        if (op.getType() != type)
          return op.emitOpError("parameter '")
                 << key << "' is used with two types: " << type << " and "
                 << op.getType();
      if (!type.getElementType().isF32())
        return ops.front().emitOpError(
                   "only f32 parameters can be bound, got ")
               << type;
      // A streamed table (trm-stream-puzzle-embedding) keeps its mark.
      Attribute streamed = ops.front()->getAttr(kStreamedRowsAttrName);
      for (WeightOp op : ops)
        if (op->getAttr(kStreamedRowsAttrName) != streamed)
          return op.emitOpError("parameter '")
                 << key << "' is streamed in one use and not in another";
      offsets.push_back(size);
      SmallVector<NamedAttribute> fields = {
          b.getNamedAttr("key", b.getStringAttr(key)),
          b.getNamedAttr("offset", b.getI64IntegerAttr(size)),
          b.getNamedAttr("shape", b.getDenseI64ArrayAttr(type.getShape())),
      };
      if (streamed)
        fields.push_back(b.getNamedAttr("streamed_rows", streamed));
      table.push_back(b.getDictionaryAttr(fields));
      size += (type.getNumElements() + kAlignElements - 1) / kAlignElements *
              kAlignElements;
    }

    auto packedType = RankedTensorType::get({size}, b.getF32Type());
    unsigned argIndex = func.getNumArguments();
    if (failed(func.insertArgument(argIndex, packedType, DictionaryAttr(),
                                   func.getLoc())))
      return failure();
    Value packed = func.getArgument(argIndex);
    func->setAttr(kWeightTableAttrName, b.getArrayAttr(table));

    // Create every slice before erasing any trm.weight: the insertion point
    // is an iterator to the entry block's first op, which may be one of them.
    b.setInsertionPointToStart(&func.getBody().front());
    SmallVector<Value> boundValues;
    for (auto [index, entry] : llvm::enumerate(uses)) {
      auto &[key, ops] = entry;
      RankedTensorType type = ops.front().getType();
      Location loc = ops.front().getLoc();
      auto flatType =
          RankedTensorType::get({type.getNumElements()}, b.getF32Type());
      Value flat = tensor::ExtractSliceOp::create(
          b, loc, flatType, packed,
          ArrayRef<OpFoldResult>{b.getIndexAttr(offsets[index])},
          ArrayRef<OpFoldResult>{b.getIndexAttr(type.getNumElements())},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
      Value bound = flat;
      if (type.getRank() != 1) {
        SmallVector<ReassociationIndices> reassoc(1);
        for (int64_t d = 0; d < type.getRank(); ++d)
          reassoc[0].push_back(d);
        bound = tensor::ExpandShapeOp::create(b, loc, type, flat, reassoc);
      }
      boundValues.push_back(bound);
      ++numParameters;
    }
    for (auto [entry, bound] : llvm::zip(uses, boundValues))
      for (WeightOp op : entry.second) {
        op.replaceAllUsesWith(bound);
        op.erase();
      }
    return success();
  }

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (failed(bindFunction(func)))
        return signalPassFailure();
  }
};
} // namespace
