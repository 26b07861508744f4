//===- Pipelines.cpp - whole trm compilation pipelines --------------------===//
//
// The pipelines as C++ recipes: each stage is a function that adds its
// passes, with their options typed, in the order they run. The textual
// form (`--dump-pass-pipeline`, the docs, the artifact key) is printed from
// the pass manager these recipes build, so that there is one list.
//
//   trm ──addTRMToLinalgPasses──> linalg on tensors
//       ├─ CPU:    register tiles, vectors ─addBufferizePasses─> OpenMP loops
//       │          ─> LLVM dialect (JIT)
//       └─ Vulkan: ─addBufferizePasses─> one kernel per linalg op, workgroup
//                  tiles ─> SPIR-V (gpu.binary) + an LLVM dialect host
//
//===----------------------------------------------------------------------===//
#include "trm/Pipelines/Pipelines.h"
#include "trm/Support/BufferAllocator.h"

#include "trm/Codegen/CPU/Passes.h"
#include "trm/Codegen/Common/Passes.h"
#include "trm/Codegen/GPU/Passes.h"
#include "trm/Codegen/SPIRV/Passes.h"
#include "trm/Conversion/Passes.h"
#include "trm/Dialect/TRM/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/Transforms/RequestCWrappers.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"
#include "mlir/Dialect/SPIRV/Transforms/Passes.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using mlir::trm::VulkanCodegenOptions;
using mlir::trm::VulkanDeviceKind;

namespace {
void addCanonicalizeAndCSE(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

/// Tiles and vectors -> loops and LLVM: what the CPU and the Vulkan host
/// code share at the end of their pipelines.
void addFinalizeMemRefToLLVM(OpPassManager &pm) {
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // Buffers come from the runtime's allocator (trm/Support/BufferAllocator.h).
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
}

std::string printPipeline(OpPassManager &pm) {
  std::string text;
  llvm::raw_string_ostream os(text);
  pm.printAsTextualPipeline(os);
  return text;
}
} // namespace

void mlir::trm::addTRMToLinalgPasses(OpPassManager &pm,
                                      int64_t keepTemporaryBytes,
                                      bool attentionPerSample) {
  // What the lowering makes from a trm op can be traced back to it.
  pm.addPass(createTRMNameLocations());
  // Only the puzzle rows a batch uses reach the compiled model.
  pm.addPass(createTRMStreamPuzzleEmbedding());
  pm.addPass(createTRMBindWeights());
  ConvertTRMToLinalgOptions lowering;
  lowering.attentionPerSample = attentionPerSample;
  pm.addPass(createConvertTRMToLinalg(lowering));
  pm.addPass(createConvertElementwiseToLinalgPass());
  // Weight transposes and rope tables leave the loops.
  pm.addPass(createCanonicalizerPass());
  TRMHoistLoopInvariantsOptions hoist;
  hoist.keepBytes = keepTemporaryBytes;
  pm.addPass(createTRMHoistLoopInvariants(hoist));
  pm.addPass(createCSEPass());
}

void mlir::trm::addBufferizePasses(OpPassManager &pm,
                                    int64_t keepInLoopsBytes) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.allowReturnAllocsFromLoops = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // Results become caller-provided out-parameters.
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  // Allocations that do not depend on a loop leave it, but for large ones
  // the pipeline kept in on purpose (addTRMToLinalgPasses' bound).
  if (keepInLoopsBytes == 0) {
    pm.addNestedPass<func::FuncOp>(
        bufferization::createBufferLoopHoistingPass());
  } else {
    TRMHoistSmallAllocationsOptions hoist;
    hoist.keepBytes = keepInLoopsBytes;
    pm.addNestedPass<func::FuncOp>(createTRMHoistSmallAllocations(hoist));
  }
  bufferization::buildBufferDeallocationPipeline(pm);
}

