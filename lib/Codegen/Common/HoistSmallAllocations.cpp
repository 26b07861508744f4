//===- HoistSmallAllocations.cpp - small buffers leave sequential loops ---===//
#include "trm/Codegen/Common/Passes.h"
#include "trm/Codegen/Common/Utils.h"
#include "trm/Support/PassCounter.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMHOISTSMALLALLOCATIONS
#include "trm/Codegen/Common/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
struct HoistSmallAllocationsPass
    : trm::impl::TRMHoistSmallAllocationsBase<HoistSmallAllocationsPass> {
  using Base::Base;
  trm::PassCounter numHoisted{this, "allocations-hoisted",
                              "Buffers moved out of sequential loops"};

  bool isSmall(memref::AllocOp alloc) const {
    std::optional<int64_t> bytes = trm::staticByteSize(alloc.getType());
    if (!bytes || !alloc->getOperands().empty())
      return false;
    return keepBytes <= 0 || *bytes < keepBytes;
  }

  void runOnOperation() override {
    SmallVector<memref::AllocOp> allocs;
    getOperation().walk([&](memref::AllocOp a) { allocs.push_back(a); });
    for (memref::AllocOp alloc : allocs) {
      if (!isSmall(alloc))
        continue;
      Operation *outermost = nullptr;
      for (Operation *loop = alloc->getParentOp();
           isa<scf::ForOp, scf::WhileOp>(loop); loop = loop->getParentOp())
        outermost = loop;
      if (!outermost)
        continue;
      alloc->moveBefore(outermost);
      ++numHoisted;
    }
  }
};
} // namespace
