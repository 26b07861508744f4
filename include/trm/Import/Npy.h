//===- Npy.h - read and write NumPy .npy files -------------------*- C++ -*-===//
//
// Format versions 1.0, 2.0 and 3.0: magic "\x93NUMPY", version, header length
// (2 bytes in v1, 4 in v2/v3), then a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } and the data.
// Read: little-endian (or byte-order-free) '<f2' '<f4' '<f8' '<i1' '<i2'
// '<i4' '<i8' '|u1' '|i1' '|b1', C order. Big-endian data, fortran_order True,
// structured or object dtypes are rejected with a message naming the field.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_IMPORT_NPY_H
#define TRM_IMPORT_NPY_H

#include "trm/Import/Tensor.h"

namespace mlir::trm {

/// Parses a .npy file held in memory. The tensor is named `name`.
llvm::Expected<Tensor> parseNpy(llvm::ArrayRef<uint8_t> bytes,
                                llvm::StringRef file, llvm::StringRef name = "");

/// Reads a .npy file; the tensor is named after the file's stem.
llvm::Expected<Tensor> readNpyFile(llvm::StringRef path);

/// The .npy encoding of `tensor` (F64, F32, F16, I64, I32, I16, I8, U8, BOOL;
/// BF16 has no NumPy dtype and is an error). Version 1.0 unless the header
/// needs more than 65535 bytes; the header is padded to 64 bytes.
llvm::Expected<std::string> serializeNpy(const Tensor &tensor);

/// Writes a .npy file atomically.
llvm::Error writeNpyFile(llvm::StringRef path, const Tensor &tensor);

} // namespace mlir::trm

#endif // TRM_IMPORT_NPY_H
