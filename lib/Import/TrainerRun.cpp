//===- TrainerRun.cpp - a reference trainer's run as one import -----------===//
#include "trm/Import/TrainerRun.h"
#include "trm/Import/WeightImport.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

using namespace mlir::trm;
namespace fs = llvm::sys::fs;

llvm::Expected<TrainerRunFiles> mlir::trm::findTrainerRun(llvm::StringRef dir) {
  TrainerRunFiles files;
  llvm::SmallString<256> config(dir);
  llvm::sys::path::append(config, "all_config.yaml");
  if (!fs::is_regular_file(config))
    return llvm::createStringError(
        dir + ": no all_config.yaml: a trainer's checkpoint directory holds "
              "all_config.yaml and its step_N files");
  files.config = config.str().str();
  // step_N by N, not by name: step_999 is older than step_1000.
  int64_t latest = -1;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    int64_t step = 0;
    if (!name.consume_front("step_") || name.getAsInteger(10, step) ||
        step <= latest || !fs::is_regular_file(it->path()))
      continue;
    latest = step;
    files.checkpoint = it->path();
  }
  if (ec)
    return llvm::createStringError(dir + ": " + ec.message());
  if (latest < 0)
    return llvm::createStringError(
        dir + ": no step_N checkpoint beside all_config.yaml");
  return files;
}

std::optional<std::string>
mlir::trm::locateDatasetJson(const TRMConfig &config,
                             llvm::StringRef configPath,
                             std::vector<std::string> &tried) {
  llvm::StringRef configDir = llvm::sys::path::parent_path(configPath);
  auto found = [&](const llvm::Twine &path) {
    tried.push_back(path.str());
    return fs::is_regular_file(tried.back());
  };
  llvm::SmallString<256> beside(configDir);
  llvm::sys::path::append(beside, "dataset.json");
  if (found(beside))
    return tried.back();
  for (const std::string &data : config.dataPaths) {
    llvm::SmallVector<std::string, 2> roots = {data};
    if (llvm::sys::path::is_relative(data) && !configDir.empty())
      roots.push_back((configDir + "/" + data).str());
    for (const std::string &root : roots)
      for (const char *sub : {"/train/", "/test/", "/"})
        if (found(root + sub + "dataset.json"))
          return tried.back();
  }
  return std::nullopt;
}

/// Whether a size the module needs is still 0.
static bool sizesUnknown(const TRMConfig &c) {
  return c.seqLen == 0 || c.vocabSize == 0 ||
         (c.puzzleEmbNdim > 0 && c.numPuzzleIdentifiers == 0);
}

llvm::Expected<ImportedModel>
mlir::trm::importTrainerModel(const ImportRequest &request) {
  ImportedModel model;
  auto config = parseConfigFile(request.configPath);
  if (!config)
    return config.takeError();
  model.config = std::move(*config);
  TRMConfig &c = model.config;
  auto apply = [&](const std::string &path) -> llvm::Error {
    model.datasetJsonUsed = path;
    return applyDatasetJson(c, path, request.configPath);
  };
  std::optional<std::string> located;
  if (request.datasetJsonPath.empty())
    located = locateDatasetJson(c, request.configPath, model.datasetJsonTried);
  // An explicit one or one beside the configuration always applies; one
  // found through data_paths only for sizes nothing else tells (the
  // folder may have changed since the training).
  // locateDatasetJson tries the file beside the configuration first.
  const bool beside = located && *located == model.datasetJsonTried.front();
  if (!request.datasetJsonPath.empty() || beside)
    if (llvm::Error err = apply(beside ? *located : request.datasetJsonPath))
      return std::move(err);
  if (request.seqLen > 0)
    c.seqLen = request.seqLen;
  if (request.vocabSize > 0)
    c.vocabSize = request.vocabSize;
  if (request.numPuzzleIdentifiers > 0)
    c.numPuzzleIdentifiers = request.numPuzzleIdentifiers;

  std::optional<CheckpointWeights> checkpoint;
  if (!request.checkpointPath.empty()) {
    auto tensors = readCheckpointFile(request.checkpointPath);
    if (!tensors)
      return tensors.takeError();
    auto weights =
        canonicalizeWeights(std::move(*tensors), request.checkpointPath);
    if (!weights)
      return weights.takeError();
    inferConfigFromWeights(c, *weights);
    checkpoint = std::move(*weights);
  }
  if (sizesUnknown(c) && located && !beside)
    if (llvm::Error err = apply(*located))
      return std::move(err);
  if (llvm::Error err = checkDatasetSizesKnown(c, request.configPath)) {
    if (model.datasetJsonTried.empty())
      return std::move(err);
    return llvm::createStringError(
        llvm::toString(std::move(err)) + "; no dataset.json at " +
        llvm::join(model.datasetJsonTried, ", "));
  }
  if (llvm::Error err = validateConfig(c, request.configPath))
    return std::move(err);
  if (checkpoint) {
    auto weights = matchWeights(c, std::move(*checkpoint));
    if (!weights)
      return weights.takeError();
    model.weights = std::move(*weights);
  }
  return model;
}
