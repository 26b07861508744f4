//===- TRMOps.h - trm dialect operations -------------------------*- C++ -*-===//
#ifndef TRM_DIALECT_TRM_IR_TRMOPS_H
#define TRM_DIALECT_TRM_IR_TRMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "trm/Dialect/TRM/IR/TRMDialect.h"

#include "trm/Dialect/TRM/IR/TRMEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "trm/Dialect/TRM/IR/TRMAttrs.h.inc"

#define GET_OP_CLASSES
#include "trm/Dialect/TRM/IR/TRMOps.h.inc"

#endif // TRM_DIALECT_TRM_IR_TRMOPS_H
