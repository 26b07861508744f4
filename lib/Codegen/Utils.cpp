//===- Utils.cpp - helpers shared by the codegen passes -------------------===//
#include "trm/Codegen/Utils.h"

#include "mlir/Dialect/SPIRV/IR/SPIRVAttributes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"
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

mlir::Value mlir::trm::viewRoot(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

mlir::MemRefType mlir::trm::workgroupMemRefType(ArrayRef<int64_t> shape,
                                          Type elementType) {
  auto workgroup = spirv::StorageClassAttr::get(elementType.getContext(),
                                                spirv::StorageClass::Workgroup);
  return MemRefType::get(shape, elementType, MemRefLayoutAttrInterface(),
                         workgroup);
}
