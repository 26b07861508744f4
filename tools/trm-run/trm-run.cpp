//===- trm-run.cpp - compile and run a trm model --------------------------===//
//
//   trm-run MODEL.mlir --device cpu --weights W.safetensors
//           --input tokens.npy [--puzzle-ids ids.npy] [--halting fixed|q_halt]
//           [--output-dir DIR] [--trace FILE]
//
// Compiles the trm module with the trm-to-llvm pipeline (the pass-manager
// flags --mlir-timing, --mlir-print-ir-* apply), binds the weights, runs the
// inputs in batches of the module's static batch size and writes .npy
// results.
//
//===----------------------------------------------------------------------===//
#include "trm/Dialect/TRM/IR/TRMDialect.h"
#include "trm/Dialect/TRM/IR/TRMOps.h"
#include "trm/Dialect/TRM/Transforms/Passes.h"
#include "Progress.h"
#include "RunOutputs.h"
#include "trm/Import/AtomicFile.h"
#include "trm/Support/OutOfMemory.h"
#include "trm/Support/Version.h"
#include "trm/Runtime/ArrayIO.h"
#include "trm/Runtime/ArtifactFile.h"
#include "trm/Runtime/CpuExecutable.h"
#include "trm/Runtime/VulkanDevices.h"
#include "trm/Runtime/VulkanExecutable.h"
#include "llvm/TargetParser/Host.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory inputsCategory("Model and inputs");
static cl::OptionCategory executionCategory("Execution");
static cl::OptionCategory outputsCategory("Outputs");
static cl::OptionCategory vulkanCategory("Vulkan");

static cl::opt<std::string> modelPath(cl::Positional, cl::cat(inputsCategory),
                                      cl::desc("<trm module .mlir>"));
static cl::opt<std::string> device("device", cl::cat(executionCategory), cl::desc("cpu | vulkan (default cpu)"),
                                   cl::init("cpu"));
static cl::opt<int> vulkanDevice(
    "vulkan-device", cl::cat(vulkanCategory),
    cl::desc("index of the Vulkan device (--list-devices; default 0)"),
    cl::init(0));
static cl::opt<bool> vulkanValidation(
    "vulkan-validation", cl::cat(vulkanCategory),
    cl::desc("enable VK_LAYER_KHRONOS_validation and fail on any message "
             "(also TRM_VULKAN_VALIDATION=1)"));
static cl::opt<bool> vulkanF16(
    "vulkan-f16", cl::cat(vulkanCategory),
    cl::desc("Vulkan kernels compute in f16 (products and element-wise math; "
             "sums accumulate in f32); needs a device with shaderFloat16"));
static cl::opt<std::string> vulkanDeviceKind(
    "vulkan-device-kind", cl::cat(vulkanCategory),
    cl::desc("shape the matmul kernels for a 'gpu' or for a 'cpu' Vulkan "
             "driver such as lavapipe; 'auto' (default) takes the device's "
             "type, and means gpu with --compile-only"),
    cl::init("auto"));
static cl::opt<bool> vulkanProfile(
    "vulkan-profile", cl::cat(vulkanCategory),
    cl::desc("time every kernel dispatch alone and print the slowest "
             "kernels (serialises the device: for finding hot spots only)"));
static cl::opt<bool> listDevices(
    "list-devices", cl::cat(executionCategory), cl::desc("list the Vulkan devices (and the CPU) and exit"));
static cl::opt<std::string> weightsPath(
    "weights", cl::cat(inputsCategory), cl::desc("weights: safetensors or a torch.save checkpoint"));
static cl::opt<std::string> inputPath("input", cl::cat(inputsCategory),
                                      cl::desc("tokens .npy, int [N, S]"));
static cl::opt<std::string>
    puzzleIdsPath("puzzle-ids", cl::cat(inputsCategory), cl::desc("puzzle identifiers .npy, int [N]"));
static cl::opt<std::string> halting(
    "halting", cl::cat(executionCategory),
    cl::desc("fixed (all steps) | q_halt, or q (a sample stops after the "
             "first step with q_halt > 0); default: the module's own policy"));
static cl::opt<std::string> outputDir("output-dir", cl::cat(outputsCategory),
                                      cl::desc("directory for result .npy"));
static cl::opt<std::string> tracePath("trace", cl::cat(outputsCategory),
                                      cl::desc("write the per-step trace"));
static cl::opt<std::string> traceSvgPrefix(
    "trace-svg", cl::cat(outputsCategory),
    cl::desc("render each sample's reasoning trace (square grids) as "
             "PREFIX<i>.svg, for the first --trace-svg-samples samples"));
