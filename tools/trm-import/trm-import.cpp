//===- trm-import.cpp - TRM configuration/checkpoint to trm module --------===//
//
//   trm-import --config all_config.yaml [--dataset-json dataset.json]
//              [--checkpoint step_N | model.safetensors]
//              [--weights-out weights.safetensors] [--batch N]
//              [--halting fixed|q_halt|q] [--seq-len S] -o model.mlir
//
// Builds the trm module a configuration describes. With a checkpoint it also
// validates the checkpoint against the configuration (keys, shapes, dtypes),
// fills data-set sizes the configuration leaves open from tensor shapes, and
// writes the canonical f32 weights as safetensors. Every error is one message
// naming the file and the key or field, exit code 1, and no output file:
// outputs are written to temporary files only after everything validated
// and renamed into place at the end.
//
//===----------------------------------------------------------------------===//
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "trm/Builder/ModelBuilder.h"
#include "trm/Config/TRMConfig.h"
#include "trm/Import/AtomicFile.h"
#include "trm/Support/OutOfMemory.h"
#include "trm/Support/Help.h"
#include "trm/Support/Version.h"
#include "trm/Import/Safetensors.h"
#include "trm/Import/TrainerRun.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory inputsCategory("Configuration and checkpoint");
static cl::OptionCategory outputsCategory("Module and weights");

static cl::opt<std::string> configPath(
    "config", cl::cat(inputsCategory), cl::desc("all_config.yaml of the reference trainer, or JSON "
                       "with the same field names"),
    cl::value_desc("file"), cl::Required);
static cl::opt<std::string> datasetJsonPath(
    "dataset-json", cl::cat(inputsCategory),
    cl::desc("dataset.json of the reference data set (vocab_size, seq_len, "
             "num_puzzle_identifiers); default: the one beside --config, "
             "else, for sizes the checkpoint leaves open, the one under the "
             "configuration's data_paths"),
    cl::value_desc("file"));
static cl::opt<std::string> checkpointPath(
    "checkpoint", cl::cat(inputsCategory),
    cl::desc("torch.save state_dict archive (step_N) or .safetensors file to "
             "validate against the configuration"),
    cl::value_desc("file"));
static cl::opt<std::string> weightsOutPath(
    "weights-out", cl::cat(outputsCategory),
    cl::desc("Write the checkpoint's weights as f32 safetensors with canonical "
             "keys (needs --checkpoint). Without it the module names the "
             "checkpoint itself as its weights (trm.weights_file), and no "
             "copy is made"),
    cl::value_desc("file"));
static cl::opt<std::string> outputPath("o", cl::cat(outputsCategory), cl::desc("Output trm module"),
                                       cl::value_desc("file"), cl::init("-"));
static cl::opt<int64_t>
    batch("batch", cl::cat(outputsCategory),
          cl::desc("Largest batch the model runs at once (default 8); any "
                   "number of samples runs, in batches of at most this many, "
                   "with work proportional to the samples"),
          cl::init(trm::ModelBuildOptions::kDefaultMaxBatch));
static cl::opt<std::string>
    halting("halting", cl::cat(outputsCategory), cl::desc("Halting policy: fixed | q_halt (or q)"),
            cl::init("fixed"));
static cl::opt<int64_t> seqLen("seq-len", cl::cat(inputsCategory), cl::desc("Override seq_len"),
                               cl::init(0));
static cl::opt<int64_t> vocabSize("vocab-size", cl::cat(inputsCategory), cl::desc("Override vocab_size"),
                                  cl::init(0));
static cl::opt<int64_t>
    numPuzzleIds("num-puzzle-identifiers", cl::cat(inputsCategory),
                 cl::desc("Override num_puzzle_identifiers"), cl::init(0));

static int fail(llvm::Error err) {
  llvm::WithColor::error(llvm::errs(), "trm-import")
      << llvm::toString(std::move(err)) << "\n";
  return 1;
}

static llvm::Error usageError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg.str());
}

static bool sameFile(llvm::StringRef a, llvm::StringRef b) {
  if (a == b)
    return true;
  bool result = false;
  return !llvm::sys::fs::equivalent(a, b, result) && result;
}

