//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
#include "trm/Import/Npy.h"
#include "trm/Import/AtomicFile.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir::trm;
using llvm::StringRef;

namespace {

/// A value of the header dict: a string, a bool, or a tuple of ints.
struct HeaderValue {
  enum { Str, Bool, Tuple, Int } kind;
  std::string str;
  bool b = false;
  std::vector<int64_t> ints;
};

/// Parses the Python dict literal of a .npy header.
class HeaderParser {
public:
  HeaderParser(StringRef text, StringRef file) : text(text), file(file) {}

  llvm::Error parse(std::vector<std::pair<std::string, HeaderValue>> &out) {
    skipSpace();
    if (!consume('{'))
      return error("header is not a dict (no '{')");
    for (;;) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (auto err = parseString(key))
        return err;
      skipSpace();
      if (!consume(':'))
        return error("expected ':' after key '" + key + "'");
      skipSpace();
      HeaderValue value;
      if (auto err = parseValue(value, key))
        return err;
      for (auto &kv : out)
        if (kv.first == key)
          return error("key '" + key + "' appears twice");
      out.push_back({key, std::move(value)});
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (consume('}'))
        break;
      return error("expected ',' or '}' after the value of '" + key + "'");
    }
    skipSpace();
    if (pos != text.size())
      return error("unexpected text after the header dict");
    return llvm::Error::success();
  }

private:
  StringRef text;
  StringRef file;
  size_t pos = 0;

  llvm::Error error(const llvm::Twine &msg) {
    return fileError(file, llvm::formatv(".npy header offset {0}: ", pos).str() +
                               msg);
  }
  void skipSpace() {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\t' ||
            text[pos] == '\r'))
      ++pos;
  }
  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool consumeWord(StringRef w) {
    if (text.substr(pos).starts_with(w)) {
      pos += w.size();
      return true;
    }
    return false;
  }
  llvm::Error parseString(std::string &out) {
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return error("expected a quoted string");
    char quote = text[pos++];
    size_t end = text.find(quote, pos);
    if (end == StringRef::npos)
      return error("unterminated string");
    StringRef s = text.slice(pos, end);
    if (s.contains('\\'))
      return error("escapes in header strings are not supported");
    out = s.str();
    pos = end + 1;
    return llvm::Error::success();
  }
  llvm::Error parseInt(int64_t &out) {
    size_t start = pos;
    while (pos < text.size() && llvm::isDigit(text[pos]))
      ++pos;
    // Python 2 era headers may write longs as "3L".
    StringRef digits = text.slice(start, pos);
    consume('L');
    if (digits.empty() || digits.getAsInteger(10, out))
      return error("expected a non-negative integer");
    return llvm::Error::success();
  }
  llvm::Error parseValue(HeaderValue &v, StringRef key) {
    if (pos < text.size() && (text[pos] == '\'' || text[pos] == '"')) {
      v.kind = HeaderValue::Str;
      return parseString(v.str);
    }
    if (consumeWord("True")) {
      v.kind = HeaderValue::Bool;
      v.b = true;
      return llvm::Error::success();
    }
    if (consumeWord("False")) {
      v.kind = HeaderValue::Bool;
      v.b = false;
      return llvm::Error::success();
    }
    if (consume('(')) {
      v.kind = HeaderValue::Tuple;
      for (;;) {
        skipSpace();
        if (consume(')'))
          return llvm::Error::success();
        int64_t n;
        if (auto err = parseInt(n))
          return err;
        v.ints.push_back(n);
        skipSpace();
        if (consume(','))
          continue;
        skipSpace();
        if (consume(')'))
          return llvm::Error::success();
        return error("expected ',' or ')' in the tuple of '" + key + "'");
      }
    }
    if (pos < text.size() && llvm::isDigit(text[pos])) {
      v.kind = HeaderValue::Int;
      int64_t n;
      if (auto err = parseInt(n))
        return err;
      v.ints.push_back(n);
      return llvm::Error::success();
    }
    return error("unsupported value for '" + key +
                 "' (structured dtypes are not supported)");
  }
};

