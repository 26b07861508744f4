//===- dataset_json_fuzzer.cpp - dataset.json over a configuration --------===//
//
// Any dataset.json is a clear error or fills the sizes the configuration
// leaves open; nesting and duplicate keys are refused before parsing.
//
//===----------------------------------------------------------------------===//
#include "trm/Config/TRMConfig.h"
#include "trm/Import/WeightImport.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <string>

using namespace mlir::trm;

static const std::string &inputPath() {
  static const std::string path = [] {
    llvm::SmallString<128> p;
    if (llvm::sys::fs::createTemporaryFile("trm-dataset-fuzz", "json", p))
      abort();
    return std::string(p);
  }();
  return path;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(inputPath(), ec);
    if (ec)
      abort();
    os.write(reinterpret_cast<const char *>(data), size);
  }
  // A configuration that leaves every data-set size open.
  TRMConfig config;
  config.hiddenSize = 64;
  config.numHeads = 4;
  config.expansion = 4;
  config.numLayers = 1;
  config.hCycles = config.lCycles = 1;
  config.haltMaxSteps = 2;
  config.puzzleEmbNdim = 64;
  config.puzzleEmbLen = 1;
  if (llvm::Error err = applyDatasetJson(config, inputPath(), "config.yaml")) {
    llvm::consumeError(std::move(err));
    return 0;
  }
  if (llvm::Error err = validateConfig(config, "fuzz"))
    llvm::consumeError(std::move(err));
  return 0;
}
