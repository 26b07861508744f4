//===- Utils.cpp - helpers of every backend's passes ----------------------===//
#include "trm/Codegen/Common/Utils.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

bool mlir::trm::hasGather(linalg::LinalgOp op) {
  bool found = false;
  op->walk([&](tensor::ExtractOp) { found = true; });
  return found;
}

bool mlir::trm::hasBoolOperands(linalg::LinalgOp op) {
  auto isBool = [](Type t) { return getElementTypeOrSelf(t).isInteger(1); };
  return llvm::any_of(op->getOperandTypes(), isBool) ||
         llvm::any_of(op->getResultTypes(), isBool);
}

bool mlir::trm::hasOneElementType(linalg::LinalgOp op) {
  Type elt = getElementTypeOrSelf(op->getResult(0).getType());
  auto same = [&](Type t) { return getElementTypeOrSelf(t) == elt; };
  return llvm::all_of(op->getOperandTypes(), same) &&
         llvm::all_of(op->getResultTypes(), same);
}

mlir::Value mlir::trm::viewRoot(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

std::optional<int64_t> mlir::trm::staticByteSize(ShapedType type) {
  if (!type.hasStaticShape())
    return std::nullopt;
  Type element = type.getElementType();
  const int64_t bits =
      element.isIntOrFloat() ? element.getIntOrFloatBitWidth() : 64;
  return type.getNumElements() * ((bits + 7) / 8);
}
