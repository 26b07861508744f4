//===- config_fuzzer.cpp - all_config.yaml / JSON configurations ----------===//
//
// Any input is a clear error or a configuration whose checks pass and whose
// weight list can be computed (sizes bounded, nothing overflows).
//
//===----------------------------------------------------------------------===//
#include "trm/Config/TRMConfig.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <string>

using namespace mlir::trm;

/// The parser reads files: each input goes through one temporary file.
static const std::string &inputPath() {
  static const std::string path = [] {
    llvm::SmallString<128> p;
    if (llvm::sys::fs::createTemporaryFile("trm-config-fuzz", "yaml", p))
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
  auto config = parseConfigFile(inputPath());
  if (!config) {
    llvm::consumeError(config.takeError());
    return 0;
  }
  if (llvm::Error err = validateConfig(*config, "fuzz")) {
    llvm::consumeError(std::move(err));
    return 0;
  }
  int64_t total = 0;
  for (const WeightSpec &spec : expectedWeights(*config)) {
    int64_t elements = 1;
    for (int64_t d : spec.shape) {
      if (d < 0 || (d > 0 && elements > (int64_t(1) << 50) / d))
        abort(); // a validated configuration has bounded sizes
      elements *= d;
    }
    total += elements;
  }
  (void)total;
  return 0;
}
