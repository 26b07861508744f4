//===- TargetCpu.h - CPU names LLVM knows -------------------------*- C++ -*-===//
#ifndef TRM_SUPPORT_TARGETCPU_H
#define TRM_SUPPORT_TARGETCPU_H

#include "llvm/Support/Error.h"
#include "llvm/TargetParser/Triple.h"

namespace mlir::trm {
/// An error unless LLVM knows `cpu` for `triple` (its target registered).
/// Checked before a target machine is made: LLVM would only warn, and
/// generate code for a default CPU.
llvm::Error checkTargetCpuName(const llvm::Triple &triple, llvm::StringRef cpu);
} // namespace mlir::trm

#endif
