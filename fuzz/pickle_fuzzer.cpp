//===- pickle_fuzzer.cpp - the restricted unpickler -----------------------===//
//
// Feeds data.pkl bytes straight to the pickle machine (no zip, so no CRC in
// the way). Storages are served as zero-filled records of the declared size
// (up to 1 MiB), so tensor materialisation (offsets, strides, gathers) runs
// on whatever views the input describes.
//
//===----------------------------------------------------------------------===//
#include "FuzzChecks.h"
#include "trm/Import/TorchCheckpoint.h"


using namespace mlir::trm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  TorchStorageLoader loader =
      [](const TorchStorageRef &ref) -> llvm::Expected<std::vector<uint8_t>> {
    std::optional<uint64_t> bytes =
        checkedByteSize({ref.numElements}, ref.dtype);
    if (!bytes || *bytes > (1u << 20))
      return fileError("fuzz", "storage too large");
    // A key starting with 's' gets a short record (size mismatch path).
    size_t n = *bytes;
    if (!ref.key.empty() && ref.key[0] == 's' && n > 0)
      --n;
    return std::vector<uint8_t>(n, 0x3c);
  };
  bool bigEndian = size > 0 && (data[size - 1] & 1);
  auto tensors = unpickleStateDict(llvm::ArrayRef<uint8_t>(data, size), "fuzz",
                                   loader, bigEndian);
  if (!tensors) {
    llvm::consumeError(tensors.takeError());
    return 0;
  }
  for (const Tensor &t : *tensors)
    requireUsable(t);
  return 0;
}
