//===- TorchZip.cpp - the zip container of torch.save ---------------------===//
#include "trm/Import/TorchCheckpoint.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <zip.h>

using namespace mlir::trm;
using llvm::StringRef;

bool mlir::trm::looksLikeZip(llvm::ArrayRef<uint8_t> bytes) {
  return bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' &&
         ((bytes[2] == 3 && bytes[3] == 4) || (bytes[2] == 5 && bytes[3] == 6));
}

namespace {
struct ZipCloser {
  void operator()(zip_t *za) const { zip_discard(za); }
};
struct ZipFileCloser {
  void operator()(zip_file_t *zf) const { zip_fclose(zf); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipCloser>;

/// Reads one record completely, checking its size against the directory and
/// `limit` (zip bombs, lying headers) and, through libzip, its CRC.
llvm::Expected<std::vector<uint8_t>> readRecord(zip_t *za, StringRef name,
                                                StringRef file,
                                                uint64_t archiveSize,
                                                uint64_t limit) {
  zip_int64_t index = zip_name_locate(za, name.str().c_str(), 0);
  if (index < 0)
    return fileError(file, "record '" + name + "' is missing");
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(za, index, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
      !(st.valid & ZIP_STAT_COMP_SIZE) || !(st.valid & ZIP_STAT_COMP_METHOD))
    return fileError(file, "record '" + name + "': cannot read its zip entry");
  if (st.encryption_method != ZIP_EM_NONE && (st.valid & ZIP_STAT_ENCRYPTION_METHOD))
    return fileError(file, "record '" + name + "' is encrypted");
  if (st.comp_size > archiveSize)
    return fileError(file, llvm::formatv("record '{0}': compressed size {1} is "
                                         "larger than the archive ({2} bytes)",
                                         name, st.comp_size, archiveSize));
  if (st.comp_method == ZIP_CM_STORE && st.size != st.comp_size)
    return fileError(file, llvm::formatv("record '{0}': stored entry has size "
                                         "{1} but compressed size {2}",
                                         name, st.size, st.comp_size));
  if (st.size > limit)
    return fileError(file, llvm::formatv("record '{0}': size {1} exceeds the "
                                         "limit of {2} bytes",
                                         name, st.size, limit));
  std::unique_ptr<zip_file_t, ZipFileCloser> zf(zip_fopen_index(za, index, 0));
  if (!zf)
    return fileError(file, "record '" + name + "': cannot open: " +
                               zip_strerror(za));
  std::vector<uint8_t> out;
  // Grow with the data actually decompressed rather than trusting st.size.
  const size_t chunk = 1 << 20;
  // Stored records cannot be larger than the archive (checked above); the
  // extra byte is the probe for data beyond the declared size.
  out.reserve(st.comp_method == ZIP_CM_STORE
                  ? st.size + 1
                  : std::min<uint64_t>(st.size, uint64_t(64) << 20) + 1);
  for (;;) {
    size_t have = out.size();
    size_t want = static_cast<size_t>(
        std::min<uint64_t>(chunk, st.size - std::min<uint64_t>(st.size, have)) + 1);
    out.resize(have + want);
    zip_int64_t got = zip_fread(zf.get(), out.data() + have, want);
    if (got < 0)
      return fileError(file, "record '" + name + "': " +
                                 zip_file_strerror(zf.get()));
    out.resize(have + static_cast<size_t>(got));
    if (got == 0)
      break;
    if (out.size() > st.size)
      return fileError(file, llvm::formatv("record '{0}' holds more than the "
                                           "{1} bytes its header declares",
                                           name, st.size));
  }
  if (out.size() != st.size)
    return fileError(file, llvm::formatv("record '{0}' is truncated: {1} of "
                                         "{2} bytes",
                                         name, out.size(), st.size));
  return out;
}

/// Where the data of every stored (uncompressed) record lies in the
/// archive, read from the central directory and the local headers.
/// torch.save stores every record uncompressed, so the storages of a mapped
/// archive can be viewed in place. Whatever looks unusual (no directory, a
/// zip64 field missing, a range outside the archive) is left out, and that
/// record is read through libzip instead: this map only ever saves a copy.
llvm::StringMap<llvm::ArrayRef<uint8_t>>
storedRecordRanges(llvm::ArrayRef<uint8_t> bytes) {
  using namespace llvm::support::endian;
  llvm::StringMap<llvm::ArrayRef<uint8_t>> ranges;
  auto inside = [&](uint64_t offset, uint64_t length) {
    return offset <= bytes.size() && length <= bytes.size() - offset;
  };
  const uint8_t *base = bytes.data();
  // The end-of-central-directory record: the last signature within its
  // fixed 22 bytes plus a comment of at most 65535.
  constexpr uint64_t kEndRecord = 22;
  if (bytes.size() < kEndRecord)
    return ranges;
  uint64_t end = bytes.size() - kEndRecord, lowest = 0;
  if (end > 65535)
    lowest = end - 65535;
  while (read32le(base + end) != 0x06054b50) {
    if (end == lowest)
      return ranges;
    --end;
  }
  uint64_t entries = read16le(base + end + 10);
  uint64_t directorySize = read32le(base + end + 12);
  uint64_t directory = read32le(base + end + 16);
  if (entries == 0xFFFF || directorySize == 0xFFFFFFFF ||
      directory == 0xFFFFFFFF) {
    // zip64: the locator just before points at the zip64 end record.
    if (end < 20 || read32le(base + end - 20) != 0x07064b50)
      return ranges;
    uint64_t record = read64le(base + end - 20 + 8);
    if (!inside(record, 56) || read32le(base + record) != 0x06064b50)
      return ranges;
    entries = read64le(base + record + 32);
    directorySize = read64le(base + record + 40);
    directory = read64le(base + record + 48);
  }
  if (!inside(directory, directorySize))
    return ranges;
  uint64_t at = directory;
  const uint64_t directoryEnd = directory + directorySize;
  for (uint64_t i = 0; i < entries; ++i) {
    if (at + 46 > directoryEnd || read32le(base + at) != 0x02014b50)
      return ranges;
    const uint16_t flags = read16le(base + at + 8);
    const uint16_t method = read16le(base + at + 10);
    uint64_t compressed = read32le(base + at + 20);
    uint64_t size = read32le(base + at + 24);
    const uint64_t nameLength = read16le(base + at + 28);
    const uint64_t extraLength = read16le(base + at + 30);
    const uint64_t commentLength = read16le(base + at + 32);
    uint64_t local = read32le(base + at + 42);
    const uint64_t entryLength = 46 + nameLength + extraLength + commentLength;
    if (at + entryLength > directoryEnd)
      return ranges;
    StringRef name(reinterpret_cast<const char *>(base + at + 46), nameLength);
    // The zip64 extra field holds, in this order, whichever of the sizes
    // and the offset are 0xFFFFFFFF in the fixed fields.
    bool complete = true;
    uint64_t extra = at + 46 + nameLength;
    const uint64_t extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const uint16_t id = read16le(base + extra);
      const uint64_t length = read16le(base + extra + 2);
      if (extra + 4 + length > extraEnd)
        break;
      if (id == 0x0001) {
        uint64_t field = extra + 4;
        for (uint64_t *value : {&size, &compressed, &local}) {
          if (*value != 0xFFFFFFFF)
            continue;
          if (field + 8 > extra + 4 + length)
            break;
          *value = read64le(base + field);
          field += 8;
        }
      }
      extra += 4 + length;
    }
    for (uint64_t value : {size, compressed, local})
      complete &= value != 0xFFFFFFFF;
    const bool encrypted = flags & 1;
    // The local header must name the same record: a wrong offset can only
    // lose the view, never show another record's bytes.
    if (complete && method == 0 && !encrypted && compressed == size &&
        inside(local, 30 + nameLength) &&
        read32le(base + local) == 0x04034b50 &&
        read16le(base + local + 26) == nameLength &&
        StringRef(reinterpret_cast<const char *>(base + local + 30),
                  nameLength) == name) {
      const uint64_t data =
          local + 30 + read16le(base + local + 26) + read16le(base + local + 28);
      if (inside(data, size))
        ranges[name] = bytes.slice(data, size);
    }
    at += entryLength;
  }
  return ranges;
}
} // namespace

llvm::Expected<std::vector<Tensor>>
mlir::trm::readTorchCheckpointBuffer(llvm::ArrayRef<uint8_t> bytes,
                                     StringRef file,
                                     const TorchReadOptions &options) {
  if (!looksLikeZip(bytes))
    return fileError(file, "not a PyTorch checkpoint: no zip signature "
                           "(torch.save archives start with 'PK')");
  zip_error_t zerr;
  zip_error_init(&zerr);
  zip_source_t *src =
      zip_source_buffer_create(bytes.data(), bytes.size(), 0, &zerr);
  if (!src) {
    std::string msg = zip_error_strerror(&zerr);
    zip_error_fini(&zerr);
    return fileError(file, "cannot read the zip archive: " + msg);
  }
  ZipPtr za(zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &zerr));
  if (!za) {
    zip_source_free(src);
    std::string msg = zip_error_strerror(&zerr);
    zip_error_fini(&zerr);
    return fileError(file, "not a valid zip archive (truncated or corrupt?): " +
                               msg);
  }
  zip_error_fini(&zerr);

