//===- AtomicFile.h - write outputs through temporary files ------*- C++ -*-===//
//
// An output file that only appears under its name once complete: data goes
// to a temporary file beside the destination, commit() renames it into
// place, and destruction without commit() removes it. A failed import
// therefore never leaves a partial output behind.
//
// Only a regular file (or a new name) is replaced that way. Renaming over a
// device, a FIFO or a socket would replace it with a regular file (as root,
// /dev/null itself), so such a target is written directly instead; a
// directory is refused.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_IMPORT_ATOMICFILE_H
#define TRM_IMPORT_ATOMICFILE_H

#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <optional>
#include <string>

namespace mlir::trm {

class AtomicFile {
public:
  /// Creates `<path>.tmp<random>` next to `path`, or opens `path` itself
  /// when it exists and is not a regular file.
  static llvm::Expected<AtomicFile> create(llvm::StringRef path);

  AtomicFile(AtomicFile &&other);
  AtomicFile &operator=(AtomicFile &&other);
  AtomicFile(const AtomicFile &) = delete;
  AtomicFile &operator=(const AtomicFile &) = delete;
  ~AtomicFile();

  llvm::raw_ostream &os() { return *stream; }
  const std::string &path() const { return target; }

  /// Flushes, checks for write errors and renames the file into place.
  llvm::Error commit();
  /// Removes the temporary file (also done by the destructor).
  void discard();

private:
  AtomicFile(std::string target, llvm::sys::fs::TempFile temp);
  /// Writes straight into an existing non-regular file.
  AtomicFile(std::string target, std::unique_ptr<llvm::raw_fd_ostream> direct);
  std::string target;
  std::optional<llvm::sys::fs::TempFile> temp;
  std::unique_ptr<llvm::raw_fd_ostream> stream;
};

/// Writes `contents` to `path` atomically.
llvm::Error writeFileAtomically(llvm::StringRef path, llvm::StringRef contents);

} // namespace mlir::trm

#endif // TRM_IMPORT_ATOMICFILE_H
