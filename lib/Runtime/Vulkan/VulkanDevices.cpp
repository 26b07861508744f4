//===- VulkanDevices.cpp - Vulkan instance and device discovery -----------===//
//
// libvulkan is opened with dlopen so that trm-run starts (and runs on the
// CPU) on machines without a Vulkan loader; only --device vulkan and
// --list-devices need it.
//
//===----------------------------------------------------------------------===//
#include "trm/Runtime/VulkanDevices.h"

#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/FormatVariadic.h"

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include <cstdlib>
#include <cstring>

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

llvm::Expected<std::vector<VulkanDeviceInfo>> mlir::trm::listVulkanDevices() {
  std::string loadError;
  llvm::sys::DynamicLibrary loader =
      llvm::sys::DynamicLibrary::getPermanentLibrary("libvulkan.so.1",
                                                     &loadError);
  if (!loader.isValid())
    return llvm::createStringError(
        "Vulkan: cannot load the Vulkan loader (libvulkan.so.1): " + loadError +
        "; install a Vulkan driver (e.g. Debian's libvulkan1 and "
        "mesa-vulkan-drivers) or use --device cpu");
  auto getInstanceProc = reinterpret_cast<PFN_vkGetInstanceProcAddr>(
      loader.getAddressOfSymbol("vkGetInstanceProcAddr"));
  if (!getInstanceProc)
    return llvm::createStringError(
        "Vulkan: the loader has no vkGetInstanceProcAddr");
  auto createInstance = reinterpret_cast<PFN_vkCreateInstance>(
      getInstanceProc(nullptr, "vkCreateInstance"));

  VkApplicationInfo app{};
  app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
  app.pApplicationName = "trm-run";
  app.apiVersion = VK_API_VERSION_1_1;
  VkInstanceCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
  info.pApplicationInfo = &app;
  const char *validation = "VK_LAYER_KHRONOS_validation";
  const char *wantValidation = std::getenv("TRM_VULKAN_VALIDATION");
  if (wantValidation && std::strcmp(wantValidation, "1") == 0) {
    info.enabledLayerCount = 1;
    info.ppEnabledLayerNames = &validation;
  }
  VkInstance instance;
  if (VkResult r = createInstance(&info, nullptr, &instance); r != VK_SUCCESS) {
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
      return llvm::createStringError(
          "Vulkan: no Vulkan driver found (vkCreateInstance: "
          "VK_ERROR_INCOMPATIBLE_DRIVER); install one (e.g. "
          "mesa-vulkan-drivers for lavapipe) or use --device cpu");
    if (r == VK_ERROR_LAYER_NOT_PRESENT)
      return llvm::createStringError(
          "Vulkan: TRM_VULKAN_VALIDATION=1 but VK_LAYER_KHRONOS_validation is "
          "not installed (Debian: vulkan-validationlayers)");
    return vkError("vkCreateInstance", r);
  }

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
