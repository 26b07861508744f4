//===- SPIRVSetEntryPointABI.cpp - SPIR-V entry points from block sizes ------===//
#include "trm/Codegen/SPIRV/Passes.h"

#include "mlir/Dialect/SPIRV/IR/TargetAndABI.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMSPIRVSETENTRYPOINTABI
#include "trm/Codegen/SPIRV/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
struct SPIRVSetEntryPointABIPass
    : trm::impl::TRMSPIRVSetEntryPointABIBase<SPIRVSetEntryPointABIPass> {
  void runOnOperation() override {
    getOperation().walk([&](gpu::GPUFuncOp func) {
      if (!func.isKernel())
        return WalkResult::advance();
      std::optional<ArrayRef<int32_t>> blockSize = func.getKnownBlockSize();
      if (!blockSize) {
        func.emitError("kernel has no known_block_size to derive its SPIR-V "
                       "workgroup size from");
        signalPassFailure();
        return WalkResult::interrupt();
      }
      func->setAttr(spirv::getEntryPointABIAttrName(),
                    spirv::getEntryPointABIAttr(&getContext(),
                                                *blockSize));
      return WalkResult::advance();
    });
  }
};
} // namespace
