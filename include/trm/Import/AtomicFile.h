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
// An OutputSet groups the files of one run, so that they appear together
// or not at all.
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
#include <vector>

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
  /// The first half of commit(): flushes and closes the file, and reports a
  /// write error (the file is then discarded).
  llvm::Error finish();
  /// The second half: renames a finished temporary file into place.
  llvm::Error install();
  /// Whether install() renames a temporary file (not a direct write).
  bool isTemporary() const { return temp.has_value(); }
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

/// The outputs of one run, which appear together or not at all. Each file
/// is written to its own temporary file beside its destination, created by
/// add() before any work is done (so a path that cannot be written fails
/// first). commit() finishes every file before renaming any: a write error
/// in one (a full disk, say) leaves all the destinations as they were. The
/// renames then happen under an exclusive lock (flock) on each destination
/// directory, so that two runs writing into one directory leave the whole
/// set of one of them, never a mix. A process killed before commit()
/// leaves only temporary files, never a truncated file under a final name.
class OutputSet {
public:
  /// Adds `path` to the set; an error names a path that cannot be written
  /// or one given twice.
  llvm::Expected<llvm::raw_ostream &> add(llvm::StringRef path);
  /// Finishes every file, then renames them all into place.
  llvm::Error commit();
  bool empty() const { return files.empty(); }

private:
  std::vector<std::unique_ptr<AtomicFile>> files;
  /// Per file: its canonical directory and its name.
  std::vector<std::string> keys;
};

/// Writes `contents` to `path` atomically.
llvm::Error writeFileAtomically(llvm::StringRef path, llvm::StringRef contents);

} // namespace mlir::trm

#endif // TRM_IMPORT_ATOMICFILE_H
