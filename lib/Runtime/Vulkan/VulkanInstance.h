//===- VulkanInstance.h - the Vulkan loader and an instance --------*- C++ -*-===//
//
// Shared by device discovery and the runtime. libvulkan is opened with
// dlopen so that trm-run starts (and runs on the CPU) on machines without a
// Vulkan loader; a missing loader, driver or validation layer is a clear
// error.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_LIB_RUNTIME_VULKAN_VULKANINSTANCE_H
#define TRM_LIB_RUNTIME_VULKAN_VULKANINSTANCE_H

#include "llvm/Support/Error.h"

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

namespace mlir::trm {

struct VulkanInstance {
  PFN_vkGetInstanceProcAddr getProc = nullptr;
  VkInstance instance = VK_NULL_HANDLE;

  template <typename Fn> Fn proc(const char *name) const {
    return reinterpret_cast<Fn>(getProc(instance, name));
  }
};

/// Loads libvulkan.so.1 and creates a Vulkan 1.1 instance; with
/// `validation`, VK_LAYER_KHRONOS_validation and VK_EXT_debug_utils are
/// enabled and `messenger` (if given) also sees the messages of instance
/// creation itself.
llvm::Expected<VulkanInstance>
createVulkanInstance(bool validation,
                     const VkDebugUtilsMessengerCreateInfoEXT *messenger);

} // namespace mlir::trm

#endif
