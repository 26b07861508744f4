//===- SetHaltingPolicy.cpp - choose fixed or q_halt halting --------------===//
#include "trm/Dialect/TRM/Transforms/Passes.h"
#include "trm/Support/PassCounter.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMSETHALTINGPOLICY
#include "trm/Dialect/TRM/Transforms/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;
using namespace mlir::trm;

namespace {
struct SetHaltingPolicyPass
    : trm::impl::TRMSetHaltingPolicyBase<SetHaltingPolicyPass> {
  using Base::Base;
  trm::PassCounter numLoopsChanged{this,
      "loops-changed", "Number of trm.act loops whose policy changed"};

  void runOnOperation() override {
    std::optional<HaltingPolicy> wanted = parseHaltingPolicyName(policy);
    if (!wanted) {
      getOperation().emitError("unknown halting policy '")
          << policy << "' (expected " << kHaltingPolicyNames << ")";
      return signalPassFailure();
    }
    getOperation().walk([&](ActOp act) {
      if (act.getPolicy() == *wanted)
        return;
      act.setPolicy(*wanted);
      ++numLoopsChanged;
    });
  }
};
} // namespace
