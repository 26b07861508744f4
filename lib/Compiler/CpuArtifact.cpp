//===- CpuArtifact.cpp - ahead-of-time artifacts for CPUs -----------------===//
#include "trm/Compiler/CpuArtifact.h"
#include "trm/Runtime/ArtifactContainer.h"
#include "trm/Support/TargetCpu.h"
#include "trm/Support/Version.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;
using namespace mlir::trm;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// The target triple `target` resolves to.
static std::string resolvedTriple(const CpuTarget &target) {
  return target.triple.empty() ? llvm::sys::getProcessTriple()
                               : llvm::Triple::normalize(target.triple);
}

CpuTarget mlir::trm::resolveCpuTarget(const CpuTarget &target) {
  CpuTarget resolved;
  resolved.triple = resolvedTriple(target);
  resolved.cpu = target.cpu;
  llvm::SubtargetFeatures features;
  if (resolved.cpu.empty() && resolved.triple == llvm::sys::getProcessTriple()) {
    resolved.cpu = llvm::sys::getHostCPUName().str();
    for (const auto &f : llvm::sys::getHostCPUFeatures())
      features.AddFeature(f.getKey(), f.getValue());
  } else if (resolved.cpu.empty()) {
    resolved.cpu = "generic";
  }
  if (!target.features.empty())
    features.addFeaturesVector(
        llvm::SubtargetFeatures(target.features).getFeatures());
  resolved.features = features.getString();
  return resolved;
}

/// A PIC target machine for `target`, its CPU name checked first.
static llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const CpuTarget &target) {
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();
  const CpuTarget resolved = resolveCpuTarget(target);
  llvm::Triple triple(resolved.triple);
  std::string lookupError;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!llvmTarget)
    return error("--target-triple " + resolved.triple +
                 ": no such target in this LLVM (" + lookupError + ")");
  if (llvm::Error err = checkTargetCpuName(triple, resolved.cpu))
    return std::move(err);
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> tm(llvmTarget->createTargetMachine(
      triple, resolved.cpu, resolved.features, options, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    return error("cannot create a target machine for " + resolved.triple);
  return std::move(tm);
}

llvm::Expected<bool>
mlir::trm::targetHasBF16DotProduct(const CpuTarget &target) {
  auto tm = createTargetMachine(target);
  if (!tm)
    return tm.takeError();
  return (*tm)->getTargetTriple().isX86() &&
         (*tm)->getMCSubtargetInfo()->checkFeatures("+avx512bf16");
}

/// The linker: $TRM_LLD, else ld.lld-22 or ld.lld on PATH.
static llvm::Expected<std::string> findLinker() {
  if (const char *env = std::getenv("TRM_LLD"); env && *env)
    return std::string(env);
  for (const char *name : {"ld.lld-22", "ld.lld"})
    if (auto path = llvm::sys::findProgramByName(name))
      return *path;
  return error("no ld.lld to link the artifact's code (install lld-22, or "
               "set TRM_LLD)");
}

/// Links `object` into a shared library; its undefined symbols (the
/// runtime's allocator, libm, OpenMP) resolve when the runtime loads it.
static llvm::Expected<std::string> linkSharedLibrary(llvm::StringRef object) {
  auto linker = findLinker();
  if (!linker)
    return linker.takeError();
  llvm::SmallString<128> objectPath, libraryPath;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("trm-artifact", "o", fd, objectPath))
    return error("cannot create a temporary file: " + ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << object;
  }
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("trm-artifact", "so", libraryPath)) {
    llvm::sys::fs::remove(objectPath);
    return error("cannot create a temporary file: " + ec.message());
  }
  llvm::SmallString<128> logPath;
  llvm::sys::fs::createTemporaryFile("trm-artifact", "log", logPath);
  llvm::StringRef args[] = {*linker,   "-shared",      "-z",
                            "noexecstack", "-z", "now", "--build-id",
                            "-o",      libraryPath,    objectPath};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, logPath.str(),
                                                logPath.str()};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*linker, args, std::nullopt, redirects,
                                     0, 0, &message);
  std::string log;
  if (auto text = llvm::MemoryBuffer::getFile(logPath))
    log = (*text)->getBuffer().trim().str();
  auto library = llvm::MemoryBuffer::getFile(libraryPath);
  for (llvm::StringRef p : {objectPath.str(), libraryPath.str(), logPath.str()})
    llvm::sys::fs::remove(p);
  if (rc != 0)
    return error(*linker + " failed linking the artifact's code" +
                 (message.empty() ? "" : ": " + message) +
                 (log.empty() ? "" : "\n" + log));
  if (!library)
    return error("cannot read the linked library: " +
                 library.getError().message());
  return (*library)->getBuffer().str();
}

