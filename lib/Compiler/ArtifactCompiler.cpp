//===- ArtifactCompiler.cpp - a trm module into an artifact ---------------===//
#include "trm/Compiler/ArtifactCompiler.h"
#include "trm/Dialect/TRM/IR/TRMOps.h"
#include "trm/Dialect/TRM/Transforms/Passes.h"
#include "trm/Runtime/ArtifactFile.h"
#include "trm/Runtime/CpuExecutable.h"
#include "trm/Runtime/VulkanDevices.h"
#include "trm/Runtime/VulkanExecutable.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::trm;

std::string mlir::trm::modulePolicy(ModuleOp module) {
  std::string policy;
  module->walk([&](ActOp act) {
    policy = stringifyHaltingPolicy(act.getPolicy()).str();
  });
  return policy.empty() ? "fixed" : policy;
}

llvm::Error mlir::trm::setHaltingPolicy(ModuleOp module,
                                        llvm::StringRef policy) {
  PassManager pm(module->getContext());
  TRMSetHaltingPolicyOptions options;
  options.policy = policy.str();
  pm.addPass(createTRMSetHaltingPolicy(options));
  if (failed(pm.run(module)))
    return llvm::createStringError("cannot set the halting policy");
  return llvm::Error::success();
}

llvm::Expected<std::string>
mlir::trm::compileArtifact(ModuleOp module, const ModelSignature &sig,
                           const ArtifactOptions &options, PassManager &pm) {
  if (options.device != "cpu" && options.device != "vulkan")
    return llvm::createStringError("--device: unknown device '" +
                                   options.device + "' (cpu or vulkan)");
  const std::string policy =
      options.policy.empty() ? modulePolicy(module) : options.policy;
  if (llvm::Error err = setHaltingPolicy(module, policy))
    return std::move(err);

  if (options.device == "vulkan") {
    if (llvm::Error err = VulkanExecutable::lower(module, pm, options.vulkan))
      return std::move(err);
    sig.writeArtifactAttr(module, policy, "vulkan", options.vulkan);
    std::string bytes;
    llvm::raw_string_ostream os(bytes);
    if (llvm::Error err = writeArtifactFile(module, os))
      return std::move(err);
    return bytes;
  }
  if (llvm::Error err = CpuExecutable::lower(module, pm, options.cpu))
    return std::move(err);
  ModelSignature lowered = sig;
  if (llvm::Error err = lowered.readWeightTable(module))
    return std::move(err);
  return buildCpuArtifact(module, lowered, policy,
                          options.cpu.bf16 ? "bf16" : "f32", options.cpuTarget);
}

llvm::Error mlir::trm::setCpuPrecision(CPUCodegenOptions &cpu, Precision precision,
                                       const CpuTarget &target,
                                       std::string &note) {
  cpu.bf16 = precision == Precision::BF16;
  cpu.bf16DotProduct = false;
  if (!cpu.bf16)
    return llvm::Error::success();
  auto dot = targetHasBF16DotProduct(target);
  if (!dot)
    return dot.takeError();
  cpu.bf16DotProduct = *dot;
  if (!*dot) {
    const CpuTarget resolved = resolveCpuTarget(target);
    note = "--precision bf16: CPU '" + resolved.cpu + "' (" + resolved.triple +
           ") has no AVX512-BF16; the bf16 operands are multiplied as f32 "
           "(bf16's results, not its speed)";
  }
  return llvm::Error::success();
}

VulkanDeviceKind mlir::trm::localVulkanDeviceKind(int deviceIndex,
                                                  std::string &note) {
  auto devices = listVulkanDevices(/*validation=*/false);
  if (!devices) {
    note = "no Vulkan device here (" + llvm::toString(devices.takeError()) +
           "): kernels shaped for a gpu";
    return VulkanDeviceKind::GPU;
  }
  if (deviceIndex < 0 || static_cast<size_t>(deviceIndex) >= devices->size()) {
    note = "no Vulkan device " + std::to_string(deviceIndex) +
           " here: kernels shaped for a gpu";
    return VulkanDeviceKind::GPU;
  }
  return (*devices)[deviceIndex].type == "cpu" ? VulkanDeviceKind::CPU
                                               : VulkanDeviceKind::GPU;
}
