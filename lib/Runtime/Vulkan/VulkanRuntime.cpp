//===- VulkanRuntime.cpp - trm's Vulkan compute runtime -------------------===//
#include "trm/Runtime/VulkanRuntime.h"
#include "VulkanInstance.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"


#include <sys/mman.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <unordered_map>
#include <vector>

using namespace mlir::trm;

// Every Vulkan entry point the runtime uses, loaded through the loader.
#define TRM_VK_INSTANCE_FUNCS(X)                                               \
  X(vkDestroyInstance)                                                         \
  X(vkEnumeratePhysicalDevices)                                                \
  X(vkGetPhysicalDeviceProperties)                                             \
  X(vkGetPhysicalDeviceMemoryProperties)                                       \
  X(vkGetPhysicalDeviceQueueFamilyProperties)                                  \
  X(vkGetPhysicalDeviceFeatures2)                                              \
  X(vkCreateDevice)                                                            \
  X(vkGetDeviceProcAddr)                                                       \
  X(vkCreateDebugUtilsMessengerEXT)                                            \
  X(vkDestroyDebugUtilsMessengerEXT)
#define TRM_VK_DEVICE_FUNCS(X)                                                 \
  X(vkDestroyDevice)                                                           \
  X(vkGetDeviceQueue)                                                          \
  X(vkCreateBuffer)                                                            \
  X(vkDestroyBuffer)                                                           \
  X(vkGetBufferMemoryRequirements)                                             \
  X(vkAllocateMemory)                                                          \
  X(vkFreeMemory)                                                              \
  X(vkBindBufferMemory)                                                        \
  X(vkMapMemory)                                                               \
  X(vkCreateShaderModule)                                                      \
  X(vkDestroyShaderModule)                                                     \
  X(vkCreateDescriptorSetLayout)                                               \
  X(vkDestroyDescriptorSetLayout)                                              \
  X(vkCreatePipelineLayout)                                                    \
  X(vkDestroyPipelineLayout)                                                   \
  X(vkCreateComputePipelines)                                                  \
  X(vkDestroyPipeline)                                                         \
  X(vkCreatePipelineCache)                                                     \
  X(vkDestroyPipelineCache)                                                    \
  X(vkGetPipelineCacheData)                                                    \
  X(vkCreateDescriptorPool)                                                    \
  X(vkDestroyDescriptorPool)                                                   \
  X(vkResetDescriptorPool)                                                     \
  X(vkAllocateDescriptorSets)                                                  \
  X(vkUpdateDescriptorSets)                                                    \
  X(vkCreateCommandPool)                                                       \
  X(vkDestroyCommandPool)                                                      \
  X(vkAllocateCommandBuffers)                                                  \
  X(vkResetCommandBuffer)                                                      \
  X(vkBeginCommandBuffer)                                                      \
  X(vkEndCommandBuffer)                                                        \
  X(vkCmdBindPipeline)                                                         \
  X(vkCmdBindDescriptorSets)                                                   \
  X(vkCmdDispatch)                                                             \
  X(vkCmdPipelineBarrier)                                                      \
  X(vkCmdUpdateBuffer)                                                         \
  X(vkCmdCopyBuffer)                                                           \
  X(vkCreateFence)                                                             \
  X(vkDestroyFence)                                                            \
  X(vkResetFences)                                                             \
  X(vkWaitForFences)                                                           \
  X(vkQueueSubmit)                                                             \
  X(vkDeviceWaitIdle)

