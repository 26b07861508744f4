//===- CPUHoistVectorTransfers.cpp - accumulators stay in registers -------===//
#include "trm/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMCPUHOISTVECTORTRANSFERS
#include "trm/Codegen/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
struct HoistVectorTransfersPass
    : trm::impl::TRMCPUHoistVectorTransfersBase<HoistVectorTransfersPass> {
  void runOnOperation() override {
    linalg::hoistRedundantVectorTransfers(getOperation(),
                                          /*verifyNonZeroTrip=*/true);
  }
};
} // namespace
