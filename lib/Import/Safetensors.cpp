//===- Safetensors.cpp - read and write .safetensors files ----------------===//
#include "trm/Import/Safetensors.h"
#include "trm/Import/JsonStructure.h"
#include "trm/Import/AtomicFile.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace mlir::trm;
using llvm::StringRef;

namespace {
struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};
} // namespace

llvm::Expected<std::vector<Tensor>>
mlir::trm::parseSafetensors(llvm::ArrayRef<uint8_t> bytes, StringRef file,
                            std::map<std::string, std::string> *metadata,
                            std::shared_ptr<const llvm::MemoryBuffer> mapping) {
  if (bytes.size() < 8)
    return fileError(file, llvm::formatv("not a safetensors file: {0} bytes is "
                                         "too short for the 8-byte header size",
                                         bytes.size()));
  const uint64_t headerLen = llvm::support::endian::read64le(bytes.data());
  if (headerLen > kMaxSafetensorsHeader)
    return fileError(file, llvm::formatv("safetensors header size {0} exceeds "
                                         "the limit of {1} bytes",
                                         headerLen, kMaxSafetensorsHeader));
  if (headerLen > bytes.size() - 8)
    return fileError(file, llvm::formatv("safetensors header size {0} runs "
                                         "past the end of the file ({1} bytes)",
                                         headerLen, bytes.size()));
  StringRef header(reinterpret_cast<const char *>(bytes.data() + 8), headerLen);
  if (!header.starts_with("{"))
    return fileError(file, "safetensors header is not a JSON object (does not "
                           "start with '{')");
  if (llvm::Error err = checkJsonStructure(header, file))
    return std::move(err);
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(header);
  if (!json)
    return fileError(file, "safetensors header is not valid JSON: " +
                               llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return fileError(file, "safetensors header is not a JSON object");

  const uint64_t dataSize = bytes.size() - 8 - headerLen;
  const uint8_t *data = bytes.data() + 8 + headerLen;
  std::vector<Entry> entries;
  for (const auto &kv : *root) {
    StringRef name = kv.first;
    if (name == "__metadata__") {
      const llvm::json::Object *meta = kv.second.getAsObject();
      if (!meta)
        return fileError(file, "'__metadata__' is not an object");
      for (const auto &m : *meta) {
        std::optional<StringRef> value = m.second.getAsString();
        if (!value)
          return fileError(file, "'__metadata__' value '" + m.first.str() +
                                     "' is not a string");
        if (metadata)
          (*metadata)[m.first.str()] = value->str();
      }
      continue;
    }
    auto entryError = [&](const llvm::Twine &msg) {
      return fileError(file, "tensor '" + name + "': " + msg);
    };
    const llvm::json::Object *obj = kv.second.getAsObject();
    if (!obj)
      return entryError("header entry is not an object");
    for (const auto &field : *obj)
      if (field.first != "dtype" && field.first != "shape" &&
          field.first != "data_offsets")
        return entryError("unknown field '" + field.first.str() + "'");
    std::optional<StringRef> dtypeStr = obj->getString("dtype");
    if (!dtypeStr)
      return entryError("field 'dtype' is missing or not a string");
    std::optional<DType> dtype = parseDTypeName(*dtypeStr);
    if (!dtype)
      return entryError("unknown dtype '" + *dtypeStr +
                        "' (supported: F64, F32, BF16, F16, I64, I32, I16, I8, "
                        "U8, BOOL)");
    const llvm::json::Array *shapeArr = obj->getArray("shape");
    if (!shapeArr)
      return entryError("field 'shape' is missing or not an array");
    std::vector<int64_t> shape;
    for (const llvm::json::Value &d : *shapeArr) {
      std::optional<int64_t> dim = d.getAsInteger();
      if (!dim || *dim < 0)
        return entryError("field 'shape' must hold non-negative integers");
      shape.push_back(*dim);
    }
    const llvm::json::Array *offsets = obj->getArray("data_offsets");
    if (!offsets || offsets->size() != 2)
      return entryError("field 'data_offsets' must be [begin, end]");
    std::optional<int64_t> begin = (*offsets)[0].getAsInteger();
    std::optional<int64_t> end = (*offsets)[1].getAsInteger();
    if (!begin || !end || *begin < 0 || *end < *begin)
      return entryError("field 'data_offsets' must be integers with "
                        "0 <= begin <= end");
    if (static_cast<uint64_t>(*end) > dataSize)
      return entryError(llvm::formatv(
          "data_offsets [{0}, {1}] run past the end of the data ({2} bytes "
          "after the header)",
          *begin, *end, dataSize));
    std::optional<uint64_t> expected = checkedByteSize(shape, *dtype);
    if (!expected)
      return entryError("shape " + formatShape(shape) + " overflows");
    if (*expected != static_cast<uint64_t>(*end - *begin))
      return entryError(llvm::formatv(
          "data_offsets [{0}, {1}] hold {2} bytes, but shape {3} of {4} needs "
          "{5}",
          *begin, *end, *end - *begin, formatShape(shape), *dtypeStr,
          *expected));
    entries.push_back({name.str(), *dtype, std::move(shape),
                       static_cast<uint64_t>(*begin),
                       static_cast<uint64_t>(*end)});
  }

  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  // Empty tensors occupy no bytes and overlap nothing.
  const Entry *last = nullptr; // the non-empty entry reaching furthest
  for (const Entry &cur : entries) {
    if (cur.begin == cur.end)
      continue;
    if (last && cur.begin < last->end)
      return fileError(file, llvm::formatv(
                                 "tensors '{0}' [{1}, {2}] and '{3}' [{4}, {5}] "
                                 "overlap",
                                 last->name, last->begin, last->end, cur.name,
                                 cur.begin, cur.end));
    if (!last || cur.end > last->end)
      last = &cur;
  }

  std::vector<Tensor> tensors;
  tensors.reserve(entries.size());
  for (Entry &e : entries) {
    Tensor t;
    t.name = std::move(e.name);
    t.dtype = e.dtype;
    t.shape = std::move(e.shape);
    if (mapping) {
      t.mapping = mapping;
      t.mapped = llvm::ArrayRef<uint8_t>(data + e.begin, data + e.end);
    } else {
      t.data.assign(data + e.begin, data + e.end);
    }
    tensors.push_back(std::move(t));
  }
  return tensors;
}

llvm::Expected<std::vector<Tensor>>
mlir::trm::readSafetensorsFile(StringRef path,
                               std::map<std::string, std::string> *metadata) {
  auto buffer = readBinaryFile(path);
  if (!buffer)
    return buffer.takeError();
  std::shared_ptr<const llvm::MemoryBuffer> mapping = std::move(*buffer);
  return parseSafetensors(bufferBytes(*mapping), path, metadata, mapping);
}

llvm::Error
mlir::trm::writeSafetensors(llvm::raw_ostream &os,
                            llvm::ArrayRef<Tensor> tensors,
                            const std::map<std::string, std::string> &metadata) {
  std::string header;
  {
    llvm::raw_string_ostream hs(header);
    llvm::json::OStream j(hs);
    llvm::StringSet<> names;
    uint64_t offset = 0;
    llvm::Error err = llvm::Error::success();
    j.object([&] {
      if (!metadata.empty())
        j.attributeObject("__metadata__", [&] {
          for (const auto &[k, v] : metadata)
            j.attribute(k, v);
        });
      for (const Tensor &t : tensors) {
        if (err)
          return;
        if (!llvm::json::isUTF8(t.name) || t.name == "__metadata__" ||
            !names.insert(t.name).second) {
          err = llvm::createStringError(llvm::inconvertibleErrorCode(),
                                        "tensor name '%s' is not valid or not "
                                        "unique",
                                        t.name.c_str());
          return;
        }
        if (!t.isConsistent()) {
          err = llvm::createStringError(
              llvm::inconvertibleErrorCode(),
              "tensor '%s': %zu bytes do not match shape %s of %s",
              t.name.c_str(), t.bytes().size(), formatShape(t.shape).c_str(),
              dtypeName(t.dtype).str().c_str());
          return;
        }
        j.attributeObject(t.name, [&] {
          j.attribute("dtype", dtypeName(t.dtype));
          j.attributeArray("shape", [&] {
            for (int64_t d : t.shape)
              j.value(d);
          });
          j.attributeArray("data_offsets", [&] {
            j.value(static_cast<int64_t>(offset));
            j.value(static_cast<int64_t>(offset + t.bytes().size()));
          });
        });
        offset += t.bytes().size();
      }
    });
    if (err)
      return err;
  }
  // Pad with spaces so the data starts 8-byte aligned.
  while ((8 + header.size()) % 8)
    header.push_back(' ');
  char len[8];
  llvm::support::endian::write64le(len, header.size());
  os.write(len, 8);
  os << header;
  for (const Tensor &t : tensors)
    os.write(reinterpret_cast<const char *>(t.bytes().data()), t.bytes().size());
  return llvm::Error::success();
}

llvm::Expected<std::string> mlir::trm::serializeSafetensors(
    llvm::ArrayRef<Tensor> tensors,
    const std::map<std::string, std::string> &metadata) {
  std::string out;
  llvm::raw_string_ostream os(out);
  if (llvm::Error err = writeSafetensors(os, tensors, metadata))
    return std::move(err);
  os.flush();
  return out;
}

llvm::Error mlir::trm::writeSafetensorsFile(
    StringRef path, llvm::ArrayRef<Tensor> tensors,
    const std::map<std::string, std::string> &metadata) {
  auto file = AtomicFile::create(path);
  if (!file)
    return file.takeError();
  if (llvm::Error err = writeSafetensors(file->os(), tensors, metadata))
    return fileError(path, llvm::toString(std::move(err)));
  return file->commit();
}
