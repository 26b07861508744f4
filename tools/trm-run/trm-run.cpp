//===- trm-run.cpp - compile and run a trm model --------------------------===//
//
//   trm-run MODEL --weights W --input tokens.npy [--device vulkan]
//           [--halting fixed|q] [--output-dir DIR] [--json]
//   trm-run CHECKPOINT_DIR --sudoku 12.4..3...
//
// MODEL is a trm module, a compiled artifact or a trainer's checkpoint
// directory. main runs named phases: the command line, the model, the
// inputs and outputs (all checked before anything is computed), the device
// and the compilation, the batches, then the files and the report.
//
//===----------------------------------------------------------------------===//
#include "ArcEvaluation.h"
#include "CompilationCache.h"
#include "Executable.h"
#include "Inputs.h"
#include "ModelSource.h"
#include "Progress.h"
#include "Report.h"
#include "RunOutputs.h"

#include "trm/Builder/ModelBuilder.h"
#include "trm/Compiler/ArtifactCompiler.h"
#include "trm/Dialect/TRM/IR/TRMDialect.h"
#include "trm/Dialect/TRM/IR/TRMOps.h"
#include "trm/Import/AtomicFile.h"
#include "trm/Pipelines/Pipelines.h"
#include "trm/Runtime/ArrayIO.h"
#include "trm/Runtime/ArtifactFile.h"
#include "trm/Runtime/CpuExecutable.h"
#include "trm/Runtime/PackedWeights.h"
#include "trm/Runtime/VulkanDevices.h"
#include "trm/Runtime/VulkanExecutable.h"
#include "trm/Support/OutOfMemory.h"
#include "trm/Support/PassCounter.h"
#include "trm/Support/Help.h"
#include "trm/Support/Version.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/xxhash.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <chrono>
#include <cmath>
#include <functional>

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory inputsCategory("Model and inputs");
static cl::OptionCategory executionCategory("Execution");
static cl::OptionCategory outputsCategory("Outputs");
static cl::OptionCategory vulkanCategory("Vulkan");
static cl::OptionCategory arcCategory("ARC-AGI evaluation");

static cl::opt<std::string> modelPath(
    cl::Positional, cl::cat(inputsCategory),
    cl::desc("<model: a trm module (.mlir), a compiled artifact, or a "
             "trainer's checkpoint directory (all_config.yaml + step_N)>"));
static cl::opt<std::string> device("device", cl::cat(executionCategory),
                                   cl::desc("cpu | vulkan (default cpu)"),
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
    cl::desc("the same as --precision f16"));
static cl::opt<std::string> precision(
    "precision", cl::cat(executionCategory),
    cl::desc("f32 (default) | bf16: the weights' matmuls multiply in bf16 "
             "and sum in f32 (--device cpu; AVX512-BF16 where the CPU has "
             "it) | f16: Vulkan kernels multiply and compute element-wise in "
             "f16, sums in f32 (needs --device vulkan and a device with "
             "shaderFloat16)"));
static cl::opt<std::string> vulkanDeviceKind(
    "vulkan-device-kind", cl::cat(vulkanCategory),
    cl::desc("shape the matmul kernels for a 'gpu' or for a 'cpu' Vulkan "
             "driver such as lavapipe; 'auto' (default) takes the device's "
             "type (with --compile-only: this machine's --vulkan-device, "
             "gpu when it has none)"),
    cl::init("auto"));
static cl::opt<bool> vulkanProfile(
    "vulkan-profile", cl::cat(vulkanCategory),
    cl::desc("time every kernel dispatch alone and print the slowest "
             "kernels (serialises the device: for finding hot spots only)"));
static cl::opt<bool> listDevices(
    "list-devices", cl::cat(executionCategory),
    cl::desc("list the Vulkan devices (and the CPU) and exit"));
static cl::opt<std::string> weightsPath(
    "weights", cl::cat(inputsCategory),
    cl::desc("weights: safetensors or a torch.save checkpoint (default for "
             "a checkpoint directory: its latest step_N; for a module "
             "trm-import made with --checkpoint: that checkpoint)"));
static cl::opt<int64_t> importBatch(
    "batch", cl::cat(inputsCategory),
    cl::desc("a checkpoint directory's largest batch at once (default 8; a "
             "module's is set by trm-import --batch)"),
    cl::init(8));
static cl::opt<bool> noCache(
    "no-cache", cl::cat(inputsCategory),
    cl::desc("neither read nor write the cache: a checkpoint directory is "
             "imported afresh and a module on the CPU is JIT-compiled"));
static cl::opt<std::string> cacheDir(
    "cache-dir", cl::cat(inputsCategory),
    cl::desc("where imports of checkpoint directories and the machine code "
             "of modules run on the CPU are kept (default $TRM_CACHE_DIR, "
             "$XDG_CACHE_HOME/trm-mlir or ~/.cache/trm-mlir)"));
static cl::opt<std::string> inputPath("input", cl::cat(inputsCategory),
                                      cl::desc("tokens .npy, int [N, S]"));
static cl::opt<std::string>
    puzzleIdsPath("puzzle-ids", cl::cat(inputsCategory),
                  cl::desc("puzzle identifiers .npy, int [N]"));
static cl::opt<std::string> halting(
    "halting", cl::cat(executionCategory),
    cl::desc("fixed (all steps) | q_halt, or q (a sample stops after the "
             "first step with q_halt > 0); default: the module's own policy"));
static cl::opt<std::string> outputDir(
    "output-dir", cl::cat(outputsCategory),
    cl::desc("directory for the result arrays (predictions.npy, logits.npy, "
             "q_logits.npy, steps.npy, step_predictions.npy)"));
static cl::opt<std::string> tracePath("trace", cl::cat(outputsCategory),
                                      cl::desc("write the per-step trace"));
