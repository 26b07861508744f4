//===- Executable.h - a model loaded for its device ---------------*- C++ -*-===//
//
// What trm-run's batches run on, whatever made it: code the JIT compiled for
// this CPU, kernels on a Vulkan device, or an ahead-of-time artifact
// (trm-compile's, or one from the compilation cache) run by libtrmrt, the
// runtime embedders link. Each takes the weights once and then runs batches
// in trm::BatchBuffers; the runtime only moves data and launches code.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_TOOLS_TRMRUN_EXECUTABLE_H
#define TRM_TOOLS_TRMRUN_EXECUTABLE_H

#include "trm/Runtime/ArrayIO.h"
#include "trm/Runtime/CpuExecutable.h"
#include "trm/Runtime/ModelSignature.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>

struct trm_model;

namespace mlir::trm {
class VulkanExecutable;
} // namespace mlir::trm

namespace trmrun {

class Executable {
public:
  virtual ~Executable();
  /// Binds every parameter from `file` (read from `path`, which errors
  /// name), checked by key and shape against the model's table.
  virtual llvm::Error setWeights(mlir::trm::WeightFile file,
                                 llvm::StringRef path) = 0;
  /// Runs rows 0 .. buffers.samples-1 of one batch.
  virtual llvm::Error run(mlir::trm::BatchBuffers &buffers) = 0;
};

/// Code the JIT compiled; `sig` carries the weight table.
std::unique_ptr<Executable>
makeJitExecutable(std::unique_ptr<mlir::trm::CpuExecutable> cpu,
                  mlir::trm::ModelSignature sig);

/// Kernels loaded on a Vulkan device, which must outlive the executable.
std::unique_ptr<Executable>
makeVulkanExecutable(std::unique_ptr<mlir::trm::VulkanExecutable> kernels,
                     mlir::trm::ModelSignature sig);

/// An ahead-of-time CPU artifact opened by libtrmrt.
class NativeArtifact : public Executable {
public:
  /// Opens `path` (checksum, format, target and CPU features checked by the
  /// runtime); `threads` > 0 sets the OpenMP thread count.
  static llvm::Expected<std::unique_ptr<NativeArtifact>>
  open(const std::string &path, int64_t threads);
  ~NativeArtifact() override;

  /// The artifact's shapes and target (no weight table: the runtime keeps
  /// it), its halting policy and the compiler that made it.
  const mlir::trm::ModelSignature &signature() const { return sig; }
  const std::string &policy() const { return haltingPolicy; }
  /// f32 or bf16.
  const std::string &precision() const { return arithmetic; }
  const std::string &compiler() const { return compilerVersion; }
  const std::string &targetTriple() const { return triple; }

  llvm::Error setWeights(mlir::trm::WeightFile file,
                         llvm::StringRef path) override;
  llvm::Error run(mlir::trm::BatchBuffers &buffers) override;

private:
  explicit NativeArtifact(trm_model *model);
  trm_model *model;
  mlir::trm::ModelSignature sig;
  std::string haltingPolicy, arithmetic, compilerVersion, triple;
  /// A streamed puzzle embedding is read from the file at every batch.
  mlir::trm::WeightFile weights;
};

/// True when `bytes` end with the trailer of trm-compile's artifacts.
bool isNativeArtifact(llvm::StringRef bytes);

} // namespace trmrun

#endif
