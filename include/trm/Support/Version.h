//===- Version.h - what --version prints --------------------------*- C++ -*-===//
#ifndef TRM_SUPPORT_VERSION_H
#define TRM_SUPPORT_VERSION_H

#include "llvm/Support/raw_ostream.h"

namespace mlir::trm {
/// The project's version and git revision, the LLVM it is built on, the
/// host and the targets it can generate code for (cl::SetVersionPrinter).
void printVersion(llvm::raw_ostream &os);
} // namespace mlir::trm

#endif // TRM_SUPPORT_VERSION_H