void mlir::trm::buildTRMToLLVMPipeline(OpPassManager &pm,
                                       const CPUCodegenOptions &options) {
  // Large temporaries stay in the recursion's loops: one network call's are
  // live at a time, and the allocator reuses their blocks at the next.
  // Attention one sample at a time: the batch's [B, H, L, L] scores do not
  // fit in any cache, one sample's are reused while they are warm.
  addTRMToLinalgPasses(pm, kReusedBufferBytes, /*attentionPerSample=*/true);
  // Weights in panels, then register tiles + vectors on tensors.
  TRMCPUTileOptions tile;
  tile.threads = options.threads;
  TRMCPUPackWeightsOptions pack;
  pack.nTile = tile.nTile;
  pack.bf16 = options.bf16;
  pm.addNestedPass<func::FuncOp>(createTRMCPUPackWeights(pack));
  addCanonicalizeAndCSE(pm);
  pm.addNestedPass<func::FuncOp>(createTRMCPUTile(tile));
  addCanonicalizeAndCSE(pm);
  pm.addNestedPass<func::FuncOp>(createTRMCPUVectorize());
  addCanonicalizeAndCSE(pm);
  // Accumulator blocks leave the k loops: loop-carried vectors.
  pm.addPass(createLoopInvariantSubsetHoistingPass());
  addCanonicalizeAndCSE(pm);
  addBufferizePasses(pm, kReusedBufferBytes);
  pm.addNestedPass<func::FuncOp>(createTRMDeallocAfterLastUse());
  OpPassManager &func = pm.nest<func::FuncOp>();
  TRMMemRefCopyToLinalgOptions stridedCopies;
  stridedCopies.stridedOnly = true;
  func.addPass(createTRMMemRefCopyToLinalg(stridedCopies));
  TRMCPULowerVectorsOptions lowerVectors;
  lowerVectors.bf16DotProduct = options.bf16 && options.bf16DotProduct;
  func.addPass(createTRMCPULowerVectors(lowerVectors));
  func.addPass(createTRMCPUApproximateMath());
  pm.addPass(createCanonicalizerPass());
  // Thread-level scf.forall -> OpenMP parallel loops. (canonicalize inlines
  // the alloca scopes it wraps bodies in, which have no allocas here and
  // would block scf-to-cf.)
  if (options.openmp) {
    pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
    pm.addPass(createConvertSCFToOpenMPPass());
  } else {
    pm.addNestedPass<func::FuncOp>(createForallToForLoopPass());
    pm.addPass(createParallelForToNestedForsPass());
  }
  pm.addPass(createCanonicalizerPass());
  // Remaining structured ops -> loops; vectors -> LLVM.
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  addFinalizeMemRefToLLVM(pm);
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.vectorContractLowering =
      vector::VectorContractLowering::OuterProduct;
  vectorToLLVM.x86Vector = lowerVectors.bf16DotProduct;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  if (options.debugInfo)
    pm.addPass(LLVM::createDIScopeForLLVMFuncOpPass());
}

/// Every linalg op (copies included) -> one kernel launch: parallel loops,
/// fused where they can be, matmuls in workgroup tiles with their operands
/// staged in shared memory, the rest one invocation per element (or per
/// register tile).
static void addKernelMappingPasses(OpPassManager &pm,
                                   const VulkanCodegenOptions &options) {
  OpPassManager &func = pm.nest<func::FuncOp>();
  func.addPass(trm::createTRMMemRefCopyToLinalg());
  func.addPass(trm::createTRMFoldFillCopies());
  func.addPass(trm::createTRMGPUReductionsInnermost());
  func.addPass(trm::createTRMGPUCollapseElementwise());
  addCanonicalizeAndCSE(func);
  func.addPass(createConvertLinalgToParallelLoopsPass());
  func.addPass(createLoopInvariantCodeMotionPass());
  func.addPass(trm::createTRMGPUPromoteAccumulators());
  func.addPass(trm::createTRMGPUFuseFillIntoReductions());
  func.addPass(trm::createTRMGPUFuseParallelLoops());
  func.addPass(trm::createTRMGPUForwardStateCopies());
  func.addPass(trm::createTRMGPUFuseReductions());
  // A GPU gets 16x8 invocations of 4x4 outputs, both operands in shared
  // memory; a CPU driver 16x1 invocations of 16x16 outputs, only A shared
  // (docs/VulkanBackend.md has the measurements behind both shapes).
  trm::TRMGPUTileMatmulsOptions tile;
  const bool forCPU = options.deviceKind == VulkanDeviceKind::CPU;
  tile.threadsX = 16;
  tile.threadsY = forCPU ? 1 : 8;
  tile.rowsPerInvocation = forCPU ? 16 : 4;
  tile.colsPerInvocation = forCPU ? 16 : 4;
  tile.kTile = 16;
  func.addPass(trm::createTRMGPUTileMatmuls(tile));
  // Several rows per invocation: measured faster than 4 on lavapipe.
  trm::TRMGPUMapParallelLoopsOptions map;
  map.rowsPerInvocation = 8;
  func.addPass(trm::createTRMGPUMapParallelLoops(map));
  func.addPass(createConvertParallelLoopToGpuPass());
  addCanonicalizeAndCSE(func);
  func.addPass(trm::createTRMGPUSinkViews());
}

