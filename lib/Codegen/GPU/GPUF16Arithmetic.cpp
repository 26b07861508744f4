//===- GPUF16Arithmetic.cpp - kernel arithmetic in half precision ---------===//
#include "trm/Codegen/GPU/Passes.h"
#include "trm/Support/PassCounter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMGPUF16ARITHMETIC
#include "trm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
/// Float arithmetic whose f32 operands and results can be rebuilt in f16 as
/// it is (same attributes, same operand order). Math functions (exp, rsqrt)
/// stay f32: they are few per element, and f32 keeps softmax and the norms
/// accurate.
bool isRebuildable(Operation *op) {
  if (op->getNumRegions() != 0 || op->getNumResults() != 1)
    return false;
  if (isa<arith::ExtFOp, arith::TruncFOp, arith::ConstantOp>(op))
    return false;
  if (!isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
           arith::NegFOp, arith::MaximumFOp, arith::MinimumFOp,
           arith::MaxNumFOp, arith::MinNumFOp, arith::CmpFOp,
           arith::SelectOp>(op))
    return false;
  bool anyF32 = false;
  for (Type t : llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes())) {
    if (t.isF32())
      anyF32 = true;
    else if (isa<FloatType>(t))
      return false; // another float type: leave it
  }
  return anyF32;
}

/// A loop-carried value: a block argument of an scf.for body (after the
/// induction variable).
bool isLoopCarried(Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  return arg && isa<scf::ForOp>(arg.getOwner()->getParentOp()) &&
         arg.getArgNumber() > 0;
}

struct GPUF16ArithmeticPass
    : trm::impl::TRMGPUF16ArithmeticBase<GPUF16ArithmeticPass> {
  trm::PassCounter numConverted{this, "converted", "Ops rebuilt in f16"};
  trm::PassCounter numAccumulations{this,
      "accumulations", "Loop-carried sums kept in f32"};

  void runOnOperation() override {
    OpBuilder b(&getContext());
    Type f16 = b.getF16Type(), f32 = b.getF32Type();
    SmallVector<Operation *> ops;
    getOperation().walk([&](gpu::GPUFuncOp func) {
      if (!func.isKernel())
        return;
      func.walk([&](Operation *op) {
        if (isRebuildable(op))
          ops.push_back(op);
      });
    });
    for (Operation *op : ops) {
      if (isa<arith::AddFOp>(op) &&
          (llvm::any_of(op->getOperands(), isLoopCarried) ||
           op->hasAttr(trm::kAccumulationAttr))) {
        ++numAccumulations;
        continue;
      }
      b.setInsertionPoint(op);
      OperationState state(op->getLoc(), op->getName());
      state.addAttributes(op->getAttrs());
      for (Value v : op->getOperands())
        state.addOperands(v.getType().isF32()
                              ? arith::TruncFOp::create(b, op->getLoc(), f16, v)
                                    .getResult()
                              : v);
      Type result = op->getResult(0).getType();
      state.addTypes(result.isF32() ? f16 : result);
      Operation *half = b.create(state);
      Value replacement = half->getResult(0);
      if (result.isF32())
        replacement =
            arith::ExtFOp::create(b, op->getLoc(), f32, replacement);
      op->getResult(0).replaceAllUsesWith(replacement);
      op->erase();
      ++numConverted;
    }
  }
};
} // namespace
