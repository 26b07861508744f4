//===- runtime_fuzzer.cpp - libtrmrt's readers ----------------------------===//
//
// The runtime's own safetensors reader and artifact container, on the bytes
// an embedder's users hand it. A file either is refused with an error or
// yields tensors that lie inside it and convert to f32, and a container
// whose parts add up to the file.
//
//===----------------------------------------------------------------------===//
#include "Error.h"
#include "Weights.h"
#include "trm/Runtime/ArtifactContainer.h"

#include <cstdlib>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try {
    for (const trm::rt::TensorView &t :
         trm::rt::parseSafetensors(data, size, "fuzz")) {
      int64_t elements = 1;
      for (int64_t d : t.shape)
        elements *= d;
      const size_t bytes = elements * trm::rt::dtypeBytes(t.dtype);
      if (t.data < data || t.data + bytes > data + size)
        abort();
      std::vector<float> out(elements);
      trm::rt::convertToF32(t, 0, elements, out.data());
    }
  } catch (const trm::rt::Error &) {
  }
  trm::rt::ContainerParts parts;
  std::string_view file(reinterpret_cast<const char *>(data), size);
  if (trm::rt::parseContainer(file, parts).empty() &&
      parts.code.size() + parts.metadata.size() +
              trm::rt::kContainerTrailerBytes !=
          size)
    abort();
  return 0;
}