static cl::opt<int64_t> traceSvgSamples("trace-svg-samples", cl::cat(outputsCategory),
                                        cl::desc("samples to render (default 5)"),
                                        cl::init(5));
static cl::opt<bool> compileOnly(
    "compile-only", cl::cat(executionCategory),
    cl::desc("lower the model for the device and write a compiled artifact "
             "to -o; later runs load it without recompiling"));
static cl::opt<std::string> artifactOut("o", cl::cat(executionCategory), cl::desc("artifact output file"),
                                        cl::value_desc("file"));
static cl::opt<std::string> entry("entry", cl::cat(inputsCategory), cl::desc("entry function (default trm_main)"),
                                  cl::init("trm_main"));
static cl::list<std::string> sudokus(
    "sudoku", cl::cat(inputsCategory),
    cl::desc("a Sudoku as a row-major string of 16, 36 or 81 cells, digits "
             "1-9 and '.' or '0' for blanks (instead of --input); repeatable"));
static cl::opt<std::string> inputFormat(
    "input-format", cl::cat(inputsCategory),
    cl::desc("tokens (default: the model's token ids) | digits (a puzzle "
             "as people write it: 0 blank, 1-9 digits, read as the "
             "reference's tokens 1 and 2-10); applies to --labels too"),
    cl::init("tokens"));
static cl::opt<std::string> outputFormat(
    "output-format", cl::cat(outputsCategory),
    cl::desc("tokens (default) | digits: predictions.npy and "
             "step_predictions.npy as digits (token - 1; -1 still marks a "
             "step after the sample halted)"),
    cl::init("tokens"));
static cl::opt<std::string> labelsPath(
    "labels", cl::cat(inputsCategory), cl::desc("expected answers .npy [N, S]: report exact solves"));
static cl::opt<int64_t> firstSamples(
    "first", cl::cat(inputsCategory), cl::desc("run only the first N samples of the input (and of "
                      "--puzzle-ids and --labels)"),
    cl::init(0));
static cl::opt<double> progressInterval(
    "progress-interval", cl::cat(outputsCategory),
    cl::desc("seconds between progress lines on stderr when it is no "
             "terminal (default 10; 0: none; a terminal gets one line, "
             "updated every second)"),
    cl::init(10));
static cl::opt<bool> printGrids("print-grids", cl::cat(outputsCategory),
                                cl::desc("print puzzles and answers as grids "
                                         "(square seq_len)"));

