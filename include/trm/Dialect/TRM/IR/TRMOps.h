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

namespace mlir::trm {
/// A halting policy as every tool and pass option spells it: `fixed` or
/// `q_halt`, with `q` accepted as short for `q_halt`.
std::optional<HaltingPolicy> parseHaltingPolicyName(llvm::StringRef name);
/// What an unknown policy name is told it may be instead.
inline constexpr llvm::StringLiteral kHaltingPolicyNames =
    "fixed, q_halt or q";
/// The discardable attribute trm-stream-puzzle-embedding puts on a
/// trm.weight whose rows the runtime streams: the row count of the table in
/// the checkpoint (the op's type has one row per batch row).
inline constexpr llvm::StringLiteral kStreamedRowsAttrName =
    "trm.streamed_rows";
} // namespace mlir::trm

#define GET_ATTRDEF_CLASSES
#include "trm/Dialect/TRM/IR/TRMAttrs.h.inc"

#define GET_OP_CLASSES
#include "trm/Dialect/TRM/IR/TRMOps.h.inc"

#endif // TRM_DIALECT_TRM_IR_TRMOPS_H