/// The outlined kernels: expanded math, register tiles unrolled and
/// jammed, f16 arithmetic when asked for, and their SPIR-V entry points.
static void addKernelPasses(OpPassManager &pm,
                            const VulkanCodegenOptions &options) {
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(memref::createFoldMemRefAliasOpsPass());
  math::MathExpandOpsPassOptions expand;
  expand.opMnemonics = {"powf"};
  kernels.addPass(math::createMathExpandOpsPass(expand));
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(arith::createArithExpandOpsPass());
  addCanonicalizeAndCSE(kernels);
  kernels.addPass(createLoopInvariantCodeMotionPass());
  kernels.addPass(trm::createTRMGPUPromoteAccumulators());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(trm::createTRMGPUUnrollJamRegisterTiles());
  addCanonicalizeAndCSE(kernels);
  if (options.f16) {
    kernels.addPass(trm::createTRMGPUF16Arithmetic());
    addCanonicalizeAndCSE(kernels);
  }
  kernels.addPass(trm::createTRMSPIRVSetEntryPointABI());
}

void mlir::trm::buildTRMToVulkanPipeline(OpPassManager &pm,
                                         const VulkanCodegenOptions &options) {
  addTRMToLinalgPasses(pm);
  // Results written in place into the slices they fill (no copy kernels).
  // linalg-fuse-elementwise-ops is left out on purpose: it fuses producers
  // into reductions, which recomputes them per reduction step and measured
  // slower on lavapipe.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  addBufferizePasses(pm, /*keepInLoopsBytes=*/0);
  pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  addKernelMappingPasses(pm, options);
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(trm::createTRMGPUNameKernels());
  addKernelPasses(pm, options);
  // Host: device buffers, fences before host reads, scalar arguments.
  pm.addPass(trm::createTRMGPUAssignMemory());
  pm.addPass(createCanonicalizerPass());
  // Kernels -> SPIR-V 1.3 for Vulkan, serialized into gpu.binary ops.
  GpuSPIRVAttachTargetOptions target;
  target.spirvVersion = "v1.3";
  target.spirvCapabilities = {"Shader"};
  if (options.f16)
    target.spirvCapabilities.push_back("Float16");
  target.spirvExtensions = {"SPV_KHR_storage_buffer_storage_class"};
  target.clientApi = "Vulkan";
  target.deviceId = 0;
  pm.addPass(createGpuSPIRVAttachTarget(target));
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertMathToSPIRVPass());
  pm.addPass(createConvertGPUToSPIRVPass());
  pm.addPass(trm::createTRMSPIRVNestModules());
  OpPassManager &spirvModules =
      pm.nest<gpu::GPUModuleOp>().nest<spirv::ModuleOp>();
  spirvModules.addPass(spirv::createSPIRVLowerABIAttributesPass());
  spirvModules.addPass(spirv::createSPIRVUpdateVCEPass());
  pm.addPass(createGpuModuleToBinaryPass());
  // Host -> LLVM; launches become mgpu* runtime calls.
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  addFinalizeMemRefToLLVM(pm);
  GpuToLLVMConversionPassOptions gpuToLLVM;
  gpuToLLVM.kernelBarePtrCallConv = true;
  gpuToLLVM.kernelIntersperseSizeCallConv = true;
  pm.addPass(createGpuToLLVMConversionPass(gpuToLLVM));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

