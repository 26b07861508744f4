//===- OutOfMemory.cpp - running out of memory as an error ----------------===//
#include "trm/Support/OutOfMemory.h"
#include "trm/Support/BufferAllocator.h"

#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/Signals.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

using namespace mlir::trm;

static const char *toolName = "trm";

/// Writes the pieces to stderr without allocating (there may be no memory
/// left to allocate).
static void writeError(const char *first, const char *second = "",
                       const char *third = "") {
  for (const char *part : {toolName, ": error: ", first, second, third, "\n"})
    if (::write(STDERR_FILENO, part, std::strlen(part)) < 0)
      return;
}

[[noreturn]] static void exitWithError() {
  // Removes the files registered with RemoveFileOnSignal, which include
  // every temporary output (llvm::sys::fs::TempFile).
  llvm::sys::RunInterruptHandlers();
  ::_exit(1);
}

static void onBadAlloc(void *, const char *reason, bool) {
  writeError("out of memory (", reason ? reason : "allocation failed", ")");
  exitWithError();
}

static void onFatalError(void *, const char *reason, bool) {
  writeError(reason ? reason : "fatal error in LLVM");
  exitWithError();
}

void mlir::trm::installOutOfMemoryHandlers(const char *tool) {
  toolName = tool;
  llvm::install_bad_alloc_error_handler(onBadAlloc);
  llvm::install_fatal_error_handler(onFatalError);
  setBufferOutOfMemoryHandler(reportOutOfMemory);
}

void mlir::trm::reportOutOfMemory(const char *what, size_t bytes) {
  char size[32];
  std::snprintf(size, sizeof(size), "%zu", bytes);
  writeError("out of memory: cannot allocate ", size, what);
  exitWithError();
}
