//===- trm-compile.cpp - compile a trm model ahead of time ----------------===//
//
//   trm-compile MODEL.mlir [--device cpu|vulkan] [--target-triple T]
//               [--target-cpu C] [--target-features F] [--halting P]
//               [--vulkan-device-kind K] [--precision f32|bf16|f16]
//               -o M.trmc
//
// Lowers a trm module and writes an ahead-of-time artifact
// (trm/Compiler/ArtifactCompiler.h): for the CPU, machine code as a shared
// library with its signature, weight table, target and compiler, which the
// runtime library libtrmrt (include/trm/runtime.h) runs without MLIR or
// LLVM; for Vulkan, the SPIR-V kernels and the host program. trm-run runs
// both; `trm-run --compile-only` is this same compilation.
//
//===----------------------------------------------------------------------===//
#include "trm/Compiler/ArtifactCompiler.h"
#include "trm/Dialect/TRM/IR/TRMDialect.h"
#include "trm/Dialect/TRM/IR/TRMOps.h"
#include "trm/Dialect/TRM/Transforms/Passes.h"
#include "trm/Import/AtomicFile.h"
#include "trm/Pipelines/Pipelines.h"
#include "trm/Runtime/ArtifactFile.h"
#include "trm/Support/Help.h"
#include "trm/Support/OutOfMemory.h"
#include "trm/Support/Version.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("trm-compile");
static cl::opt<std::string> inputPath(cl::Positional, cl::cat(category),
                                      cl::desc("<trm module (.mlir)>"));
static cl::opt<std::string> outputPath("o", cl::cat(category),
                                       cl::desc("artifact to write"),
                                       cl::value_desc("file"));
static cl::opt<std::string> device("device", cl::cat(category),
                                   cl::desc("cpu (default) | vulkan"),
                                   cl::init("cpu"));
static cl::opt<std::string> vulkanDeviceKind(
    "vulkan-device-kind", cl::cat(category),
    cl::desc("shape the Vulkan kernels for a 'gpu' or for a 'cpu' driver "
             "such as lavapipe; 'auto' (default): the kind of this "
             "machine's --vulkan-device, gpu when it has none"),
    cl::init("auto"));
static cl::opt<int> vulkanDevice(
    "vulkan-device", cl::cat(category),
    cl::desc("the local Vulkan device whose kind 'auto' takes (default 0)"),
    cl::init(0));
static cl::opt<bool> vulkanF16(
    "vulkan-f16", cl::cat(category), cl::desc("the same as --precision f16"));
static cl::opt<std::string> precision(
    "precision", cl::cat(category),
    cl::desc("f32 (default) | bf16: the weights' matmuls multiply in bf16 "
             "and sum in f32 (--device cpu; AVX512-BF16 where the target "
             "has it) | f16: Vulkan kernels multiply and compute "
             "element-wise in f16, sums in f32 (--device vulkan; the device "
             "needs shaderFloat16)"));
static cl::opt<std::string> targetTriple(
    "target-triple", cl::cat(category),
    cl::desc("target triple (default: this machine's; aarch64-linux-gnu "
             "for 64-bit Arm Linux)"));
static cl::opt<std::string> targetCpu(
    "target-cpu", cl::cat(category),
    cl::desc("CPU, as llc -mcpu names it (default: this one for this "
             "machine's triple, generic for another)"));
static cl::opt<std::string> targetFeatures(
    "target-features", cl::cat(category),
    cl::desc("features to add or remove, as llc -mattr takes them"));
static cl::opt<std::string> halting(
    "halting", cl::cat(category),
    cl::desc("fixed | q_halt (q); default: the module's own policy"));
static cl::opt<int64_t> threads(
    "trm-threads", cl::cat(category),
    cl::desc("0 (default): loops on the OpenMP runtime, split for this "
             "machine's cores; 1: sequential code that needs no OpenMP "
             "runtime; N: split N ways"),
    cl::init(0));
static cl::opt<std::string> entry("entry", cl::cat(category),
                                  cl::desc("entry function (default trm_main)"),
                                  cl::init("trm_main"));

