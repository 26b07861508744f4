//===- Executable.cpp - a model loaded for its device ---------------------===//
#include "Executable.h"

#include "trm/Runtime/ArtifactContainer.h"
#include "trm/Runtime/PackedWeights.h"
#include "trm/Runtime/VulkanExecutable.h"
#include "trm/runtime.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <optional>

namespace mt = mlir::trm;
using namespace trmrun;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

Executable::~Executable() = default;

namespace {

/// The weights packed by the table of a module this process compiled.
class PackedExecutable : public Executable {
public:
  explicit PackedExecutable(mt::ModelSignature sig) : sig(std::move(sig)) {}

  llvm::Error setWeights(mt::WeightFile file, llvm::StringRef path) override {
    auto packed = mt::PackedWeights::pack(std::move(file), sig, path);
    if (!packed)
      return packed.takeError();
    weights = std::move(*packed);
    weightsChanged(weights->values());
    return llvm::Error::success();
  }

  llvm::Error run(mt::BatchBuffers &buffers) override {
    std::vector<mt::PackedWeights::Range> written;
    if (llvm::Error err = weights->bindRows(
            llvm::ArrayRef(buffers.puzzleIds).take_front(buffers.samples),
            written))
      return err;
    return runPacked(weights->values(), written, buffers);
  }

protected:
  /// The whole argument, once after binding.
  virtual void weightsChanged(const std::vector<float> &values) {}
  /// One batch, after the streamed tables' slots were rewritten at
  /// `written`.
  virtual llvm::Error runPacked(const std::vector<float> &values,
                                llvm::ArrayRef<mt::PackedWeights::Range> written,
                                mt::BatchBuffers &buffers) = 0;

  mt::ModelSignature sig;

private:
  std::optional<mt::PackedWeights> weights;
};

class JitExecutable : public PackedExecutable {
public:
  JitExecutable(std::unique_ptr<mt::CpuExecutable> cpu,
                mt::ModelSignature sig)
      : PackedExecutable(std::move(sig)), cpu(std::move(cpu)) {}

private:
  llvm::Error runPacked(const std::vector<float> &values,
                        llvm::ArrayRef<mt::PackedWeights::Range>,
                        mt::BatchBuffers &buffers) override {
    return cpu->run(values, buffers);
  }
  std::unique_ptr<mt::CpuExecutable> cpu;
};

class VulkanModelExecutable : public PackedExecutable {
public:
  VulkanModelExecutable(std::unique_ptr<mt::VulkanExecutable> kernels,
                        mt::ModelSignature sig)
      : PackedExecutable(std::move(sig)), kernels(std::move(kernels)) {}

private:
  void weightsChanged(const std::vector<float> &values) override {
    kernels->setWeights(values);
  }
  llvm::Error runPacked(const std::vector<float> &values,
                        llvm::ArrayRef<mt::PackedWeights::Range> written,
                        mt::BatchBuffers &buffers) override {
    // Only the rewritten rows of a streamed table travel to the device.
    kernels->updateWeights(values, written.vec());
    return kernels->run(buffers);
  }
  std::unique_ptr<mt::VulkanExecutable> kernels;
};

} // namespace

std::unique_ptr<Executable>
trmrun::makeJitExecutable(std::unique_ptr<mt::CpuExecutable> cpu,
                          mt::ModelSignature sig) {
  return std::make_unique<JitExecutable>(std::move(cpu), std::move(sig));
}

std::unique_ptr<Executable>
trmrun::makeVulkanExecutable(std::unique_ptr<mt::VulkanExecutable> kernels,
                             mt::ModelSignature sig) {
  return std::make_unique<VulkanModelExecutable>(std::move(kernels),
                                                 std::move(sig));
}

bool trmrun::isNativeArtifact(llvm::StringRef bytes) {
  return ::trm::rt::hasContainerTrailer({bytes.data(), bytes.size()});
}

NativeArtifact::NativeArtifact(trm_model *model) : model(model) {}

NativeArtifact::~NativeArtifact() { trm_model_close(model); }

llvm::Expected<std::unique_ptr<NativeArtifact>>
NativeArtifact::open(const std::string &path, int64_t threads) {
  trm_model *opened = trm_model_open(path.c_str(), static_cast<int>(threads));
  if (!opened)
    return error(trm_last_error());
  std::unique_ptr<NativeArtifact> artifact(new NativeArtifact(opened));
  trm_model_info info;
  trm_model_get_info(opened, &info);
  mt::ModelSignature &sig = artifact->sig;
  sig.batch = info.batch;
  sig.seqLen = info.seq_len;
  sig.vocab = info.vocab_size;
  sig.maxSteps = info.max_steps;
  sig.numPuzzleIds = info.num_puzzle_ids;
  // The runtime reports T * (n + 1) as a whole; as one cycle of that many
  // calls the signature counts the same calls per step.
  sig.hCycles = info.calls_per_step;
  sig.lCycles = 0;
  sig.targetCpu = info.target_cpu;
  sig.targetFeatures = info.target_features;
  artifact->haltingPolicy = info.halting;
  artifact->arithmetic = info.precision;
  artifact->compilerVersion = info.compiler;
  artifact->triple = info.target_triple;
  return artifact;
}

/// The runtime's name for a float dtype; nullopt for the others.
static std::optional<trm_dtype> runtimeDType(mt::DType dtype) {
  switch (dtype) {
  case mt::DType::F32:
    return TRM_DTYPE_F32;
  case mt::DType::F16:
    return TRM_DTYPE_F16;
  case mt::DType::BF16:
    return TRM_DTYPE_BF16;
  case mt::DType::F64:
    return TRM_DTYPE_F64;
  default:
    return std::nullopt;
  }
}

llvm::Error NativeArtifact::setWeights(mt::WeightFile file,
                                       llvm::StringRef path) {
  weights = std::move(file);
  std::vector<std::string> names;
  std::vector<trm_tensor> tensors;
  for (const auto &entry : weights.tensors) {
    const mt::Tensor &t = entry.getValue();
    auto dtype = runtimeDType(t.dtype);
    if (!dtype)
      return error(path + ": '" + entry.getKey() + "' is " +
                   mt::dtypeName(t.dtype) + ", not a float dtype");
    names.push_back(entry.getKey().str());
    tensors.push_back({nullptr, *dtype, t.shape.data(),
                       static_cast<int>(t.shape.size()), t.bytes().data()});
  }
  for (size_t i = 0; i < tensors.size(); ++i)
    tensors[i].name = names[i].c_str();
  if (trm_model_bind_tensors(model, path.str().c_str(), tensors.data(),
                             tensors.size()) != TRM_OK)
    return error(trm_last_error());
  return llvm::Error::success();
}

llvm::Error NativeArtifact::run(mt::BatchBuffers &buffers) {
  if (llvm::Error err = buffers.checkSampleCount())
    return err;
  trm_outputs out{};
  out.predictions = buffers.predictions.data();
  out.logits = buffers.logits.data();
  out.q_logits = buffers.stepQLogits.data();
  out.steps = buffers.steps.data();
  out.step_predictions = buffers.stepPredictions.data();
  if (trm_model_run(model, buffers.samples, buffers.tokens.data(),
                    buffers.puzzleIds.data(), &out) != TRM_OK)
    return error(trm_last_error());
  buffers.networkCalls = static_cast<int32_t>(out.network_calls);
  return llvm::Error::success();
}
