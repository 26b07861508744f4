//===- VulkanDevices.cpp - Vulkan instance and device discovery -----------===//
//
// The loader and instance come from VulkanInstance.h; only --device vulkan
// and --list-devices need them.
//
//===----------------------------------------------------------------------===//
#include "trm/Runtime/VulkanDevices.h"
#include "VulkanInstance.h"

#include "llvm/Support/FormatVariadic.h"



using namespace mlir::trm;

std::string mlir::trm::formatVulkanVersion(uint32_t v) {
  return llvm::formatv("{0}.{1}.{2}", VK_API_VERSION_MAJOR(v),
                       VK_API_VERSION_MINOR(v), VK_API_VERSION_PATCH(v))
      .str();
}

namespace {
llvm::Error vkError(const char *what, VkResult result) {
  return llvm::createStringError(
      llvm::formatv("Vulkan: {0} failed (VkResult {1})", what, int(result))
          .str());
}

const char *typeName(VkPhysicalDeviceType type) {
  switch (type) {
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
    return "discrete-gpu";
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
    return "integrated-gpu";
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
    return "virtual-gpu";
  case VK_PHYSICAL_DEVICE_TYPE_CPU:
    return "cpu";
  default:
    return "other";
  }
}
} // namespace

llvm::Expected<std::vector<VulkanDeviceInfo>>
mlir::trm::listVulkanDevices(bool validation) {
  auto created = createVulkanInstance(validation, /*messenger=*/nullptr);
  if (!created)
    return created.takeError();
  VkInstance instance = created->instance;
  PFN_vkGetInstanceProcAddr getInstanceProc = created->getProc;

  auto proc = [&](const char *name) {
    return getInstanceProc(instance, name);
  };
  auto destroyInstance =
      reinterpret_cast<PFN_vkDestroyInstance>(proc("vkDestroyInstance"));
  auto enumerate = reinterpret_cast<PFN_vkEnumeratePhysicalDevices>(
      proc("vkEnumeratePhysicalDevices"));
  auto properties = reinterpret_cast<PFN_vkGetPhysicalDeviceProperties>(
      proc("vkGetPhysicalDeviceProperties"));
  auto memoryProperties =
      reinterpret_cast<PFN_vkGetPhysicalDeviceMemoryProperties>(
          proc("vkGetPhysicalDeviceMemoryProperties"));
  auto queueProperties =
      reinterpret_cast<PFN_vkGetPhysicalDeviceQueueFamilyProperties>(
          proc("vkGetPhysicalDeviceQueueFamilyProperties"));
  auto features2 = reinterpret_cast<PFN_vkGetPhysicalDeviceFeatures2>(
      proc("vkGetPhysicalDeviceFeatures2"));

  uint32_t count = 0;
  if (VkResult r = enumerate(instance, &count, nullptr); r != VK_SUCCESS) {
    destroyInstance(instance, nullptr);
    return vkError("vkEnumeratePhysicalDevices", r);
  }
  std::vector<VkPhysicalDevice> devices(count);
  enumerate(instance, &count, devices.data());

  std::vector<VulkanDeviceInfo> result;
  for (VkPhysicalDevice device : devices) {
    VkPhysicalDeviceProperties p;
    properties(device, &p);
    VulkanDeviceInfo d;
    d.name = p.deviceName;
    d.type = typeName(p.deviceType);
    d.apiVersion = p.apiVersion;
    d.maxWorkgroupInvocations = p.limits.maxComputeWorkGroupInvocations;
    d.maxSharedMemoryBytes = p.limits.maxComputeSharedMemorySize;
    VkPhysicalDeviceMemoryProperties m;
    memoryProperties(device, &m);
    for (uint32_t i = 0; i < m.memoryHeapCount; ++i)
      if (m.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
        d.deviceLocalBytes += m.memoryHeaps[i].size;
    uint32_t families = 0;
    queueProperties(device, &families, nullptr);
    std::vector<VkQueueFamilyProperties> queues(families);
    queueProperties(device, &families, queues.data());
    for (const VkQueueFamilyProperties &q : queues)
      d.hasComputeQueue |= (q.queueFlags & VK_QUEUE_COMPUTE_BIT) != 0;
    if (features2) {
      VkPhysicalDeviceShaderFloat16Int8Features f16{};
      f16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
      VkPhysicalDeviceFeatures2 f{};
      f.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
      f.pNext = &f16;
      features2(device, &f);
      d.shaderFloat16 = f16.shaderFloat16;
    }
    result.push_back(std::move(d));
  }
  destroyInstance(instance, nullptr);
  if (result.empty())
    return llvm::createStringError(
        "Vulkan: the loader found no device; install a driver (e.g. "
        "mesa-vulkan-drivers for lavapipe) or use --device cpu");
  return result;
}
