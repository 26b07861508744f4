//===- JsonStructure.h - structural limits checked before JSON parsing -*- C++ -*-===//
//
// llvm::json::parse recurses once per nesting level and keeps the last of
// two equal keys. Inputs from users (safetensors headers, dataset.json) are
// checked first, so a hostile file is an error, not a stack overflow or a
// silently replaced tensor.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_IMPORT_JSONSTRUCTURE_H
#define TRM_IMPORT_JSONSTRUCTURE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace mlir::trm {

/// Deepest nesting accepted in the JSON the importers read (real files nest
/// 3 levels).
inline constexpr unsigned kMaxJsonDepth = 64;

/// Checks that `text` nests no deeper than `maxDepth` arrays and objects and
/// that its top-level object holds no key twice. Only strings, brackets and
/// separators are looked at; the parser checks everything else. `file`
/// names the source in messages.
llvm::Error checkJsonStructure(llvm::StringRef text, llvm::StringRef file,
                               unsigned maxDepth = kMaxJsonDepth);

} // namespace mlir::trm

#endif