namespace {
const char *resultName(VkResult r) {
  switch (r) {
  case VK_ERROR_OUT_OF_HOST_MEMORY:
    return "VK_ERROR_OUT_OF_HOST_MEMORY";
  case VK_ERROR_OUT_OF_DEVICE_MEMORY:
    return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
  case VK_ERROR_DEVICE_LOST:
    return "VK_ERROR_DEVICE_LOST";
  case VK_ERROR_INITIALIZATION_FAILED:
    return "VK_ERROR_INITIALIZATION_FAILED";
  case VK_ERROR_FEATURE_NOT_PRESENT:
    return "VK_ERROR_FEATURE_NOT_PRESENT";
  case VK_ERROR_TOO_MANY_OBJECTS:
    return "VK_ERROR_TOO_MANY_OBJECTS";
  case VK_ERROR_OUT_OF_POOL_MEMORY:
    return "VK_ERROR_OUT_OF_POOL_MEMORY";
  case VK_TIMEOUT:
    return "VK_TIMEOUT";
  default:
    return "an error";
  }
}

/// Errors while generated code runs cannot travel back through the mgpu*
/// API: report and stop the process. _Exit, not exit: the device may still
/// be running work (a timeout, a lost device), and destructors of the
/// driver's objects must not race with it.
[[noreturn]] void fatal(const llvm::Twine &msg) {
  llvm::outs().flush();
  llvm::errs() << "trm-run: error: Vulkan: " << msg << "\n";
  llvm::errs().flush();
  std::_Exit(1);
}
/// What a fault injected for testing (VulkanRuntimeOptions) adds to the
/// error message, so that nobody mistakes it for a real one.
constexpr const char *kInjected = " [injected by TRM_VULKAN_INJECT]";

[[noreturn]] void deviceLost(const char *what, const char *suffix = "") {
  fatal(llvm::formatv("{0} returned VK_ERROR_DEVICE_LOST: the device was "
                      "lost (a driver reset or a hang); the results are "
                      "gone; run again, or use --device cpu{1}",
                      what, suffix));
}
void check(VkResult r, const char *what) {
  if (r == VK_ERROR_DEVICE_LOST)
    deviceLost(what);
  if (r != VK_SUCCESS)
    fatal(llvm::formatv("{0} returned {1} ({2})", what, resultName(r),
                        int(r)));
}

struct Buffer {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  uint64_t bytes = 0;
  bool hostVisible = true;
  /// What generated code holds: the mapping of a host-visible buffer, or
  /// for device-only memory a page the host cannot touch (PROT_NONE), so a
  /// host access the compiler did not plan faults at once.
  void *handle = nullptr;
};

struct Kernel {
  VkShaderModule shader = VK_NULL_HANDLE;
  std::string entry;
  std::string label; // for profiles: load order of its module
  uint32_t bindings = 0;
  VkDescriptorSetLayout setLayout = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkPipeline pipeline = VK_NULL_HANDLE;
};

/// Per-kernel time when profiling: every dispatch is waited for alone.
struct KernelProfile {
  int64_t dispatches = 0;
  double seconds = 0;
};

struct Module {
  VkShaderModule shader = VK_NULL_HANDLE;
  size_t index = 0; // load order (= order in the compiled module)
  std::map<std::string, std::unique_ptr<Kernel>> kernels;
};

constexpr uint32_t kSetsPerPool = 1024;
constexpr uint32_t kDescriptorsPerPool = kSetsPerPool * 8;
} // namespace

struct VulkanRuntime::Impl {
  PFN_vkGetInstanceProcAddr getInstanceProc = nullptr;
#define TRM_DECLARE(name) PFN_##name name = nullptr;
  TRM_VK_INSTANCE_FUNCS(TRM_DECLARE)
  TRM_VK_DEVICE_FUNCS(TRM_DECLARE)
#undef TRM_DECLARE

  VulkanRuntimeOptions options;
  VkInstance instance = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkPhysicalDeviceProperties properties{};
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  uint32_t queueFamily = 0;
  uint32_t memoryType = 0;       // host-visible, coherent
  bool memoryDeviceLocal = false; // ... and device-local
  uint32_t deviceMemoryType = 0; // device-local, for kernel-only buffers
  VkPipelineCache pipelineCache = VK_NULL_HANDLE;
  VkCommandPool commandPool = VK_NULL_HANDLE;
  VkCommandBuffer commands = VK_NULL_HANDLE;
  VkFence submitted = VK_NULL_HANDLE;
  bool recording = false;
  std::vector<VkDescriptorPool> descriptorPools;
  size_t currentPool = 0;

  std::unordered_map<void *, Buffer> live;         // by mapped pointer
  std::multimap<std::pair<uint64_t, bool>, Buffer> freeBuffers; // by size,
                                                                 // visibility
  std::vector<std::unique_ptr<Module>> modules;
  VulkanRuntimeStats stats;
  // Never reset (unlike stats): what injected faults count.
  int64_t allocationsMade = 0, fencesWaited = 0;
  std::map<std::string, KernelProfile> profile; // by "module/kernel #n"
  int64_t validationMessages = 0;

  ~Impl();
  llvm::Error init();
  Buffer newBuffer(uint64_t bytes, bool hostVisible);
  void destroyBuffer(Buffer &b);
  VkCommandBuffer commandBuffer();
  void barrier(VkPipelineStageFlags dstStages, VkAccessFlags dstAccess);
  /// Commands run in recording order: each sees the writes of the last.
  void barrierBeforeNextCommand();
  VkDescriptorSet descriptorSet(VkDescriptorSetLayout layout);
  void createPipeline(Kernel &kernel, uint32_t bindings);
  const Buffer &lookup(void *ptr, const char *what);
  void launch(Kernel &kernel, uint64_t gx, uint64_t gy, uint64_t gz,
              void **params, uint64_t paramsCount);
  void writeWord(void *ptr, uint32_t value);
  void write(void *ptr, uint64_t offset, const void *data, uint64_t bytes);
  void fence();
  void *allocate(uint64_t bytes, bool hostVisible);
  void *upload(const void *data, uint64_t bytes);
  void release(void *ptr);
};

