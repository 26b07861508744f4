//===- SPIRVNestModules.cpp - spirv.module into its gpu.module ---------===//
#include "trm/Codegen/SPIRV/Passes.h"

#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMSPIRVNESTMODULES
#include "trm/Codegen/SPIRV/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
constexpr llvm::StringLiteral kPrefix = "__spv__";

struct SPIRVNestModulesPass
    : trm::impl::TRMSPIRVNestModulesBase<SPIRVNestModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto spv :
         llvm::make_early_inc_range(module.getOps<spirv::ModuleOp>())) {
      std::optional<StringRef> name = spv.getName();
      auto gpuModule =
          name && name->starts_with(kPrefix)
              ? module.lookupSymbol<gpu::GPUModuleOp>(name->drop_front(
                    kPrefix.size()))
              : gpu::GPUModuleOp();
      if (!gpuModule) {
        spv.emitError("no gpu.module for this SPIR-V module");
        return signalPassFailure();
      }
      spv->moveBefore(gpuModule.getBody(), gpuModule.getBody()->begin());
    }
  }
};
} // namespace
