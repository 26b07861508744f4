//===- VulkanRuntime.h - trm's Vulkan compute runtime -------------*- C++ -*-===//
//
// Debian's MLIR ships no Vulkan runtime, so this is trm's own. It implements
// the mgpu* C API that MLIR's GPU-to-LLVM lowering calls (module load,
// kernel lookup, launch, buffer allocation) plus three calls the
// trm-gpu-assign-memory pass inserts: trmGpuFence (wait before the host
// reads device buffers), trmGpuFree and trmGpuWriteWord (a scalar kernel
// argument, written in stream order).
//
// Launches are recorded into one command buffer, with a barrier between
// dispatches, and submitted only at a fence: the host waits where the
// program needs a value on the host (the halting decision), not per kernel.
// Buffers only kernels touch (the compiler says which: gpu.alloc without
// host_shared) live in device-local memory the host never maps; their
// handle is a PROT_NONE page, so an unplanned host access faults at once.
// Buffers the host reads or writes (inputs, outputs, the halting mask) are
// host-visible, device-local too where the device has such memory. All are
// recycled through free lists, so the recursion allocates no Vulkan memory
// after its first step. Pipelines are created once per kernel and go
// through a VkPipelineCache that can be persisted beside an artifact.
//
// Errors inside generated code (device lost, out of memory, a timeout)
// cannot be returned through the mgpu* API: they print a message naming
// the call and exit with status 1, never hang or crash.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_RUNTIME_VULKANRUNTIME_H
#define TRM_RUNTIME_VULKANRUNTIME_H

#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <string>

namespace mlir::trm {

struct VulkanRuntimeStats {
  int64_t dispatches = 0;     // kernel launches recorded
  int64_t hostSyncs = 0;      // submits the host waited for
  int64_t scalarWrites = 0;   // vkCmdUpdateBuffer for scalar arguments
  int64_t pipelines = 0;      // compute pipelines created
  int64_t vulkanAllocations = 0; // vkAllocateMemory calls
  int64_t uploadedBytes = 0;  // copied to the device by upload() and write()
};

struct VulkanRuntimeOptions {
  int deviceIndex = 0;
  bool validation = false;       // VK_LAYER_KHRONOS_validation
  std::string pipelineCachePath; // loaded if present; saved by savePipelineCache
  double timeoutSeconds = 600;   // a fence that waits longer is an error
  bool profile = false;          // time every dispatch alone (slow)
  bool float16 = false;          // enable shaderFloat16 (error if absent)
  // Faults injected for testing the error paths (TRM_VULKAN_INJECT in
  // trm-run); the messages say they were injected.
  int64_t failAllocationsAfter = INT64_MAX; // later vkAllocateMemory: OOM
  int64_t loseDeviceAtFence = -1; // this fence (1-based): device lost
  bool hideFloat16 = false;       // report shaderFloat16 as unsupported
};

class VulkanRuntime {
public:
  /// Creates the instance and device and makes this the runtime that the
  /// mgpu* entry points use (one per process).
  static llvm::Expected<std::unique_ptr<VulkanRuntime>>
  create(const VulkanRuntimeOptions &options);
  ~VulkanRuntime();

  /// A buffer the device can bind and the host can read and write.
  void *allocate(uint64_t bytes);
  /// A device-only buffer holding a copy of `data` (through a staging
  /// buffer and a transfer; waits for it). The host cannot touch it.
  void *upload(const void *data, uint64_t bytes);
  /// Writes `bytes` (a multiple of 4) of `data` at `offset` into any buffer,
  /// device-only ones included, in order with the work around it (no host
  /// wait).
  void write(void *ptr, uint64_t offset, const void *data, uint64_t bytes);
  void release(void *ptr);
  /// Submits the recorded work and waits for it.
  void fence();

  const VulkanRuntimeStats &stats() const;
  /// The kernels that took longest, when created with `profile`.
  void printProfile(llvm::raw_ostream &os) const;
  void resetStats();
  /// Validation-layer warnings and errors seen so far (each also printed).
  int64_t validationMessages() const;
  std::string deviceDescription() const;
  /// True for a CPU implementation of Vulkan (lavapipe, SwiftShader).
  bool isCPUDevice() const;
  llvm::Error savePipelineCache();

  /// The mgpu*/trmGpu* symbols for ExecutionEngine::registerSymbols.
  static llvm::orc::SymbolMap symbols(llvm::orc::MangleAndInterner interner);

  struct Impl;

private:
  explicit VulkanRuntime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace mlir::trm

#endif
