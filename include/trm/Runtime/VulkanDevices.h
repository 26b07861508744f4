//===- VulkanDevices.h - Vulkan instance and device discovery -----*- C++ -*-===//
//
// The first piece of trm's own Vulkan runtime (Debian's MLIR ships none):
// loading the Vulkan loader at run time, creating an instance (with
// VK_LAYER_KHRONOS_validation on request) and listing the
// physical devices with their compute-relevant properties. No Vulkan loader
// or no device is a clear error, never a crash.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_RUNTIME_VULKANDEVICES_H
#define TRM_RUNTIME_VULKANDEVICES_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::trm {

struct VulkanDeviceInfo {
  std::string name;
  std::string type; // discrete-gpu, integrated-gpu, virtual-gpu, cpu, other
  uint32_t apiVersion = 0;
  uint64_t deviceLocalBytes = 0;
  uint32_t maxWorkgroupInvocations = 0;
  uint32_t maxSharedMemoryBytes = 0;
  bool hasComputeQueue = false;
  bool shaderFloat16 = false;
};

/// Lists the Vulkan physical devices, in the loader's order (the index is
/// what `--vulkan-device N` selects), through an instance with the
/// validation layer when `validation`.
llvm::Expected<std::vector<VulkanDeviceInfo>> listVulkanDevices(bool validation);

/// "1.3.230" from a VK_MAKE_API_VERSION value.
std::string formatVulkanVersion(uint32_t version);

} // namespace mlir::trm

#endif