  // Find `<archive>/data.pkl` (one directory level, any archive name).
  std::string pickleName;
  zip_int64_t numEntries = zip_get_num_entries(za.get(), 0);
  for (zip_int64_t i = 0; i < numEntries; ++i) {
    const char *n = zip_get_name(za.get(), i, 0);
    if (!n)
      continue;
    StringRef name(n);
    if (!name.ends_with("/data.pkl") || name.count('/') != 1)
      continue;
    if (!pickleName.empty())
      return fileError(file, "two pickles in one archive ('" + pickleName +
                                 "' and '" + name + "')");
    pickleName = name.str();
  }
  if (pickleName.empty())
    return fileError(file, "no '<archive>/data.pkl' record: not a torch.save "
                           "zip archive");
  std::string prefix = pickleName.substr(0, pickleName.size() - 8);
  const uint64_t limit = options.maxRecordBytes;

  bool bigEndian = false;
  if (zip_name_locate(za.get(), (prefix + "byteorder").c_str(), 0) >= 0) {
    auto order = readRecord(za.get(), prefix + "byteorder", file, bytes.size(),
                            64);
    if (!order)
      return order.takeError();
    StringRef text(reinterpret_cast<const char *>(order->data()), order->size());
    text = text.trim();
    if (text == "big")
      bigEndian = true;
    else if (text != "little")
      return fileError(file, "record '" + prefix + "byteorder': unknown byte "
                             "order '" + text + "'");
  }
  if (zip_name_locate(za.get(), (prefix + "version").c_str(), 0) >= 0) {
    auto version =
        readRecord(za.get(), prefix + "version", file, bytes.size(), 64);
    if (!version)
      return version.takeError();
    StringRef text(reinterpret_cast<const char *>(version->data()),
                   version->size());
    unsigned v;
    if (text.trim().getAsInteger(10, v))
      return fileError(file, "record '" + prefix + "version' is not a number");
  }