/// The features the code may use: every one the subtarget enables.
static std::vector<std::string>
enabledFeatures(const llvm::TargetMachine &tm) {
  const llvm::MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  std::vector<std::string> names;
  for (const llvm::SubtargetFeatureKV &f : sti->getAllProcessorFeatures())
    if (sti->getFeatureBits()[f.Value])
      names.push_back(f.Key);
  return names;
}

static std::string metadataJson(const ModelSignature &sig,
                                llvm::StringRef policy,
                                llvm::StringRef precision,
                                const llvm::TargetMachine &tm,
                                const CpuTarget &target, bool openmp) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream j(os, 1);
  j.object([&] {
    j.attribute("format", 1);
    j.attribute("compiler", getVersionString());
    j.attribute("device", "cpu");
    j.attribute("entry", sig.entry);
    j.attribute("policy", policy);
    j.attribute("precision", precision);
    j.attribute("batch", sig.batch);
    j.attribute("seq_len", sig.seqLen);
    j.attribute("vocab_size", sig.vocab);
    j.attribute("max_steps", sig.maxSteps);
    j.attribute("num_puzzle_identifiers", sig.numPuzzleIds);
    j.attribute("H_cycles", sig.hCycles);
    j.attribute("L_cycles", sig.lCycles);
    j.attribute("target_triple", tm.getTargetTriple().str());
    j.attribute("target_cpu", tm.getTargetCPU());
    j.attribute("target_features", target.features);
    j.attributeArray("required_features", [&] {
      for (const std::string &f : enabledFeatures(tm))
        j.value(f);
    });
    j.attribute("openmp", openmp);
    j.attribute("packed_size", sig.packedSize);
    j.attributeArray("weights", [&] {
      for (const PackedWeight &w : sig.weightTable)
        j.object([&] {
          j.attribute("key", w.key);
          j.attributeArray("shape", [&] {
            for (int64_t d : w.shape)
              j.value(d);
          });
          j.attribute("offset", w.offset);
          j.attribute("streamed_rows", w.streamedRows);
        });
    });
  });
  return text;
}

llvm::Expected<std::string>
mlir::trm::buildCpuArtifact(ModuleOp lowered, const ModelSignature &sig,
                            llvm::StringRef policy, llvm::StringRef precision,
                            const CpuTarget &target) {
  auto tm = createTargetMachine(target);
  if (!tm)
    return tm.takeError();
  MLIRContext &context = *lowered.getContext();
  registerBuiltinDialectTranslation(context);
  registerLLVMDialectTranslation(context);
  registerOpenMPDialectTranslation(context);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> module =
      translateModuleToLLVMIR(lowered, llvmContext);
  if (!module)
    return error("cannot translate the lowered module to LLVM IR");
  module->setTargetTriple((*tm)->getTargetTriple());
  module->setDataLayout((*tm)->createDataLayout());
  auto optimize = makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0,
                                            tm->get());
  if (llvm::Error err = optimize(module.get()))
    return std::move(err);
  bool openmp = false;
  for (const llvm::Function &f : *module)
    if (f.isDeclaration() && f.getName().starts_with("__kmpc_"))
      openmp = true;
  llvm::SmallString<0> object;
  {
    llvm::raw_svector_ostream os(object);
    llvm::legacy::PassManager codegen;
    if ((*tm)->addPassesToEmitFile(codegen, os, nullptr,
                                   llvm::CodeGenFileType::ObjectFile))
      return error("the target cannot emit object files");
    codegen.run(*module);
  }
  auto library = linkSharedLibrary(object);
  if (!library)
    return library.takeError();
  return ::trm::rt::makeContainer(
      *library, metadataJson(sig, policy, precision, **tm, target, openmp));
}
