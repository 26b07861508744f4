//===- Pipelines.cpp - whole trm compilation pipelines --------------------===//
#include "trm/Pipelines/Pipelines.h"
#include "trm/Conversion/Passes.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "trm/Codegen/Passes.h"
#include "trm/Dialect/TRM/Transforms/Passes.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using mlir::trm::VulkanCodegenOptions;
using mlir::trm::VulkanDeviceKind;

// Kept as text so that `trm-opt --trm-to-llvm-pipeline`, `trm-run` and the
// docs show one and the same list. The two pipelines share their first
// steps, spelled once here (macros: the pipelines are string literals).

// trm -> linalg/tensor/scf; weight transposes and rope tables leave the
// loops (loop-invariant code motion).
#define TRM_TO_LINALG                                                          \
  "trm-bind-weights,convert-trm-to-linalg,convert-elementwise-to-linalg,"      \
  "canonicalize,loop-invariant-code-motion,cse,"
// Tensors -> buffers; results become caller-provided out-parameters;
// allocations that do not depend on a loop leave it.
#define TRM_BUFFERIZE                                                          \
  "one-shot-bufferize{bufferize-function-boundaries "                          \
  "allow-return-allocs-from-loops "                                            \
  "function-boundary-type-conversion=identity-layout-map},"                    \
  "buffer-results-to-out-params{hoist-static-allocs modify-public-functions}," \
  "cse,canonicalize,func.func(buffer-loop-hoisting),"

static constexpr const char *kTRMToLLVM =
    TRM_TO_LINALG
    // Register tiles + vectors on tensors.
    "func.func(trm-cpu-tile),canonicalize,"
    "cse,"
    "func.func(trm-cpu-vectorize),canonicalize,cse,"
    // Accumulator blocks leave the k loops: loop-carried vectors.
    "loop-invariant-subset-hoisting,canonicalize,cse,"
    TRM_BUFFERIZE
    "buffer-deallocation-pipeline,"
    "func.func(trm-cpu-lower-vectors,trm-cpu-approximate-math),canonicalize,"
    // Thread-level scf.forall -> OpenMP parallel loops.
    // (canonicalize inlines the alloca scopes it wraps bodies in, which have
    // no allocas here and would block scf-to-cf).
    "func.func(scf-forall-to-parallel),convert-scf-to-openmp,canonicalize,"
    // Remaining structured ops -> loops; vectors -> LLVM.
    "convert-linalg-to-loops,convert-vector-to-scf{full-unroll},"
    "lower-affine,convert-scf-to-cf,"
    "expand-strided-metadata,lower-affine,"
    // Buffers from the runtime's allocator (trm/Support/OutOfMemory.h).
    "finalize-memref-to-llvm{use-generic-functions},"
    "convert-vector-to-llvm{vector-contract-lowering=outerproduct},"
    "convert-math-to-llvm,convert-math-to-libm,convert-arith-to-llvm,"
    "convert-index-to-llvm,convert-ub-to-llvm,func.func(llvm-request-c-wrappers),"
    "convert-openmp-to-llvm,convert-func-to-llvm,convert-cf-to-llvm,"
    "reconcile-unrealized-casts";