static cl::opt<std::string> traceSvgPrefix(
    "trace-svg", cl::cat(outputsCategory),
    cl::desc("render each sample's reasoning trace (square grids) as "
             "PREFIX<i>.svg, for the first --trace-svg-samples samples"));
static cl::opt<int64_t> traceSvgSamples(
    "trace-svg-samples", cl::cat(outputsCategory),
    cl::desc("samples to render (default 5)"), cl::init(5));
static cl::opt<bool> compileOnly(
    "compile-only", cl::cat(executionCategory),
    cl::desc("lower the model for the device and write a compiled artifact "
             "to -o; later runs load it without recompiling"));
static cl::opt<std::string> artifactOut("o", cl::cat(executionCategory),
                                        cl::desc("artifact output file"),
                                        cl::value_desc("file"));
static cl::opt<std::string> entry("entry", cl::cat(inputsCategory),
                                  cl::desc("entry function (default trm_main)"),
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
static cl::opt<std::string> datasetDir(
    "dataset", cl::cat(inputsCategory),
    cl::desc("a split folder of the reference's builders (all__inputs.npy, "
             "all__labels.npy, all__puzzle_identifiers.npy, dataset.json): "
             "reports exact and token accuracy"));
static cl::opt<std::string> arcChallenges(
    "arc-challenges", cl::cat(arcCategory),
    cl::desc("evaluate on ARC tasks (arc-agi_*_challenges.json): every test "
             "input under each augmentation --arc-identifiers names, voted "
             "as the reference votes; --output-dir gets submission.json"));
static cl::opt<std::string> arcSolutions(
    "arc-solutions", cl::cat(arcCategory),
    cl::desc("the tasks' solutions: pass@1, 2, 5, 10, 100, 1000"));
static cl::opt<std::string> arcIdentifiers(
    "arc-identifiers", cl::cat(arcCategory),
    cl::desc("identifiers.json of the data set the checkpoint was trained "
             "on (puzzle id -> task and augmentation)"));
static cl::opt<std::string> arcAugmentations(
    "arc-augmentations", cl::cat(arcCategory),
    cl::desc("all (default) | original | N: each task's first N variants"),
    cl::init("all"));
static cl::opt<std::string> labelsPath(
    "labels", cl::cat(inputsCategory),
    cl::desc("expected answers .npy [N, S]: report exact solves"));
static cl::opt<int64_t> firstSamples(
    "first", cl::cat(inputsCategory),
    cl::desc("run only the first N samples of the input (and of "
             "--puzzle-ids and --labels)"),
    cl::init(0));
static cl::opt<double> progressInterval(
    "progress-interval", cl::cat(outputsCategory),
    cl::desc("seconds between progress lines on stderr when it is no "
             "terminal (default 10; 0: none; a terminal gets one line, "
             "updated every second)"),
    cl::init(10));
static cl::opt<bool> printGrids(
    "print-grids", cl::cat(outputsCategory),
    cl::desc("print puzzles and answers as grids on stdout (square seq_len; "
             "on by default with --sudoku)"));
static cl::opt<bool> json(
    "json", cl::cat(outputsCategory),
    cl::desc("print a JSON summary on stdout instead of the text results: "
             "the run, its timing and every sample's steps and prediction"));
static cl::opt<bool> quiet(
    "quiet", cl::cat(outputsCategory),
    cl::desc("no header, progress, timing or 'wrote' lines on stderr (errors "
             "and warnings still)"));
static cl::alias quietShort("q", cl::aliasopt(quiet), cl::desc("--quiet"),
                            cl::cat(outputsCategory));
// Registered as trm-threads and renamed in main: LLVM's libraries register
// a --threads of their own.
static cl::opt<int64_t> threads(
    "trm-threads", cl::cat(executionCategory),
    cl::desc("CPU threads (default: OMP_NUM_THREADS, else every core); a "
             ".mlir model's contractions are also split this many ways"),
    cl::init(0));

static cl::opt<std::string> targetTriple(
    "target-triple", cl::cat(executionCategory),
    cl::desc("with --compile-only: the target triple the machine code is "
             "for (default: this machine's; aarch64-linux-gnu for 64-bit "
             "Arm Linux)"),
    cl::value_desc("triple"));
static cl::opt<std::string> targetCpu(
    "target-cpu", cl::cat(executionCategory),
    cl::desc("CPU the machine code is generated for, as llc -mcpu names it "
             "(x86-64-v3: AVX2, no AVX-512); default: this one. With "
             "--compile-only the artifact keeps it"),
    cl::value_desc("name"));
static cl::opt<std::string> targetFeatures(
    "target-features", cl::cat(executionCategory),
    cl::desc("CPU features to add or remove, as llc -mattr takes them "
             "(+avx2,-avx512f)"),
    cl::value_desc("list"));
static cl::opt<bool> debugInfo(
    "debug-info", cl::cat(executionCategory),
    cl::desc("--device cpu: line tables that map the machine code to the "
             "module's lines, for profilers (bench/profile_cpu.py)"));

namespace {
using Clock = std::chrono::steady_clock;

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

/// Where the run's progress and statistics go: stderr, or nowhere with
/// --quiet. Warnings and errors always reach stderr.
llvm::raw_ostream &log() { return quiet ? llvm::nulls() : llvm::errs(); }
void warn(const llvm::Twine &message) {
  llvm::WithColor::warning(llvm::errs(), "trm-run") << message << "\n";
}

void parseCommandLine(int argc, char **argv) {
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  // Before the pass-manager options, whose parsers list the registered
  // passes: --mlir-print-ir-after=<pass> and its kind can name any pass.
  trm::registerTRMPasses();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  trm::claimThreadsOption(threads);
  // --help shows trm-run's own options; --help-hidden also LLVM's and the
  // MLIR pass-manager flags, which work all the same.
  trm::showOnlyInHelp({&inputsCategory, &executionCategory,
                            &outputsCategory, &vulkanCategory, &arcCategory});
  cl::SetVersionPrinter(trm::printVersion);
  cl::ParseCommandLineOptions(
      argc, argv,
      "trm-run: compile and run a Tiny Recursive Model on the CPU or Vulkan\n\n"
      "  trm-run MODEL.mlir --weights W --input tokens.npy [--device vulkan]\n"
      "  trm-run CHECKPOINT_DIR --sudoku 1..4.....   (all_config.yaml + "
      "step_N)\n"
      "  trm-run MODEL.mlir --compile-only -o model.trmc   (then run "
      "model.trmc)\n\n"
      "Results go to stdout, progress and timing to stderr. --help-hidden "
      "also lists\nthe MLIR pass-manager flags (--mlir-print-ir-after=<pass>, "
      "--mlir-timing,\n--trm-pass-counters) and LLVM's options.\n");
}

int listDevicesAndExit(bool validation) {
  llvm::outs() << "cpu: the host (" << llvm::sys::getHostCPUName()
               << "), --device cpu\n";
  auto devices = trm::listVulkanDevices(validation);
  if (!devices)
    return fail(devices.takeError());
  for (auto [i, d] : llvm::enumerate(*devices))
    llvm::outs() << llvm::formatv(
        "vulkan {0}: {1} ({2}), Vulkan {3}, {4} MiB device-local, compute "
        "queue {5}, max workgroup {6}, shared memory {7} KiB, float16 {8}\n",
        i, d.name, d.type, trm::formatVulkanVersion(d.apiVersion),
        d.deviceLocalBytes >> 20, d.hasComputeQueue ? "yes" : "no",
        d.maxWorkgroupInvocations, d.maxSharedMemoryBytes >> 10,
        d.shaderFloat16 ? "yes" : "no");
  return 0;
}

/// --arc-challenges: the ARC files, and none of the flags whose samples or
/// outputs the evaluation replaces.
llvm::Expected<std::string> checkArcFlags(std::string policy) {
  if (arcIdentifiers.empty())
    return error("--arc-challenges needs --arc-identifiers (the identifiers.json "
                 "the checkpoint was trained with)");
  for (const cl::Option *flag : std::initializer_list<const cl::Option *>{
           &inputPath, &datasetDir, &labelsPath, &puzzleIdsPath,
           &firstSamples, &tracePath, &traceSvgPrefix, &printGrids,
           &compileOnly, &inputFormat, &outputFormat})
    if (flag->getNumOccurrences())
      return error("--" + flag->ArgStr +
                   " does not go with --arc-challenges, which makes the "
                   "samples and writes submission.json");
  if (!sudokus.empty())
    return error("--sudoku does not go with --arc-challenges");
  return policy;
}

/// The command line's own consistency, checked before any file is read.
/// Returns the halting policy asked for (empty: the module's own).
llvm::Expected<std::string> checkFlags() {
  if (modelPath.empty())
    return error("no model given (trm-run MODEL ...: a .mlir module, an "
                 "artifact or a checkpoint directory)");
  if (device != "cpu" && device != "vulkan")
    return error("--device: unknown device '" + device + "' (cpu or vulkan)");
  std::string policy;
  if (!halting.empty()) {
    std::optional<trm::HaltingPolicy> parsed =
        trm::parseHaltingPolicyName(halting);
    if (!parsed)
      return error("--halting: unknown policy '" + halting + "' (" +
                   trm::kHaltingPolicyNames + ")");
    policy = trm::stringifyHaltingPolicy(*parsed).str();
  }
  if (compileOnly && artifactOut.empty())
    return error("--compile-only needs -o <artifact>");
  if (!arcChallenges.empty())
    return checkArcFlags(policy);
  for (const cl::Option *flag : std::initializer_list<const cl::Option *>{
           &arcSolutions, &arcIdentifiers, &arcAugmentations})
    if (flag->getNumOccurrences())
      return error("--" + flag->ArgStr + " needs --arc-challenges");
  if (!compileOnly && inputPath.empty() && sudokus.empty() &&
      datasetDir.empty())
    return error("one of --input, --sudoku or --dataset is required");
  if (!inputPath.empty() && !sudokus.empty())
    return error("--input and --sudoku both give the samples: use one");
  for (auto [flag, value] : {std::pair{&inputFormat, &inputFormat},
                             std::pair{&outputFormat, &outputFormat}})
    if (value->getValue() != "tokens" && value->getValue() != "digits")
      return error("--" + flag->ArgStr + ": '" + value->getValue() +
                   "' is not tokens or digits");
  if (inputFormat == "digits" && !sudokus.empty())
    return error("--input-format applies to --input, not --sudoku (which is "
                 "digits already)");
  if (firstSamples.getNumOccurrences() && firstSamples < 1)
    return error(llvm::formatv("--first must be at least 1, got {0}",
                               firstSamples.getValue()));
  if (threads < 0)
    return error("--threads must be at least 1 (or 0: every core)");
  if (importBatch < 1)
    return error("--batch must be at least 1");
  if (json && printGrids)
    return error("--json and --print-grids both print the results: use one");
  return policy;
}

/// The model as loaded, and how it will run.
struct Model {
  trmrun::ModelSource source;
  trm::ModelSignature sig;
  bool isArtifact = false;
  /// trm-compile's artifact, opened by the runtime.
  std::unique_ptr<trmrun::NativeArtifact> native;
  std::string policy, device;
  trm::VulkanCodegenOptions codegen;
  /// --vulkan-device-kind when given (auto: from the device).
  std::optional<trm::VulkanDeviceKind> requestedKind;
  /// --precision (or --vulkan-f16) when given.
  std::optional<trm::Precision> requestedPrecision;
  /// What the model computes in: the artifact's, else the flag's.
  trm::Precision precision = trm::Precision::F32;
  /// The CPU pipeline's precision options (a module run on the CPU).
  trm::CPUCodegenOptions cpu;
  bool onVulkan() const { return device == "vulkan"; }
};

/// A compiled artifact's policy, device and kernel options; a flag that
/// disagrees is an error.
llvm::Error checkArtifactFlags(Model &m, const std::string &policy,
                               const std::string &artifactPolicy,
                               const std::string &artifactDevice,
                               const trm::VulkanCodegenOptions &artifactCodegen,
                               trm::Precision artifactPrecision) {
  if (!policy.empty() && artifactPolicy != policy)
    return error(modelPath + ": artifact was compiled with halting " +
                 artifactPolicy + ", not " + policy +
                 "; compile it again or drop --halting");
  if (device.getNumOccurrences() && artifactDevice != device)
    return error(modelPath + ": artifact was compiled for " + artifactDevice +
                 ", not " + device);
  if (m.requestedPrecision && *m.requestedPrecision != artifactPrecision)
    return error(modelPath + ": artifact was compiled with --precision " +
                 trm::stringifyPrecision(artifactPrecision));
  if (m.requestedKind && *m.requestedKind != artifactCodegen.deviceKind)
    return error(modelPath + ": artifact was compiled for a " +
                 trm::stringifyVulkanDeviceKind(artifactCodegen.deviceKind) +
                 " device, not --vulkan-device-kind=" + vulkanDeviceKind);
  m.policy = artifactPolicy;
  m.device = artifactDevice;
  m.codegen = artifactCodegen;
  m.precision = artifactPrecision;
  // The machine code's target was fixed when the artifact was made.
  for (auto [flag, recorded] :
       {std::pair{&targetCpu, m.sig.targetCpu},
        std::pair{&targetFeatures, m.sig.targetFeatures}})
    if (flag->getNumOccurrences() && flag->getValue() != recorded)
      return error(modelPath + ": artifact was compiled with --" +
                   flag->ArgStr + "='" + recorded + "'");
  return llvm::Error::success();
}

/// Reads the signature and settles policy, device and kernel options: an
/// artifact's own (a flag that disagrees is an error), else the flags, else
/// the module's policy.
llvm::Expected<Model> describeModel(trmrun::ModelSource source,
                                    std::string policy) {
  Model m;
  m.source = std::move(source);
  if (vulkanDeviceKind != "auto") {
    m.requestedKind = trm::parseVulkanDeviceKind(vulkanDeviceKind);
    if (!m.requestedKind)
      return error("--vulkan-device-kind must be auto, gpu or cpu, not '" +
                   vulkanDeviceKind + "'");
  }
  auto requested = trm::parsePrecision(precision, vulkanF16);
  if (!requested)
    return requested.takeError();
  m.requestedPrecision = *requested;
  if (!m.source.nativeArtifact.empty()) {
    auto opened = trmrun::NativeArtifact::open(m.source.nativeArtifact, threads);
    if (!opened)
      return opened.takeError();
    m.native = std::move(*opened);
    m.isArtifact = true;
    m.sig = m.native->signature();
    if (llvm::Error err =
            checkArtifactFlags(m, policy, m.native->policy(), "cpu", {},
                               m.native->precision() == "bf16"
                                   ? trm::Precision::BF16
                                   : trm::Precision::F32))
      return std::move(err);
  } else {
    ModuleOp module = *m.source.module;
    m.isArtifact = module->hasAttr(trm::ModelSignature::kArtifactAttrName);
    if (m.isArtifact && m.source.kind != trm::ModelFileKind::VerifiedArtifact)
      return error(modelPath + ": a compiled artifact must be the file "
                               "--compile-only wrote (this one has no "
                               "checksum: converted to text, or rewritten by "
                               "another tool)");
    std::string artifactPolicy, artifactDevice;
    trm::VulkanCodegenOptions artifactCodegen;
    auto sig = m.isArtifact ? trm::ModelSignature::fromArtifact(
                                  module, modelPath, artifactPolicy,
                                  artifactDevice, artifactCodegen)
                            : trm::ModelSignature::fromModule(module, entry);
    if (!sig)
      return m.isArtifact
                 ? sig.takeError()
                 : error(modelPath + ": " + llvm::toString(sig.takeError()));
    m.sig = std::move(*sig);
    if (m.isArtifact) {
      if (llvm::Error err = checkArtifactFlags(
              m, policy, artifactPolicy, artifactDevice, artifactCodegen,
              artifactCodegen.f16 ? trm::Precision::F16 : trm::Precision::F32))
        return std::move(err);
    } else {
      // Else the module's own policy: the one it was imported with.
      m.policy = policy.empty() ? trm::modulePolicy(module) : policy;
      m.device = device;
      m.precision = m.requestedPrecision.value_or(trm::Precision::F32);
      m.codegen.f16 = m.precision == trm::Precision::F16;
      m.codegen.deviceKind =
          m.requestedKind.value_or(trm::VulkanDeviceKind::GPU);
      m.sig.targetCpu = targetCpu;
      m.sig.targetFeatures = targetFeatures;
    }
  }
  if (targetTriple.getNumOccurrences() && (!compileOnly || m.onVulkan()))
    return error("--target-triple is for --compile-only --device cpu (code "
                 "for another machine is run there, by libtrmrt)");
  if ((targetCpu.getNumOccurrences() || targetFeatures.getNumOccurrences()) &&
      m.onVulkan())
    return error("--target-cpu and --target-features are for --device cpu");
  if (debugInfo && (m.onVulkan() || m.isArtifact))
    return error("--debug-info is for a module run on --device cpu (an "
                 "artifact's code is already made)");
  if (llvm::Error err = trm::checkPrecisionDevice(m.precision, m.onVulkan()))
    return std::move(err);
  if (!m.isArtifact && !m.onVulkan()) {
    std::string note;
    if (llvm::Error err = trm::setCpuPrecision(
            m.cpu, m.precision,
            {compileOnly ? targetTriple.getValue() : std::string(), targetCpu,
             targetFeatures},
            note))
      return std::move(err);
    if (!note.empty())
      log() << "trm-run: note: " << note << "\n";
  }
  if (m.requestedKind && !m.onVulkan())
    return error("--vulkan-device-kind needs --device vulkan");
  // Other device flags without their device would be ignored silently.
  for (const cl::Option *flag : std::initializer_list<const cl::Option *>{
           &vulkanDevice, &vulkanValidation, &vulkanProfile})
    if (flag->getNumOccurrences() && !m.onVulkan())
      return error("--" + flag->ArgStr + " needs --device vulkan");
  if (importBatch.getNumOccurrences() && !m.source.checkpoint.size())
    return error("--batch applies to a checkpoint directory; a module's "
                 "batch is set when it is imported (trm-import --batch)");
  return m;
}

/// The CPU pipeline's options from the command line.
trm::CPUCodegenOptions cpuCodegenOptions(const Model &m) {
  trm::CPUCodegenOptions cpu = m.cpu;
  cpu.debugInfo = debugInfo;
  cpu.threads = threads;
  return cpu;
}

/// Sets the halting policy and lowers the module for its device, in place.
llvm::Error lowerModel(Model &m, PassManager &pm) {
  if (llvm::Error err = trm::setHaltingPolicy(*m.source.module, m.policy))
    return err;
  if (m.onVulkan())
    return trm::VulkanExecutable::lower(*m.source.module, pm, m.codegen);
  return trm::CpuExecutable::lower(*m.source.module, pm, cpuCodegenOptions(m));
}

/// Whether the command line asks to watch the pipeline (IR printing,
/// timing, statistics, pass counters), which code from the cache would skip.
bool pipelineObserved() {
  if (trm::passCountersRequested())
    return true;
  for (const auto &entry : cl::getRegisteredOptions()) {
    llvm::StringRef name = entry.first;
    if ((name.starts_with("mlir-print-ir") || name == "mlir-timing" ||
         name == "mlir-pass-statistics") &&
        entry.second->getNumOccurrences())
      return true;
  }
  return false;
}

/// A pass manager with the command line's pass-manager flags.
llvm::Expected<std::unique_ptr<PassManager>> makePassManager(MLIRContext &ctx) {
  auto pm = std::make_unique<PassManager>(&ctx);
  if (failed(applyPassManagerCLOptions(*pm)))
    return error("bad pass-manager options");
  applyDefaultTimingPassManagerCLOptions(*pm);
  return pm;
}

/// --compile-only: trm-compile's compilation (trm/Compiler/ArtifactCompiler.h)
/// with this command line's options.
int compileArtifact(Model &m, Clock::time_point t0) {
  if (m.isArtifact)
    return fail(error(modelPath + ": already a compiled artifact"));
  auto pm = makePassManager(*m.source.module->getContext());
  if (!pm)
    return fail(pm.takeError());
  trm::ArtifactOptions options;
  options.device = m.device;
  options.policy = m.policy;
  options.cpu = cpuCodegenOptions(m);
  // One thread: sequential code that needs no OpenMP runtime, as
  // trm-compile makes it.
  options.cpu.openmp = threads != 1;
  options.cpuTarget = {targetTriple, targetCpu, targetFeatures};
  options.vulkan = m.codegen;
  if (m.onVulkan() && !m.requestedKind) {
    std::string note;
    options.vulkan.deviceKind = trm::localVulkanDeviceKind(vulkanDevice, note);
    if (!note.empty())
      log() << "trm-run: " << note << "\n";
  }
  auto artifact =
      trm::compileArtifact(*m.source.module, m.sig, options, **pm);
  if (!artifact)
    return fail(error(modelPath + ": " + llvm::toString(artifact.takeError())));
  auto out = trm::AtomicFile::create(artifactOut);
  if (!out)
    return fail(out.takeError());
  out->os() << *artifact;
  if (llvm::Error err = out->commit())
    return fail(std::move(err));
  log() << llvm::formatv("trm-run: wrote {0} ({1}, batch {2}, halting {3}) "
                         "in {4:f3} s\n",
                         artifactOut, m.device, m.sig.batch, m.policy,
                         secondsSince(t0));
  return 0;
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
      return error("TRM_VULKAN_INJECT: '" + item +
                   "' is not oom-after=N (N >= 0), device-lost-at-fence=N "
                   "(N >= 1) or no-shader-float16");
  }
  return llvm::Error::success();
}

/// The Vulkan device, from the flags and the TRM_VULKAN_* variables.
llvm::Expected<std::unique_ptr<trm::VulkanRuntime>>
createVulkanRuntime(const Model &m, bool validation) {
  trm::VulkanRuntimeOptions options;
  options.deviceIndex = vulkanDevice;
  options.validation = validation;
  options.profile = vulkanProfile;
  options.float16 = m.codegen.f16;
  if (const char *t = std::getenv("TRM_VULKAN_TIMEOUT")) {
    double seconds = 0;
    // getAsDouble returns true on a parse error.
    if (llvm::StringRef(t).trim().getAsDouble(seconds) ||
        !std::isfinite(seconds) || seconds <= 0)
      return error(llvm::formatv(
          "TRM_VULKAN_TIMEOUT: '{0}' is not a positive number of seconds", t));
    options.timeoutSeconds = seconds;
  }
  if (const char *inject = std::getenv("TRM_VULKAN_INJECT"))
    if (llvm::Error err = parseInjectedFaults(inject, options))
      return std::move(err);
  // A compiled artifact keeps its pipeline cache beside it.
  if (m.isArtifact)
    options.pipelineCachePath = modelPath + ".vkcache";
  return trm::VulkanRuntime::create(options);
}

/// The model ready on its device: an artifact as it is; a module on Vulkan
/// lowered and loaded; a module on the CPU through the compilation cache,
/// or with the JIT when there is none. `note` tells the cache's part.
llvm::Expected<std::unique_ptr<trmrun::Executable>>
compileModel(Model &m, trm::VulkanRuntime *vulkan,
             const std::string &compilationCache, std::string &note,
             bool &cacheHit) {
  if (m.native)
    return std::unique_ptr<trmrun::Executable>(std::move(m.native));
  auto pm = makePassManager(*m.source.module->getContext());
  if (!pm)
    return pm.takeError();
  if (!m.onVulkan() && !m.isArtifact && !compilationCache.empty()) {
    if (llvm::Error err = trm::setHaltingPolicy(*m.source.module, m.policy))
      return std::move(err);
    trmrun::CachedCompilation request;
    request.directory = compilationCache;
    request.policy = m.policy;
    request.codegen = cpuCodegenOptions(m);
    request.target = {"", m.sig.targetCpu, m.sig.targetFeatures};
    request.threads = threads;
    request.skipLookup = pipelineObserved();
    return trmrun::compileThroughCache(*m.source.module, m.sig, request, **pm,
                                       note, cacheHit);
  }
  if (!m.isArtifact)
    if (llvm::Error err = lowerModel(m, **pm))
      return std::move(err);
  // A module's table exists once trm-bind-weights ran; an artifact's was
  // read (and checked) with its signature.
  if (!m.isArtifact)
    if (llvm::Error err = m.sig.readWeightTable(*m.source.module))
      return std::move(err);
  if (vulkan) {
    auto loaded = trm::VulkanExecutable::load(*m.source.module, m.sig, *vulkan);
    if (!loaded)
      return loaded.takeError();
    return trmrun::makeVulkanExecutable(std::move(*loaded), m.sig);
  }
  auto loaded = trm::CpuExecutable::load(*m.source.module, m.sig, threads);
  if (!loaded)
    return loaded.takeError();
  return trmrun::makeJitExecutable(std::move(*loaded), m.sig);
}

/// A file's identity: its real path, size and modification time.
std::string fileIdentity(llvm::StringRef path) {
  llvm::sys::fs::file_status status;
  llvm::SmallString<256> real;
  if (llvm::sys::fs::status(path, status) ||
      llvm::sys::fs::real_path(path, real))
    return path.str();
  return llvm::formatv(
             "{0}|{1}|{2}", real, status.getSize(),
             status.getLastModificationTime().time_since_epoch().count())
      .str();
}

/// What decides an ARC run's results besides its samples: the model (a
/// module or artifact by its contents, a checkpoint directory by its
/// checkpoint), the weights file, the halting policy and the device.
std::string modelFingerprint(const Model &m, llvm::StringRef weightsName) {
  std::string model = fileIdentity(m.source.checkpoint);
  if (m.source.checkpoint.empty())
    if (auto file = llvm::MemoryBuffer::getFile(modelPath))
      model = llvm::utohexstr(llvm::xxh3_64bits((*file)->getBuffer()));
  return llvm::formatv("{0}|{1}|{2}|{3}|{4}", model, fileIdentity(weightsName),
                       m.policy, m.device, trm::stringifyPrecision(m.precision))
      .str();
}

/// What a batch's rows go to besides RunResults: the ARC votes.
using BatchSink = std::function<llvm::Error(int64_t start, int64_t n,
                                            const trm::BatchBuffers &)>;

/// Runs every sample in batches of at most the model's batch size. A short
/// last batch tells the model how many of its rows are samples; the model
/// computes no others (their rows stay zero, and their outputs are dropped).
/// Without `keepArrays` only the steps are kept (the sink has the rest).
llvm::Expected<trmrun::RunResults>
runBatches(trmrun::Executable &exe, const Model &m, const trmrun::RunInputs &in,
           trmrun::RunStats &stats, bool keepArrays,
           const BatchSink &sink = nullptr,
           std::function<std::string()> progressDetail = nullptr) {
  const trm::ModelSignature &sig = m.sig;
  const int64_t count = in.count(), b = sig.batch, s = sig.seqLen,
                v = sig.vocab, k = sig.maxSteps;
  trmrun::RunResults r;
  r.count = count;
  r.seqLen = s;
  r.vocab = v;
  r.maxSteps = k;
  r.steps.resize(count);
  if (keepArrays) {
    r.predictions.resize(count * s);
    r.stepPredictions.resize(count * k * s);
    r.logits.resize(count * s * v);
    r.stepQLogits.resize(count * k * 2);
  }
  trm::BatchBuffers buf(sig);
  trmrun::Progress progress(count, progressInterval, !quiet,
                            std::move(progressDetail));
  for (int64_t start = 0; start < count; start += b) {
    int64_t n = std::min(b, count - start);
    std::fill(buf.tokens.begin(), buf.tokens.end(), 0);
    std::fill(buf.puzzleIds.begin(), buf.puzzleIds.end(), 0);
    std::copy_n(in.tokens.values.begin() + start * s, n * s,
                buf.tokens.begin());
    std::copy_n(in.ids.values.begin() + start, n, buf.puzzleIds.begin());
    buf.samples = n;
    if (llvm::Error err = exe.run(buf))
      return std::move(err);
    std::copy_n(buf.steps.begin(), n, r.steps.begin() + start);
    if (keepArrays) {
      std::copy_n(buf.predictions.begin(), n * s,
                  r.predictions.begin() + start * s);
      std::copy_n(buf.logits.begin(), n * s * v,
                  r.logits.begin() + start * s * v);
      std::copy_n(buf.stepQLogits.begin(), n * k * 2,
                  r.stepQLogits.begin() + start * k * 2);
      std::copy_n(buf.stepPredictions.begin(), n * k * s,
                  r.stepPredictions.begin() + start * k * s);
    }
    if (sink)
      if (llvm::Error err = sink(start, n, buf))
        return std::move(err);
    // The model counts the rows its loops computed; a step runs the whole
    // batch only while every row of it is a running sample.
    stats.executedCalls += buf.networkCalls;
    stats.executedSteps +=
        *std::max_element(buf.steps.begin(), buf.steps.begin() + n);
    for (int64_t i = 0; i < n; ++i)
      stats.neededCalls += buf.steps[i] * sig.callsPerStep();
    progress.update(start + n);
  }
  progress.finish();
  stats.fullCalls = (count + b - 1) / b * b * k * sig.callsPerStep();
  return r;
}

/// The header's words for the device.
std::string describeDevice(const Model &m, trm::VulkanRuntime *vulkan) {
  if (!vulkan)
    return "cpu";
  return "vulkan: " + vulkan->deviceDescription() + ", kernels for a " +
         trm::stringifyVulkanDeviceKind(m.codegen.deviceKind).str() +
         " device";
}

/// With Vulkan: the counters, the profile, the pipeline cache, and the
/// validation layer's verdict (an error when it said anything).
llvm::Error finishVulkan(trm::VulkanRuntime &vulkan,
                         std::unique_ptr<trmrun::Executable> &exe,
                         bool validation) {
  vulkan.printProfile(log());
  if (llvm::Error err = vulkan.savePipelineCache())
    return err;
  exe.reset();
  if (!validation)
    return llvm::Error::success();
  int64_t messages = vulkan.validationMessages();
  log() << "vulkan validation messages: " << messages << "\n";
  if (messages)
    return error(llvm::formatv("{0} Vulkan validation message(s)", messages));
  return llvm::Error::success();
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  trm::installOutOfMemoryHandlers("trm-run");
  parseCommandLine(argc, argv);
  const char *validationEnv = std::getenv("TRM_VULKAN_VALIDATION");
  const bool validation =
      vulkanValidation ||
      (validationEnv && llvm::StringRef(validationEnv) == "1");
  if (listDevices)
    return listDevicesAndExit(validation);
  auto policy = checkFlags();
  if (!policy)
    return fail(policy.takeError());

  // The model.
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<trm::TRMDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  auto t0 = Clock::now();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  trmrun::SourceOptions sourceOptions;
  sourceOptions.batch = importBatch;
  if (!noCache)
    sourceOptions.cacheDir =
        cacheDir.empty() ? trmrun::defaultCacheDir() : cacheDir.getValue();
  auto source =
      trmrun::openModelSource(modelPath, context, sourceMgr, sourceOptions);
  if (!source)
    return fail(source.takeError());
  for (const std::string &note : source->notes)
    log() << "trm-run: " << note << "\n";
  auto model = describeModel(std::move(*source), *policy);
  if (!model)
    return fail(model.takeError());
  if (compileOnly)
    return compileArtifact(*model, t0);
  // The weights: --weights, else a checkpoint directory's step_N, else the
  // file the module names (trm-import --checkpoint).
  std::string weightsName = weightsPath.getValue();
  if (weightsName.empty())
    weightsName = model->source.checkpoint;
  if (weightsName.empty() && !model->source.recordedWeights.empty()) {
    weightsName = model->source.recordedWeights;
    if (!llvm::sys::fs::exists(weightsName))
      return fail(error(modelPath + ": the weights file it names, " +
                        weightsName + " (" + trm::kWeightsFileAttrName +
                        ", from trm-import --checkpoint), does not exist: "
                        "give --weights"));
    log() << "trm-run: weights " << weightsName << " (named by the module)\n";
  }
  if (weightsName.empty())
    return fail(error("--weights is required (a checkpoint directory needs "
                      "none: its latest step_N is used; a module imported "
                      "with trm-import --checkpoint names its own)"));

  // Inputs and outputs, all checked before any computation: every output's
  // temporary file is created now.
  std::unique_ptr<trmrun::ArcEvaluation> arc;
  if (!datasetDir.empty() && trmrun::ArcEvaluation::isArcSplit(datasetDir)) {
    auto created = trmrun::ArcEvaluation::createFromSplit(
        datasetDir, model->sig, outputDir);
    if (!created)
      return fail(created.takeError());
    arc = std::move(*created);
  } else if (!arcChallenges.empty()) {
    auto created = trmrun::ArcEvaluation::create(
        {arcChallenges, arcSolutions, arcIdentifiers, arcAugmentations,
         outputDir},
        model->sig);
    if (!created)
      return fail(created.takeError());
    arc = std::move(*created);
  }
  if (arc)
    if (llvm::Error err = arc->resume(modelFingerprint(*model, weightsName)))
      return fail(std::move(err));
  trmrun::InputRequest inputRequest{inputPath,    sudokus,
                                    inputFormat == "digits",
                                    puzzleIdsPath, labelsPath,
                                    firstSamples, datasetDir};
  std::optional<int64_t> ignoreLabelId;
  if (llvm::Error err = trmrun::resolveDataset(inputRequest, ignoreLabelId))
    return fail(std::move(err));
  auto inputs = arc ? llvm::Expected<trmrun::RunInputs>(arc->inputs())
                    : trmrun::readRunInputs(inputRequest, model->sig);
  if (!inputs)
    return fail(inputs.takeError());
  inputs->ignoreLabelId = ignoreLabelId;
  for (const std::string &warning : inputs->warnings)
    warn(warning);
  const int64_t count = inputs->count();
  trmrun::OutputRequest request{arc ? "" : outputDir.getValue(), tracePath,
                                traceSvgPrefix, traceSvgSamples,
                                outputFormat == "digits"};
  auto outputs = trmrun::RunOutputs::open(request, count, model->sig.seqLen);
  if (!outputs)
    return fail(outputs.takeError());
  std::optional<trm::WeightFile> weights;
  if (weightsPath.empty() && model->source.weights)
    weights = std::move(model->source.weights);
  else if (auto read = trm::readWeights(weightsName))
    weights = std::move(*read);
  else
    return fail(read.takeError());
  trmrun::RunStats stats;
  stats.loadSeconds = secondsSince(t0);

  // The device before the compilation: a missing driver is reported first.
  std::unique_ptr<trm::VulkanRuntime> vulkan;
  if (model->onVulkan()) {
    auto created = createVulkanRuntime(*model, validation);
    if (!created)
      return fail(created.takeError());
    vulkan = std::move(*created);
    if (!model->isArtifact && !model->requestedKind)
      model->codegen.deviceKind = vulkan->isCPUDevice()
                                      ? trm::VulkanDeviceKind::CPU
                                      : trm::VulkanDeviceKind::GPU;
  }
  auto t1 = Clock::now();
  std::string cacheNote;
  bool cacheHit = false;
  auto exe = compileModel(*model, vulkan.get(),
                          noCache ? "" : sourceOptions.cacheDir, cacheNote,
                          cacheHit);
  if (!exe)
    return fail(exe.takeError());
  stats.compileSeconds = secondsSince(t1);
  if (!cacheNote.empty())
    log() << "trm-run: " << cacheNote << "\n";
  if (trm::passCountersRequested())
    trm::printPassCounters(llvm::errs());
  if (llvm::Error err = (*exe)->setWeights(std::move(*weights), weightsName))
    return fail(std::move(err));
  if (vulkan) {
    stats.uploadedWeightBytes = vulkan->stats().uploadedBytes;
    vulkan->resetStats();
  }

  // The run.
  stats.model = modelPath;
  stats.device = model->device;
  stats.deviceDescription = describeDevice(*model, vulkan.get());
  stats.policy = model->policy;
  if (model->codegen.f16)
    stats.policy += ", kernel arithmetic f16 (sums f32)";
  if (model->precision == trm::Precision::BF16)
    stats.policy += ", weight matmuls bf16 (sums f32)";
  if (!model->source.nativeArtifact.empty()) {
    stats.codePhase = "loading the machine code";
    stats.codeFrom = "artifact";
  } else if (cacheHit) {
    stats.codePhase = "loading the machine code";
    stats.codeFrom = "compilation cache";
  } else if (model->isArtifact) {
    stats.codePhase = "JIT of the artifact";
    stats.codeFrom = "bytecode artifact";
  }
  stats.batch = model->sig.batch;
  trmrun::printHeader(log(), stats, count);
  if (arc)
    log() << "trm-run: " << arc->describePlan() << "\n";
  auto t2 = Clock::now();
  BatchSink sink;
  if (arc)
    sink = [&](int64_t start, int64_t n, const trm::BatchBuffers &buf) {
      return arc->addBatch(start, n, buf, model->sig.maxSteps);
    };
  std::function<std::string()> tasksDone;
  if (arc)
    tasksDone = [&] {
      return llvm::formatv("{0} of {1} tasks", arc->tasksDone(),
                           arc->taskCount())
          .str();
    };
  auto results =
      runBatches(**exe, *model, *inputs, stats, !arc, sink, tasksDone);
  if (!results)
    return fail(results.takeError());
  stats.runSeconds = secondsSince(t2);

  // Files, then the report: results on stdout, the rest on stderr.
  std::optional<llvm::ArrayRef<int64_t>> labelValues;
  if (inputs->labels)
    labelValues = inputs->labels->values;
  if (arc) {
    if (llvm::Error err = arc->writeFiles())
      return fail(std::move(err));
    stats.written.assign(arc->paths().begin(), arc->paths().end());
  } else {
    if (llvm::Error err =
            outputs->write(*results, inputs->tokens.values, labelValues))
      return fail(std::move(err));
    stats.written.assign(outputs->paths().begin(), outputs->paths().end());
  }
  for (const std::string &path : stats.written)
    log() << "trm-run: wrote " << path << "\n";
  if (vulkan)
    stats.vulkan = vulkan->stats();
  // Sudokus given as digits come back as digits.
  if (json && arc)
    trmrun::writeJsonSummary(
        llvm::outs(), stats, *results, *inputs, false,
        [&](llvm::json::OStream &j) { arc->writeJsonScores(j); });
  else if (json)
    trmrun::writeJsonSummary(llvm::outs(), stats, *results, *inputs,
                             outputFormat == "digits" || !sudokus.empty());
  else if (arc)
    arc->printScores(llvm::outs());
  else
    trmrun::printResults(llvm::outs(), *results, *inputs,
                         printGrids || !sudokus.empty(),
                         model->policy == "fixed");
  llvm::outs().flush();
  if (!json && !printGrids && sudokus.empty() && stats.written.empty())
    log() << "trm-run: note: the predictions were not saved: --output-dir "
             "DIR writes them, --print-grids or --json prints them\n";
  trmrun::printStatistics(log(), stats, *results);
  if (vulkan)
    if (llvm::Error err = finishVulkan(*vulkan, *exe, validation))
      return fail(std::move(err));
  return 0;
}
