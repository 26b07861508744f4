//===- ArrayIO.cpp - .npy and safetensors I/O -----------------------------===//
#include "trm/Runtime/ArrayIO.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <cstring>

using namespace mlir::trm;

static llvm::Error fileError(llvm::StringRef path, const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 (path + ": " + msg).str());
}

static llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
openFile(llvm::StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return fileError(path, "cannot open: " + buf.getError().message());
  return std::move(*buf);
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

/// Finds `'key': value` in a .npy header dictionary and returns the raw value
/// text up to the next top-level comma or closing brace.
static std::optional<llvm::StringRef> headerField(llvm::StringRef header,
                                                  llvm::StringRef key) {
  size_t at = header.find(("'" + key + "'").str());
  if (at == llvm::StringRef::npos)
    return std::nullopt;
  llvm::StringRef rest = header.drop_front(at + key.size() + 2).ltrim();
  if (!rest.consume_front(":"))
    return std::nullopt;
  rest = rest.ltrim();
  int depth = 0;
  size_t end = 0;
  for (; end < rest.size(); ++end) {
    char c = rest[end];
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if ((c == ',' || c == '}') && depth == 0)
      break;
  }
  return rest.take_front(end).trim();
}

llvm::Expected<IntArray> mlir::trm::readIntNpy(llvm::StringRef path) {
  auto file = openFile(path);
  if (!file)
    return file.takeError();
  llvm::StringRef data = (*file)->getBuffer();
  if (data.size() < 10 || !data.starts_with("\x93NUMPY"))
    return fileError(path, "not a .npy file (bad magic)");
  uint8_t major = data[6];
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = uint8_t(data[8]) | (uint8_t(data[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (data.size() < 12)
      return fileError(path, "truncated .npy header");
    headerLen = 0;
    for (int i = 0; i < 4; ++i)
      headerLen |= size_t(uint8_t(data[8 + i])) << (8 * i);
    headerStart = 12;
  } else {
    return fileError(path, llvm::formatv("unsupported .npy version {0}", major));
  }
  if (headerStart + headerLen > data.size())
    return fileError(path, "truncated .npy header");
  llvm::StringRef header = data.substr(headerStart, headerLen);
  auto descr = headerField(header, "descr");
  auto order = headerField(header, "fortran_order");
  auto shapeText = headerField(header, "shape");
  if (!descr || !order || !shapeText)
    return fileError(path, "header lacks descr, fortran_order or shape");
  size_t width;
  if (*descr == "'<i4'" || *descr == "'|i4'")
    width = 4;
  else if (*descr == "'<i8'" || *descr == "'|i8'")
    width = 8;
  else
    return fileError(path, "dtype " + *descr +
                               " is not an integer array ('<i4' or '<i8')");
  if (*order != "False")
    return fileError(path, "fortran_order arrays are not supported");
  IntArray array;
  llvm::StringRef dims = shapeText->trim().drop_front().drop_back();
  int64_t count = 1;
  while (!dims.trim().empty()) {
    auto [dim, rest] = dims.split(',');
    int64_t value;
    if (dim.trim().getAsInteger(10, value) || value < 0)
      return fileError(path, "bad shape " + *shapeText);
    array.shape.push_back(value);
    if (value != 0 && count > (int64_t(1) << 40) / value)
      return fileError(path, "shape " + *shapeText + " is too large");
    count *= value;
    dims = rest;
  }
  size_t bodyStart = headerStart + headerLen;
  if (data.size() - bodyStart != size_t(count) * width)
    return fileError(path, llvm::formatv("holds {0} data bytes, shape {1} "
                                         "needs {2}",
                                         data.size() - bodyStart, *shapeText,
                                         count * width));
  array.values.resize(count);
  const char *body = data.data() + bodyStart;
  for (int64_t i = 0; i < count; ++i) {
    if (width == 4) {
      int32_t v;
      std::memcpy(&v, body + 4 * i, 4);
      array.values[i] = v;
    } else {
      std::memcpy(&array.values[i], body + 8 * i, 8);
    }
  }
  return array;
}

template <typename T>
static llvm::Error writeNpyImpl(llvm::StringRef path,
                                llvm::ArrayRef<int64_t> shape,
                                llvm::ArrayRef<T> values, const char *descr) {
  std::string dims;
  for (int64_t d : shape)
    dims += std::to_string(d) + ", ";
  if (shape.size() > 1)
    dims.resize(dims.size() - 2);
  std::string header = "{'descr': '" + std::string(descr) +
                       "', 'fortran_order': False, 'shape': (" + dims +
                       "), }";
  // Pad so the data starts at a multiple of 64 bytes, newline-terminated.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return fileError(path, "cannot write: " + ec.message());
  os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff)
     << char(header.size() >> 8) << header;
  os.write(reinterpret_cast<const char *>(values.data()),
           values.size() * sizeof(T));
  os.close();
  if (os.has_error())
    return fileError(path, "write failed");
  return llvm::Error::success();
}

llvm::Error mlir::trm::writeNpy(llvm::StringRef path,
                                llvm::ArrayRef<int64_t> shape,
                                llvm::ArrayRef<int32_t> values) {
  return writeNpyImpl(path, shape, values, "<i4");
}
llvm::Error mlir::trm::writeNpy(llvm::StringRef path,
                                llvm::ArrayRef<int64_t> shape,
                                llvm::ArrayRef<float> values) {
  return writeNpyImpl(path, shape, values, "<f4");
}

//===----------------------------------------------------------------------===//
// safetensors
//===----------------------------------------------------------------------===//

std::string mlir::trm::canonicalWeightKey(llvm::StringRef key) {
  key.consume_front("_orig_mod.");
  key.consume_front("model.");
  key.consume_front("inner.");
  return key.str();
}

static float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f,
           mant = h & 0x3ff, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else { // subnormal: renormalise
      exp = 127 - 15 + 1;
      while (!(mant & 0x400)) {
        mant <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000 | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

llvm::Expected<WeightFile> mlir::trm::readSafetensors(llvm::StringRef path) {
  auto file = openFile(path);
  if (!file)
    return file.takeError();
  llvm::StringRef data = (*file)->getBuffer();
  if (data.size() < 8)
    return fileError(path, "too short for a safetensors header");
  uint64_t headerLen = 0;
  for (int i = 0; i < 8; ++i)
    headerLen |= uint64_t(uint8_t(data[i])) << (8 * i);
  if (headerLen > data.size() - 8)
    return fileError(path, llvm::formatv("header length {0} exceeds the file "
                                         "size {1}",
                                         headerLen, data.size()));
  auto json = llvm::json::parse(data.substr(8, headerLen));
  if (!json)
    return fileError(path, "header is not valid JSON: " +
                               llvm::toString(json.takeError()));
  auto *object = json->getAsObject();
  if (!object)
    return fileError(path, "header is not a JSON object");
  llvm::StringRef body = data.drop_front(8 + headerLen);
  WeightFile result;
  for (auto &[name, value] : *object) {
    if (name == "__metadata__")
      continue;
    auto tensorError = [&](const llvm::Twine &msg) {
      return fileError(path, "tensor '" + name.str() + "': " + msg);
    };
    auto *entry = value.getAsObject();
    if (!entry)
      return tensorError("entry is not an object");
    auto dtype = entry->getString("dtype");
    auto *shape = entry->getArray("shape");
    auto *offsets = entry->getArray("data_offsets");
    if (!dtype || !shape || !offsets || offsets->size() != 2)
      return tensorError("needs dtype, shape and two data_offsets");
    size_t width = *dtype == "F32" ? 4 : (*dtype == "BF16" || *dtype == "F16") ? 2 : 0;
    if (width == 0)
      return tensorError("unsupported dtype " + *dtype + " (F32, BF16, F16)");
    WeightFile::Tensor tensor;
    uint64_t count = 1;
    for (const llvm::json::Value &d : *shape) {
      auto dim = d.getAsInteger();
      if (!dim || *dim < 0 || (*dim != 0 && count > (uint64_t(1) << 40) / *dim))
        return tensorError("bad shape");
      tensor.shape.push_back(*dim);
      count *= *dim;
    }
    auto begin = (*offsets)[0].getAsInteger(), end = (*offsets)[1].getAsInteger();
    if (!begin || !end || *begin < 0 || *end < *begin ||
        uint64_t(*end) > body.size())
      return tensorError(llvm::formatv("data_offsets outside the {0}-byte "
                                       "data section",
                                       body.size()));
    if (uint64_t(*end - *begin) != count * width)
      return tensorError(llvm::formatv("data_offsets span {0} bytes, shape "
                                       "and dtype need {1}",
                                       *end - *begin, count * width));
    const char *src = body.data() + *begin;
    tensor.data.resize(count);
    for (uint64_t i = 0; i < count; ++i) {
      if (width == 4) {
        std::memcpy(&tensor.data[i], src + 4 * i, 4);
      } else {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        if (*dtype == "BF16") {
          uint32_t bits = uint32_t(h) << 16;
          std::memcpy(&tensor.data[i], &bits, 4);
        } else {
          tensor.data[i] = halfToFloat(h);
        }
      }
    }
    std::string key = canonicalWeightKey(name);
    if (result.tensors.count(key))
      return tensorError("duplicates key '" + key + "' after prefix removal");
    result.tensors[key] = std::move(tensor);
  }
  return result;
}