// The Vulkan pipeline: the same trm -> linalg -> buffers front half, then
// every linalg op becomes a workgroup-tiled kernel; kernels go to SPIR-V
// (serialized into gpu.binary ops), the host side (loops, halting decision,
// kernel launches) to LLVM.
#define TRM_TO_VULKAN(F16, CAPS, TILE)                                          \
    TRM_TO_LINALG                                                              \
    /* Results written in place into the slices they fill (no copy             \
       kernels). linalg-fuse-elementwise-ops is left out on purpose: it fuses  \
       producers into reductions, which recomputes them per reduction step     \
       and measured slower on lavapipe. */                                     \
    "eliminate-empty-tensors,"                                                 \
    TRM_BUFFERIZE                                                              \
    "buffer-deallocation-pipeline,func.func(llvm-request-c-wrappers),"         \
    /* Every linalg op (copies included) -> one kernel launch. */              \
    "func.func(trm-memref-copy-to-linalg,trm-fold-fill-copies,"                \
    "trm-gpu-reductions-innermost,trm-gpu-collapse-elementwise,canonicalize,"  \
    "cse,"                                                                     \
    "convert-linalg-to-parallel-loops,loop-invariant-code-motion,"             \
    "trm-gpu-promote-accumulators,trm-gpu-fuse-fill-into-reductions,"          \
    "trm-gpu-fuse-parallel-loops,trm-gpu-forward-state-copies,"                \
    "trm-gpu-fuse-reductions,"                                                 \
    /* Matmuls: workgroup tiles with operands staged in shared memory;     \
       the rest: one invocation per element (or per register tile). */      \
    TILE                                                                       \
    /* 8 rows per invocation: faster than 4 on lavapipe. */                  \
    "trm-gpu-map-parallel-loops{rows-per-invocation=8},"                       \
    "convert-parallel-loops-to-gpu,canonicalize,"                              \
    "cse,trm-gpu-sink-views),"                                                 \
    "gpu-kernel-outlining,"                                                    \
    "gpu.module(fold-memref-alias-ops,math-expand-ops{ops=powf},lower-affine," \
    "arith-expand,canonicalize,cse,loop-invariant-code-motion,"                \
    "trm-gpu-promote-accumulators,canonicalize,"                               \
    "trm-gpu-unroll-jam-register-tiles,canonicalize,cse," F16                  \
    "trm-gpu-set-entry-point-abi),"                                            \
    /* Host: device buffers, fences before host reads, scalar arguments. */    \
    "trm-gpu-assign-memory,canonicalize,"                                      \
    /* Kernels -> SPIR-V 1.3 for Vulkan, serialized. */                        \
    "spirv-attach-target{ver=v1.3 caps=" CAPS " "                              \
    "exts=SPV_KHR_storage_buffer_storage_class client_api=Vulkan},"            \
    "gpu.module(convert-math-to-spirv),convert-gpu-to-spirv,"                  \
    "trm-gpu-nest-spirv-modules,"                                              \
    "gpu.module(spirv.module(spirv-lower-abi-attrs,spirv-update-vce)),"        \
    "gpu-module-to-binary,"                                                    \
    /* Host -> LLVM; launches become mgpu* runtime calls. */                   \
    "lower-affine,convert-scf-to-cf,expand-strided-metadata,lower-affine,"     \
    "finalize-memref-to-llvm{use-generic-functions},"                          \
    "gpu-to-llvm{use-bare-pointers-for-kernels intersperse-sizes-for-kernels},"\
    "convert-math-to-llvm,convert-arith-to-llvm,convert-index-to-llvm,"        \
    "convert-ub-to-llvm,convert-func-to-llvm,convert-cf-to-llvm,"              \
    "reconcile-unrealized-casts"

// Matmul workgroups for a GPU: 16x8 invocations, 4x4 outputs each, both
// operands in shared memory (6 KiB). For a CPU driver: 16x1 invocations,
// 16x16 outputs each; only A is shared. On lavapipe this shape ran the
// full-size Sudoku step fastest of those tried, well ahead of the register
// tiles alone and of a 2-D shape like the GPU one (docs/VulkanBackend.md
// has the shapes tried and their times).
#define TILE_FOR_GPU                                                           \
  "trm-gpu-tile-matmuls{threads-x=16 threads-y=8 rows-per-invocation=4 "       \
  "cols-per-invocation=4 k-tile=16},"
#define TILE_FOR_CPU                                                           \
  "trm-gpu-tile-matmuls{threads-x=16 threads-y=1 rows-per-invocation=16 "      \
  "cols-per-invocation=16 k-tile=16},"
#define F16_ARITHMETIC "trm-gpu-f16-arithmetic,canonicalize,cse,"

// Indexed by [f16][device kind].
static constexpr const char *kTRMToVulkan[2][2] = {
    {TRM_TO_VULKAN("", "Shader", TILE_FOR_GPU),
     TRM_TO_VULKAN("", "Shader", TILE_FOR_CPU)},
    {TRM_TO_VULKAN(F16_ARITHMETIC, "Shader,Float16", TILE_FOR_GPU),
     TRM_TO_VULKAN(F16_ARITHMETIC, "Shader,Float16", TILE_FOR_CPU)},
};