std::string
mlir::trm::getTRMToLLVMPipelineText(const CPUCodegenOptions &options) {
  OpPassManager pm(ModuleOp::getOperationName());
  buildTRMToLLVMPipeline(pm, options);
  return printPipeline(pm);
}

std::string
mlir::trm::getTRMToVulkanPipelineText(const VulkanCodegenOptions &options) {
  OpPassManager pm(ModuleOp::getOperationName());
  buildTRMToVulkanPipeline(pm, options);
  return printPipeline(pm);
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

llvm::StringRef mlir::trm::stringifyPrecision(Precision precision) {
  switch (precision) {
  case Precision::F32:
    return "f32";
  case Precision::BF16:
    return "bf16";
  case Precision::F16:
    return "f16";
  }
  llvm_unreachable("a precision");
}

llvm::Expected<std::optional<mlir::trm::Precision>>
mlir::trm::parsePrecision(llvm::StringRef precision, bool vulkanF16Given) {
  if (precision.empty())
    return vulkanF16Given ? std::optional<Precision>(Precision::F16)
                          : std::nullopt;
  std::optional<Precision> parsed;
  for (Precision p : {Precision::F32, Precision::BF16, Precision::F16})
    if (precision == stringifyPrecision(p))
      parsed = p;
  if (!parsed)
    return llvm::createStringError("--precision: unknown precision '" +
                                   precision + "' (f32, bf16 or f16)");
  if (*parsed != Precision::F16 && vulkanF16Given)
    return llvm::createStringError("--precision " + precision +
                                   " and --vulkan-f16 contradict each other");
  return parsed;
}

llvm::Error mlir::trm::checkPrecisionDevice(Precision precision,
                                            bool onVulkan) {
  if (precision == Precision::F16 && !onVulkan)
    return llvm::createStringError(
        "--precision f16 (--vulkan-f16) needs --device vulkan; the CPU "
        "computes in f32 or bf16");
  if (precision == Precision::BF16 && onVulkan)
    return llvm::createStringError(
        "--precision bf16 needs --device cpu; Vulkan kernels compute in f32 "
        "or f16");
  return llvm::Error::success();
}

void mlir::trm::registerTRMPasses() {
  static bool registered = [] {
    registerAllPasses();
    registerTRMTransformsPasses();
    registerTRMConversionPasses();
    registerTRMCodegenCommonPasses();
    registerTRMCodegenCPUPasses();
    registerTRMCodegenGPUPasses();
    registerTRMCodegenSPIRVPasses();
    return true;
  }();
  (void)registered;
}

namespace {
struct TRMToLLVMPipelineOptions
    : PassPipelineOptions<TRMToLLVMPipelineOptions> {
  Option<bool> bf16{*this, "bf16",
                    llvm::cl::desc("the weights' matmuls multiply in bf16 "
                                   "and sum in f32 (--precision bf16)"),
                    llvm::cl::init(false)};
  Option<bool> bf16DotProduct{
      *this, "bf16-dot-product",
      llvm::cl::desc("bf16 products as AVX512-BF16 dot products"),
      llvm::cl::init(false)};
  Option<bool> debugInfo{
      *this, "debug-info",
      llvm::cl::desc("line tables mapping the code to the module's lines"),
      llvm::cl::init(false)};
};

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
        trm::buildTRMToVulkanPipeline(pm, {f16, opts.deviceKind});
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
  PassPipelineRegistration<TRMToLLVMPipelineOptions>(
      "trm-to-llvm-pipeline",
      "Lower a trm module to the LLVM dialect for CPU execution (what "
      "trm-run --device cpu runs)",
      [](OpPassManager &pm, const TRMToLLVMPipelineOptions &opts) {
        trm::CPUCodegenOptions cpu;
        cpu.bf16 = opts.bf16;
        cpu.bf16DotProduct = opts.bf16DotProduct;
        cpu.debugInfo = opts.debugInfo;
        trm::buildTRMToLLVMPipeline(pm, cpu);
      });
}
