//===- Pipelines.h - whole trm compilation pipelines --------------*- C++ -*-===//
#ifndef TRM_PIPELINES_PIPELINES_H
#define TRM_PIPELINES_PIPELINES_H

#include <cstdint>
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/Error.h"

#include <optional>

namespace mlir::trm {
/// The front half both pipelines share: weights bound to the packed buffer,
/// trm -> linalg/tensor/scf on tensors, loop invariants hoisted except
/// fresh tensors of at least `keepTemporaryBytes` (0: all hoisted; see
/// trm-hoist-loop-invariants).
void addTRMToLinalgPasses(OpPassManager &pm, int64_t keepTemporaryBytes = 0,
                          bool attentionPerSample = false);

/// Tensors -> buffers: results become caller-provided out-parameters,
/// allocations that do not depend on a loop leave it (but for those of at
/// least `keepInLoopsBytes`, when not 0), deallocations are placed.
void addBufferizePasses(OpPassManager &pm, int64_t keepInLoopsBytes);

/// What the CPU code is generated for.
struct CPUCodegenOptions {
  /// Threads the contractions are split across (0: the physical cores of
  /// the compiling machine).
  int64_t threads = 0;
  /// Parallel loops on the LLVM OpenMP runtime; false: sequential loops,
  /// and code that needs no runtime library but the trm runtime's.
  bool openmp = true;
  /// The weights' matmuls multiply in bf16 (weights and activations rounded
  /// to nearest even) and sum in f32; attention, norms, softmax and the
  /// element-wise ops stay f32.
  bool bf16 = false;
  /// bf16 products as AVX512-BF16 dot products (the target has them);
  /// else as f32 products of the rounded operands, the same values slower.
  bool bf16DotProduct = false;
  /// Line tables that map the machine code to the module's lines (each op's
  /// location), for profilers: bench/profile_cpu.py's per-op profile.
  bool debugInfo = false;
};

/// trm -> linalg on tensors -> bufferized loops -> LLVM dialect, ready for
/// the JIT. Exactly what `trm-run --device cpu` runs; `trm-opt
/// --trm-to-llvm-pipeline` reproduces it.
void buildTRMToLLVMPipeline(OpPassManager &pm,
                            const CPUCodegenOptions &options = {});

/// The kind of Vulkan device the kernels are shaped for. A GPU gets 2-D
/// matmul workgroups with both operands staged in shared memory; a CPU
/// driver (lavapipe, SwiftShader), which runs a workgroup as a loop over
/// SIMD lanes, gets one row of invocations with many accumulators each.
enum class VulkanDeviceKind { GPU, CPU };
llvm::StringRef stringifyVulkanDeviceKind(VulkanDeviceKind kind);
std::optional<VulkanDeviceKind> parseVulkanDeviceKind(llvm::StringRef name);

/// The arithmetic a model is compiled for: f32 everywhere; bf16 (the CPU's
/// weight matmuls multiply in bf16 and sum in f32); f16 (Vulkan kernels
/// multiply and compute element-wise in f16, sums in f32).
enum class Precision { F32, BF16, F16 };
llvm::StringRef stringifyPrecision(Precision precision);

/// The tools' --precision, with the older --vulkan-f16 (`vulkanF16Given`,
/// which means f16); nothing when neither flag is given. An error names the
/// flag.
llvm::Expected<std::optional<Precision>>
parsePrecision(llvm::StringRef precision, bool vulkanF16Given);
/// The error for a precision the device does not compute in: f16 is
/// Vulkan's, bf16 the CPU's.
llvm::Error checkPrecisionDevice(Precision precision, bool onVulkan);

/// What the Vulkan kernels are generated for.
struct VulkanCodegenOptions {
  /// Products and element-wise arithmetic in f16, sums in f32 (needs
  /// shaderFloat16).
  bool f16 = false;
  VulkanDeviceKind deviceKind = VulkanDeviceKind::GPU;
};

/// trm -> buffers -> workgroup-tiled kernels in SPIR-V (gpu.binary) plus a
/// host program in the LLVM dialect that launches them through the mgpu*
/// runtime API. Exactly what `trm-run --device vulkan` runs.
void buildTRMToVulkanPipeline(OpPassManager &pm,
                              const VulkanCodegenOptions &options = {});

/// The textual form of each pipeline, printed from the pass manager the
/// recipe builds (for the docs and the artifact key).
std::string getTRMToLLVMPipelineText(const CPUCodegenOptions &options = {});
std::string
getTRMToVulkanPipelineText(const VulkanCodegenOptions &options = {});

/// Registers every pass, upstream and trm, with the global registry: what
/// trm-opt's pass flags and the pass-manager flags (--mlir-print-ir-after=
/// <pass>) of every tool name.
void registerTRMPasses();

/// Registers the named pipelines with the global pass registry.
void registerTRMPipelines();
} // namespace mlir::trm

#endif
