//===- ModelSource.h - the model trm-run was pointed at ----------*- C++ -*-===//
//
// trm-run's first argument is a trm module (text or bytecode), a compiled
// artifact (trm-compile's machine code, or --compile-only's bytecode), or a
// trainer's checkpoint directory (all_config.yaml + step_N),
// which is imported on the fly and the import kept in a cache. A
// checkpoint, weights file or configuration given instead gets an error that
// says which command takes it.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_TOOLS_TRMRUN_MODELSOURCE_H
#define TRM_TOOLS_TRMRUN_MODELSOURCE_H

#include "trm/Runtime/ArrayIO.h"
#include "trm/Runtime/ArtifactFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

#include <optional>
#include <string>
#include <vector>

namespace trmrun {

struct SourceOptions {
  /// A trainer directory's module: the largest batch it runs at once.
  int64_t batch = 8;
  /// Where imports are kept; empty: none kept.
  std::string cacheDir;
};

struct ModelSource {
  /// Null for an ahead-of-time artifact (trm-compile's), which the runtime
  /// opens from `nativeArtifact`.
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string nativeArtifact;
  mlir::trm::ModelFileKind kind = mlir::trm::ModelFileKind::Text;
  /// A trainer directory's checkpoint, the weights unless --weights says.
  std::string checkpoint;
  /// The weights file a module names (trm.weights_file, written by
  /// trm-import): the weights unless --weights says.
  std::string recordedWeights;
  /// The checkpoint's weights when this run imported it (not when the
  /// import came from the cache).
  std::optional<mlir::trm::WeightFile> weights;
  /// What happened, for the log: the import and the cache entry.
  std::vector<std::string> notes;
};

/// Opens `path`, a module or artifact file (parsed through `sourceMgr`) or
/// a trainer directory.
llvm::Expected<ModelSource> openModelSource(llvm::StringRef path,
                                            mlir::MLIRContext &context,
                                            llvm::SourceMgr &sourceMgr,
                                            const SourceOptions &options);

/// The cache folder: $TRM_CACHE_DIR, else $XDG_CACHE_HOME/trm-mlir, else
/// $HOME/.cache/trm-mlir; empty when none of them is set.
std::string defaultCacheDir();

} // namespace trmrun

#endif
