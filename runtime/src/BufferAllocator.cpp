//===- BufferAllocator.cpp - where compiled models get their buffers ------===//
#include "trm/Support/BufferAllocator.h"
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

using namespace mlir::trm;

/// The default: no tool to clean up after, so a message and an abort (the
/// code that asked would write through a null pointer).
[[noreturn]] static void abortOutOfMemory(const char *what, size_t bytes) {
  std::fprintf(stderr, "trm runtime: out of memory: %zu%s\n", bytes, what);
  std::abort();
}
static BufferOutOfMemoryHandler outOfMemory = abortOutOfMemory;

/// A handler that returns after all still must not hand out null.
[[noreturn]] static void failAllocation(const char *what, size_t bytes) {
  outOfMemory(what, bytes);
  std::abort();
}

void mlir::trm::setBufferOutOfMemoryHandler(BufferOutOfMemoryHandler handler) {
  outOfMemory = handler ? handler : abortOutOfMemory;
}

namespace {
/// Large blocks, page-aligned (so one block serves any alignment a buffer
/// asks for), by rounded size.
struct BlockCache {
  static constexpr size_t kAlignment = 4096;
  std::mutex mutex;
  std::unordered_map<void *, size_t> inUse;
  std::unordered_map<size_t, std::vector<void *>> free;
  size_t held = 0;

  void *allocate(size_t size) {
    const size_t rounded = (size + kAlignment - 1) / kAlignment * kAlignment;
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<void *> &kept = free[rounded];
    void *block = nullptr;
    if (!kept.empty()) {
      block = kept.back();
      kept.pop_back();
    } else {
      block = std::aligned_alloc(kAlignment, rounded);
      if (!block)
        failAllocation(" bytes for a buffer of the model", size);
      held += rounded;
    }
    inUse[block] = rounded;
    return block;
  }

  /// False for a block this cache did not hand out.
  bool release(void *block) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = inUse.find(block);
    if (it == inUse.end())
      return false;
    free[it->second].push_back(block);
    inUse.erase(it);
    return true;
  }
};

/// Never destroyed: code may free buffers while static destructors run.
BlockCache &cache() {
  static BlockCache *blocks = new BlockCache;
  return *blocks;
}
} // namespace

size_t mlir::trm::reusedBufferBytes() {
  std::lock_guard<std::mutex> lock(cache().mutex);
  return cache().held;
}

extern "C" void *_mlir_memref_to_llvm_alloc(size_t size) {
  if (size >= kReusedBufferBytes)
    return cache().allocate(size);
  void *p = std::malloc(size);
  if (!p && size)
    failAllocation(" bytes for a buffer of the model", size);
  return p;
}

extern "C" void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment,
                                                    size_t size) {
  if (size >= kReusedBufferBytes && alignment <= BlockCache::kAlignment)
    return cache().allocate(size);
  // aligned_alloc wants a size that is a multiple of the alignment.
  size_t rounded = (size + alignment - 1) / alignment * alignment;
  void *p = std::aligned_alloc(alignment, rounded);
  if (!p && size)
    failAllocation(" bytes for a buffer of the model", size);
  return p;
}

extern "C" void _mlir_memref_to_llvm_free(void *pointer) {
  if (pointer && cache().release(pointer))
    return;
  std::free(pointer);
}