static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "trm-compile") << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  trm::installOutOfMemoryHandlers("trm-compile");
  trm::claimThreadsOption(threads);
  // --mlir-print-ir-*, --mlir-timing: the pipeline can be watched as
  // trm-run's can. The passes first: --mlir-print-ir-after=<pass> names one.
  trm::registerTRMPasses();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  trm::showOnlyInHelp({&category});
  cl::SetVersionPrinter(trm::printVersion);
  cl::ParseCommandLineOptions(
      argc, argv,
      "trm-compile: compile a trm module ahead of time into an artifact "
      "that\nlibtrmrt (include/trm/runtime.h) and trm-run run\n");

  // The command line.
  if (inputPath.empty() || outputPath.empty())
    return fail("usage: trm-compile MODEL.mlir -o MODEL.trmc");
  if (device != "cpu" && device != "vulkan")
    return fail("--device: unknown device '" + device + "' (cpu or vulkan)");
  const bool onVulkan = device == "vulkan";
  for (const cl::Option *flag : std::initializer_list<const cl::Option *>{
           &targetTriple, &targetCpu, &targetFeatures, &threads})
    if (flag->getNumOccurrences() && onVulkan)
      return fail("--" + flag->ArgStr + " is for --device cpu");
  for (const cl::Option *flag : std::initializer_list<const cl::Option *>{
           &vulkanDeviceKind, &vulkanDevice})
    if (flag->getNumOccurrences() && !onVulkan)
      return fail("--" + flag->ArgStr + " needs --device vulkan");
  auto requestedPrecision = trm::parsePrecision(precision, vulkanF16);
  if (!requestedPrecision)
    return fail(llvm::toString(requestedPrecision.takeError()));
  const trm::Precision arithmetic =
      requestedPrecision->value_or(trm::Precision::F32);
  if (llvm::Error err = trm::checkPrecisionDevice(arithmetic, onVulkan))
    return fail(llvm::toString(std::move(err)));
  std::optional<trm::VulkanDeviceKind> requestedKind;
  if (vulkanDeviceKind != "auto") {
    requestedKind = trm::parseVulkanDeviceKind(vulkanDeviceKind);
    if (!requestedKind)
      return fail("--vulkan-device-kind must be auto, gpu or cpu, not '" +
                  vulkanDeviceKind + "'");
  }
  if (threads < 0)
    return fail("--threads must be 0 or more");
  std::string policy;
  if (!halting.empty()) {
    auto parsed = trm::parseHaltingPolicyName(halting);
    if (!parsed)
      return fail("--halting: unknown policy '" + halting + "' (" +
                  trm::kHaltingPolicyNames + ")");
    policy = trm::stringifyHaltingPolicy(*parsed).str();
  }

  // The module.
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<trm::TRMDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  auto file = llvm::MemoryBuffer::getFile(inputPath);
  if (!file)
    return fail(inputPath + ": " + file.getError().message());
  auto kind = trm::checkModelFile((*file)->getBuffer(), inputPath);
  if (!kind)
    return fail(llvm::toString(kind.takeError()));
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return fail(inputPath + ": cannot parse the module");
  if ((*module)->hasAttr(trm::ModelSignature::kArtifactAttrName))
    return fail(inputPath + ": already a compiled artifact");
  auto sig = trm::ModelSignature::fromModule(*module, entry);
  if (!sig)
    return fail(inputPath + ": " + llvm::toString(sig.takeError()));

  // Lowering and packaging, for the device.
  trm::ArtifactOptions options;
  options.device = device;
  options.policy = policy;
  options.cpu.threads = threads;
  options.cpu.openmp = threads != 1;
  options.cpuTarget = {targetTriple, targetCpu, targetFeatures};
  options.vulkan.f16 = arithmetic == trm::Precision::F16;
  if (!onVulkan) {
    std::string note;
    if (llvm::Error err = trm::setCpuPrecision(options.cpu, arithmetic,
                                               options.cpuTarget, note))
      return fail(llvm::toString(std::move(err)));
    if (!note.empty())
      llvm::errs() << "trm-compile: note: " << note << "\n";
  } else {
    std::string note;
    options.vulkan.deviceKind =
        requestedKind ? *requestedKind
                      : trm::localVulkanDeviceKind(vulkanDevice, note);
    if (!note.empty())
      llvm::errs() << "trm-compile: " << note << "\n";
  }
  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return fail("bad pass-manager options");
  applyDefaultTimingPassManagerCLOptions(pm);
  auto artifact = trm::compileArtifact(*module, *sig, options, pm);
  if (!artifact)
    return fail(inputPath + ": " + llvm::toString(artifact.takeError()));
  auto out = trm::AtomicFile::create(outputPath);
  if (!out)
    return fail(llvm::toString(out.takeError()));
  out->os() << *artifact;
  if (llvm::Error err = out->commit())
    return fail(llvm::toString(std::move(err)));
  return 0;
}
