//===- ArrayIO.h - .npy arrays and safetensors weights for trm-run -*- C++ -*-===//
#ifndef TRM_RUNTIME_ARRAYIO_H
#define TRM_RUNTIME_ARRAYIO_H

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::trm {

/// An integer .npy array ('<i4' or '<i8', C order), widened to int64.
struct IntArray {
  std::vector<int64_t> shape;
  std::vector<int64_t> values;
};

/// Reads an integer .npy (v1-v3 header). Errors name the file and the
/// header field at fault.
llvm::Expected<IntArray> readIntNpy(llvm::StringRef path);

/// Writes a C-order '<i4' or '<f4' .npy file.
llvm::Error writeNpy(llvm::StringRef path, llvm::ArrayRef<int64_t> shape,
                     llvm::ArrayRef<int32_t> values);
llvm::Error writeNpy(llvm::StringRef path, llvm::ArrayRef<int64_t> shape,
                     llvm::ArrayRef<float> values);

/// A weights file read as f32 tensors by canonical key (prefixes
/// `_orig_mod.`, `model.`, `inner.` stripped; BF16/F16 widened).
struct WeightFile {
  struct Tensor {
    std::vector<int64_t> shape;
    std::vector<float> data;
  };
  llvm::StringMap<Tensor> tensors;
};

/// Reads a safetensors file (F32, BF16, F16) with full header validation.
llvm::Expected<WeightFile> readSafetensors(llvm::StringRef path);

/// Strips the reference trainer's `_orig_mod.`, `model.` and `inner.` prefixes.
std::string canonicalWeightKey(llvm::StringRef key);

} // namespace mlir::trm

#endif
