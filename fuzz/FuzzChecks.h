//===- FuzzChecks.h - what every importer harness checks ---------*- C++ -*-===//
#ifndef TRM_FUZZ_FUZZCHECKS_H
#define TRM_FUZZ_FUZZCHECKS_H

#include "trm/Import/Tensor.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <string>

/// A tensor an importer accepted must match its shape and convert to f32;
/// anything else is a finding.
inline void requireUsable(const mlir::trm::Tensor &tensor) {
  if (!tensor.isConsistent())
    abort();
  (void)tensor.toF32();
}

/// For readers that take a path: writes the input to one temporary file
/// (created on first use, named after `harness`) and returns its path.
inline const std::string &writeInputFile(const char *harness,
                                         const uint8_t *data, size_t size) {
  static const std::string path = [harness] {
    llvm::SmallString<128> p;
    if (llvm::sys::fs::createTemporaryFile(harness, "in", p))
      abort();
    return std::string(p);
  }();
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    abort();
  os.write(reinterpret_cast<const char *>(data), size);
  return path;
}

#endif
