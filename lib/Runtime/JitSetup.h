//===- JitSetup.h - what every JIT-compiled trm program needs -----*- C++ -*-===//
#ifndef TRM_LIB_RUNTIME_JITSETUP_H
#define TRM_LIB_RUNTIME_JITSETUP_H

#include "trm/Support/BufferAllocator.h"

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

/// The functions a lowered module's buffers come from
/// (finalize-memref-to-llvm{use-generic-functions}): allocation failures
/// are an error, not a write through a null pointer.
inline void registerBufferAllocator(ExecutionEngine &engine) {
  engine.registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    auto add = [&](const char *name, auto *fn) {
      map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                             llvm::JITSymbolFlags::Exported};
    };
    add("_mlir_memref_to_llvm_alloc", &_mlir_memref_to_llvm_alloc);
    add("_mlir_memref_to_llvm_aligned_alloc",
        &_mlir_memref_to_llvm_aligned_alloc);
    add("_mlir_memref_to_llvm_free", &_mlir_memref_to_llvm_free);
    return map;
  });
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
