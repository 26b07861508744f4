//===- Weights.cpp - weights files and their conversion to f32 ------------===//
#include "Weights.h"
#include "Error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace trm::rt;

MappedFile::MappedFile(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw Error(path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path + ": not a regular file");
  }
  length = static_cast<size_t>(st.st_size);
  if (length) {
    void *p = ::mmap(nullptr, length, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int saved = errno;
      ::close(fd);
      throw Error(path + ": cannot map: " + std::strerror(saved));
    }
    bytes = static_cast<const uint8_t *>(p);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (bytes)
    ::munmap(const_cast<uint8_t *>(bytes), length);
}

size_t trm::rt::dtypeBytes(trm_dtype dtype) {
  switch (dtype) {
  case TRM_DTYPE_F32:
    return 4;
  case TRM_DTYPE_F16:
  case TRM_DTYPE_BF16:
    return 2;
  case TRM_DTYPE_F64:
    return 8;
  }
  return 0;
}

std::string trm::rt::formatShape(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string trm::rt::canonicalKey(std::string key) {
  for (const char *prefix : {"_orig_mod.", "model.", "inner."}) {
    const size_t n = std::strlen(prefix);
    if (key.compare(0, n, prefix) == 0)
      return canonicalKey(key.substr(n));
  }
  return key;
}

bool trm::rt::isIgnoredBuffer(const std::string &canonical) {
  // RotaryEmbedding's caches (persistent in some versions), the sparse
  // puzzle embedding's training scratch buffers.
  static const char *const ignored[] = {
      "rotary_emb.cos_cached", "rotary_emb.sin_cached", "rotary_emb.inv_freq",
      "puzzle_emb.local_weights", "puzzle_emb.local_ids"};
  return std::find(std::begin(ignored), std::end(ignored), canonical) !=
         std::end(ignored);
}

/// A safetensors header is a flat object; deeper nesting is malformed.
static constexpr int kMaxHeaderDepth = 8;
static constexpr uint64_t kMaxHeaderBytes = 100u << 20;

std::vector<TensorView> trm::rt::parseSafetensors(const uint8_t *bytes,
                                                  size_t size,
                                                  const std::string &path) {
  auto fail = [&](const std::string &msg) { throw Error(path + ": " + msg); };
  if (size < 8)
    fail("not a safetensors file: " + std::to_string(size) +
         " bytes is too short for the 8-byte header size");
  uint64_t headerBytes = 0;
  for (int i = 7; i >= 0; --i)
    headerBytes = (headerBytes << 8) | bytes[i];
  if (headerBytes > kMaxHeaderBytes)
    fail("safetensors header size " + std::to_string(headerBytes) +
         " exceeds the limit of " + std::to_string(kMaxHeaderBytes) + " bytes");
  if (headerBytes > size - 8)
    fail("safetensors header size " + std::to_string(headerBytes) +
         " runs past the end of the file (" + std::to_string(size) + " bytes)");
  const char *header = reinterpret_cast<const char *>(bytes + 8);
  bool tooDeep = false;
  nlohmann::json root = nlohmann::json::parse(
      header, header + headerBytes,
      [&](int depth, nlohmann::json::parse_event_t, nlohmann::json &) {
        if (depth > kMaxHeaderDepth)
          tooDeep = true;
        return !tooDeep;
      },
      /*allow_exceptions=*/false);
  if (tooDeep)
    fail("safetensors header nests deeper than a header does");
  if (root.is_discarded() || !root.is_object())
    fail("safetensors header is not a JSON object");
  const uint64_t dataBytes = size - 8 - headerBytes;
  const uint8_t *data = bytes + 8 + headerBytes;
  std::vector<TensorView> tensors;
  for (auto &item : root.items()) {
    const std::string &name = item.key();
    const nlohmann::json &entry = item.value();
    if (name == "__metadata__")
      continue;
    auto entryFail = [&](const std::string &msg) {
      fail("tensor '" + name + "': " + msg);
    };
    if (!entry.is_object())
      entryFail("header entry is not an object");
    auto dtype = entry.find("dtype");
    auto shape = entry.find("shape");
    auto offsets = entry.find("data_offsets");
    if (dtype == entry.end() || !dtype->is_string())
      entryFail("field 'dtype' is missing or not a string");
    if (shape == entry.end() || !shape->is_array())
      entryFail("field 'shape' is missing or not an array");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
        !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned())
      entryFail("field 'data_offsets' must be [begin, end], non-negative");
    if (isIgnoredBuffer(canonicalKey(name)))
      continue;
    TensorView t;
    t.name = name;
    const std::string dtypeName = dtype->get<std::string>();
    if (dtypeName == "F32")
      t.dtype = TRM_DTYPE_F32;
    else if (dtypeName == "F16")
      t.dtype = TRM_DTYPE_F16;
    else if (dtypeName == "BF16")
      t.dtype = TRM_DTYPE_BF16;
    else if (dtypeName == "F64")
      t.dtype = TRM_DTYPE_F64;
    else
      entryFail("dtype '" + dtypeName +
                "' is not a parameter's (F32, F16, BF16 or F64)");
    uint64_t elements = 1;
    for (const nlohmann::json &d : *shape) {
      if (!d.is_number_unsigned())
        entryFail("field 'shape' must hold non-negative integers");
      const uint64_t dim = d.get<uint64_t>();
      if (dim && elements > (uint64_t(1) << 62) / dim)
        entryFail("shape overflows");
      elements *= dim;
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    const uint64_t begin = (*offsets)[0].get<uint64_t>();
    const uint64_t end = (*offsets)[1].get<uint64_t>();
    if (begin > end || end > dataBytes)
      entryFail("data_offsets [" + std::to_string(begin) + ", " +
                std::to_string(end) + "] are not within the " +
                std::to_string(dataBytes) + " data bytes");
    if (end - begin != elements * dtypeBytes(t.dtype))
      entryFail("data_offsets [" + std::to_string(begin) + ", " +
                std::to_string(end) + "] hold " + std::to_string(end - begin) +
                " bytes, but shape " + formatShape(t.shape) + " of " +
                dtypeName + " needs " +
                std::to_string(elements * dtypeBytes(t.dtype)));
    t.data = data + begin;
    tensors.push_back(std::move(t));
  }
  return tensors;
}

static float halfToFloat(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff, bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal: normalise.
    int shift = 0;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      ++shift;
    }
    bits = sign | (uint32_t(113 - shift) << 23) | ((mantissa & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

void trm::rt::convertToF32(const TensorView &t, int64_t first, int64_t count,
                           float *out) {
  const uint8_t *p = t.data + first * dtypeBytes(t.dtype);
  switch (t.dtype) {
  case TRM_DTYPE_F32:
    std::memcpy(out, p, count * 4);
    return;
  case TRM_DTYPE_F64:
    for (int64_t i = 0; i < count; ++i) {
      double d;
      std::memcpy(&d, p + 8 * i, 8);
      out[i] = static_cast<float>(d);
    }
    return;
  case TRM_DTYPE_BF16:
    for (int64_t i = 0; i < count; ++i) {
      uint32_t bits = uint32_t(p[2 * i] | (p[2 * i + 1] << 8)) << 16;
      std::memcpy(out + i, &bits, 4);
    }
    return;
  case TRM_DTYPE_F16:
    for (int64_t i = 0; i < count; ++i)
      out[i] = halfToFloat(uint16_t(p[2 * i] | (p[2 * i + 1] << 8)));
    return;
  }
}
