//===- Utils.cpp - helpers shared by the CPU codegen passes ---------------===//
#include "trm/Codegen/Utils.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

bool mlir::trm::hasGather(linalg::LinalgOp op) {
  bool found = false;
  op->walk([&](tensor::ExtractOp) { found = true; });
  return found;
}
