//===- NameLocations.cpp - trm op names in their locations ----------------===//
#include "trm/Dialect/TRM/IR/TRMDialect.h"
#include "trm/Dialect/TRM/Transforms/Passes.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMNAMELOCATIONS
#include "trm/Dialect/TRM/Transforms/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
struct NameLocationsPass
    : trm::impl::TRMNameLocationsBase<NameLocationsPass> {
  void runOnOperation() override {
    getOperation()->walk([](Operation *op) {
      if (!isa<trm::TRMDialect>(op->getDialect()) || isa<NameLoc>(op->getLoc()))
        return;
      op->setLoc(NameLoc::get(op->getName().getIdentifier(), op->getLoc()));
    });
  }
};
} // namespace
