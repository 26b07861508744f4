//===- CpuArtifact.h - ahead-of-time artifacts for CPUs -----------*- C++ -*-===//
//
// The last stage of trm-compile for the CPU: a module the trm-to-llvm
// pipeline lowered becomes machine code for a target triple and CPU, linked
// by ld.lld into a shared library, wrapped with its metadata in the
// container the runtime reads (trm/Runtime/ArtifactContainer.h). The
// runtime, libtrmrt, then loads it with the dynamic loader: no code is
// generated at load.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_COMPILER_CPUARTIFACT_H
#define TRM_COMPILER_CPUARTIFACT_H

#include "trm/Runtime/ModelSignature.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir::trm {

/// What the machine code is generated for, in LLVM's names (llc's
/// -mtriple, -mcpu, -mattr). An empty triple is the host's; an empty CPU is
/// the host's own CPU with its features for the host triple, and `generic`
/// for another.
struct CpuTarget {
  std::string triple, cpu, features;
};

/// `target` with the host's triple, CPU and features where it leaves them
/// empty (and `generic` for another triple's CPU): what code generation
/// uses, and what a compilation cache keys on.
CpuTarget resolveCpuTarget(const CpuTarget &target);

/// Whether code for `target` may use AVX512-BF16's dot products (an x86-64
/// target whose CPU and features include avx512bf16).
llvm::Expected<bool> targetHasBF16DotProduct(const CpuTarget &target);

/// The artifact file for `lowered` (the trm-to-llvm pipeline's output) with
/// signature `sig` (weight table read), halting `policy` and `precision`
/// (f32 or bf16, recorded); the metadata records whether the code calls the
/// OpenMP runtime. Needs ld.lld (TRM_LLD, else ld.lld-22 or ld.lld on
/// PATH).
llvm::Expected<std::string> buildCpuArtifact(ModuleOp lowered,
                                             const ModelSignature &sig,
                                             llvm::StringRef policy,
                                             llvm::StringRef precision,
                                             const CpuTarget &target);

} // namespace mlir::trm

#endif // TRM_COMPILER_CPUARTIFACT_H
