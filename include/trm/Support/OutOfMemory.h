//===- OutOfMemory.h - running out of memory as an error ----------*- C++ -*-===//
//
// Out of memory, LLVM prints "LLVM ERROR: out of memory", a stack dump and
// aborts, and code compiled from a model writes through the null pointer a
// failed malloc returns. The tools report it instead as an error naming
// the tool, remove their temporary output files and exit with status 1.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_SUPPORT_OUTOFMEMORY_H
#define TRM_SUPPORT_OUTOFMEMORY_H

#include <cstddef>

namespace mlir::trm {

/// Installs LLVM's bad-alloc handler (which failures of operator new reach
/// through the new handler llvm::InitLLVM installs) and its fatal-error
/// handler (LLVM's resource failures, such as a thread it cannot create).
/// Call once from main, after InitLLVM; `tool` prefixes the messages.
void installOutOfMemoryHandlers(const char *tool);

/// Reports that `bytes` could not be allocated for `what`, removes the
/// temporary output files and exits with status 1.
[[noreturn]] void reportOutOfMemory(const char *what, size_t bytes);

} // namespace mlir::trm

#endif // TRM_SUPPORT_OUTOFMEMORY_H
