//===- CompilationCache.cpp - .mlir runs reuse compiled artifacts ---------===//
#include "CompilationCache.h"

#include "trm/Import/AtomicFile.h"
#include "trm/Runtime/CpuExecutable.h"
#include "trm/Support/Version.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/xxhash.h"

using namespace mlir;
using namespace trmrun;
namespace fs = llvm::sys::fs;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// The running compiler's identity: its version, and its file's size and
/// modification time, so that a rebuilt compiler never reuses code its
/// predecessor generated.
static std::string compilerIdentity() {
  std::string id = trm::getVersionString().str();
  static int anchor;
  std::string self = fs::getMainExecutable("trm-run", &anchor);
  fs::file_status status;
  if (!self.empty() && !fs::status(self, status))
    id += llvm::formatv("|{0}|{1}", status.getSize(),
                        status.getLastModificationTime()
                            .time_since_epoch()
                            .count())
              .str();
  return id;
}

std::string trmrun::cacheEntryPath(ModuleOp module,
                                   const CachedCompilation &request) {
  std::string key = compilerIdentity();
  llvm::raw_string_ostream os(key);
  OpPassManager pipeline("builtin.module");
  trm::buildTRMToLLVMPipeline(pipeline, request.codegen);
  os << "\npipeline ";
  pipeline.printAsTextualPipeline(os);
  trm::CpuTarget target = trm::resolveCpuTarget(request.target);
  os << "\nhalting " << request.policy << "\ntarget " << target.triple << " "
     << target.cpu << " " << target.features << "\n";
  module.print(os);
  llvm::SmallString<256> path(request.directory);
  llvm::sys::path::append(
      path, "cpu-" + llvm::utohexstr(llvm::xxh3_64bits(key), true) + ".trmc");
  return path.str().str();
}

/// Why an entry that opened is not this module's code; empty when it is.
static std::string staleness(const NativeArtifact &artifact,
                             const trm::ModelSignature &sig,
                             llvm::StringRef policy) {
  if (artifact.compiler() != trm::getVersionString())
    return "made by trm-mlir " + artifact.compiler();
  const trm::ModelSignature &s = artifact.signature();
  if (s.batch != sig.batch || s.seqLen != sig.seqLen || s.vocab != sig.vocab ||
      s.maxSteps != sig.maxSteps || s.numPuzzleIds != sig.numPuzzleIds ||
      s.callsPerStep() != sig.callsPerStep())
    return "its signature is another model's";
  if (artifact.policy() != policy)
    return "compiled with halting " + artifact.policy();
  return "";
}

llvm::Expected<std::unique_ptr<Executable>>
trmrun::compileThroughCache(ModuleOp module, trm::ModelSignature &sig,
                            const CachedCompilation &request, PassManager &pm,
                            std::string &note, bool &hit) {
  hit = false;
  const std::string entry = cacheEntryPath(module, request);
  std::string rejected;
  if (!request.skipLookup && fs::exists(entry)) {
    auto cached = NativeArtifact::open(entry, request.threads);
    if (!cached)
      rejected = llvm::toString(cached.takeError());
    else
      rejected = staleness(**cached, sig, request.policy);
    if (rejected.empty()) {
      note = "compiled code from the cache (" + entry + ")";
      hit = true;
      return std::unique_ptr<Executable>(std::move(*cached));
    }
  }

  if (llvm::Error err = trm::CpuExecutable::lower(module, pm, request.codegen))
    return std::move(err);
  if (llvm::Error err = sig.readWeightTable(module))
    return std::move(err);
  auto artifact =
      trm::buildCpuArtifact(module, sig, request.policy,
                            request.codegen.bf16 ? "bf16" : "f32",
                            request.target);
  if (!artifact)
    return artifact.takeError();
  note = rejected.empty() ? "compiled" : "stale cache entry replaced (" +
                                             rejected + "); compiled";
  // A cache that cannot be written costs this run the JIT, no more.
  if (llvm::Error err = fs::create_directories(request.directory)
                            ? error(request.directory + ": cannot create")
                            : trm::writeFileAtomically(entry, *artifact)) {
    note += " with the JIT (not cached: " + llvm::toString(std::move(err)) +
            ")";
    auto jit = trm::CpuExecutable::load(module, sig, request.threads);
    if (!jit)
      return jit.takeError();
    return makeJitExecutable(std::move(*jit), sig);
  }
  auto opened = NativeArtifact::open(entry, request.threads);
  if (!opened)
    return opened.takeError();
  note += " and cached as " + entry;
  return std::unique_ptr<Executable>(std::move(*opened));
}
