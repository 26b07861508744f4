//===- ArrayIO.h - trm-run's view of .npy inputs and weight files -*- C++ -*-===//
//
// Thin adapters over the fuzzed readers and writers of lib/Import: integer
// inputs widened to int64, weights converted to f32 under canonical keys.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_RUNTIME_ARRAYIO_H
#define TRM_RUNTIME_ARRAYIO_H

#include "trm/Import/Tensor.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::trm {

/// An integer .npy array, widened to int64.
struct IntArray {
  std::vector<int64_t> shape;
  std::vector<int64_t> values;
};

/// Reads an integer .npy (any NumPy integer dtype). Errors name the file.
llvm::Expected<IntArray> readIntNpy(llvm::StringRef path);

/// Writes a C-order '<i4' or '<f4' .npy array to `os` (one file of an
/// OutputSet, in trm-run).
void writeNpy(llvm::raw_ostream &os, llvm::ArrayRef<int64_t> shape,
              llvm::ArrayRef<int32_t> values);
void writeNpy(llvm::raw_ostream &os, llvm::ArrayRef<int64_t> shape,
              llvm::ArrayRef<float> values);

/// A weights file's floating-point tensors by canonical key, as read: views
/// of the mapped file where the format allows, any float dtype
/// (PackedWeights converts them to f32).
struct WeightFile {
  llvm::StringMap<Tensor> tensors;
};

/// Reads a safetensors file or a torch.save checkpoint: keys canonicalised
/// (`_orig_mod.`, `model.`, `inner.` removed), harmless non-parameter
/// buffers dropped, non-float tensors refused.
llvm::Expected<WeightFile> readWeights(llvm::StringRef path);

} // namespace mlir::trm

#endif
