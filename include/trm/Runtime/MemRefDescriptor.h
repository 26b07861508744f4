//===- MemRefDescriptor.h - memref descriptors for compiled code --*- C++ -*-===//
//
// Plain C++ (no LLVM): the JIT path and the runtime library both call a
// compiled entry's C interface with these.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_RUNTIME_MEMREFDESCRIPTOR_H
#define TRM_RUNTIME_MEMREFDESCRIPTOR_H

#include <cstdint>
#include <cstring>
#include <vector>

namespace mlir::trm {
/// A ranked memref descriptor {allocated, aligned, offset, sizes, strides}
/// of any rank, row-major, laid out as the LLVM lowering expects.
class MemRefDescriptor {
public:
  MemRefDescriptor(void *data, const std::vector<int64_t> &shape) {
    words.resize(3 + 2 * shape.size());
    std::memcpy(&words[0], &data, sizeof(void *));
    std::memcpy(&words[1], &data, sizeof(void *));
    words[2] = 0;
    int64_t stride = 1;
    for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
      words[3 + i] = shape[i];
      words[3 + shape.size() + i] = stride;
      stride *= shape[i];
    }
  }
  void *get() { return words.data(); }

private:
  std::vector<int64_t> words;
};
} // namespace mlir::trm

#endif