namespace {
VulkanRuntime::Impl *current = nullptr;

VkBool32 VKAPI_PTR onValidationMessage(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity,
    VkDebugUtilsMessageTypeFlagsEXT, const VkDebugUtilsMessengerCallbackDataEXT *data,
    void *user) {
  auto *impl = static_cast<VulkanRuntime::Impl *>(user);
  if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
    ++impl->validationMessages;
    llvm::errs() << "vulkan validation: " << data->pMessage << "\n";
  }
  return VK_FALSE;
}
} // namespace

llvm::Error VulkanRuntime::Impl::init() {
  VkDebugUtilsMessengerCreateInfoEXT messengerInfo{};
  messengerInfo.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT;
  messengerInfo.messageSeverity =
      VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
      VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  messengerInfo.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                              VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                              VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  messengerInfo.pfnUserCallback = onValidationMessage;
  messengerInfo.pUserData = this;
  auto created = createVulkanInstance(options.validation, &messengerInfo);
  if (!created)
    return created.takeError();
  instance = created->instance;
  getInstanceProc = created->getProc;
#define TRM_LOAD(name)                                                         \
  name = reinterpret_cast<PFN_##name>(getInstanceProc(instance, #name));
  TRM_VK_INSTANCE_FUNCS(TRM_LOAD)
#undef TRM_LOAD
  if (options.validation && vkCreateDebugUtilsMessengerEXT)
    vkCreateDebugUtilsMessengerEXT(instance, &messengerInfo, nullptr,
                                   &messenger);

  uint32_t count = 0;
  vkEnumeratePhysicalDevices(instance, &count, nullptr);
  std::vector<VkPhysicalDevice> devices(count);
  vkEnumeratePhysicalDevices(instance, &count, devices.data());
  if (devices.empty())
    return llvm::createStringError(
        "Vulkan: the loader found no device; install a driver (e.g. "
        "mesa-vulkan-drivers for lavapipe) or use --device cpu");
  if (options.deviceIndex < 0 || size_t(options.deviceIndex) >= devices.size())
    return llvm::createStringError(llvm::formatv(
        "--vulkan-device {0}: {1} (0..{2}); see trm-run --list-devices",
        options.deviceIndex,
        devices.size() == 1 ? std::string("there is 1 Vulkan device")
                            : llvm::formatv("there are {0} Vulkan devices",
                                            devices.size())
                                  .str(),
        devices.size() - 1));
  physical = devices[options.deviceIndex];
  vkGetPhysicalDeviceProperties(physical, &properties);

  uint32_t families = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &families, nullptr);
  std::vector<VkQueueFamilyProperties> queues(families);
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &families, queues.data());
  bool found = false;
  for (uint32_t i = 0; i < families && !found; ++i)
    if (queues[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
      queueFamily = i;
      found = true;
    }
  if (!found)
    return llvm::createStringError(llvm::formatv(
        "Vulkan: device '{0}' has no compute queue", properties.deviceName));

  // Memory both sides can use: host-visible and coherent, device-local
  // where the device offers that combination.
  VkPhysicalDeviceMemoryProperties memory;
  vkGetPhysicalDeviceMemoryProperties(physical, &memory);
  const VkMemoryPropertyFlags needed = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                       VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  int best = -1;
  for (uint32_t i = 0; i < memory.memoryTypeCount; ++i) {
    VkMemoryPropertyFlags flags = memory.memoryTypes[i].propertyFlags;
    if ((flags & needed) != needed)
      continue;
    bool local = flags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    if (best < 0 || (local && !memoryDeviceLocal)) {
      best = i;
      memoryDeviceLocal = local;
    }
  }
  if (best < 0)
    return llvm::createStringError("Vulkan: the device has no host-visible "
                                   "coherent memory");
  memoryType = best;
  deviceMemoryType = best;
  for (uint32_t i = 0; i < memory.memoryTypeCount; ++i)
    if (memory.memoryTypes[i].propertyFlags &
        VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) {
      deviceMemoryType = i;
      break;
    }

  float priority = 1.0f;
  VkDeviceQueueCreateInfo queueInfo{};
  queueInfo.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
  queueInfo.queueFamilyIndex = queueFamily;
  queueInfo.queueCount = 1;
  queueInfo.pQueuePriorities = &priority;
  VkDeviceCreateInfo deviceInfo{};
  deviceInfo.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
  deviceInfo.queueCreateInfoCount = 1;
  deviceInfo.pQueueCreateInfos = &queueInfo;
  // f16 kernels (--vulkan-f16) need shaderFloat16: queried, not assumed,
  // and enabled (core in 1.2, VK_KHR_shader_float16_int8 before).
  VkPhysicalDeviceShaderFloat16Int8Features f16{};
  f16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
  const char *f16Extension = VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME;
  if (options.float16) {
    VkPhysicalDeviceFeatures2 features{};
    features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
    features.pNext = &f16;
    if (vkGetPhysicalDeviceFeatures2)
      vkGetPhysicalDeviceFeatures2(physical, &features);
    if (!f16.shaderFloat16 || options.hideFloat16)
      return llvm::createStringError(llvm::formatv(
          "Vulkan: device '{0}' does not support shaderFloat16 (see trm-run "
          "--list-devices); run without --vulkan-f16{1}",
          properties.deviceName, options.hideFloat16 ? kInjected : ""));
    f16.shaderInt8 = VK_FALSE;
    deviceInfo.pNext = &f16;
    if (properties.apiVersion < VK_API_VERSION_1_2) {
      deviceInfo.enabledExtensionCount = 1;
      deviceInfo.ppEnabledExtensionNames = &f16Extension;
    }
  }
  if (VkResult r = vkCreateDevice(physical, &deviceInfo, nullptr, &device);
      r != VK_SUCCESS)
    return llvm::createStringError(
        llvm::formatv("Vulkan: vkCreateDevice returned {0}", resultName(r)));
#define TRM_LOAD(name)                                                         \
  name = reinterpret_cast<PFN_##name>(vkGetDeviceProcAddr(device, #name));
  TRM_VK_DEVICE_FUNCS(TRM_LOAD)
#undef TRM_LOAD
  vkGetDeviceQueue(device, queueFamily, 0, &queue);

  std::vector<char> cacheData;
  if (!options.pipelineCachePath.empty()) {
    std::ifstream in(options.pipelineCachePath, std::ios::binary);
    cacheData.assign(std::istreambuf_iterator<char>(in), {});
  }
  VkPipelineCacheCreateInfo cacheInfo{};
  cacheInfo.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO;
  // The driver validates the header (vendor, device, cache UUID) and
  // ignores data from another device or driver version.
  cacheInfo.initialDataSize = cacheData.size();
  cacheInfo.pInitialData = cacheData.empty() ? nullptr : cacheData.data();
  check(vkCreatePipelineCache(device, &cacheInfo, nullptr, &pipelineCache),
        "vkCreatePipelineCache");

  VkCommandPoolCreateInfo poolInfo{};
  poolInfo.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
  poolInfo.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  poolInfo.queueFamilyIndex = queueFamily;
  check(vkCreateCommandPool(device, &poolInfo, nullptr, &commandPool),
        "vkCreateCommandPool");
  VkCommandBufferAllocateInfo allocInfo{};
  allocInfo.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
  allocInfo.commandPool = commandPool;
  allocInfo.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  allocInfo.commandBufferCount = 1;
  check(vkAllocateCommandBuffers(device, &allocInfo, &commands),
        "vkAllocateCommandBuffers");
  VkFenceCreateInfo fenceInfo{};
  fenceInfo.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
  check(vkCreateFence(device, &fenceInfo, nullptr, &submitted),
        "vkCreateFence");
  return llvm::Error::success();
}

