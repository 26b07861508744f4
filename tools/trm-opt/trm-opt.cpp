//===- trm-opt.cpp - mlir-opt for the trm dialect -------------------------===//
//
// Registers the trm dialect, its passes and pipelines, and the upstream
// dialects and passes the pipelines use, on top of MlirOptMain (so every
// --mlir-* flag works). --help lists trm's passes and the mlir-opt options
// used to debug them; --help-hidden lists everything.
//
//===----------------------------------------------------------------------===//
#include "trm/Dialect/TRM/IR/TRMDialect.h"
#include "trm/Pipelines/Pipelines.h"
#include "trm/Support/PassCounter.h"
#include "trm/Support/Help.h"
#include "trm/Support/Version.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"

namespace cl = llvm::cl;

static cl::OptionCategory ioCategory("Input and output");
static cl::OptionCategory debugCategory("Running and debugging passes");

/// The mlir-opt options --help shows, by category.
static void categorizeOptions() {
  static const char *const io[] = {
      "o", "split-input-file", "verify-diagnostics",
      "allow-unregistered-dialect", "emit-bytecode", "mlir-print-op-generic",
      "mlir-print-debuginfo", "show-dialects"};
  static const char *const debug[] = {
      "pass-pipeline", "list-passes", "dump-pass-pipeline",
      "mlir-print-ir-after-all", "mlir-print-ir-before", "mlir-print-ir-after",
      "mlir-print-ir-after-change", "mlir-timing", "verify-each",
      "mlir-disable-threading", "trm-pass-counters"};
  auto &options = cl::getRegisteredOptions();
  for (auto [names, category] :
       {std::pair{llvm::ArrayRef(io), &ioCategory},
        std::pair{llvm::ArrayRef(debug), &debugCategory}})
    for (const char *name : names)
      if (auto it = options.find(name); it != options.end())
        it->second->addCategory(*category);
  mlir::trm::showOnlyInHelp({&ioCategory, &debugCategory});
}

/// The overview: usage and every trm pass and pipeline with its summary
/// (the upstream passes are behind --help-hidden and --list-passes).
static std::string overview() {
  std::vector<std::pair<std::string, std::string>> passes;
  for (const auto &[name, option] : cl::getRegisteredOptions()) {
    if (!name.contains("trm"))
      continue;
    if (const mlir::PassInfo *pass = mlir::PassInfo::lookup(name))
      passes.push_back({name.str(), pass->getPassDescription().str()});
    else if (const mlir::PassPipelineInfo *pipeline =
                 mlir::PassPipelineInfo::lookup(name))
      passes.push_back({name.str(), pipeline->getPassDescription().str()});
  }
  llvm::sort(passes);
  std::string text =
      "trm-opt: mlir-opt for the trm dialect\n\n"
      "  trm-opt model.mlir --convert-trm-to-linalg\n"
      "  trm-opt model.mlir --pass-pipeline='builtin.module(trm-to-llvm-"
      "pipeline)'\n"
      "  trm-opt invalid.mlir --split-input-file --verify-diagnostics\n\n"
      "trm passes and pipelines (--help-hidden or --list-passes: every "
      "pass):\n";
  for (const auto &[name, description] : passes) {
    llvm::StringRef summary = llvm::StringRef(description).split('\n').first;
    text += llvm::formatv("  --{0,-36} {1}\n", name,
                          summary.size() > 40 ? summary.take_front(37).str() + "..."
                                              : summary.str());
  }
  return text;
}

int main(int argc, char **argv) {
  mlir::trm::registerTRMPasses();
  mlir::trm::registerTRMPipelines();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  registry.insert<mlir::trm::TRMDialect>();

  (void)mlir::registerCLIOptions("trm-opt", registry);
  categorizeOptions();
  cl::SetVersionPrinter(mlir::trm::printVersion);
  auto [input, output] = mlir::parseCLIOptions(argc, argv, overview());
  mlir::LogicalResult result =
      mlir::MlirOptMain(argc, argv, input, output, registry);
  if (mlir::trm::passCountersRequested())
    mlir::trm::printPassCounters(llvm::errs());
  return mlir::asMainReturnCode(result);
}
