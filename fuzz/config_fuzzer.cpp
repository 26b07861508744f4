//===- config_fuzzer.cpp - all_config.yaml / JSON configurations ----------===//
//
// Any input is a clear error or a configuration whose checks pass and whose
// weight list can be computed (sizes bounded, nothing overflows).
//
//===----------------------------------------------------------------------===//
#include "FuzzChecks.h"
#include "trm/Config/TRMConfig.h"

#include <cstdlib>

using namespace mlir::trm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &path = writeInputFile("trm-config-fuzz", data, size);
  auto config = parseConfigFile(path);
  if (!config) {
    llvm::consumeError(config.takeError());
    return 0;
  }
  if (llvm::Error err = validateConfig(*config, "fuzz")) {
    llvm::consumeError(std::move(err));
    return 0;
  }
  for (const WeightSpec &spec : expectedWeights(*config)) {
    int64_t elements = 1;
    for (int64_t d : spec.shape) {
      if (d < 0 || (d > 0 && elements > (int64_t(1) << 50) / d))
        abort(); // a validated configuration has bounded sizes
      elements *= d;
    }
  }
  return 0;
}
