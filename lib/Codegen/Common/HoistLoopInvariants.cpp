//===- HoistLoopInvariants.cpp - LICM that leaves large temporaries -------===//
#include "trm/Codegen/Common/Passes.h"
#include "trm/Codegen/Common/Utils.h"
#include "trm/Support/PassCounter.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMHOISTLOOPINVARIANTS
#include "trm/Codegen/Common/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
struct HoistLoopInvariantsPass
    : trm::impl::TRMHoistLoopInvariantsBase<HoistLoopInvariantsPass> {
  using Base::Base;
  trm::PassCounter numKept{this, "temporaries-kept",
                           "Large tensor.empty ops left in their loop"};

  /// A fresh tensor too large to live for the whole run.
  bool isLargeTemporary(Operation *op) const {
    auto empty = dyn_cast<tensor::EmptyOp>(op);
    if (!empty || keepBytes <= 0)
      return false;
    std::optional<int64_t> bytes = trm::staticByteSize(empty.getType());
    return bytes && *bytes >= keepBytes;
  }

  /// Whether `value` is the destination of an op of `loop` that computes
  /// something new at every iteration, directly or through ops that only
  /// initialise it (a fill). The destination of a loop-invariant op (a
  /// weight's transpose) is not: that op leaves the loop with it.
  static bool isPerIterationDestination(Value value,
                                        LoopLikeOpInterface loop) {
    for (OpOperand &use : value.getUses()) {
      auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
      if (!dps || !dps.isDpsInit(&use))
        continue;
      bool variant = llvm::any_of(use.getOwner()->getOperands(), [&](Value v) {
        return v != value && !loop.isDefinedOutsideOfLoop(v);
      });
      if (variant ||
          isPerIterationDestination(dps.getTiedOpResult(&use), loop))
        return true;
    }
    return false;
  }

  void runOnOperation() override {
    getOperation()->walk([&](LoopLikeOpInterface loop) {
      moveLoopInvariantCode(
          loop.getLoopRegions(),
          [&](Value value, Region *) {
            return loop.isDefinedOutsideOfLoop(value);
          },
          [&](Operation *op, Region *) {
            if (isLargeTemporary(op) &&
                isPerIterationDestination(op->getResult(0), loop)) {
              ++numKept;
              return false;
            }
            return isMemoryEffectFree(op) && isSpeculatable(op);
          },
          [&](Operation *op, Region *) { loop.moveOutOfLoop(op); });
    });
  }
};
} // namespace
