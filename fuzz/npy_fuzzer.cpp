//===- npy_fuzzer.cpp - .npy reader (and writer) --------------------------===//
//
// Whatever parses must re-serialise and parse back to the same tensor.
//
//===----------------------------------------------------------------------===//
#include "FuzzChecks.h"
#include "trm/Import/Npy.h"

#include <cstdlib>

using namespace mlir::trm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto tensor = parseNpy(llvm::ArrayRef<uint8_t>(data, size), "fuzz", "x");
  if (!tensor) {
    llvm::consumeError(tensor.takeError());
    return 0;
  }
  requireUsable(*tensor);
  auto bytes = serializeNpy(*tensor);
  if (!bytes)
    abort();
  auto again = parseNpy(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(bytes->data()),
                              bytes->size()),
      "fuzz-again", "x");
  if (!again || again->dtype != tensor->dtype ||
      again->shape != tensor->shape || again->data != tensor->data)
    abort();
  return 0;
}
