//===- Tensor.h - host tensors read from checkpoint files --------*- C++ -*-===//
//
// A named, dense, C-order, little-endian host tensor as the importers read it
// from PyTorch checkpoints, safetensors and .npy files, and the helpers to
// convert it to f32 for the runtime.
//
// This library (TRMImport) depends on LLVM Support only: no MLIR, so that the
// fuzz harnesses in fuzz/ stay small.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_IMPORT_TENSOR_H
#define TRM_IMPORT_TENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::trm {

/// Element types the importers understand. Names follow safetensors.
enum class DType { Bool, U8, I8, I16, I32, I64, F16, BF16, F32, F64 };

/// Size of one element in bytes.
size_t dtypeSize(DType dtype);
/// The safetensors name ("F32", "BF16", "I64", ...).
llvm::StringRef dtypeName(DType dtype);
/// Parses a safetensors dtype name; std::nullopt for names we do not read.
std::optional<DType> parseDTypeName(llvm::StringRef name);
bool isFloatingPoint(DType dtype);

/// Number of elements of `shape`, or std::nullopt when a dimension is
/// negative or the product overflows int64.
std::optional<int64_t> checkedNumElements(llvm::ArrayRef<int64_t> shape);
/// numel * element size, or std::nullopt on overflow / bad shape.
std::optional<uint64_t> checkedByteSize(llvm::ArrayRef<int64_t> shape,
                                        DType dtype);
/// "[11,64]" ("[]" for a scalar).
std::string formatShape(llvm::ArrayRef<int64_t> shape);

float bf16ToF32(uint16_t bits);
float f16ToF32(uint16_t bits);

struct Tensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// numel * dtypeSize bytes, C order, little-endian, when the tensor owns
  /// them; empty when it is a view of a mapped file.
  std::vector<uint8_t> data;
  /// A view of a file mapped into memory (the readers of checkpoint and
  /// safetensors files): `mapping` keeps the mapping alive and `mapped` is
  /// the tensor's range of it. Its pages are read from the file when first
  /// touched, so a tensor of which only some rows are ever read costs the
  /// memory of those rows.
  std::shared_ptr<const llvm::MemoryBuffer> mapping;
  llvm::ArrayRef<uint8_t> mapped;

  /// The elements' bytes, owned or mapped.
  llvm::ArrayRef<uint8_t> bytes() const {
    return mapping ? mapped : llvm::ArrayRef<uint8_t>(data);
  }
  int64_t numElements() const;
  /// True when the bytes match the shape and dtype.
  bool isConsistent() const;
  /// The elements converted to f32 (integers are converted by value, f64 is
  /// rounded to nearest).
  std::vector<float> toF32() const;
  /// Elements [first, first + count) converted as by toF32 into `out`; the
  /// range must lie inside the tensor.
  void toF32(int64_t first, int64_t count, float *out) const;
  /// This tensor with dtype F32 (no copy when it already is F32).
  Tensor convertToF32() &&;
  /// Element `i` read as T (no conversion: T must match the dtype's size).
  template <typename T> T at(int64_t i) const;
};

/// Builds an F32 tensor from values (for tests and the runtime).
Tensor makeF32Tensor(llvm::StringRef name, std::vector<int64_t> shape,
                     llvm::ArrayRef<float> values);
/// Builds a tensor of `dtype` from raw little-endian bytes.
Tensor makeTensor(llvm::StringRef name, DType dtype, std::vector<int64_t> shape,
                  llvm::ArrayRef<uint8_t> bytes);

/// Reads a whole file as bytes (mapped into memory when it is large: see
/// llvm::MemoryBuffer::getFile); the error names the file.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readBinaryFile(llvm::StringRef path);
/// The contents of `buffer` as bytes (valid while the buffer lives).
llvm::ArrayRef<uint8_t> bufferBytes(const llvm::MemoryBuffer &buffer);

/// An llvm::Error "<file>: <message>".
llvm::Error fileError(llvm::StringRef file, const llvm::Twine &message);

} // namespace mlir::trm

#include <cstring>
template <typename T> T mlir::trm::Tensor::at(int64_t i) const {
  T value;
  std::memcpy(&value, bytes().data() + i * sizeof(T), sizeof(T));
  return value;
}

#endif // TRM_IMPORT_TENSOR_H
