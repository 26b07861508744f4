//===- TRMDialect.cpp - trm dialect registration --------------------------===//
#include "trm/Dialect/TRM/IR/TRMDialect.h"
#include "trm/Dialect/TRM/IR/TRMOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::trm;

#include "trm/Dialect/TRM/IR/TRMDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "trm/Dialect/TRM/IR/TRMAttrs.cpp.inc"

void TRMDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "trm/Dialect/TRM/IR/TRMOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "trm/Dialect/TRM/IR/TRMAttrs.cpp.inc"
      >();
}