VulkanRuntime::Impl::~Impl() {
  if (device) {
    vkDeviceWaitIdle(device);
    for (auto &[ptr, b] : live)
      destroyBuffer(b);
    for (auto &[size, b] : freeBuffers)
      destroyBuffer(b);
    for (auto &m : modules) {
      for (auto &[name, k] : m->kernels) {
        vkDestroyPipeline(device, k->pipeline, nullptr);
        vkDestroyPipelineLayout(device, k->layout, nullptr);
        vkDestroyDescriptorSetLayout(device, k->setLayout, nullptr);
      }
      vkDestroyShaderModule(device, m->shader, nullptr);
    }
    for (VkDescriptorPool pool : descriptorPools)
      vkDestroyDescriptorPool(device, pool, nullptr);
    vkDestroyFence(device, submitted, nullptr);
    vkDestroyCommandPool(device, commandPool, nullptr);
    vkDestroyPipelineCache(device, pipelineCache, nullptr);
    vkDestroyDevice(device, nullptr);
  }
  if (messenger)
    vkDestroyDebugUtilsMessengerEXT(instance, messenger, nullptr);
  if (instance)
    vkDestroyInstance(instance, nullptr);
}

Buffer VulkanRuntime::Impl::newBuffer(uint64_t bytes, bool hostVisible) {
  Buffer b;
  b.bytes = bytes;
  b.hostVisible = hostVisible;
  uint32_t type = hostVisible ? memoryType : deviceMemoryType;
  VkBufferCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  info.size = bytes;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
               VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  check(vkCreateBuffer(device, &info, nullptr, &b.buffer), "vkCreateBuffer");
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(device, b.buffer, &req);
  if (!(req.memoryTypeBits & (1u << type)))
    fatal("the chosen memory type cannot hold storage buffers");
  VkMemoryAllocateInfo alloc{};
  alloc.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex = type;
  bool injected = allocationsMade++ >= options.failAllocationsAfter;
  VkResult r = injected ? VK_ERROR_OUT_OF_DEVICE_MEMORY
                        : vkAllocateMemory(device, &alloc, nullptr, &b.memory);
  if (r != VK_SUCCESS)
    fatal(llvm::formatv("out of memory allocating a {0}-byte buffer "
                        "(vkAllocateMemory returned {1}){2}",
                        bytes, resultName(r), injected ? kInjected : ""));
  ++stats.vulkanAllocations;
  check(vkBindBufferMemory(device, b.buffer, b.memory, 0),
        "vkBindBufferMemory");
  if (hostVisible) {
    check(vkMapMemory(device, b.memory, 0, VK_WHOLE_SIZE, 0, &b.handle),
          "vkMapMemory");
    return b;
  }
  b.handle = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (b.handle == MAP_FAILED)
    fatal("cannot reserve a handle for a device buffer");
  return b;
}

