//===- Pipelines.h - whole trm compilation pipelines --------------*- C++ -*-===//
#ifndef TRM_PIPELINES_PIPELINES_H
#define TRM_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LLVM.h"

namespace mlir::trm {
/// trm -> linalg on tensors -> bufferized loops -> LLVM dialect, ready for
/// the JIT. Exactly what `trm-run --device cpu` runs; `trm-opt
/// --trm-to-llvm-pipeline` reproduces it.
LogicalResult buildTRMToLLVMPipeline(OpPassManager &pm);

/// trm -> buffers -> workgroup-tiled kernels in SPIR-V (gpu.binary) plus a
/// host program in the LLVM dialect that launches them through the mgpu*
/// runtime API. Exactly what `trm-run --device vulkan` runs.
LogicalResult buildTRMToVulkanPipeline(OpPassManager &pm, bool f16 = false);
std::string getTRMToVulkanPipelineText(bool f16 = false);

/// Registers every pass the pipelines name (upstream and trm).
void registerTRMPipelinePasses();

/// The textual form of the same pipeline (for docs and error messages).
std::string getTRMToLLVMPipelineText();

/// Registers the named pipelines with the global pass registry.
void registerTRMPipelines();
} // namespace mlir::trm

#endif
