//===- torch_zip_fuzzer.cpp - torch.save zip archives ---------------------===//
#include "trm/Import/TorchCheckpoint.h"

#include <cstdlib>

using namespace mlir::trm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  TorchReadOptions options;
  options.maxRecordBytes = 64u << 20;
  auto tensors = readTorchCheckpointBuffer(llvm::ArrayRef<uint8_t>(data, size),
                                           "fuzz", options);
  if (!tensors) {
    llvm::consumeError(tensors.takeError());
    return 0;
  }
  for (const Tensor &t : *tensors) {
    if (!t.isConsistent())
      abort();
    (void)t.toF32();
  }
  return 0;
}