  auto pickle = readRecord(za.get(), pickleName, file, bytes.size(), limit);
  if (!pickle)
    return pickle.takeError();
  llvm::StringMap<llvm::ArrayRef<uint8_t>> stored;
  if (options.mapping)
    stored = storedRecordRanges(bytes);
  auto loader = [&](const TorchStorageRef &ref)
      -> llvm::Expected<TorchStorageBytes> {
    if (ref.key.empty() || StringRef(ref.key).contains('/'))
      return fileError(file, "storage key '" + ref.key + "' is not valid");
    // A storage record holds exactly what the pickle declares: a record
    // declaring more is refused before anything is inflated (a deflate
    // bomb would otherwise be inflated first and checked after).
    std::optional<uint64_t> declared =
        checkedByteSize({ref.numElements}, ref.dtype);
    if (!declared)
      return fileError(file, "storage '" + ref.key + "' size overflows");
    std::string record = prefix + "data/" + ref.key;
    // The view is taken only where libzip's directory agrees: the same
    // record, stored, of the declared size.
    auto range = stored.find(record);
    zip_int64_t index = zip_name_locate(za.get(), record.c_str(), 0);
    zip_stat_t st;
    zip_stat_init(&st);
    if (range != stored.end() && index >= 0 &&
        zip_stat_index(za.get(), index, 0, &st) == 0 &&
        (st.valid & ZIP_STAT_SIZE) && (st.valid & ZIP_STAT_COMP_METHOD) &&
        (st.valid & ZIP_STAT_CRC) && st.comp_method == ZIP_CM_STORE &&
        st.size == range->second.size() && st.size == *declared &&
        st.size <= limit) {
      // Checking a CRC reads every page, which is what the view saves: only
      // records small enough to read whole at no cost are checked.
      if (st.size <= kCheckedViewBytes &&
          llvm::crc32(range->second) != st.crc)
        return fileError(file, "record '" + record + "': CRC error");
      return TorchStorageBytes(options.mapping, range->second);
    }
    return readRecord(za.get(), record, file, bytes.size(),
                      std::min(limit, *declared));
  };
  return unpickleStateDict(*pickle, file.str() + ": " + pickleName, loader,
                           bigEndian);
}

llvm::Expected<std::vector<Tensor>>
mlir::trm::readTorchCheckpointFile(StringRef path,
                                   const TorchReadOptions &options) {
  auto buffer = readBinaryFile(path);
  if (!buffer)
    return buffer.takeError();
  TorchReadOptions mapped = options;
  mapped.mapping = std::move(*buffer);
  return readTorchCheckpointBuffer(bufferBytes(*mapped.mapping), path, mapped);
}