struct DescrInfo {
  const char *descr;
  DType dtype;
};
const DescrInfo kDescrs[] = {
    {"<f8", DType::F64}, {"<f4", DType::F32}, {"<f2", DType::F16},
    {"<i8", DType::I64}, {"<i4", DType::I32}, {"<i2", DType::I16},
    {"|i1", DType::I8},  {"<i1", DType::I8},  {"|u1", DType::U8},
    {"<u1", DType::U8},  {"|b1", DType::Bool}, {"<b1", DType::Bool},
};
} // namespace

llvm::Expected<Tensor> mlir::trm::parseNpy(llvm::ArrayRef<uint8_t> bytes,
                                           StringRef file, StringRef name) {
  static const char magic[] = "\x93NUMPY";
  if (bytes.size() < 8 || std::memcmp(bytes.data(), magic, 6) != 0)
    return fileError(file, "not a .npy file (no \\x93NUMPY magic)");
  const uint8_t major = bytes[6], minor = bytes[7];
  size_t headerStart;
  uint64_t headerLen;
  if (major == 1) {
    if (bytes.size() < 10)
      return fileError(file, "truncated .npy header length");
    headerLen = llvm::support::endian::read16le(bytes.data() + 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fileError(file, "truncated .npy header length");
    headerLen = llvm::support::endian::read32le(bytes.data() + 8);
    headerStart = 12;
  } else {
    return fileError(file, llvm::formatv("unsupported .npy format version "
                                         "{0}.{1}",
                                         major, minor));
  }
  if (minor != 0)
    return fileError(file, llvm::formatv("unsupported .npy format version "
                                         "{0}.{1}",
                                         major, minor));
  if (headerLen > bytes.size() - headerStart)
    return fileError(file, llvm::formatv(".npy header length {0} runs past the "
                                         "end of the file ({1} bytes)",
                                         headerLen, bytes.size()));
  StringRef header(reinterpret_cast<const char *>(bytes.data() + headerStart),
                   headerLen);
  if (major < 3)
    for (char c : header)
      if (static_cast<unsigned char>(c) > 0x7f)
        return fileError(file, ".npy header of version 1/2 is not ASCII");

  std::vector<std::pair<std::string, HeaderValue>> fields;
  HeaderParser parser(header, file);
  if (auto err = parser.parse(fields))
    return std::move(err);
  const HeaderValue *descr = nullptr, *fortran = nullptr, *shape = nullptr;
  for (auto &[key, value] : fields) {
    if (key == "descr")
      descr = &value;
    else if (key == "fortran_order")
      fortran = &value;
    else if (key == "shape")
      shape = &value;
    else
      return fileError(file, ".npy header: unexpected key '" + key + "'");
  }
  if (!descr || !fortran || !shape)
    return fileError(file, llvm::formatv(
                               ".npy header: missing key '{0}'",
                               !descr ? "descr" : !fortran ? "fortran_order"
                                                           : "shape"));
  if (descr->kind != HeaderValue::Str)
    return fileError(file, ".npy header: 'descr' is not a string");
  if (fortran->kind != HeaderValue::Bool)
    return fileError(file, ".npy header: 'fortran_order' is not True/False");
  if (fortran->b)
    return fileError(file, ".npy header: 'fortran_order': True is not "
                           "supported (save a C-order array)");
  if (shape->kind != HeaderValue::Tuple)
    return fileError(file, ".npy header: 'shape' is not a tuple");
  std::optional<DType> dtype;
  for (const DescrInfo &d : kDescrs)
    if (descr->str == d.descr)
      dtype = d.dtype;
  if (!dtype) {
    StringRef s = descr->str;
    if (s.starts_with(">"))
      return fileError(file, ".npy header: 'descr': big-endian dtype '" + s +
                                 "' is not supported");
    return fileError(file, ".npy header: 'descr': unsupported dtype '" + s +
                               "' (supported: <f8 <f4 <f2 <i8 <i4 <i2 |i1 "
                               "|u1 |b1)");
  }
  std::optional<uint64_t> size = checkedByteSize(shape->ints, *dtype);
  if (!size)
    return fileError(file, ".npy header: 'shape' " + formatShape(shape->ints) +
                               " overflows");
  const uint64_t dataStart = headerStart + headerLen;
  const uint64_t have = bytes.size() - dataStart;
  if (have != *size)
    return fileError(file, llvm::formatv(".npy data has {0} bytes, shape {1} "
                                         "of '{2}' needs {3}",
                                         have, formatShape(shape->ints),
                                         descr->str, *size));
  Tensor t;
  t.name = name.str();
  t.dtype = *dtype;
  t.shape = shape->ints;
  t.data.assign(bytes.begin() + dataStart, bytes.end());
  return t;
}

llvm::Expected<Tensor> mlir::trm::readNpyFile(StringRef path) {
  auto buffer = readBinaryFile(path);
  if (!buffer)
    return buffer.takeError();
  llvm::ArrayRef<uint8_t> bytes = bufferBytes(**buffer);
  return parseNpy(bytes, path, llvm::sys::path::stem(path));
}

llvm::Expected<std::string> mlir::trm::serializeNpy(const Tensor &tensor) {
  const char *descr = nullptr;
  switch (tensor.dtype) {
  case DType::F64:
    descr = "<f8";
    break;
  case DType::F32:
    descr = "<f4";
    break;
  case DType::F16:
    descr = "<f2";
    break;
  case DType::I64:
    descr = "<i8";
    break;
  case DType::I32:
    descr = "<i4";
    break;
  case DType::I16:
    descr = "<i2";
    break;
  case DType::I8:
    descr = "|i1";
    break;
  case DType::U8:
    descr = "|u1";
    break;
  case DType::Bool:
    descr = "|b1";
    break;
  case DType::BF16:
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "tensor '%s': bf16 has no .npy dtype",
                                   tensor.name.c_str());
  }
  if (!tensor.isConsistent())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "tensor '%s': %zu bytes do not match shape %s",
                                   tensor.name.c_str(), tensor.bytes().size(),
                                   formatShape(tensor.shape).c_str());
  std::string dict = std::string("{'descr': '") + descr +
                     "', 'fortran_order': False, 'shape': (";
  for (size_t k = 0; k < tensor.shape.size(); ++k)
    dict += (k ? ", " : "") + std::to_string(tensor.shape[k]);
  dict += tensor.shape.size() == 1 ? ",), }" : "), }";
  // The whole header (magic, version, length, dict, '\n') is padded to a
  // multiple of 64 bytes; version 2.0 only when v1's 2-byte length overflows.
  auto paddedDictSize = [&](size_t prefix) {
    size_t total = prefix + dict.size() + 1;
    return (total + 63) / 64 * 64 - prefix;
  };
  uint8_t major = 1;
  size_t dictSize = paddedDictSize(10);
  if (dictSize > 65535) {
    major = 2;
    dictSize = paddedDictSize(12);
  }
  dict.append(dictSize - dict.size() - 1, ' ');
  dict.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(major));
  out.push_back(0);
  char len[4];
  if (major == 1) {
    llvm::support::endian::write16le(len, dict.size());
    out.append(len, 2);
  } else {
    llvm::support::endian::write32le(len, dict.size());
    out.append(len, 4);
  }
  out += dict;
  out.append(reinterpret_cast<const char *>(tensor.bytes().data()),
             tensor.bytes().size());
  return out;
}

llvm::Error mlir::trm::writeNpyFile(StringRef path, const Tensor &tensor) {
  auto bytes = serializeNpy(tensor);
  if (!bytes)
    return fileError(path, llvm::toString(bytes.takeError()));
  return writeFileAtomically(path, *bytes);
}
