//===- JitSetup.h - what every JIT-compiled trm program needs -----*- C++ -*-===//
#ifndef TRM_LIB_RUNTIME_JITSETUP_H
#define TRM_LIB_RUNTIME_JITSETUP_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
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

/// LLVM generates machine code lazily, on the first lookup: look the entry
/// point up at load, so that code generation counts as compiling and not as
/// the first run.
inline llvm::Error generateCode(ExecutionEngine &engine,
                                llvm::StringRef entry) {
  auto function = engine.lookupPacked(("_mlir_ciface_" + entry).str());
  return function ? llvm::Error::success() : function.takeError();
}
} // namespace mlir::trm

#endif
