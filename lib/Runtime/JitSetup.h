//===- JitSetup.h - what every JIT-compiled trm program needs -----*- C++ -*-===//
#ifndef TRM_LIB_RUNTIME_JITSETUP_H
#define TRM_LIB_RUNTIME_JITSETUP_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"

namespace mlir::trm {
/// The native target and the translations every lowered module needs; the
/// callers add their dialect's own (OpenMP, GPU).
inline void prepareJit(ModuleOp module) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
}
} // namespace mlir::trm

#endif
