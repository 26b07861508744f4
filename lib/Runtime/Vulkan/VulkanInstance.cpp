//===- VulkanInstance.cpp - the Vulkan loader and an instance -------------===//
#include "VulkanInstance.h"

#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir::trm;

llvm::Expected<VulkanInstance> mlir::trm::createVulkanInstance(
    bool validation, const VkDebugUtilsMessengerCreateInfoEXT *messenger) {
  std::string loadError;
  llvm::sys::DynamicLibrary loader =
      llvm::sys::DynamicLibrary::getPermanentLibrary("libvulkan.so.1",
                                                     &loadError);
  if (!loader.isValid())
    return llvm::createStringError(
        "Vulkan: cannot load the Vulkan loader (libvulkan.so.1): " +
        loadError +
        "; install a Vulkan driver (e.g. Debian's libvulkan1 and "
        "mesa-vulkan-drivers) or use --device cpu");
  VulkanInstance result;
  result.getProc = reinterpret_cast<PFN_vkGetInstanceProcAddr>(
      loader.getAddressOfSymbol("vkGetInstanceProcAddr"));
  if (!result.getProc)
    return llvm::createStringError(
        "Vulkan: the loader has no vkGetInstanceProcAddr");
  auto createInstance =
      result.proc<PFN_vkCreateInstance>("vkCreateInstance");

  VkApplicationInfo app{};
  app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
  app.pApplicationName = "trm-run";
  app.apiVersion = VK_API_VERSION_1_1;
  VkInstanceCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
  info.pApplicationInfo = &app;
  const char *layer = "VK_LAYER_KHRONOS_validation";
  const char *debugUtils = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
  if (validation) {
    info.enabledLayerCount = 1;
    info.ppEnabledLayerNames = &layer;
    if (messenger) {
      info.enabledExtensionCount = 1;
      info.ppEnabledExtensionNames = &debugUtils;
      info.pNext = messenger;
    }
  }
  VkResult r = createInstance(&info, nullptr, &result.instance);
  if (r == VK_SUCCESS)
    return result;
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
    return llvm::createStringError(
        "Vulkan: no Vulkan driver found (vkCreateInstance: "
        "VK_ERROR_INCOMPATIBLE_DRIVER); install one (e.g. "
        "mesa-vulkan-drivers for lavapipe) or use --device cpu");
  if (r == VK_ERROR_LAYER_NOT_PRESENT || r == VK_ERROR_EXTENSION_NOT_PRESENT)
    return llvm::createStringError(
        "Vulkan: validation requested (--vulkan-validation or "
        "TRM_VULKAN_VALIDATION=1) but VK_LAYER_KHRONOS_validation is not "
        "installed (Debian: vulkan-validationlayers)");
  return llvm::createStringError(
      llvm::formatv("Vulkan: vkCreateInstance failed (VkResult {0})", int(r))
          .str());
}