void VulkanRuntime::Impl::destroyBuffer(Buffer &b) {
  if (!b.hostVisible)
    munmap(b.handle, 4096);
  vkDestroyBuffer(device, b.buffer, nullptr);
  vkFreeMemory(device, b.memory, nullptr);
}

const Buffer &VulkanRuntime::Impl::lookup(void *ptr, const char *what) {
  auto it = live.find(ptr);
  if (it == live.end())
    fatal(llvm::formatv("{0}: {1} is not a buffer of this runtime", what, ptr));
  return it->second;
}

VkCommandBuffer VulkanRuntime::Impl::commandBuffer() {
  if (!recording) {
    VkCommandBufferBeginInfo begin{};
    begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    check(vkBeginCommandBuffer(commands, &begin), "vkBeginCommandBuffer");
    recording = true;
  }
  return commands;
}

void VulkanRuntime::Impl::barrier(VkPipelineStageFlags dstStages,
                                  VkAccessFlags dstAccess) {
  VkMemoryBarrier b{};
  b.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
  b.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  b.dstAccessMask = dstAccess;
  vkCmdPipelineBarrier(commands,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                           VK_PIPELINE_STAGE_TRANSFER_BIT,
                       dstStages, 0, 1, &b, 0, nullptr, 0, nullptr);
}

void VulkanRuntime::Impl::barrierBeforeNextCommand() {
  barrier(VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
          VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
              VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
}

VkDescriptorSet
VulkanRuntime::Impl::descriptorSet(VkDescriptorSetLayout layout) {
  while (true) {
    if (currentPool == descriptorPools.size()) {
      VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                kDescriptorsPerPool};
      VkDescriptorPoolCreateInfo info{};
      info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
      info.maxSets = kSetsPerPool;
      info.poolSizeCount = 1;
      info.pPoolSizes = &size;
      VkDescriptorPool pool;
      check(vkCreateDescriptorPool(device, &info, nullptr, &pool),
            "vkCreateDescriptorPool");
      descriptorPools.push_back(pool);
    }
    VkDescriptorSetAllocateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
    info.descriptorPool = descriptorPools[currentPool];
    info.descriptorSetCount = 1;
    info.pSetLayouts = &layout;
    VkDescriptorSet set;
    VkResult r = vkAllocateDescriptorSets(device, &info, &set);
    if (r == VK_SUCCESS)
      return set;
    if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL)
      check(r, "vkAllocateDescriptorSets");
    ++currentPool; // this pool is full until the next fence resets it
  }
}