namespace {
using Clock = std::chrono::steady_clock;

/// The reference's Sudoku encoding: 0 pad, 1 blank, 2..10 digits 1..9.
llvm::Expected<trm::IntArray> parseSudokus(llvm::ArrayRef<std::string> texts) {
  trm::IntArray array;
  for (const std::string &text : texts) {
    size_t side = static_cast<size_t>(std::lround(std::sqrt(double(text.size()))));
    if (side * side != text.size() || (side != 4 && side != 6 && side != 9))
      return llvm::createStringError(
          "--sudoku: '" + text + "' has " + std::to_string(text.size()) +
          " cells; a 4x4, 6x6 or 9x9 grid has 16, 36 or 81");
    if (!array.shape.empty() && array.shape[1] != int64_t(text.size()))
      return llvm::createStringError("--sudoku: grids of different sizes");
    for (char c : text) {
      if (c == '.' || c == '0')
        array.values.push_back(1);
      else if (c >= '1' && c <= char('0' + side))
        array.values.push_back(c - '0' + 1);
      else
        return llvm::createStringError(
            std::string("--sudoku: invalid cell '") + c + "' in '" + text +
            "': a " + std::to_string(side) + "x" + std::to_string(side) +
            " grid has digits 1-" + std::to_string(side) +
            " and '.' or '0' for blanks");
    }
    array.shape = {int64_t(array.shape.empty() ? 1 : array.shape[0] + 1),
                   int64_t(text.size())};
  }
  return array;
}

/// Prints a square grid of tokens with the Sudoku encoding (digit = token-1).
void printGrid(llvm::raw_ostream &os, llvm::ArrayRef<int64_t> cells,
               llvm::StringRef indent) {
  size_t side = static_cast<size_t>(std::lround(std::sqrt(double(cells.size()))));
  for (size_t r = 0; r < side; ++r) {
    os << indent;
    for (size_t c = 0; c < side; ++c) {
      int64_t t = cells[r * side + c];
      os << (t >= 2 ? char('0' + t - 1) : '.') << (c + 1 < side ? " " : "");
    }
    os << "\n";
  }
}
/// TRM_VULKAN_INJECT: faults for testing the runtime's error paths, as a
/// comma-separated list of `oom-after=N` (every Vulkan memory allocation
/// after the first N fails), `device-lost-at-fence=N` (the N-th host
/// synchronisation reports a lost device) and `no-shader-float16` (the
/// device reports no f16 arithmetic).
llvm::Error parseInjectedFaults(llvm::StringRef spec,
                                trm::VulkanRuntimeOptions &options) {
  llvm::SmallVector<llvm::StringRef> items;
  spec.split(items, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef item : items) {
    auto [key, value] = item.split('=');
    int64_t n = 0;
    bool bad = value.getAsInteger(10, n) || n < 0;
    if (item == "no-shader-float16")
      options.hideFloat16 = true;
    else if (!bad && key == "oom-after")
      options.failAllocationsAfter = n;
    else if (!bad && key == "device-lost-at-fence" && n > 0)
      options.loseDeviceAtFence = n;
    else
      return llvm::createStringError(
          "TRM_VULKAN_INJECT: '" + item.str() +
          "' is not oom-after=N (N >= 0), device-lost-at-fence=N (N >= 1) "
          "or no-shader-float16");
  }
  return llvm::Error::success();
}

/// Keeps the first `rows` rows of `a` (--first).
void keepFirstRows(trm::IntArray &a, int64_t rows) {
  a.values.resize(a.values.size() / a.shape[0] * rows);
  a.shape[0] = rows;
}

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int fail(llvm::Error err) {
  llvm::WithColor::error(llvm::errs(), "trm-run")
      << llvm::toString(std::move(err)) << "\n";
  return 1;
}
llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Packs the weight file by the compiled module's table, checking keys and
/// shapes in both directions.
llvm::Expected<std::vector<float>> packWeights(const trm::WeightFile &file,
                                               const trm::ModelSignature &sig,
                                               llvm::StringRef path) {
  std::vector<float> packed((sig.packedSize + 15) / 16 * 16, 0.0f);
  llvm::StringSet<> used;
  for (const trm::PackedWeight &w : sig.weightTable) {
    auto it = file.tensors.find(w.key);
    if (it == file.tensors.end())
      return error(path + ": missing tensor '" + w.key +
                   "' that the model needs");
    if (it->second.shape != w.shape) {
      std::string got, want;
      for (int64_t d : it->second.shape)
        got += std::to_string(d) + ",";
      for (int64_t d : w.shape)
        want += std::to_string(d) + ",";
      return error(path + ": tensor '" + w.key + "' has shape [" +
                   llvm::StringRef(got).drop_back() + "], the model needs [" +
                   llvm::StringRef(want).drop_back() + "]");
    }
    std::copy(it->second.data.begin(), it->second.data.end(),
              packed.begin() + w.offset);
    used.insert(w.key);
  }
  for (const auto &entry : file.tensors)
    if (!used.contains(entry.getKey()))
      return error(path + ": unexpected tensor '" + entry.getKey() +
                   "' that the model does not use");
  return packed;
}

/// The reference's encoding of a puzzle written as digits: 0 (blank) is
/// token 1, digit d is token d + 1.
llvm::Error digitsToTokens(trm::IntArray &a, llvm::StringRef path) {
  for (size_t i = 0; i < a.values.size(); ++i) {
    if (a.values[i] < 0 || a.values[i] > 9)
      return error(llvm::formatv("{0}: digit {1} at flat index {2} is not "
                                 "0 (blank) or 1-9",
                                 path, a.values[i], i));
    a.values[i] += 1;
  }
  return llvm::Error::success();
}

/// Token 0 is padding: normal in padded grids (ARC's), but in a Sudoku
/// written as digits it is a blank read as padding, and runs to garbage.
void warnOnPadTokens(const trm::IntArray &a, llvm::StringRef path) {
  int64_t pads = llvm::count(a.values, 0);
  if (pads)
    llvm::errs() << llvm::formatv(
        "trm-run: warning: {0}: {1} of {2} cells are the pad token 0 (as in "
        "padded grids; a puzzle with 0 for blanks needs --input-format "
        "digits)\n",
        path, pads, a.values.size());
}

llvm::Error checkRange(const trm::IntArray &a, int64_t limit,
                       llvm::StringRef path, llvm::StringRef what) {
  for (size_t i = 0; i < a.values.size(); ++i)
    if (a.values[i] < 0 || a.values[i] >= limit)
      return error(llvm::formatv("{0}: {1} {2} at flat index {3} is out of "
                                 "range [0, {4})",
                                 path, what, a.values[i], i, limit));
  return llvm::Error::success();
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  trm::installOutOfMemoryHandlers("trm-run");
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  // Before the pass-manager options, whose parsers list the registered
  // passes: --mlir-print-ir-after=<pass> and its kind can name any pass.
  trm::registerTRMPasses();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  // --help shows trm-run's own options; --help-hidden also LLVM's and the
  // MLIR pass-manager flags, which work all the same.
  cl::HideUnrelatedOptions({&inputsCategory, &executionCategory,
                            &outputsCategory, &vulkanCategory});
  cl::SetVersionPrinter(trm::printVersion);
  cl::ParseCommandLineOptions(
      argc, argv,
      "trm-run: compile and run a Tiny Recursive Model on the CPU or Vulkan\n\n"
      "  trm-run MODEL.mlir --weights W --input tokens.npy [--device vulkan]\n"
      "  trm-run MODEL.mlir --compile-only -o model.trmc   (then run "
      "model.trmc)\n\n"
      "--help-hidden also lists the MLIR pass-manager flags "
      "(--mlir-print-ir-after=<pass>, --mlir-timing) and LLVM's options.\n");

  const char *validationEnv = std::getenv("TRM_VULKAN_VALIDATION");
  const bool validation =
      vulkanValidation ||
      (validationEnv && llvm::StringRef(validationEnv) == "1");
  if (listDevices) {
    llvm::outs() << "cpu: the host (" << llvm::sys::getHostCPUName()
                 << "), --device cpu\n";
    auto devices = trm::listVulkanDevices(validation);
    if (!devices)
      return fail(devices.takeError());
    for (auto [i, d] : llvm::enumerate(*devices))
      llvm::outs() << llvm::formatv(
          "vulkan {0}: {1} ({2}), Vulkan {3}, {4} MiB device-local, "
          "compute queue {5}, max workgroup {6}, shared memory {7} KiB, "
          "float16 {8}\n",
          i, d.name, d.type, trm::formatVulkanVersion(d.apiVersion),
          d.deviceLocalBytes >> 20, d.hasComputeQueue ? "yes" : "no",
          d.maxWorkgroupInvocations, d.maxSharedMemoryBytes >> 10,
          d.shaderFloat16 ? "yes" : "no");
    return 0;
  }
  if (modelPath.empty())
    return fail(error("no model given (trm-run MODEL.mlir ...)"));
  if (device != "cpu" && device != "vulkan")
    return fail(error("--device: unknown device '" + device +
                      "' (cpu or vulkan)"));
  // The policy asked for; without --halting, the module's own (below).
  std::string policy;
  if (!halting.empty()) {
    std::optional<trm::HaltingPolicy> parsed =
        trm::parseHaltingPolicyName(halting);
    if (!parsed)
      return fail(error("--halting: unknown policy '" + halting + "' (" +
                        trm::kHaltingPolicyNames + ")"));
    policy = trm::stringifyHaltingPolicy(*parsed).str();
  }
  if (compileOnly && artifactOut.empty())
    return fail(error("--compile-only needs -o <artifact>"));
  if (!compileOnly && weightsPath.empty())
    return fail(error("--weights is required"));
  if (!compileOnly && inputPath.empty() && sudokus.empty())
    return fail(error("one of --input or --sudoku is required"));
  if (!inputPath.empty() && !sudokus.empty())
    return fail(error("--input and --sudoku both give the samples: use one"));
  if (inputFormat != "tokens" && inputFormat != "digits")
    return fail(error("--input-format: '" + inputFormat +
                      "' is not tokens or digits"));
  if (outputFormat != "tokens" && outputFormat != "digits")
    return fail(error("--output-format: '" + outputFormat +
                      "' is not tokens or digits"));
  if (inputFormat == "digits" && !sudokus.empty())
    return fail(error("--input-format applies to --input, not --sudoku "
                      "(which is digits already)"));
  if (firstSamples.getNumOccurrences() && firstSamples < 1)
    return fail(error(llvm::formatv("--first must be at least 1, got {0}",
                                    firstSamples.getValue())));

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<trm::TRMDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  auto t0 = Clock::now();
  auto file = llvm::MemoryBuffer::getFile(modelPath);
  if (!file)
    return fail(error(modelPath + ": cannot open file: " +
                      file.getError().message()));
  // An artifact's checksum, a text module's nesting: checked before the
  // parser sees the file.
  auto fileKind = trm::checkModelFile((*file)->getBuffer(), modelPath);
  if (!fileKind)
    return fail(fileKind.takeError());
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return fail(error(modelPath + ": cannot parse the trm module"));
  // A compiled artifact carries its signature and halting policy; a trm
  // module gets the policy from --halting.
  const bool isArtifact =
      (*module)->hasAttr(trm::ModelSignature::kArtifactAttrName);
  if (isArtifact && *fileKind != trm::ModelFileKind::VerifiedArtifact)
    return fail(error(modelPath + ": a compiled artifact must be the file "
                                  "--compile-only wrote (this one has no "
                                  "checksum: converted to text, or rewritten "
                                  "by another tool)"));
  std::string artifactPolicy, artifactDevice;
  trm::VulkanCodegenOptions artifactCodegen;
  auto sig = isArtifact ? trm::ModelSignature::fromArtifact(
                              *module, modelPath, artifactPolicy,
                              artifactDevice, artifactCodegen)
                        : trm::ModelSignature::fromModule(*module, entry);
  if (!sig)
    return fail(isArtifact ? sig.takeError()
                           : error(modelPath + ": " +
                                   llvm::toString(sig.takeError())));
  if (isArtifact && !policy.empty() && artifactPolicy != policy)
    return fail(error(modelPath + ": artifact was compiled with halting " +
                      artifactPolicy + ", not " + policy +
                      "; compile it again or drop --halting"));
  if (isArtifact && device.getNumOccurrences() && artifactDevice != device)
    return fail(error(modelPath + ": artifact was compiled for " +
                      artifactDevice + ", not " + device));
  if (isArtifact && vulkanF16.getNumOccurrences() &&
      artifactCodegen.f16 != vulkanF16)
    return fail(error(modelPath + ": artifact was compiled " +
                      (artifactCodegen.f16 ? "with" : "without") +
                      " --vulkan-f16"));
  // auto: decided below, from the device (gpu when compiling only).
  std::optional<trm::VulkanDeviceKind> requestedKind;
  if (vulkanDeviceKind != "auto") {
    requestedKind = trm::parseVulkanDeviceKind(vulkanDeviceKind);
    if (!requestedKind)
      return fail(error("--vulkan-device-kind must be auto, gpu or cpu, not '" +
                        vulkanDeviceKind + "'"));
  }
  if (isArtifact && requestedKind &&
      *requestedKind != artifactCodegen.deviceKind)
    return fail(error(
        modelPath + ": artifact was compiled for a " +
        trm::stringifyVulkanDeviceKind(artifactCodegen.deviceKind) +
        " device, not --vulkan-device-kind=" + vulkanDeviceKind));
  trm::VulkanCodegenOptions codegen;
  codegen.f16 = vulkanF16;
  codegen.deviceKind = requestedKind.value_or(trm::VulkanDeviceKind::GPU);
  if (isArtifact) {
    policy = artifactPolicy;
    device = artifactDevice;
    codegen = artifactCodegen;
  } else if (policy.empty()) {
    // The module's own policy: the one it was imported with.
    (*module)->walk([&](trm::ActOp act) {
      policy = trm::stringifyHaltingPolicy(act.getPolicy()).str();
    });
    if (policy.empty())
      policy = "fixed";
  }
  const bool onVulkan = device == "vulkan";
  const bool f16 = codegen.f16;
  if (f16 && !onVulkan)
    return fail(error("--vulkan-f16 needs --device vulkan"));
  if (requestedKind && !onVulkan)
    return fail(error("--vulkan-device-kind needs --device vulkan"));
  // Other device flags without their device would be ignored silently.
  for (const cl::Option *flag : std::initializer_list<const cl::Option *>{
           &vulkanDevice, &vulkanValidation, &vulkanProfile})
    if (flag->getNumOccurrences() && !onVulkan)
      return fail(error("--" + flag->ArgStr + " needs --device vulkan"));

  auto setPolicyAndLower = [&](PassManager &pm) -> llvm::Error {
    PassManager policyPm(&context);
    trm::TRMSetHaltingPolicyOptions opts;
    opts.policy = policy;
    policyPm.addPass(trm::createTRMSetHaltingPolicy(opts));
    if (failed(policyPm.run(*module)))
      return error("cannot set the halting policy");
    return onVulkan ? trm::VulkanExecutable::lower(*module, pm, codegen)
                    : trm::CpuExecutable::lower(*module, pm);
  };

  if (compileOnly) {
    if (isArtifact)
      return fail(error(modelPath + ": already a compiled artifact"));
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return fail(error("bad pass-manager options"));
    applyDefaultTimingPassManagerCLOptions(pm);
    if (llvm::Error err = setPolicyAndLower(pm))
      return fail(std::move(err));
    sig->writeArtifactAttr(*module, policy, device, codegen);
    auto out = trm::AtomicFile::create(artifactOut);
    if (!out)
      return fail(out.takeError());
    if (llvm::Error err = trm::writeArtifactFile(*module, out->os()))
      return fail(error(artifactOut + ": " + llvm::toString(std::move(err))));
    if (llvm::Error err = out->commit())
      return fail(std::move(err));
    llvm::outs() << llvm::formatv("trm-run: wrote {0} ({1}, batch {2}, halting "
                                  "{3}) in {4:f3} s\n",
                                  artifactOut, device, sig->batch, policy,
                                  secondsSince(t0));
    return 0;
  }

  // Inputs first: a bad input should not cost a compilation.
  auto tokens = sudokus.empty() ? trm::readIntNpy(inputPath)
                                : parseSudokus(sudokus);
  if (!tokens)
    return fail(tokens.takeError());
  if (inputFormat == "digits")
    if (llvm::Error err = digitsToTokens(*tokens, inputPath))
      return fail(std::move(err));
  if (!sudokus.empty())
    inputPath = "--sudoku";
  if (!sudokus.empty() && tokens->shape[1] != sig->seqLen)
    return fail(error(llvm::formatv(
        "--sudoku: the model takes {0}-cell puzzles; this one has {1} cells",
        sig->seqLen, tokens->shape[1])));
  if (tokens->shape.size() != 2 || tokens->shape[1] != sig->seqLen)
    return fail(error(llvm::formatv("{0}: tokens must have shape [N, {1}], "
                                    "got rank {2} with {3} columns",
                                    inputPath, sig->seqLen,
                                    tokens->shape.size(),
                                    tokens->shape.empty() ? 0
                                                          : tokens->shape.back())));
  if (llvm::Error err = checkRange(*tokens, sig->vocab, inputPath, "token id"))
    return fail(std::move(err));
  const int64_t inputCount = tokens->shape[0];
  if (inputCount == 0)
    return fail(error(inputPath + ": holds 0 samples, nothing to run"));
  const int64_t count =
      firstSamples > 0 ? std::min<int64_t>(firstSamples, inputCount) : inputCount;
  keepFirstRows(*tokens, count);
  warnOnPadTokens(*tokens, inputPath);
  trm::IntArray ids;
  ids.shape = {count};
  ids.values.assign(count, 0);
  if (!puzzleIdsPath.empty()) {
    auto read = trm::readIntNpy(puzzleIdsPath);
    if (!read)
      return fail(read.takeError());
    if (read->shape != std::vector<int64_t>{inputCount})
      return fail(error(llvm::formatv("{0}: puzzle ids must have shape [{1}]",
                                      puzzleIdsPath, inputCount)));
    keepFirstRows(*read, count);
    ids = std::move(*read);
  }
  if (sig->numPuzzleIds > 0)
    if (llvm::Error err =
            checkRange(ids, sig->numPuzzleIds, puzzleIdsPath, "puzzle id"))
      return fail(std::move(err));
  // Everything else that can be wrong is found before any computation:
  // the labels, and where the outputs go.
  std::optional<trm::IntArray> labels;
  if (!labelsPath.empty()) {
    auto read = trm::readIntNpy(labelsPath);
    if (!read)
      return fail(read.takeError());
    if (inputFormat == "digits")
      if (llvm::Error err = digitsToTokens(*read, labelsPath))
        return fail(std::move(err));
    if (read->shape != std::vector<int64_t>{inputCount, sig->seqLen})
      return fail(error(llvm::formatv("{0}: labels must have shape [{1}, {2}]",
                                      labelsPath, inputCount, sig->seqLen)));
    keepFirstRows(*read, count);
    labels = std::move(*read);
  }
  // Every output's temporary file is created now: a path that cannot be
  // written fails before the computation.
  trmrun::OutputRequest request{outputDir, tracePath, traceSvgPrefix,
                                traceSvgSamples, outputFormat == "digits"};
  auto outputs = trmrun::RunOutputs::open(request, count, sig->seqLen);
  if (!outputs)
    return fail(outputs.takeError());
  auto weightFile = trm::readWeights(weightsPath);
  if (!weightFile)
    return fail(weightFile.takeError());
  double loadSeconds = secondsSince(t0);

  // The device before the compilation: a missing driver is reported first.
  std::unique_ptr<trm::VulkanRuntime> vulkan;
  if (onVulkan) {
    trm::VulkanRuntimeOptions options;
    options.deviceIndex = vulkanDevice;
    options.validation = validation;
    options.profile = vulkanProfile;
    options.float16 = f16;
    if (const char *t = std::getenv("TRM_VULKAN_TIMEOUT")) {
      double seconds = 0;
      // getAsDouble returns true on a parse error.
      if (llvm::StringRef(t).trim().getAsDouble(seconds) ||
          !std::isfinite(seconds) || seconds <= 0)
        return fail(error(llvm::formatv("TRM_VULKAN_TIMEOUT: '{0}' is not a "
                                        "positive number of seconds",
                                        t)));
      options.timeoutSeconds = seconds;
    }
    if (const char *inject = std::getenv("TRM_VULKAN_INJECT"))
      if (llvm::Error err = parseInjectedFaults(inject, options))
        return fail(std::move(err));
    // A compiled artifact keeps its pipeline cache beside it.
    if (isArtifact)
      options.pipelineCachePath = modelPath + ".vkcache";
    auto created = trm::VulkanRuntime::create(options);
    if (!created)
      return fail(created.takeError());
    vulkan = std::move(*created);
    if (!isArtifact && !requestedKind)
      codegen.deviceKind = vulkan->isCPUDevice() ? trm::VulkanDeviceKind::CPU
                                                 : trm::VulkanDeviceKind::GPU;
  }

  // Compile.
  auto t1 = Clock::now();
  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return fail(error("bad pass-manager options"));
  applyDefaultTimingPassManagerCLOptions(pm);
  if (!isArtifact)
    if (llvm::Error err = setPolicyAndLower(pm))
      return fail(std::move(err));
  std::unique_ptr<trm::CpuExecutable> cpuExe;
  std::unique_ptr<trm::VulkanExecutable> vulkanExe;
  if (onVulkan) {
    auto exe = trm::VulkanExecutable::load(*module, *sig, *vulkan);
    if (!exe)
      return fail(exe.takeError());
    vulkanExe = std::move(*exe);
  } else {
    auto exe = trm::CpuExecutable::load(*module, *sig);
    if (!exe)
      return fail(exe.takeError());
    cpuExe = std::move(*exe);
  }
  double compileSeconds = secondsSince(t1);
  // A module's table exists once trm-bind-weights ran; an artifact's was
  // read (and checked) with its signature.
  if (!isArtifact)
    if (llvm::Error err = sig->readWeightTable(*module))
      return fail(std::move(err));
  auto packed = packWeights(*weightFile, *sig, weightsPath);
  if (!packed)
    return fail(packed.takeError());
  int64_t uploadedWeightBytes = 0;
  if (vulkanExe) {
    vulkanExe->setWeights(*packed);
    uploadedWeightBytes = vulkan->stats().uploadedBytes;
    vulkan->resetStats();
  }

  // Run in batches of at most the module's batch size. A short last batch
  // tells the model how many of its rows are samples; the model computes no
  // others (their rows stay zero, and their outputs are dropped).
  const int64_t b = sig->batch, s = sig->seqLen, v = sig->vocab,
                k = sig->maxSteps;
  trmrun::RunResults results;
  results.count = count;
  results.seqLen = s;
  results.vocab = v;
  results.maxSteps = k;
  std::vector<int32_t> &predictions = results.predictions,
                       &steps = results.steps,
                       &stepPredictions = results.stepPredictions;
  std::vector<float> &logits = results.logits, &stepQ = results.stepQLogits;
  predictions.resize(count * s);
  steps.resize(count);
  stepPredictions.resize(count * k * s);
  logits.resize(count * s * v);
  stepQ.resize(count * k * 2);
  trm::BatchBuffers buf(*sig);
  int64_t executedCalls = 0, neededCalls = 0, executedSteps = 0;
  // The header comes first, before the run, which may take long.
  llvm::outs() << llvm::formatv(
      "trm-run: {0} sample{5}, batch {1}, device {2}, halting {3}{4}\n", count,
      b,
      onVulkan ? "vulkan: " + vulkan->deviceDescription() +
                     ", kernels for a " +
                     trm::stringifyVulkanDeviceKind(codegen.deviceKind).str() +
                     " device"
               : std::string("cpu"),
      policy, f16 ? ", kernel arithmetic f16 (sums f32)" : "",
      count == 1 ? "" : "s");
  llvm::outs().flush();
  trmrun::Progress progress(count, progressInterval);
  auto t2 = Clock::now();
  for (int64_t start = 0; start < count; start += b) {
    int64_t n = std::min(b, count - start);
    std::fill(buf.tokens.begin(), buf.tokens.end(), 0);
    std::fill(buf.puzzleIds.begin(), buf.puzzleIds.end(), 0);
    std::copy_n(tokens->values.begin() + start * s, n * s, buf.tokens.begin());
    std::copy_n(ids.values.begin() + start, n, buf.puzzleIds.begin());
    buf.samples = n;
    if (llvm::Error err = vulkanExe ? vulkanExe->run(buf)
                                    : cpuExe->run(*packed, buf))
      return fail(std::move(err));
    std::copy_n(buf.predictions.begin(), n * s, predictions.begin() + start * s);
    std::copy_n(buf.logits.begin(), n * s * v, logits.begin() + start * s * v);
    std::copy_n(buf.stepQLogits.begin(), n * k * 2, stepQ.begin() + start * k * 2);
    std::copy_n(buf.steps.begin(), n, steps.begin() + start);
    std::copy_n(buf.stepPredictions.begin(), n * k * s,
                stepPredictions.begin() + start * k * s);
    // The model counts the rows its loops computed; a step runs the whole
    // batch only while every row of it is a running sample.
    executedCalls += buf.networkCalls;
    executedSteps += *std::max_element(buf.steps.begin(), buf.steps.begin() + n);
    for (int64_t i = 0; i < n; ++i)
      neededCalls += buf.steps[i] * sig->callsPerStep();
    progress.update(start + n);
  }
  progress.finish();
  double runSeconds = secondsSince(t2);

  std::optional<llvm::ArrayRef<int64_t>> labelValues;
  if (labels)
    labelValues = labels->values;
  if (llvm::Error err = outputs->write(results, tokens->values, labelValues))
    return fail(std::move(err));

  if (!labelsPath.empty() || printGrids) {
    int64_t solved = 0;
    for (int64_t i = 0; i < count; ++i) {
      bool right = labels.has_value();
      for (int64_t j = 0; labels && j < s; ++j)
        right &= labels->values[i * s + j] == predictions[i * s + j];
      solved += right;
      if (!printGrids)
        continue;
      float q = stepQ[(i * k + steps[i] - 1) * 2];
      llvm::outs() << llvm::formatv(
          "puzzle {0}: halted after step {1} (q_halt {2:f2}, confidence "
          "{3:f3}){4}\n",
          i, steps[i], q, 1.0 / (1.0 + std::exp(-q)),
          labels ? (right ? ", SOLVED" : ", WRONG") : "");
      std::vector<int64_t> in(tokens->values.begin() + i * s,
                              tokens->values.begin() + (i + 1) * s);
      std::vector<int64_t> out(predictions.begin() + i * s,
                               predictions.begin() + (i + 1) * s);
      llvm::outs() << "  puzzle:\n";
      printGrid(llvm::outs(), in, "    ");
      llvm::outs() << "  answer:\n";
      printGrid(llvm::outs(), out, "    ");
    }
    if (labels)
      llvm::outs() << llvm::formatv("exact solves: {0} of {1} ({2:f1}%)\n",
                                    solved, count, 100.0 * solved / count);
  }

  // What the same batches cost when every row runs all steps.
  int64_t fullCalls = (count + b - 1) / b * b * k * sig->callsPerStep();
  llvm::outs() << llvm::formatv(
      isArtifact ? "timing: load {0:f3} s, JIT of the artifact {1:f3} s, run "
                   "{2:f3} s ({3:f2} ms per sample)\n"
                 : "timing: load {0:f3} s, compile {1:f3} s, run {2:f3} s ({3:f2} ms per "
      "sample)\n",
      loadSeconds, compileSeconds, runSeconds, 1000.0 * runSeconds / count);
  double meanSteps = 0;
  for (int32_t st : steps)
    meanSteps += st;
  meanSteps /= count;
  llvm::outs() << llvm::formatv(
      "steps: mean {0:f2} of {1}; network calls executed {2} (batches of up "
      "to {7}), needed by the samples {3}; early exit and partial batches "
      "saved {4} of {5} ({6:f1}%)\n",
      meanSteps, k, executedCalls, neededCalls, fullCalls - executedCalls,
      fullCalls, 100.0 * (fullCalls - executedCalls) / fullCalls, b);
  if (vulkan) {
    const trm::VulkanRuntimeStats &st = vulkan->stats();
    double perStep = executedSteps ? 1.0 / executedSteps : 0.0;
    llvm::outs() << llvm::formatv(
        "vulkan: {0} kernel dispatches ({1:f1} per supervision step), {2} "
        "host synchronisations ({3:f2} per supervision step), {4} scalar "
        "argument writes, {5} pipelines, {6} Vulkan memory allocations; "
        "weights uploaded once to device-only memory ({7} bytes)\n",
        st.dispatches, st.dispatches * perStep, st.hostSyncs,
        st.hostSyncs * perStep, st.scalarWrites, st.pipelines,
        st.vulkanAllocations, uploadedWeightBytes);
    vulkan->printProfile(llvm::outs());
    if (llvm::Error err = vulkan->savePipelineCache())
      return fail(std::move(err));
    cpuExe.reset();
    vulkanExe.reset();
    int64_t messages = vulkan->validationMessages();
    llvm::outs() << "vulkan validation messages: " << messages << "\n";
    if (messages)
      return fail(error(llvm::formatv("{0} Vulkan validation message(s)",
                                      messages)));
  }
  return 0;
}
