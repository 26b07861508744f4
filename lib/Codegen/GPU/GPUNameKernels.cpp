//===- GPUNameKernels.cpp - kernels named after their trm op --------------===//
#include "trm/Codegen/GPU/Passes.h"

#include "llvm/ADT/StringExtras.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMGPUNAMEKERNELS
#include "trm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
/// `trm_<op>` from the first trm op name in `loc`, with `_l<line>` when
/// that name wraps a file location; empty when `loc` names no trm op.
std::string kernelNameFor(Location loc) {
  std::string name;
  loc->walk([&](Location inner) {
    auto named = dyn_cast<NameLoc>(inner);
    if (!named || !named.getName().strref().starts_with("trm."))
      return WalkResult::advance();
    name = named.getName().str();
    std::replace(name.begin(), name.end(), '.', '_');
    if (auto file = dyn_cast<FileLineColLoc>(named.getChildLoc()))
      name += "_l" + std::to_string(file.getLine());
    return WalkResult::interrupt();
  });
  return name;
}

struct GPUNameKernelsPass
    : trm::impl::TRMGPUNameKernelsBase<GPUNameKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    module.walk([&](gpu::LaunchFuncOp launch) {
      std::string name = kernelNameFor(launch.getLoc());
      auto kernels = module.lookupSymbol<gpu::GPUModuleOp>(
          launch.getKernelModuleName());
      if (name.empty() || !kernels)
        return;
      auto kernel = kernels.lookupSymbol<gpu::GPUFuncOp>(launch.getKernelName());
      // Outlining gives each launch its own module: nothing else calls it.
      if (!kernel || kernel.getName() == name)
        return;
      kernel.setName(name);
      launch.setKernelAttr(SymbolRefAttr::get(
          kernels.getNameAttr(),
          {FlatSymbolRefAttr::get(module.getContext(), name)}));
    });
  }
};
} // namespace