void VulkanRuntime::Impl::createPipeline(Kernel &kernel, uint32_t bindings) {
  kernel.bindings = bindings;
  std::vector<VkDescriptorSetLayoutBinding> layoutBindings(bindings);
  for (uint32_t i = 0; i < bindings; ++i) {
    layoutBindings[i].binding = i;
    layoutBindings[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    layoutBindings[i].descriptorCount = 1;
    layoutBindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
  }
  VkDescriptorSetLayoutCreateInfo setInfo{};
  setInfo.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
  setInfo.bindingCount = bindings;
  setInfo.pBindings = layoutBindings.data();
  check(vkCreateDescriptorSetLayout(device, &setInfo, nullptr,
                                    &kernel.setLayout),
        "vkCreateDescriptorSetLayout");
  VkPipelineLayoutCreateInfo layoutInfo{};
  layoutInfo.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
  layoutInfo.setLayoutCount = 1;
  layoutInfo.pSetLayouts = &kernel.setLayout;
  check(vkCreatePipelineLayout(device, &layoutInfo, nullptr, &kernel.layout),
        "vkCreatePipelineLayout");
  VkComputePipelineCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
  info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = kernel.shader;
  info.stage.pName = kernel.entry.c_str();
  info.layout = kernel.layout;
  check(vkCreateComputePipelines(device, pipelineCache, 1, &info, nullptr,
                                 &kernel.pipeline),
        "vkCreateComputePipelines");
  ++stats.pipelines;
}

void VulkanRuntime::Impl::launch(Kernel &kernel, uint64_t gx, uint64_t gy,
                                 uint64_t gz, void **params,
                                 uint64_t paramsCount) {
  // Bare-pointer convention with sizes interspersed: {&ptr, &bytes} pairs.
  uint32_t bindings = paramsCount / 2;
  if (!kernel.pipeline)
    createPipeline(kernel, bindings);
  else if (kernel.bindings != bindings)
    fatal(llvm::formatv("kernel {0} launched with {1} buffers, created with "
                        "{2}",
                        kernel.entry, bindings, kernel.bindings));
  const uint32_t *maxCount = properties.limits.maxComputeWorkGroupCount;
  if (gx > maxCount[0] || gy > maxCount[1] || gz > maxCount[2])
    fatal(llvm::formatv("kernel {0}: grid {1}x{2}x{3} exceeds the device "
                        "limit {4}x{5}x{6}",
                        kernel.entry, gx, gy, gz, maxCount[0], maxCount[1],
                        maxCount[2]));
  VkCommandBuffer cmd = commandBuffer();
  VkDescriptorSet set = descriptorSet(kernel.setLayout);
  std::vector<VkDescriptorBufferInfo> infos(bindings);
  std::vector<VkWriteDescriptorSet> writes(bindings);
  for (uint32_t i = 0; i < bindings; ++i) {
    void *ptr = *static_cast<void **>(params[2 * i]);
    const Buffer &b = lookup(ptr, kernel.entry.c_str());
    infos[i] = {b.buffer, 0, VK_WHOLE_SIZE};
    writes[i] = {};
    writes[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
    writes[i].dstSet = set;
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  vkUpdateDescriptorSets(device, bindings, writes.data(), 0, nullptr);
  vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, kernel.pipeline);
  vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, kernel.layout,
                          0, 1, &set, 0, nullptr);
  vkCmdDispatch(cmd, gx, gy, gz);
  barrierBeforeNextCommand();
  ++stats.dispatches;
  if (options.profile) {
    auto start = std::chrono::steady_clock::now();
    fence();
    --stats.hostSyncs; // profiling waits are not the program's
    KernelProfile &p = profile[llvm::formatv("{0} grid {1}x{2}x{3}",
                                             kernel.label, gx, gy, gz)];
    ++p.dispatches;
    p.seconds += std::chrono::duration<double>(
                     std::chrono::steady_clock::now() - start)
                     .count();
  }
}

void VulkanRuntime::Impl::writeWord(void *ptr, uint32_t value) {
  const Buffer &b = lookup(ptr, "trmGpuWriteWord");
  VkCommandBuffer cmd = commandBuffer();
  vkCmdUpdateBuffer(cmd, b.buffer, 0, sizeof(value), &value);
  barrierBeforeNextCommand();
  ++stats.scalarWrites;
}

void VulkanRuntime::Impl::write(void *ptr, uint64_t offset, const void *data,
                                uint64_t bytes) {
  const Buffer &b = lookup(ptr, "write");
  if (offset % 4 || bytes % 4 || offset > b.bytes || bytes > b.bytes - offset)
    fatal(llvm::formatv("write of {0} bytes at {1} into a buffer of {2}",
                        bytes, offset, b.bytes));
  // Inline in the command buffer, in the order of the kernels around it;
  // vkCmdUpdateBuffer takes at most 65536 bytes at a time.
  constexpr uint64_t kMaxUpdate = 65536;
  VkCommandBuffer cmd = commandBuffer();
  const auto *bytesIn = static_cast<const uint8_t *>(data);
  for (uint64_t done = 0; done < bytes; done += kMaxUpdate)
    vkCmdUpdateBuffer(cmd, b.buffer, offset + done,
                      std::min(kMaxUpdate, bytes - done), bytesIn + done);
  barrierBeforeNextCommand();
  stats.uploadedBytes += bytes;
}

void VulkanRuntime::Impl::fence() {
  if (!recording)
    return;
  barrier(VK_PIPELINE_STAGE_HOST_BIT,
          VK_ACCESS_HOST_READ_BIT | VK_ACCESS_HOST_WRITE_BIT);
  check(vkEndCommandBuffer(commands), "vkEndCommandBuffer");
  recording = false;
  VkSubmitInfo submit{};
  submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &commands;
  check(vkQueueSubmit(queue, 1, &submit, submitted), "vkQueueSubmit");
  uint64_t timeout = uint64_t(options.timeoutSeconds * 1e9);
  VkResult r = vkWaitForFences(device, 1, &submitted, VK_TRUE, timeout);
  if (r == VK_SUCCESS && ++fencesWaited == options.loseDeviceAtFence)
    deviceLost("vkWaitForFences", kInjected);
  if (r == VK_TIMEOUT)
    fatal(llvm::formatv("the device did not finish within {0:f3} s "
                        "(TRM_VULKAN_TIMEOUT)",
                        options.timeoutSeconds));
  check(r, "vkWaitForFences");
  check(vkResetFences(device, 1, &submitted), "vkResetFences");
  check(vkResetCommandBuffer(commands, 0), "vkResetCommandBuffer");
  for (VkDescriptorPool pool : descriptorPools)
    check(vkResetDescriptorPool(device, pool, 0), "vkResetDescriptorPool");
  currentPool = 0;
  ++stats.hostSyncs;
}

void *VulkanRuntime::Impl::allocate(uint64_t bytes, bool hostVisible) {
  // Rounded to 16 bytes: SPIR-V accesses sub-word types (the i8 halted
  // mask) through whole 32-bit words.
  uint64_t size = std::max<uint64_t>(16, (bytes + 15) / 16 * 16);
  Buffer b;
  auto key = std::make_pair(size, hostVisible);
  if (auto it = freeBuffers.find(key); it != freeBuffers.end()) {
    b = it->second;
    freeBuffers.erase(it);
  } else {
    b = newBuffer(size, hostVisible);
  }
  live[b.handle] = b;
  return b.handle;
}

void *VulkanRuntime::Impl::upload(const void *data, uint64_t bytes) {
  // The destination is device-only memory (VRAM on a discrete GPU, even
  // without resizable BAR); the data goes through a host-visible staging
  // buffer that lives only for the copy.
  void *handle = allocate(bytes, /*hostVisible=*/false);
  const Buffer &dst = lookup(handle, "upload");
  Buffer staging = newBuffer(dst.bytes, /*hostVisible=*/true);
  std::memcpy(staging.handle, data, bytes);
  VkBufferCopy region{};
  region.size = bytes;
  vkCmdCopyBuffer(commandBuffer(), staging.buffer, dst.buffer, 1, &region);
  barrierBeforeNextCommand();
  fence();
  destroyBuffer(staging);
  stats.uploadedBytes += bytes;
  return handle;
}

void VulkanRuntime::Impl::release(void *ptr) {
  auto it = live.find(ptr);
  if (it == live.end())
    fatal(llvm::formatv("free of {0}, which is not a live buffer", ptr));
  // Reuse is safe without waiting: queued kernels that still read this
  // buffer run before any later kernel that writes its next owner, and
  // the host touches device buffers only after a fence.
  freeBuffers.emplace(std::make_pair(it->second.bytes, it->second.hostVisible),
                      it->second);
  live.erase(it);
}

//===----------------------------------------------------------------------===//
// VulkanRuntime
//===----------------------------------------------------------------------===//

VulkanRuntime::VulkanRuntime(std::unique_ptr<Impl> impl)
    : impl(std::move(impl)) {}

VulkanRuntime::~VulkanRuntime() {
  if (current == impl.get())
    current = nullptr;
}

llvm::Expected<std::unique_ptr<VulkanRuntime>>
VulkanRuntime::create(const VulkanRuntimeOptions &options) {
  if (current)
    return llvm::createStringError("Vulkan: a runtime already exists");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (llvm::Error err = impl->init())
    return std::move(err);
  current = impl.get();
  return std::unique_ptr<VulkanRuntime>(new VulkanRuntime(std::move(impl)));
}

void *VulkanRuntime::allocate(uint64_t bytes) {
  return impl->allocate(bytes, /*hostVisible=*/true);
}
void *VulkanRuntime::upload(const void *data, uint64_t bytes) {
  return impl->upload(data, bytes);
}
void VulkanRuntime::write(void *ptr, uint64_t offset, const void *data,
                          uint64_t bytes) {
  impl->write(ptr, offset, data, bytes);
}
void VulkanRuntime::release(void *ptr) { impl->release(ptr); }
void VulkanRuntime::fence() { impl->fence(); }

void VulkanRuntime::printProfile(llvm::raw_ostream &os) const {
  if (!impl->options.profile)
    return;
  std::vector<std::pair<std::string, KernelProfile>> rows(
      impl->profile.begin(), impl->profile.end());
  llvm::sort(rows, [](const auto &a, const auto &b) {
    return a.second.seconds > b.second.seconds;
  });
  double total = 0;
  for (auto &r : rows)
    total += r.second.seconds;
  os << llvm::formatv("vulkan profile (each dispatch waited for alone): "
                      "{0:f3} s in {1} kernels\n",
                      total, rows.size());
  for (auto &[name, p] : llvm::ArrayRef(rows).take_front(15))
    os << llvm::formatv("  {0,6:f1}% {1,8:f3} s {2,7} x  {3}\n",
                        100 * p.seconds / total, p.seconds, p.dispatches, name);
}
const VulkanRuntimeStats &VulkanRuntime::stats() const { return impl->stats; }
void VulkanRuntime::resetStats() { impl->stats = VulkanRuntimeStats(); }
int64_t VulkanRuntime::validationMessages() const {
  return impl->validationMessages;
}

std::string VulkanRuntime::deviceDescription() const {
  return llvm::formatv("{0} (Vulkan {1}.{2}, {3} memory)",
                       impl->properties.deviceName,
                       VK_API_VERSION_MAJOR(impl->properties.apiVersion),
                       VK_API_VERSION_MINOR(impl->properties.apiVersion),
                       impl->memoryDeviceLocal ? "device-local host-visible"
                                               : "host-visible")
      .str();
}

bool VulkanRuntime::isCPUDevice() const {
  return impl->properties.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
}

llvm::Error VulkanRuntime::savePipelineCache() {
  if (impl->options.pipelineCachePath.empty())
    return llvm::Error::success();
  size_t size = 0;
  impl->vkGetPipelineCacheData(impl->device, impl->pipelineCache, &size,
                               nullptr);
  std::vector<char> data(size);
  impl->vkGetPipelineCacheData(impl->device, impl->pipelineCache, &size,
                               data.data());
  std::ofstream out(impl->options.pipelineCachePath, std::ios::binary);
  out.write(data.data(), size);
  if (!out)
    return llvm::createStringError(impl->options.pipelineCachePath +
                                   ": cannot write the pipeline cache");
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// The C entry points generated code calls.
//===----------------------------------------------------------------------===//

namespace {
VulkanRuntime::Impl &runtime() {
  if (!current)
    fatal("generated code ran without a Vulkan runtime");
  return *current;
}

extern "C" {
void *mgpuModuleLoad(void *data, size_t bytes) {
  VulkanRuntime::Impl &rt = runtime();
  auto module = std::make_unique<Module>();
  VkShaderModuleCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
  info.codeSize = bytes;
  // The blob is a constant global aligned for words.
  info.pCode = static_cast<const uint32_t *>(data);
  check(rt.vkCreateShaderModule(rt.device, &info, nullptr, &module->shader),
        "vkCreateShaderModule");
  module->index = rt.modules.size();
  rt.modules.push_back(std::move(module));
  return rt.modules.back().get();
}

void mgpuModuleUnload(void *) {
  // Modules live as long as the runtime: a later run of the same engine
  // reuses their pipelines.
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  auto *m = static_cast<Module *>(module);
  std::unique_ptr<Kernel> &kernel = m->kernels[name];
  if (!kernel) {
    kernel = std::make_unique<Kernel>();
    kernel->shader = m->shader;
    kernel->entry = name;
    // The compiler names kernels after their trm op (trm-gpu-name-kernels).
    kernel->label = llvm::formatv("kernel {0} {1}", m->index, name);
  }
  return kernel.get();
}

void *mgpuStreamCreate() {
  // One in-order queue; a stream is only a token.
  static int stream;
  return &stream;
}
void mgpuStreamDestroy(void *) {}
void mgpuStreamSynchronize(void *) {
  // Deliberately lazy: the compiler puts trmGpuFence before every host
  // access to device memory, so waiting per launch is never needed.
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t, intptr_t, intptr_t,
                      int32_t sharedMemoryBytes, void *, void **params,
                      void **, size_t paramsCount) {
  if (sharedMemoryBytes != 0)
    fatal("dynamic shared memory is not supported");
  runtime().launch(*static_cast<Kernel *>(function), gridX, gridY, gridZ,
                   params, paramsCount);
}

void *mgpuMemAlloc(uint64_t bytes, void *, bool hostShared) {
  return runtime().allocate(bytes, hostShared);
}
void mgpuMemFree(void *ptr, void *) { runtime().release(ptr); }

// The calls trm-gpu-assign-memory inserts.
void trmGpuFence() { runtime().fence(); }
void trmGpuFree(int64_t ptr) {
  runtime().release(reinterpret_cast<void *>(ptr));
}
void trmGpuWriteWord(int64_t ptr, int32_t value) {
  runtime().writeWord(reinterpret_cast<void *>(ptr), uint32_t(value));
}
} // extern "C"
} // namespace

llvm::orc::SymbolMap
VulkanRuntime::symbols(llvm::orc::MangleAndInterner interner) {
  llvm::orc::SymbolMap map;
  auto add = [&](const char *name, auto *fn) {
    map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                           llvm::JITSymbolFlags::Exported};
  };
  add("mgpuModuleLoad", &mgpuModuleLoad);
  add("mgpuModuleUnload", &mgpuModuleUnload);
  add("mgpuModuleGetFunction", &mgpuModuleGetFunction);
  add("mgpuStreamCreate", &mgpuStreamCreate);
  add("mgpuStreamDestroy", &mgpuStreamDestroy);
  add("mgpuStreamSynchronize", &mgpuStreamSynchronize);
  add("mgpuLaunchKernel", &mgpuLaunchKernel);
  add("mgpuMemAlloc", &mgpuMemAlloc);
  add("mgpuMemFree", &mgpuMemFree);
  add("trmGpuFence", &trmGpuFence);
  add("trmGpuFree", &trmGpuFree);
  add("trmGpuWriteWord", &trmGpuWriteWord);
  return map;
}