#undef TRM_TO_LINALG
#undef TRM_BUFFERIZE
#undef TRM_TO_VULKAN
#undef TILE_FOR_GPU
#undef TILE_FOR_CPU
#undef F16_ARITHMETIC

std::string mlir::trm::getTRMToLLVMPipelineText() { return kTRMToLLVM; }
std::string
mlir::trm::getTRMToVulkanPipelineText(const VulkanCodegenOptions &options) {
  return kTRMToVulkan[options.f16]
                     [options.deviceKind == VulkanDeviceKind::CPU];
}

llvm::StringRef mlir::trm::stringifyVulkanDeviceKind(VulkanDeviceKind kind) {
  return kind == VulkanDeviceKind::CPU ? "cpu" : "gpu";
}

std::optional<VulkanDeviceKind>
mlir::trm::parseVulkanDeviceKind(llvm::StringRef name) {
  if (name == "gpu")
    return VulkanDeviceKind::GPU;
  if (name == "cpu")
    return VulkanDeviceKind::CPU;
  return std::nullopt;
}

void mlir::trm::registerTRMPipelinePasses() {
  // The pipeline is parsed from text, so every pass in it must be registered
  // in any tool that builds it, not only in trm-opt.
  static bool registered = [] {
    registerAllPasses();
    registerTRMTransformsPasses();
    registerTRMConversionPasses();
    registerTRMCodegenPasses();
    return true;
  }();
  (void)registered;
}

LogicalResult mlir::trm::buildTRMToLLVMPipeline(OpPassManager &pm) {
  registerTRMPipelinePasses();
  return parsePassPipeline(kTRMToLLVM, pm, llvm::errs());
}

LogicalResult
mlir::trm::buildTRMToVulkanPipeline(OpPassManager &pm,
                                    const VulkanCodegenOptions &options) {
  registerTRMPipelinePasses();
  return parsePassPipeline(getTRMToVulkanPipelineText(options), pm,
                           llvm::errs());
}

namespace {
struct TRMToVulkanPipelineOptions
    : PassPipelineOptions<TRMToVulkanPipelineOptions> {
  Option<VulkanDeviceKind> deviceKind{
      *this, "device-kind",
      llvm::cl::desc("the kind of Vulkan device the matmul kernels are "
                     "shaped for"),
      llvm::cl::init(VulkanDeviceKind::GPU),
      llvm::cl::values(
          clEnumValN(VulkanDeviceKind::GPU, "gpu", "a GPU"),
          clEnumValN(VulkanDeviceKind::CPU, "cpu",
                     "a CPU driver such as lavapipe"))};
};

void registerVulkanPipeline(llvm::StringRef name, llvm::StringRef description,
                            bool f16) {
  PassPipelineRegistration<TRMToVulkanPipelineOptions>(
      name, description,
      [f16](OpPassManager &pm, const TRMToVulkanPipelineOptions &opts) {
        if (failed(trm::buildTRMToVulkanPipeline(pm, {f16, opts.deviceKind})))
          llvm::report_fatal_error("trm-to-vulkan pipeline text does not "
                                   "parse");
      });
}
} // namespace

void mlir::trm::registerTRMPipelines() {
  registerVulkanPipeline(
      "trm-to-vulkan-f16-pipeline",
      "The Vulkan pipeline with kernel arithmetic in f16 and sums in f32 "
      "(what trm-run --device vulkan --vulkan-f16 runs)",
      /*f16=*/true);
  registerVulkanPipeline(
      "trm-to-vulkan-pipeline",
      "Lower a trm module to SPIR-V kernels (in gpu.binary ops) and an LLVM "
      "dialect host program (what trm-run --device vulkan runs)",
      /*f16=*/false);
  PassPipelineRegistration<>(
      "trm-to-llvm-pipeline",
      "Lower a trm module to the LLVM dialect for CPU execution (what "
      "trm-run --device cpu runs)",
      [](OpPassManager &pm) {
        if (failed(buildTRMToLLVMPipeline(pm)))
          llvm::report_fatal_error("trm-to-llvm pipeline text does not parse");
      });
}
