//===- ModelSource.cpp - the model trm-run was pointed at -----------------===//
#include "ModelSource.h"
#include "Executable.h"

#include "trm/Builder/ModelBuilder.h"
#include "trm/Import/AtomicFile.h"
#include "trm/Import/TrainerRun.h"
#include "trm/Support/Version.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/xxhash.h"

using namespace trmrun;
using namespace mlir;
namespace fs = llvm::sys::fs;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

std::string trmrun::defaultCacheDir() {
  if (const char *dir = std::getenv("TRM_CACHE_DIR"))
    return dir;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/trm-mlir";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/trm-mlir";
  return "";
}

/// Files users pass where a module goes, told by their first bytes or name:
/// what they are and which command takes them.
static std::optional<std::string> misplacedFile(llvm::StringRef path,
                                                llvm::StringRef bytes) {
  std::string dir = llvm::sys::path::parent_path(path).str();
  if (dir.empty())
    dir = ".";
  if (bytes.starts_with("PK\x03\x04"))
    return path.str() +
           " is a trainer checkpoint (a torch.save archive), not a trm "
           "module: run its directory (trm-run " + dir +
           ") or import it (trm-import --config " + dir +
           "/all_config.yaml --checkpoint " + path.str() +
           " -o model.mlir) and give it as --weights";
  uint64_t header = 0;
  if (bytes.size() > 9 && bytes[8] == '{') {
    memcpy(&header, bytes.data(), 8);
    if (header <= bytes.size() - 8)
      return path.str() + " is a safetensors weights file, not a trm module: "
                          "give it as --weights, after the module";
  }
  if (bytes.starts_with("\x93NUMPY"))
    return path.str() + " is a .npy array, not a trm module: give tokens as "
                        "--input, puzzle identifiers as --puzzle-ids";
  if (llvm::sys::path::filename(path) == "dataset.json")
    return path.str() + " describes a data set, not a trm module: trm-import "
                        "reads it (--dataset-json)";
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext == ".yaml" || ext == ".yml" || ext == ".json")
    return path.str() +
           " is a configuration, not a trm module: run the trainer's "
           "directory that holds it (trm-run " + dir +
           ") or import it (trm-import --config " + path.str() +
           " -o model.mlir)";
  return std::nullopt;
}

/// Parses a module or artifact file after the checks that keep damaged
/// files from MLIR's readers.
static llvm::Expected<ModelSource> openModuleFile(llvm::StringRef path,
                                                  MLIRContext &context,
                                                  llvm::SourceMgr &sourceMgr) {
  auto file = llvm::MemoryBuffer::getFile(path);
  if (!file)
    return error(path + ": cannot open file: " + file.getError().message());
  ModelSource source;
  // trm-compile's machine code is opened by the runtime, not parsed.
  if (isNativeArtifact((*file)->getBuffer())) {
    source.nativeArtifact = path.str();
    return source;
  }
  if (auto hint = misplacedFile(path, (*file)->getBuffer()))
    return error(*hint);
  auto kind = trm::checkModelFile((*file)->getBuffer(), path);
  if (!kind)
    return kind.takeError();
  source.kind = *kind;
  sourceMgr.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  source.module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!source.module)
    return error(path + ": cannot parse the trm module");
  if (auto weights =
          (*source.module)->getAttrOfType<StringAttr>(trm::kWeightsFileAttrName))
    source.recordedWeights = weights.str();
  return source;
}

/// The import's cache entry: everything the module depends on (compiler
/// version, configuration text, the checkpoint's identity, batch).
static std::string cacheKey(const trm::TrainerRunFiles &files, int64_t batch) {
  std::string key = trm::getVersionString().str();
  if (auto config = llvm::MemoryBuffer::getFile(files.config))
    key += (*config)->getBuffer();
  fs::file_status status;
  llvm::SmallString<256> real;
  if (!fs::status(files.checkpoint, status) &&
      !fs::real_path(files.checkpoint, real))
    key += llvm::formatv("|{0}|{1}|{2}", real, status.getSize(),
                         status.getLastModificationTime().time_since_epoch()
                             .count())
               .str();
  key += "|batch " + std::to_string(batch);
  return "import-" + llvm::utohexstr(llvm::xxh3_64bits(key), /*LowerCase=*/true) +
         ".mlir";
}

/// A module file written by an earlier import, if it still parses.
static std::optional<ModelSource>
openCachedImport(llvm::StringRef entry, MLIRContext &context,
                 llvm::SourceMgr &sourceMgr) {
  if (!fs::exists(entry))
    return std::nullopt;
  // A damaged entry is imported again: its parse errors are nobody's.
  ScopedDiagnosticHandler silence(&context,
                                  [](Diagnostic &) { return success(); });
  auto source = openModuleFile(entry, context, sourceMgr);
  if (!source) {
    llvm::consumeError(source.takeError());
    return std::nullopt;
  }
  if (failed(verify(*source->module)))
    return std::nullopt;
  return std::move(*source);
}

static llvm::Expected<ModelSource>
importTrainerDirectory(llvm::StringRef dir, MLIRContext &context,
                       llvm::SourceMgr &sourceMgr,
                       const SourceOptions &options) {
  auto files = trm::findTrainerRun(dir);
  if (!files)
    return files.takeError();
  std::string entry;
  if (!options.cacheDir.empty())
    entry = options.cacheDir + "/" + cacheKey(*files, options.batch);
  if (!entry.empty())
    if (auto cached = openCachedImport(entry, context, sourceMgr)) {
      cached->checkpoint = files->checkpoint;
      cached->notes.push_back("the import of " + files->checkpoint +
                              " from the cache (" + entry + ")");
      return std::move(*cached);
    }
  trm::ImportRequest request;
  request.configPath = files->config;
  request.checkpointPath = files->checkpoint;
  auto imported = trm::importTrainerModel(request);
  if (!imported)
    return imported.takeError();
  ModelSource source;
  trm::ModelBuildOptions build;
  build.batch = options.batch;
  source.module = trm::buildModel(context, imported->config, build);
  if (failed(verify(*source.module)))
    return error(dir + ": internal error: the imported module does not verify");
  source.checkpoint = files->checkpoint;
  source.weights.emplace();
  for (trm::Tensor &t : imported->weights)
    source.weights->tensors[t.name] = std::move(t);
  std::string note = "imported " + files->checkpoint + " with " + files->config;
  for (const std::string &warning : imported->config.warnings)
    source.notes.push_back("warning: " + warning);
  if (!entry.empty()) {
    std::string text;
    llvm::raw_string_ostream os(text);
    source.module->print(os);
    // A cache that cannot be written costs the next run an import, no more.
    if (llvm::Error err = fs::create_directories(options.cacheDir)
                              ? error(options.cacheDir + ": cannot create")
                              : trm::writeFileAtomically(entry, text))
      note += " (not cached: " + llvm::toString(std::move(err)) + ")";
    else
      note += " (cached as " + entry + ")";
  }
  source.notes.push_back(note);
  return source;
}

llvm::Expected<ModelSource>
trmrun::openModelSource(llvm::StringRef path, MLIRContext &context,
                        llvm::SourceMgr &sourceMgr,
                        const SourceOptions &options) {
  if (fs::is_directory(path))
    return importTrainerDirectory(path, context, sourceMgr, options);
  return openModuleFile(path, context, sourceMgr);
}
