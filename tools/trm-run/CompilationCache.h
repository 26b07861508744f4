//===- CompilationCache.h - .mlir runs reuse compiled artifacts ---*- C++ -*-===//
//
// A module run on the CPU is compiled ahead of time, as trm-compile would,
// into a cache directory, and run from there by libtrmrt: the next run of
// the same module with the same options loads machine code in milliseconds
// instead of generating it. An entry's name is a hash of everything the code
// depends on: the compiler version, the CPU pipeline with its options, the
// halting policy, the resolved target (triple, CPU, features) and the module
// text. An entry that does not open, or that another compiler or signature
// made, is stale: it is compiled again and replaced. Entries are written
// atomically, so concurrent runs share them safely.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_TOOLS_TRMRUN_COMPILATIONCACHE_H
#define TRM_TOOLS_TRMRUN_COMPILATIONCACHE_H

#include "Executable.h"

#include "trm/Compiler/CpuArtifact.h"
#include "trm/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

namespace trmrun {

struct CachedCompilation {
  /// The cache directory (created when missing).
  std::string directory;
  std::string policy;
  mlir::trm::CPUCodegenOptions codegen;
  mlir::trm::CpuTarget target;
  /// The runtime's OpenMP thread count (0: OMP_NUM_THREADS or every core).
  int64_t threads = 0;
  /// Compile even when the entry exists (and replace it): a run that asks
  /// to see the pipeline at work must run it.
  bool skipLookup = false;
};

/// The cache entry's path for `module` (halting policy set, not lowered).
std::string cacheEntryPath(mlir::ModuleOp module,
                           const CachedCompilation &request);

/// Loads `module` (policy set, not lowered; `sig` read from it) from its
/// cache entry, or lowers it with `pm`, compiles it into the entry and
/// loads that. When the entry cannot be written the lowered module is
/// JIT-compiled instead. `note` says which happened, for the log; `hit`
/// whether the code came from the cache.
llvm::Expected<std::unique_ptr<Executable>>
compileThroughCache(mlir::ModuleOp module, mlir::trm::ModelSignature &sig,
                    const CachedCompilation &request, mlir::PassManager &pm,
                    std::string &note, bool &hit);

} // namespace trmrun

#endif
