//===- dataset_json_fuzzer.cpp - dataset.json over a configuration --------===//
//
// Any dataset.json is a clear error or fills the sizes the configuration
// leaves open; nesting and duplicate keys are refused before parsing.
//
//===----------------------------------------------------------------------===//
#include "FuzzChecks.h"
#include "trm/Config/TRMConfig.h"
#include "trm/Import/WeightImport.h"

#include <cstdlib>

using namespace mlir::trm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &path = writeInputFile("trm-dataset-fuzz", data, size);
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
  if (llvm::Error err = applyDatasetJson(config, path, "config.yaml")) {
    llvm::consumeError(std::move(err));
    return 0;
  }
  if (llvm::Error err = validateConfig(config, "fuzz"))
    llvm::consumeError(std::move(err));
  return 0;
}
