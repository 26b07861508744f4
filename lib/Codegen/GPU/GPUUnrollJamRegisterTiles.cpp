//===- GPUUnrollJamRegisterTiles.cpp - rows per invocation ----------------===//
//
// trm-gpu-map-parallel-loops gives each invocation of a matmul-like kernel a
// few rows (`trm.register_tile` loops). Unroll-and-jam of that loop puts
// the rows inside the reduction loop: one pass over k updates every row's
// accumulator, and the loads of the shared operand are done once for all
// rows (CSE merges them).
//
//===----------------------------------------------------------------------===//
#include "trm/Codegen/GPU/Passes.h"
#include "trm/Support/PassCounter.h"

#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMGPUUNROLLJAMREGISTERTILES
#include "trm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
struct GPUUnrollJamRegisterTilesPass
    : trm::impl::TRMGPUUnrollJamRegisterTilesBase<
          GPUUnrollJamRegisterTilesPass> {
  trm::PassCounter numJammed{this,
      "jammed", "Register tiles unrolled and jammed"};

  void runOnOperation() override {
    SmallVector<scf::ForOp> tiles;
    getOperation()->walk([&](scf::ForOp loop) {
      if (loop->hasAttr(trm::kRegisterTileAttr))
        tiles.push_back(loop);
    });
    for (scf::ForOp loop : tiles) {
      loop->removeAttr(trm::kRegisterTileAttr);
      std::optional<int64_t> trips = loop.getStaticTripCount()
                                         ? std::optional<int64_t>(
                                               loop.getStaticTripCount()
                                                   ->getSExtValue())
                                         : std::nullopt;
      if (!trips || *trips <= 1)
        continue;
      if (succeeded(loopUnrollJamByFactor(loop, *trips)))
        ++numJammed;
    }
  }
};
} // namespace
