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
  // The same bytes as a mapped file: records viewed in place must read as
  // the copies do.
  options.mapping = llvm::MemoryBuffer::getMemBuffer(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz",
      /*RequiresNullTerminator=*/false);
  auto viewed = readTorchCheckpointBuffer(llvm::ArrayRef<uint8_t>(data, size),
                                          "fuzz", options);
  if (!viewed)
    abort();
  if (viewed->size() != tensors->size())
    abort();
  for (size_t k = 0; k < viewed->size(); ++k)
    if ((*viewed)[k].bytes() != (*tensors)[k].bytes())
      abort();
  return 0;
}
