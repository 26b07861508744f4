//===- Safetensors.h - read and write .safetensors files ---------*- C++ -*-===//
//
// Format: an 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {"k": "v"}}, then the data; offsets are relative to the
// first byte after the header.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_IMPORT_SAFETENSORS_H
#define TRM_IMPORT_SAFETENSORS_H

#include "trm/Import/Tensor.h"

#include <map>

namespace llvm {
class raw_ostream;
}

namespace mlir::trm {

/// Largest JSON header accepted (the reference implementation's limit).
inline constexpr uint64_t kMaxSafetensorsHeader = 100u << 20;

/// Parses a safetensors file held in memory. Validates the header length,
/// the JSON, every entry (known dtype, non-negative shape, offsets inside the
/// data, size = numel * dtype size) and that no two tensors overlap. Tensors
/// come back in data order. `file` names the source in messages. With
/// `mapping` (the buffer `bytes` are, a mapped file) the tensors are views
/// of it instead of copies.
llvm::Expected<std::vector<Tensor>>
parseSafetensors(llvm::ArrayRef<uint8_t> bytes, llvm::StringRef file,
                 std::map<std::string, std::string> *metadata = nullptr,
                 std::shared_ptr<const llvm::MemoryBuffer> mapping = nullptr);

/// Reads a safetensors file from disk: the tensors are views of the mapped
/// file.
llvm::Expected<std::vector<Tensor>>
readSafetensorsFile(llvm::StringRef path,
                    std::map<std::string, std::string> *metadata = nullptr);

/// Writes tensors (in the given order, which is also the data order; names
/// must be unique and each tensor consistent) with an 8-byte aligned header.
/// The output is a function of the inputs only (byte-identical reruns).
llvm::Error
writeSafetensors(llvm::raw_ostream &os, llvm::ArrayRef<Tensor> tensors,
                 const std::map<std::string, std::string> &metadata = {});

/// writeSafetensors into a string (tests, fuzz seeds).
llvm::Expected<std::string>
serializeSafetensors(llvm::ArrayRef<Tensor> tensors,
                     const std::map<std::string, std::string> &metadata = {});

/// Writes a safetensors file atomically (temporary file + rename): on error
/// nothing is left at `path`.
llvm::Error
writeSafetensorsFile(llvm::StringRef path, llvm::ArrayRef<Tensor> tensors,
                     const std::map<std::string, std::string> &metadata = {});

} // namespace mlir::trm

#endif // TRM_IMPORT_SAFETENSORS_H
