//===- GPUSinkViews.cpp - views and constants into gpu.launch bodies ------===//
#include "trm/Codegen/GPU/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMGPUSINKVIEWS
#include "trm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
bool isSinkable(Operation *op) {
  // A reshape of a whole contiguous buffer is a buffer of its own (same
  // start, identity layout): passing it keeps the kernel's indexing simple,
  // where folding it into the loads would need divisions.
  if (isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(op))
    return !cast<MemRefType>(op->getResult(0).getType())
                .getLayout()
                .isIdentity();
  return isa<arith::ConstantOp, memref::SubViewOp, memref::CastOp,
             memref::ReinterpretCastOp, memref::DimOp>(op);
}

/// Clones the chain of sinkable ops that defines each value the launch body
/// uses from above into the body. Unlike upstream's
/// sinkOperationsIntoLaunchOp this also sinks a view whose source is not yet
/// a kernel operand: the source replaces the view as the operand.
void sinkInto(gpu::LaunchOp launch) {
  Region &body = launch.getBody();
  OpBuilder builder = OpBuilder::atBlockBegin(&body.front());
  IRMapping mapping;
  std::function<Value(Value)> materialize = [&](Value v) -> Value {
    if (Value cloned = mapping.lookupOrNull(v))
      return cloned;
    Operation *def = v.getDefiningOp();
    if (!def || !isSinkable(def))
      return v;
    for (Value operand : def->getOperands())
      materialize(operand);
    builder.clone(*def, mapping);
    return mapping.lookup(v);
  };
  SetVector<Value> usedFromAbove;
  getUsedValuesDefinedAbove(body, usedFromAbove);
  for (Value v : usedFromAbove)
    if (Value sunk = materialize(v); sunk != v)
      replaceAllUsesInRegionWith(v, sunk, body);
  // A scalar kernel argument reaches the kernel through a small buffer; an
  // index is 64-bit on the host but 32-bit in the SPIR-V kernel, so it
  // crosses as i32 and is widened again inside.
  usedFromAbove.clear();
  getUsedValuesDefinedAbove(body, usedFromAbove);
  OpBuilder outside(launch);
  OpBuilder inside = OpBuilder::atBlockBegin(&body.front());
  for (Value v : usedFromAbove) {
    if (!v.getType().isIndex())
      continue;
    Value narrow = arith::IndexCastOp::create(outside, v.getLoc(),
                                              outside.getI32Type(), v);
    Value wide = arith::IndexCastOp::create(inside, v.getLoc(),
                                            inside.getIndexType(), narrow);
    replaceAllUsesInRegionWith(v, wide, body);
  }
}

struct GPUSinkViewsPass : trm::impl::TRMGPUSinkViewsBase<GPUSinkViewsPass> {
  void runOnOperation() override {
    getOperation().walk([&](gpu::LaunchOp launch) { sinkInto(launch); });
  }
};
} // namespace
