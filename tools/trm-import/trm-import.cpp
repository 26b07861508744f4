//===- trm-import.cpp - TRM configuration/checkpoint to trm module --------===//
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Support/FileUtilities.h"
#include "trm/Builder/ModelBuilder.h"
#include "trm/Config/TRMConfig.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> configPath(
    "config", cl::desc("all_config.yaml of the reference trainer, or JSON "
                       "with the same field names"),
    cl::value_desc("file"), cl::Required);
static cl::opt<std::string> outputPath("o", cl::desc("Output trm module"),
                                       cl::value_desc("file"), cl::init("-"));
static cl::opt<int64_t> batch("batch", cl::desc("Static batch size"),
                              cl::init(1));
static cl::opt<std::string>
    halting("halting", cl::desc("Halting policy: fixed | q_halt"),
            cl::init("fixed"));
static cl::opt<int64_t> seqLen("seq-len", cl::desc("Override seq_len"),
                               cl::init(0));
static cl::opt<int64_t> vocabSize("vocab-size", cl::desc("Override vocab_size"),
                                  cl::init(0));
static cl::opt<int64_t>
    numPuzzleIds("num-puzzle-identifiers",
                 cl::desc("Override num_puzzle_identifiers"), cl::init(0));

static int fail(llvm::Error err) {
  llvm::WithColor::error(llvm::errs(), "trm-import")
      << llvm::toString(std::move(err)) << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "TRM importer\n");

  llvm::Expected<trm::TRMConfig> config = trm::parseConfigFile(configPath);
  if (!config)
    return fail(config.takeError());
  if (seqLen > 0)
    config->seqLen = seqLen;
  if (vocabSize > 0)
    config->vocabSize = vocabSize;
  if (numPuzzleIds > 0)
    config->numPuzzleIdentifiers = numPuzzleIds;
  if (llvm::Error err = trm::validateConfig(*config, configPath))
    return fail(std::move(err));
  std::optional<trm::HaltingPolicy> policy =
      trm::symbolizeHaltingPolicy(halting);
  if (!policy)
    return fail(llvm::createStringError("--halting: unknown policy '" +
                                        halting + "' (fixed or q_halt)"));
  if (batch < 1)
    return fail(llvm::createStringError("--batch must be positive"));

  MLIRContext context;
  trm::ModelBuildOptions options;
  options.batch = batch;
  options.policy = *policy;
  OwningOpRef<ModuleOp> module = trm::buildModel(context, *config, options);
  if (failed(verify(*module)))
    return 1;

  std::string errorMessage;
  auto output = openOutputFile(outputPath, &errorMessage);
  if (!output)
    return fail(llvm::createStringError(errorMessage));
  module->print(output->os());
  output->keep();
  return 0;
}
