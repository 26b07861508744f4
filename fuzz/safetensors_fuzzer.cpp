//===- safetensors_fuzzer.cpp - safetensors reader (and writer) -----------===//
//
// Whatever parses must re-serialise and parse back to the same tensors.
//
//===----------------------------------------------------------------------===//
#include "FuzzChecks.h"
#include "trm/Import/Safetensors.h"

#include <algorithm>
#include <cstdlib>

using namespace mlir::trm;

static bool same(const std::vector<Tensor> &a, const std::vector<Tensor> &b) {
  if (a.size() != b.size())
    return false;
  for (size_t k = 0; k < a.size(); ++k)
    if (a[k].name != b[k].name || a[k].dtype != b[k].dtype ||
        a[k].shape != b[k].shape || a[k].bytes() != b[k].bytes())
      return false;
  return true;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::map<std::string, std::string> metadata;
  auto tensors =
      parseSafetensors(llvm::ArrayRef<uint8_t>(data, size), "fuzz", &metadata);
  if (!tensors) {
    llvm::consumeError(tensors.takeError());
    return 0;
  }
  for (const Tensor &t : *tensors)
    requireUsable(t);
  auto bytes = serializeSafetensors(*tensors, metadata);
  if (!bytes)
    abort(); // parsed tensors always serialise
  auto again = parseSafetensors(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(bytes->data()),
                              bytes->size()),
      "fuzz-again");
  if (!again)
    abort();
  // Parsing returns data order; writing keeps it, but tensors of equal
  // offset (empty ones) may be reordered by name: compare after sorting.
  auto byName = [](std::vector<Tensor> v) {
    std::sort(v.begin(), v.end(),
              [](const Tensor &a, const Tensor &b) { return a.name < b.name; });
    return v;
  };
  if (!same(byName(std::move(*tensors)), byName(std::move(*again))))
    abort();
  return 0;
}
