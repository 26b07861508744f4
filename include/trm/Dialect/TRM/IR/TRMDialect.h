//===- TRMDialect.h - trm dialect ---------------------------------*- C++ -*-===//
#ifndef TRM_DIALECT_TRM_IR_TRMDIALECT_H
#define TRM_DIALECT_TRM_IR_TRMDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "trm/Dialect/TRM/IR/TRMDialect.h.inc"

#endif // TRM_DIALECT_TRM_IR_TRMDIALECT_H
