//===- Tensor.cpp - host tensors and dtype conversion ---------------------===//
#include "trm/Import/Tensor.h"

#include "llvm/Support/Endian.h"
#include <cmath>
#include <cstring>

using namespace mlir::trm;

size_t mlir::trm::dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::Bool:
  case DType::U8:
  case DType::I8:
    return 1;
  case DType::I16:
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::I32:
  case DType::F32:
    return 4;
  case DType::I64:
  case DType::F64:
    return 8;
  }
  return 1;
}

llvm::StringRef mlir::trm::dtypeName(DType dtype) {
  switch (dtype) {
  case DType::Bool:
    return "BOOL";
  case DType::U8:
    return "U8";
  case DType::I8:
    return "I8";
  case DType::I16:
    return "I16";
  case DType::I32:
    return "I32";
  case DType::I64:
    return "I64";
  case DType::F16:
    return "F16";
  case DType::BF16:
    return "BF16";
  case DType::F32:
    return "F32";
  case DType::F64:
    return "F64";
  }
  return "?";
}

std::optional<DType> mlir::trm::parseDTypeName(llvm::StringRef name) {
  for (DType d : {DType::Bool, DType::U8, DType::I8, DType::I16, DType::I32,
                  DType::I64, DType::F16, DType::BF16, DType::F32, DType::F64})
    if (dtypeName(d) == name)
      return d;
  return std::nullopt;
}

bool mlir::trm::isFloatingPoint(DType dtype) {
  return dtype == DType::F16 || dtype == DType::BF16 || dtype == DType::F32 ||
         dtype == DType::F64;
}

std::optional<int64_t>
mlir::trm::checkedNumElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (__builtin_mul_overflow(n, d, &n))
      return std::nullopt;
  }
  return n;
}

std::optional<uint64_t> mlir::trm::checkedByteSize(llvm::ArrayRef<int64_t> shape,
                                                   DType dtype) {
  std::optional<int64_t> n = checkedNumElements(shape);
  if (!n)
    return std::nullopt;
  uint64_t bytes;
  if (__builtin_mul_overflow(static_cast<uint64_t>(*n),
                             static_cast<uint64_t>(dtypeSize(dtype)), &bytes))
    return std::nullopt;
  // Keep sizes representable as int64 and size_t.
  if (bytes > static_cast<uint64_t>(INT64_MAX))
    return std::nullopt;
  return bytes;
}

std::string mlir::trm::formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

float mlir::trm::bf16ToF32(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &wide, 4);
  return f;
}

float mlir::trm::f16ToF32(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float magnitude;
  if (exp == 0)
    magnitude = std::ldexp(static_cast<float>(mant), -24); // subnormal / zero
  else if (exp == 31)
    magnitude = mant ? NAN : INFINITY;
  else
    magnitude = std::ldexp(static_cast<float>(mant | 0x400), int(exp) - 25);
  return sign ? -magnitude : magnitude;
}

int64_t Tensor::numElements() const {
  return checkedNumElements(shape).value_or(0);
}

bool Tensor::isConsistent() const {
  std::optional<uint64_t> bytes = checkedByteSize(shape, dtype);
  return bytes && *bytes == this->bytes().size();
}

std::vector<float> Tensor::toF32() const {
  const size_t n = bytes().size() / dtypeSize(dtype);
  std::vector<float> values(n);
  toF32(0, static_cast<int64_t>(n), values.data());
  return values;
}

void Tensor::toF32(int64_t first, int64_t count, float *out) const {
  const size_t n = static_cast<size_t>(count);
  const uint8_t *p = bytes().data() + first * dtypeSize(dtype);
  using namespace llvm::support;
  switch (dtype) {
  case DType::F32:
    if (n)
      std::memcpy(out, p, n * 4);
    break;
  case DType::BF16:
    for (size_t i = 0; i < n; ++i)
      out[i] = bf16ToF32(endian::read16le(p + 2 * i));
    break;
  case DType::F16:
    for (size_t i = 0; i < n; ++i)
      out[i] = f16ToF32(endian::read16le(p + 2 * i));
    break;
  case DType::F64:
    for (size_t i = 0; i < n; ++i) {
      uint64_t bits = endian::read64le(p + 8 * i);
      double d;
      std::memcpy(&d, &bits, 8);
      out[i] = static_cast<float>(d);
    }
    break;
  case DType::Bool:
    for (size_t i = 0; i < n; ++i)
      out[i] = p[i] ? 1.0f : 0.0f;
    break;
  case DType::U8:
    for (size_t i = 0; i < n; ++i)
      out[i] = static_cast<float>(p[i]);
    break;
  case DType::I8:
    for (size_t i = 0; i < n; ++i)
      out[i] = static_cast<float>(static_cast<int8_t>(p[i]));
    break;
  case DType::I16:
    for (size_t i = 0; i < n; ++i)
      out[i] = static_cast<float>(static_cast<int16_t>(endian::read16le(p + 2 * i)));
    break;
  case DType::I32:
    for (size_t i = 0; i < n; ++i)
      out[i] = static_cast<float>(static_cast<int32_t>(endian::read32le(p + 4 * i)));
    break;
  case DType::I64:
    for (size_t i = 0; i < n; ++i)
      out[i] = static_cast<float>(static_cast<int64_t>(endian::read64le(p + 8 * i)));
    break;
  }
}

Tensor Tensor::convertToF32() && {
  if (dtype == DType::F32)
    return std::move(*this);
  std::vector<float> values = toF32();
  Tensor out;
  out.name = std::move(name);
  out.shape = std::move(shape);
  out.dtype = DType::F32;
  out.data.resize(values.size() * 4);
  if (!values.empty())
    std::memcpy(out.data.data(), values.data(), out.data.size());
  return out;
}

Tensor mlir::trm::makeF32Tensor(llvm::StringRef name, std::vector<int64_t> shape,
                                llvm::ArrayRef<float> values) {
  Tensor t;
  t.name = name.str();
  t.dtype = DType::F32;
  t.shape = std::move(shape);
  t.data.resize(values.size() * 4);
  if (!values.empty())
    std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

Tensor mlir::trm::makeTensor(llvm::StringRef name, DType dtype,
                             std::vector<int64_t> shape,
                             llvm::ArrayRef<uint8_t> bytes) {
  Tensor t;
  t.name = name.str();
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.assign(bytes.begin(), bytes.end());
  return t;
}

llvm::Error mlir::trm::fileError(llvm::StringRef file,
                                 const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 (file + ": " + message).str());
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
mlir::trm::readBinaryFile(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fileError(path, "cannot open file: " + buffer.getError().message());
  return std::move(*buffer);
}

llvm::ArrayRef<uint8_t> mlir::trm::bufferBytes(const llvm::MemoryBuffer &buffer) {
  return llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(buffer.getBufferStart()),
      buffer.getBufferSize());
}
