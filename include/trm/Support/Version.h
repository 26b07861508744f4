//===- Version.h - what --version prints --------------------------*- C++ -*-===//
#ifndef TRM_SUPPORT_VERSION_H
#define TRM_SUPPORT_VERSION_H

#include "llvm/Support/raw_ostream.h"

namespace mlir::trm {
/// The project's version and git revision, the LLVM it is built on, the
/// host and the targets it can generate code for (cl::SetVersionPrinter).
void printVersion(llvm::raw_ostream &os);
/// "<version> (git <revision>)": what JSON summaries and cache keys record.
llvm::StringRef getVersionString();
} // namespace mlir::trm

#endif // TRM_SUPPORT_VERSION_H
