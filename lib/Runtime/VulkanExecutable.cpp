//===- VulkanExecutable.cpp - JIT the host side, kernels on Vulkan --------===//
#include "trm/Runtime/VulkanExecutable.h"
#include "JitSetup.h"
#include "trm/Runtime/MemRefDescriptor.h"
#include "trm/Pipelines/Pipelines.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"

#include <cstring>

using namespace mlir;
using namespace mlir::trm;

llvm::Error VulkanExecutable::lower(ModuleOp module, PassManager &pm,
                                    const VulkanCodegenOptions &options) {
  buildTRMToVulkanPipeline(pm, options);
  if (failed(pm.run(module)))
    return llvm::createStringError("lowering with the trm-to-vulkan pipeline "
                                   "failed (see the diagnostics above)");
  return llvm::Error::success();
}

VulkanExecutable::VulkanExecutable(std::unique_ptr<ExecutionEngine> engine,
                                   ModelSignature sig, VulkanRuntime &runtime)
    : engine(std::move(engine)), sig(std::move(sig)), runtime(runtime) {}

VulkanExecutable::~VulkanExecutable() {
  if (weights)
    runtime.release(weights);
}

llvm::Expected<std::unique_ptr<VulkanExecutable>>
VulkanExecutable::load(ModuleOp module, const ModelSignature &signature,
                       VulkanRuntime &runtime) {
  ModelSignature sig = signature;
  if (llvm::Error err = sig.readWeightTable(module))
    return std::move(err);
  prepareJit(module);
  registerGPUDialectTranslation(*module.getContext());
  // gpu.binary embeds its SPIR-V through the select_object handler.
  DialectRegistry offloading;
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(offloading);
  module.getContext()->appendDialectRegistry(offloading);

  ExecutionEngineOptions options;
  auto transformer = makeOptimizingTransformer(/*optLevel=*/2,
                                               /*sizeLevel=*/0,
                                               /*targetMachine=*/nullptr);
  options.transformer = transformer;
  auto engine = ExecutionEngine::create(module, options);
  if (!engine)
    return engine.takeError();
  (*engine)->registerSymbols(VulkanRuntime::symbols);
  registerBufferAllocator(**engine);
  if (llvm::Error err = generateCode(**engine, sig.entry))
    return std::move(err);
  return std::unique_ptr<VulkanExecutable>(
      new VulkanExecutable(std::move(*engine), std::move(sig), runtime));
}

void VulkanExecutable::setWeights(const std::vector<float> &values) {
  if (weights)
    runtime.release(weights);
  weightCount = values.size();
  // Uploaded once into device-only memory: kernels read the weights at
  // VRAM speed on a discrete GPU, and the host never needs them again.
  weights = runtime.upload(values.data(), values.size() * sizeof(float));
}

void VulkanExecutable::updateWeights(
    const std::vector<float> &values,
    llvm::ArrayRef<std::pair<int64_t, int64_t>> ranges) {
  for (auto [offset, count] : ranges)
    runtime.write(weights, offset * sizeof(float), values.data() + offset,
                  count * sizeof(float));
}

llvm::Error VulkanExecutable::run(BatchBuffers &buf) {
  if (!weights)
    return llvm::createStringError("VulkanExecutable: no weights set");
  const int64_t b = sig.batch, s = sig.seqLen, v = sig.vocab,
                k = sig.maxSteps;
  // Device buffers for this batch: the host fills the inputs before any
  // kernel is queued and reads the outputs after the final fence.
  struct Arg {
    void *host;
    size_t bytes;
    std::vector<int64_t> shape;
    bool input;
  };
  if (llvm::Error err = buf.checkSampleCount())
    return err;
  std::vector<Arg> args = {
      {buf.tokens.data(), buf.tokens.size() * 4, {b, s}, true},
      {buf.puzzleIds.data(), buf.puzzleIds.size() * 4, {b}, true},
      {&buf.samples, 4, {1}, true},
      {nullptr, 0, {static_cast<int64_t>(weightCount)}, true},
      {buf.predictions.data(), buf.predictions.size() * 4, {b, s}, false},
      {buf.logits.data(), buf.logits.size() * 4, {b, s, v}, false},
      {buf.stepQLogits.data(), buf.stepQLogits.size() * 4, {b, k, 2}, false},
      {buf.steps.data(), buf.steps.size() * 4, {b}, false},
      {buf.stepPredictions.data(), buf.stepPredictions.size() * 4, {b, k, s},
       false},
      {&buf.networkCalls, 4, {1}, false},
  };
  std::vector<void *> device;
  std::vector<MemRefDescriptor> descs;
  for (Arg &a : args) {
    void *d = a.host ? runtime.allocate(a.bytes) : weights;
    if (a.host && a.input)
      std::memcpy(d, a.host, a.bytes);
    device.push_back(d);
    descs.emplace_back(d, a.shape);
  }
  std::vector<void *> pointers;
  for (MemRefDescriptor &d : descs)
    pointers.push_back(d.get());
  std::vector<void *> callArgs;
  for (void *&p : pointers)
    callArgs.push_back(&p);
  llvm::Error err = engine->invokePacked("_mlir_ciface_" + sig.entry, callArgs);
  runtime.fence();
  for (size_t i = 0; i < args.size(); ++i) {
    if (!args[i].host)
      continue;
    if (!args[i].input)
      std::memcpy(args[i].host, device[i], args[i].bytes);
    runtime.release(device[i]);
  }
  return err;
}
