//===- CpuExecutable.cpp - JIT a trm module and call it -------------------===//
#include "trm/Runtime/CpuExecutable.h"
#include "JitSetup.h"
#include "trm/Runtime/MemRefDescriptor.h"
#include "trm/Pipelines/Pipelines.h"
#include "trm/Support/TargetCpu.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Support/FormatVariadic.h"


using namespace mlir;
using namespace mlir::trm;

BatchBuffers::BatchBuffers(const ModelSignature &s)
    : tokens(s.batch * s.seqLen), puzzleIds(s.batch),
      predictions(s.batch * s.seqLen), logits(s.batch * s.seqLen * s.vocab),
      stepQLogits(s.batch * s.maxSteps * 2), steps(s.batch),
      stepPredictions(s.batch * s.maxSteps * s.seqLen) {}

llvm::Error BatchBuffers::checkSampleCount() const {
  const int64_t batch = static_cast<int64_t>(puzzleIds.size());
  if (samples < 0 || samples > batch)
    return llvm::createStringError(
        llvm::formatv("a batch holds 0 to {0} samples, not {1}", batch,
                      samples)
            .str());
  return llvm::Error::success();
}

llvm::Error CpuExecutable::lower(ModuleOp module, PassManager &pm,
                                 const CPUCodegenOptions &options) {
  buildTRMToLLVMPipeline(pm, options);
  if (failed(pm.run(module)))
    return llvm::createStringError("lowering with the trm-to-llvm pipeline "
                                   "failed (see the diagnostics above)");
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<CpuExecutable>>
CpuExecutable::compile(ModuleOp module, const ModelSignature &signature,
                       PassManager &pm, const CPUCodegenOptions &options) {
  if (llvm::Error err = lower(module, pm, options))
    return std::move(err);
  return load(module, signature, options.threads);
}

/// The thread count of the parallel regions the main thread starts, set in
/// the OpenMP runtime the engine loaded.
static llvm::Error setOpenMPThreads(int64_t threads) {
  std::string message;
  auto runtime = llvm::sys::DynamicLibrary::getPermanentLibrary(
      TRM_OPENMP_RUNTIME, &message);
  void *setter = runtime.isValid()
                     ? runtime.getAddressOfSymbol("omp_set_num_threads")
                     : nullptr;
  if (!setter)
    return llvm::createStringError(
        llvm::Twine(TRM_OPENMP_RUNTIME) +
        ": no omp_set_num_threads to set the thread count " + message);
  reinterpret_cast<void (*)(int)>(setter)(static_cast<int>(threads));
  return llvm::Error::success();
}

/// A target machine for `cpu` and `features` on the host's triple (null
/// for the host itself), refused when it needs an instruction set feature
/// this CPU lacks.
static llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
targetMachineFor(llvm::StringRef cpu, llvm::StringRef features) {
  if (cpu.empty() && features.empty())
    return nullptr;
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  const llvm::Triple &triple = builder->getTargetTriple();
  if (!cpu.empty())
    if (llvm::Error err = checkTargetCpuName(triple, cpu))
      return std::move(err);
  // A named CPU brings its own features; the host's are the default only
  // when no CPU is named.
  if (!cpu.empty()) {
    builder->setCPU(cpu.str());
    builder->getFeatures() = llvm::SubtargetFeatures();
  }
  if (!features.empty())
    builder->addFeatures({features.str()});
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto tm = builder->createTargetMachine();
  if (!tm)
    return tm.takeError();
  const llvm::MCSubtargetInfo *sti = (*tm)->getMCSubtargetInfo();
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  std::string missing;
  for (const llvm::SubtargetFeatureKV &f : sti->getAllProcessorFeatures()) {
    auto it = host.find(f.Key);
    if (sti->getFeatureBits()[f.Value] && it != host.end() && !it->second)
      missing += (missing.empty() ? "" : ", ") + std::string(f.Key);
  }
  if (!missing.empty())
    return llvm::createStringError(
        llvm::formatv("the code for CPU '{0}'{1} needs {2}, which this CPU "
                      "({3}) lacks",
                      cpu.empty() ? llvm::sys::getHostCPUName() : cpu,
                      features.empty() ? "" : " +" + features.str(), missing,
                      llvm::sys::getHostCPUName())
            .str());
  return std::move(*tm);
}

llvm::Expected<std::unique_ptr<CpuExecutable>>
CpuExecutable::load(ModuleOp module, const ModelSignature &signature,
                    int64_t threads) {
  ModelSignature sig = signature;
  if (llvm::Error err = sig.readWeightTable(module))
    return std::move(err);

  prepareJit(module);
  registerOpenMPDialectTranslation(*module.getContext());

  ExecutionEngineOptions options;
  auto transformer = makeOptimizingTransformer(/*optLevel=*/3,
                                               /*sizeLevel=*/0,
                                               /*targetMachine=*/nullptr);
  options.transformer = transformer;
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  // memrefCopy for non-contiguous copies lives in MLIR's C runner utils;
  // the parallel loops call into the LLVM OpenMP runtime.
  SmallVector<StringRef> libs = {TRM_C_RUNNER_UTILS, TRM_OPENMP_RUNTIME};
  options.sharedLibPaths = libs;
  auto tm = targetMachineFor(sig.targetCpu, sig.targetFeatures);
  if (!tm)
    return tm.takeError();
  auto engine = ExecutionEngine::create(module, options, std::move(*tm));
  if (!engine)
    return engine.takeError();
  registerBufferAllocator(**engine);
  if (llvm::Error err = generateCode(**engine, sig.entry))
    return std::move(err);
  if (threads > 0)
    if (llvm::Error err = setOpenMPThreads(threads))
      return std::move(err);
  return std::unique_ptr<CpuExecutable>(
      new CpuExecutable(std::move(*engine), std::move(sig)));
}

llvm::Error CpuExecutable::run(const std::vector<float> &weights,
                               BatchBuffers &buf) {
  const int64_t b = sig.batch, s = sig.seqLen, v = sig.vocab,
                k = sig.maxSteps;
  if (llvm::Error err = buf.checkSampleCount())
    return err;
  // Arguments after bufferization: tokens, puzzle ids, sample count, packed
  // weights, then the results as out-parameters in order.
  std::vector<MemRefDescriptor> descs = {
      MemRefDescriptor(buf.tokens.data(), {b, s}),
      MemRefDescriptor(buf.puzzleIds.data(), {b}),
      MemRefDescriptor(&buf.samples, {1}),
      MemRefDescriptor(const_cast<float *>(weights.data()),
                 {static_cast<int64_t>(weights.size())}),
      MemRefDescriptor(buf.predictions.data(), {b, s}),
      MemRefDescriptor(buf.logits.data(), {b, s, v}),
      MemRefDescriptor(buf.stepQLogits.data(), {b, k, 2}),
      MemRefDescriptor(buf.steps.data(), {b}),
      MemRefDescriptor(buf.stepPredictions.data(), {b, k, s}),
      MemRefDescriptor(&buf.networkCalls, {1}),
  };
  std::vector<void *> pointers;
  for (MemRefDescriptor &d : descs)
    pointers.push_back(d.get());
  std::vector<void *> args;
  for (void *&p : pointers)
    args.push_back(&p);
  return engine->invokePacked("_mlir_ciface_" + sig.entry, args);
}
