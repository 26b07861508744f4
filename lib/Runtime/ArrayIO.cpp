//===- ArrayIO.cpp - trm-run's view of .npy inputs and weight files -------===//
#include "trm/Runtime/ArrayIO.h"

#include "trm/Import/Npy.h"
#include "trm/Import/Tensor.h"
#include "trm/Import/WeightImport.h"

using namespace mlir::trm;

llvm::Expected<IntArray> mlir::trm::readIntNpy(llvm::StringRef path) {
  llvm::Expected<Tensor> tensor = readNpyFile(path);
  if (!tensor)
    return tensor.takeError();
  IntArray array;
  array.shape = tensor->shape;
  int64_t count = tensor->numElements();
  array.values.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    switch (tensor->dtype) {
    case DType::I64:
      array.values[i] = tensor->at<int64_t>(i);
      break;
    case DType::I32:
      array.values[i] = tensor->at<int32_t>(i);
      break;
    case DType::I16:
      array.values[i] = tensor->at<int16_t>(i);
      break;
    case DType::I8:
      array.values[i] = tensor->at<int8_t>(i);
      break;
    case DType::U8:
      array.values[i] = tensor->at<uint8_t>(i);
      break;
    default:
      return fileError(path, "dtype " + dtypeName(tensor->dtype) +
                                 " is not an integer array");
    }
  }
  return array;
}

template <typename T>
static void writeArray(llvm::raw_ostream &os, DType dtype,
                       llvm::ArrayRef<int64_t> shape,
                       llvm::ArrayRef<T> values) {
  llvm::ArrayRef<uint8_t> bytes(reinterpret_cast<const uint8_t *>(values.data()),
                                values.size() * sizeof(T));
  // I32 and F32 always have an encoding.
  os << llvm::cantFail(
      serializeNpy(makeTensor("", dtype, shape.vec(), bytes)));
}

void mlir::trm::writeNpy(llvm::raw_ostream &os, llvm::ArrayRef<int64_t> shape,
                         llvm::ArrayRef<int32_t> values) {
  writeArray(os, DType::I32, shape, values);
}

void mlir::trm::writeNpy(llvm::raw_ostream &os, llvm::ArrayRef<int64_t> shape,
                         llvm::ArrayRef<float> values) {
  writeArray(os, DType::F32, shape, values);
}

llvm::Expected<WeightFile> mlir::trm::readWeights(llvm::StringRef path) {
  llvm::Expected<std::vector<Tensor>> tensors = readCheckpointFile(path);
  if (!tensors)
    return tensors.takeError();
  WeightFile file;
  for (Tensor &t : *tensors) {
    if (isIgnoredBuffer(t.name))
      continue;
    std::string key = canonicalKey(t.name);
    if (file.tensors.count(key))
      return fileError(path, "tensors '" + t.name +
                                 "' and another one share the key '" + key +
                                 "' once prefixes are removed");
    if (!isFloatingPoint(t.dtype))
      return fileError(path, "tensor '" + t.name + "' has dtype " +
                                 dtypeName(t.dtype) +
                                 ", parameters are floating point");
    t.name = key;
    file.tensors[key] = std::move(t);
  }
  return file;
}
