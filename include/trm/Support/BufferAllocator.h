//===- BufferAllocator.h - where compiled models get their buffers -*- C++ -*-===//
//
// A compiled model allocates its temporaries where it needs them and frees
// them after their last use, once per network call. Small ones come from
// malloc. Large ones would come from mmap and go back to the system at every
// free (glibc's threshold), and every page would fault in again at the next
// call; instead a freed large block is kept and handed out again for the
// next request of the same size. Memory then peaks at what one network call
// holds at once, and pages fault in once per run. A failed allocation is
// reported through the out-of-memory handler instead of returning null.
// Part of the runtime library (libtrmrt), which compiled models link to.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_SUPPORT_BUFFERALLOCATOR_H
#define TRM_SUPPORT_BUFFERALLOCATOR_H

#include <cstddef>

namespace mlir::trm {
/// Blocks of at least this many bytes are kept for reuse when freed.
inline constexpr size_t kReusedBufferBytes = size_t(1) << 20;
/// Bytes held in kept blocks (free and in use), for tests and statistics.
size_t reusedBufferBytes();
/// Called when a buffer cannot be allocated; must not return. The default
/// prints a message and aborts; the tools report it as their error
/// (installOutOfMemoryHandlers).
using BufferOutOfMemoryHandler = void (*)(const char *what, size_t bytes);
void setBufferOutOfMemoryHandler(BufferOutOfMemoryHandler handler);
} // namespace mlir::trm

extern "C" {
/// What compiled models call for their buffers (finalize-memref-to-llvm
/// with use-generic-functions).
void *_mlir_memref_to_llvm_alloc(size_t size);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size);
void _mlir_memref_to_llvm_free(void *pointer);
}

#endif // TRM_SUPPORT_BUFFERALLOCATOR_H
