//===- VulkanExecutable.h - a trm model compiled for Vulkan -------*- C++ -*-===//
//
// Lowers a trm module with the trm-to-vulkan pipeline (SPIR-V kernels in
// gpu.binary ops, host program in LLVM), JIT-compiles the host program with
// trm's Vulkan runtime bound to its mgpu* calls, and runs batches. The
// weights are uploaded once; inputs and outputs move per batch. All model
// arithmetic runs in the generated kernels.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_RUNTIME_VULKANEXECUTABLE_H
#define TRM_RUNTIME_VULKANEXECUTABLE_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "trm/Runtime/CpuExecutable.h"
#include "trm/Runtime/ModelSignature.h"
#include "trm/Runtime/VulkanRuntime.h"

namespace mlir::trm {

class VulkanExecutable {
public:
  /// Lowers with the trm-to-vulkan pipeline for `options`.
  static llvm::Error lower(ModuleOp module, PassManager &pm,
                           const VulkanCodegenOptions &options);
  /// JIT-compiles a lowered module; kernels run on `runtime`, which must
  /// outlive the executable.
  static llvm::Expected<std::unique_ptr<VulkanExecutable>>
  load(ModuleOp loweredModule, const ModelSignature &sig,
       VulkanRuntime &runtime);
  ~VulkanExecutable();

  /// Copies the packed weights into a device buffer, once.
  void setWeights(const std::vector<float> &weights);
  /// Copies element ranges (offset, count) of the packed weights into the
  /// device buffer again: the slots PackedWeights::bindRows rewrote.
  void updateWeights(const std::vector<float> &weights,
                     llvm::ArrayRef<std::pair<int64_t, int64_t>> ranges);
  /// Runs one batch (after setWeights).
  llvm::Error run(BatchBuffers &buffers);

private:
  VulkanExecutable(std::unique_ptr<ExecutionEngine> engine, ModelSignature sig,
                   VulkanRuntime &runtime);
  std::unique_ptr<ExecutionEngine> engine;
  ModelSignature sig;
  VulkanRuntime &runtime;
  void *weights = nullptr;
  size_t weightCount = 0;
};

} // namespace mlir::trm

#endif
