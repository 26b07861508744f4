//===- trm-compile.cpp - compile a trm model ahead of time ----------------===//
//
//   trm-compile MODEL.mlir [--target-triple T] [--target-cpu C]
//               [--target-features F] [--threads N] [--halting P] -o M.trmc
//
// Lowers a trm module for the CPU and writes an ahead-of-time artifact: the
// machine code as a shared library with its signature, weight table, target
// and compiler (trm/Runtime/ArtifactContainer.h). The runtime library,
// libtrmrt (include/trm/runtime.h), runs it without MLIR or LLVM.
//
//===----------------------------------------------------------------------===//
#include "trm/Compiler/CpuArtifact.h"
#include "trm/Dialect/TRM/IR/TRMDialect.h"
#include "trm/Dialect/TRM/IR/TRMOps.h"
#include "trm/Dialect/TRM/Transforms/Passes.h"
#include "trm/Import/AtomicFile.h"
#include "trm/Runtime/ArtifactFile.h"
#include "trm/Runtime/CpuExecutable.h"
#include "trm/Support/Help.h"
#include "trm/Support/OutOfMemory.h"
#include "trm/Support/Version.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
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
                                   cl::desc("cpu (default; Vulkan artifacts: "
                                            "trm-run --compile-only)"),
                                   cl::init("cpu"));
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
  trm::showOnlyInHelp({&category});
  cl::SetVersionPrinter(trm::printVersion);
  cl::ParseCommandLineOptions(
      argc, argv,
      "trm-compile: compile a trm module ahead of time into an artifact "
      "that\nlibtrmrt (include/trm/runtime.h) and trm-run run\n");

  // The command line.
  if (inputPath.empty() || outputPath.empty())
    return fail("usage: trm-compile MODEL.mlir -o MODEL.trmc");
  if (device != "cpu")
    return fail("--device " + device +
                ": trm-compile makes cpu artifacts; for Vulkan, trm-run "
                "--device vulkan --compile-only");
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
  if (policy.empty())
    (*module)->walk([&](trm::ActOp act) {
      policy = trm::stringifyHaltingPolicy(act.getPolicy()).str();
    });
  if (policy.empty())
    policy = "fixed";

  // Lowering: the halting policy, then the CPU pipeline.
  PassManager pm(&context);
  PassManager policyPm(&context);
  trm::TRMSetHaltingPolicyOptions policyOptions;
  policyOptions.policy = policy;
  policyPm.addPass(trm::createTRMSetHaltingPolicy(policyOptions));
  if (failed(policyPm.run(*module)))
    return fail("cannot set the halting policy");
  trm::CPUCodegenOptions codegen;
  codegen.threads = threads;
  codegen.openmp = threads != 1;
  if (llvm::Error err = trm::CpuExecutable::lower(*module, pm, codegen))
    return fail(llvm::toString(std::move(err)));
  if (llvm::Error err = sig->readWeightTable(*module))
    return fail(inputPath + ": " + llvm::toString(std::move(err)));

  // Machine code, linked and wrapped.
  trm::CpuTarget target{targetTriple, targetCpu, targetFeatures};
  auto artifact = trm::buildCpuArtifact(*module, *sig, policy, target);
  if (!artifact)
    return fail(llvm::toString(artifact.takeError()));
  auto out = trm::AtomicFile::create(outputPath);
  if (!out)
    return fail(llvm::toString(out.takeError()));
  out->os() << *artifact;
  if (llvm::Error err = out->commit())
    return fail(llvm::toString(std::move(err)));
  return 0;
}
