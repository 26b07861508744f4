//===- ArtifactCompiler.h - a trm module into an artifact ---------*- C++ -*-===//
//
// The one recipe behind trm-compile and trm-run --compile-only: set the
// halting policy, lower for the device, and package the result.
//   cpu     machine code for a target triple and CPU (CpuArtifact.h), run
//           by libtrmrt without MLIR or LLVM;
//   vulkan  the lowered module (SPIR-V kernels and the host program) as a
//           checksummed bytecode file (trm/Runtime/ArtifactFile.h), whose
//           host program trm-run JIT-compiles at load.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_COMPILER_ARTIFACTCOMPILER_H
#define TRM_COMPILER_ARTIFACTCOMPILER_H

#include "trm/Compiler/CpuArtifact.h"
#include "trm/Pipelines/Pipelines.h"
#include "trm/Runtime/ModelSignature.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir::trm {

/// What an artifact is compiled for.
struct ArtifactOptions {
  /// cpu or vulkan.
  std::string device = "cpu";
  /// fixed or q_halt; empty: the module's own (modulePolicy).
  std::string policy;
  CPUCodegenOptions cpu;
  CpuTarget cpuTarget;
  VulkanCodegenOptions vulkan;
};

/// The halting policy a module was imported with (its trm.act op's), or
/// fixed when it has none.
std::string modulePolicy(ModuleOp module);

/// Sets every trm.act op of `module` to halting `policy` (fixed or q_halt).
llvm::Error setHaltingPolicy(ModuleOp module, llvm::StringRef policy);

/// Lowers `module` (trm dialect, signature `sig`) in place for `options`
/// and returns the artifact file's bytes. `pm` carries the pass-manager
/// command-line options (IR printing, timing).
llvm::Expected<std::string> compileArtifact(ModuleOp module,
                                            const ModelSignature &sig,
                                            const ArtifactOptions &options,
                                            PassManager &pm);

/// Sets `cpu` for `precision` (f32 or bf16) on `target`: bf16 products as
/// AVX512-BF16 dot products where the target has them, else as f32 products
/// of the rounded operands, which `note` then says.
llvm::Error setCpuPrecision(CPUCodegenOptions &cpu, Precision precision,
                            const CpuTarget &target, std::string &note);

/// The kind of Vulkan device `deviceIndex` of this machine is, which the
/// kernels are shaped for when none is asked: cpu for a CPU driver such as
/// lavapipe, gpu otherwise. Without a Vulkan loader or such a device (an
/// artifact made here for another machine) it is gpu, and `note` says so.
VulkanDeviceKind localVulkanDeviceKind(int deviceIndex, std::string &note);

} // namespace mlir::trm

#endif // TRM_COMPILER_ARTIFACTCOMPILER_H
