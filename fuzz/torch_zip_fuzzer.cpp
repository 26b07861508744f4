//===- torch_zip_fuzzer.cpp - torch.save zip archives ---------------------===//
#include "FuzzChecks.h"
#include "trm/Import/TorchCheckpoint.h"


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
  for (const Tensor &t : *tensors)
    requireUsable(t);
  return 0;
}
