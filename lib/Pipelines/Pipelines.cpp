//===- Pipelines.cpp - whole trm compilation pipelines --------------------===//
#include "trm/Pipelines/Pipelines.h"
#include "trm/Conversion/Passes.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "trm/Dialect/TRM/Transforms/Passes.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

// Kept as text so that `trm-opt --trm-to-llvm-pipeline`, `trm-run` and the
// docs show one and the same list.
static constexpr const char *kTRMToLLVM =
    // trm -> linalg/tensor/scf, then simplify and fuse element-wise chains.
    "trm-bind-weights,convert-trm-to-linalg,convert-elementwise-to-linalg,"
    "canonicalize,cse,"
    "linalg-fuse-elementwise-ops,canonicalize,cse,"
    // Tensors -> buffers; results become caller-provided out-parameters.
    "one-shot-bufferize{bufferize-function-boundaries allow-return-allocs-from-loops "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-results-to-out-params{hoist-static-allocs modify-public-functions},"
    "canonicalize,func.func(buffer-loop-hoisting),buffer-deallocation-pipeline,"
    // Structured ops -> loops -> LLVM.
    "convert-linalg-to-loops,lower-affine,convert-scf-to-cf,"
    "expand-strided-metadata,lower-affine,finalize-memref-to-llvm,"
    "convert-math-to-llvm,convert-math-to-libm,convert-arith-to-llvm,"
    "convert-index-to-llvm,func.func(llvm-request-c-wrappers),"
    "convert-func-to-llvm,convert-cf-to-llvm,reconcile-unrealized-casts";

std::string mlir::trm::getTRMToLLVMPipelineText() { return kTRMToLLVM; }

void mlir::trm::registerTRMPipelinePasses() {
  // The pipeline is parsed from text, so every pass in it must be registered
  // in any tool that builds it, not only in trm-opt.
  static bool registered = [] {
    registerAllPasses();
    registerTRMTransformsPasses();
    registerTRMConversionPasses();
    return true;
  }();
  (void)registered;
}

LogicalResult mlir::trm::buildTRMToLLVMPipeline(OpPassManager &pm) {
  registerTRMPipelinePasses();
  return parsePassPipeline(kTRMToLLVM, pm, llvm::errs());
}

void mlir::trm::registerTRMPipelines() {
  PassPipelineRegistration<>(
      "trm-to-llvm-pipeline",
      "Lower a trm module to the LLVM dialect for CPU execution (what "
      "trm-run --device cpu runs)",
      [](OpPassManager &pm) {
        if (failed(buildTRMToLLVMPipeline(pm)))
          llvm::report_fatal_error("trm-to-llvm pipeline text does not parse");
      });
}
