//===- TorchCheckpoint.h - read torch.save state_dict archives ---*- C++ -*-===//
//
// Reads the zip archives `torch.save(model.state_dict(), "step_N")` writes
// (PyTorch >= 1.6 format): `<archive>/data.pkl` is a pickle (protocol 2) of an
// OrderedDict of tensors whose storages are persistent ids naming the records
// `<archive>/data/<key>`; `<archive>/byteorder` ("little"/"big") is present in
// newer versions, `<archive>/version` always.
//
// The pickle machine implements exactly the subset state_dicts use; any other
// opcode or global is an error that names the opcode (or global) and its byte
// offset. No Python code is ever executed: only an allow-list of globals is
// recognised (collections.OrderedDict, torch._utils._rebuild_tensor(_v2/_v3),
// torch._utils._rebuild_parameter(_with_state), torch.*Storage,
// torch.UntypedStorage, torch dtypes).
//
//===----------------------------------------------------------------------===//
#ifndef TRM_IMPORT_TORCHCHECKPOINT_H
#define TRM_IMPORT_TORCHCHECKPOINT_H

#include "trm/Import/Tensor.h"

#include <functional>

namespace mlir::trm {

struct TorchReadOptions {
  /// Upper bound on the bytes one storage record may have once read (guards
  /// against zip bombs and hostile size fields).
  uint64_t maxRecordBytes = uint64_t(1) << 36;
  /// The buffer the archive's bytes are (a mapped file): stored records
  /// that tensors use contiguously become views of it instead of copies,
  /// so a checkpoint costs memory only for the pages read. The CRC of a
  /// viewed record is checked when it has at most kCheckedViewBytes (reading
  /// a larger one whole would undo the saving).
  std::shared_ptr<const llvm::MemoryBuffer> mapping;
};

/// The largest viewed storage record whose CRC is checked.
inline constexpr uint64_t kCheckedViewBytes = uint64_t(64) << 20;

/// A storage as the pickle refers to it: ('storage', <class>, key, location,
/// numel). `dtype` is the element type of the storage class, `numElements`
/// counts elements of that type.
struct TorchStorageRef {
  std::string key;
  DType dtype;
  int64_t numElements;
};

/// The bytes of a storage record: a copy, or a view of a mapped archive.
struct TorchStorageBytes {
  std::vector<uint8_t> owned;
  std::shared_ptr<const llvm::MemoryBuffer> mapping;
  llvm::ArrayRef<uint8_t> mapped;

  TorchStorageBytes() = default;
  TorchStorageBytes(std::vector<uint8_t> bytes) : owned(std::move(bytes)) {}
  TorchStorageBytes(std::shared_ptr<const llvm::MemoryBuffer> mapping,
                    llvm::ArrayRef<uint8_t> range)
      : mapping(std::move(mapping)), mapped(range) {}
  llvm::ArrayRef<uint8_t> bytes() const {
    return mapping ? mapped : llvm::ArrayRef<uint8_t>(owned);
  }
};

/// Returns the raw bytes of the storage record `key` (little-endian already).
using TorchStorageLoader =
    std::function<llvm::Expected<TorchStorageBytes>(const TorchStorageRef &)>;

/// Runs the restricted unpickler over `pickle` (the bytes of data.pkl) and
/// materialises every tensor of the top-level dict through `loadStorage`.
/// Tensors come back in dict order, named by their keys, dense C order
/// (non-contiguous views are gathered through their strides; a storage
/// shared by several tensors is loaded once). A contiguous tensor of a
/// mapped storage is a view of the mapping (Tensor::mapped). `file` names the source in
/// error messages. With `bigEndian` (the archive's `byteorder` record says
/// "big") the elements are byte-swapped to little-endian.
llvm::Expected<std::vector<Tensor>>
unpickleStateDict(llvm::ArrayRef<uint8_t> pickle, llvm::StringRef file,
                  const TorchStorageLoader &loadStorage, bool bigEndian = false);

/// Reads a torch.save zip archive held in memory. `file` names it in errors.
llvm::Expected<std::vector<Tensor>>
readTorchCheckpointBuffer(llvm::ArrayRef<uint8_t> bytes, llvm::StringRef file,
                          const TorchReadOptions &options = {});

/// Reads a torch.save zip archive from disk.
llvm::Expected<std::vector<Tensor>>
readTorchCheckpointFile(llvm::StringRef path,
                        const TorchReadOptions &options = {});

/// True when `bytes` starts like a zip archive (local file header magic).
bool looksLikeZip(llvm::ArrayRef<uint8_t> bytes);

} // namespace mlir::trm

#endif // TRM_IMPORT_TORCHCHECKPOINT_H
