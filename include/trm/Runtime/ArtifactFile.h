//===- ArtifactFile.h - compiled artifacts on disk ----------------*- C++ -*-===//
//
// An artifact file is the MLIR bytecode of a lowered module whose producer
// string is "trm-artifact xxh3:<16 hex digits>": the xxh3 of every other
// byte of the file. trm-run checks that hash before the bytecode reader
// sees a byte, so a damaged file is refused as damaged instead of reaching
// the reader (or the JIT) with a flipped bit. The file stays ordinary
// bytecode: trm-opt and mlir-opt read it.
//
// The hash guards against damage, not against a forger: an artifact is
// code, and running one is trusting whoever wrote it.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_RUNTIME_ARTIFACTFILE_H
#define TRM_RUNTIME_ARTIFACTFILE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::trm {

/// Writes `module` as an artifact file.
llvm::Error writeArtifactFile(ModuleOp module, llvm::raw_ostream &os);

/// What a model file holds, by its first bytes.
enum class ModelFileKind {
  /// A text module.
  Text,
  /// MLIR bytecode without the artifact producer (written by another tool).
  Bytecode,
  /// An artifact file whose hash matches its contents.
  VerifiedArtifact,
};

/// What trm-run checks of a model file before MLIR's parser sees it: an
/// artifact's hash (a file with the artifact producer whose hash does not
/// match, or is malformed, is an error naming `path`), and a text module's
/// nesting (checkTextNesting).
llvm::Expected<ModelFileKind> checkModelFile(llvm::StringRef bytes,
                                             llvm::StringRef path);

/// How deep the brackets of a text module may nest. MLIR's parser recurses
/// once per level, so a file nested tens of thousands deep overflows the
/// stack; trm modules nest fewer than ten.
inline constexpr unsigned kMaxTextNesting = 256;

/// Checks that the brackets of a text module
/// ( [ { < nest at most kMaxTextNesting levels (strings and comments
/// skipped); the error names `path` and the line.
llvm::Error checkTextNesting(llvm::StringRef text, llvm::StringRef path);

} // namespace mlir::trm

#endif // TRM_RUNTIME_ARTIFACTFILE_H