/// The command line, checked before anything is read.
static llvm::Expected<trm::HaltingPolicy> checkArguments() {
  std::optional<trm::HaltingPolicy> policy =
      trm::parseHaltingPolicyName(halting);
  if (!policy)
    return usageError("--halting: unknown policy '" + halting + "' (" +
                      trm::kHaltingPolicyNames + ")");
  if (batch < 1)
    return usageError("--batch must be positive");
  if (seqLen < 0 || vocabSize < 0 || numPuzzleIds < 0)
    return usageError(
        "--seq-len, --vocab-size and --num-puzzle-identifiers must be positive");
  if (!weightsOutPath.empty() && checkpointPath.empty())
    return usageError("--weights-out needs --checkpoint");
  if (!weightsOutPath.empty() &&
      (weightsOutPath == "-" || sameFile(weightsOutPath, outputPath)))
    return usageError("--weights-out must name a file other than the "
                      "module output");
  return *policy;
}

/// The weights and the module appear together, or neither does.
static llvm::Error writeOutputs(ModuleOp module,
                                const std::vector<trm::Tensor> &weights) {
  trm::OutputSet outputs;
  if (!weightsOutPath.empty()) {
    auto os = outputs.add(weightsOutPath);
    if (!os)
      return os.takeError();
    if (llvm::Error err = trm::writeSafetensors(
            *os, weights, {{"format", "pt"}, {"producer", "trm-import"}}))
      return err;
  }
  if (outputPath != "-") {
    auto os = outputs.add(outputPath);
    if (!os)
      return os.takeError();
    module.print(*os);
  }
  if (llvm::Error err = outputs.commit())
    return err;
  if (outputPath == "-") {
    module.print(llvm::outs());
    llvm::outs().flush();
  }
  return llvm::Error::success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  trm::installOutOfMemoryHandlers("trm-import");
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  trm::showOnlyInHelp({&inputsCategory, &outputsCategory});
  cl::SetVersionPrinter(trm::printVersion);
  cl::ParseCommandLineOptions(
      argc, argv,
      "trm-import: a TRM configuration (and checkpoint) to a trm module\n\n"
      "  trm-import --config all_config.yaml --dataset-json dataset.json \\\n"
      "             --checkpoint step_N --weights-out w.safetensors -o m.mlir\n\n"
      "--help-hidden also lists LLVM's and MLIR's options.\n");

  auto policy = checkArguments();
  if (!policy)
    return fail(policy.takeError());
  trm::ImportRequest request;
  request.configPath = configPath;
  request.datasetJsonPath = datasetJsonPath;
  request.checkpointPath = checkpointPath;
  request.seqLen = seqLen;
  request.vocabSize = vocabSize;
  request.numPuzzleIdentifiers = numPuzzleIds;
  auto imported = trm::importTrainerModel(request);
  if (!imported)
    return fail(imported.takeError());
  for (const std::string &warning : imported->config.warnings)
    llvm::errs() << "trm-import: warning: " << warning << "\n";
  if (datasetJsonPath.empty() && !imported->datasetJsonUsed.empty())
    llvm::errs() << "trm-import: data-set sizes from "
                 << imported->datasetJsonUsed << "\n";

  MLIRContext context;
  trm::ModelBuildOptions options;
  options.batch = batch;
  options.policy = *policy;
  OwningOpRef<ModuleOp> module =
      trm::buildModel(context, imported->config, options);
  if (failed(verify(*module)))
    return fail(usageError("internal error: the built module does not verify"));
  // The module references the checked weights instead of holding them: a
  // checkpoint needs no second copy to run.
  if (!checkpointPath.empty()) {
    llvm::SmallString<256> weightsFile(
        weightsOutPath.empty() ? checkpointPath : weightsOutPath);
    llvm::sys::fs::make_absolute(weightsFile);
    (*module)->setAttr(trm::kWeightsFileAttrName,
                       StringAttr::get(&context, weightsFile));
  }
  if (llvm::Error err = writeOutputs(*module, imported->weights))
    return fail(std::move(err));
  return 0;
}
