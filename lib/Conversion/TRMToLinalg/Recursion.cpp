//===- Recursion.cpp - trm.deep_recursion to an scf.for -------------------===//
//
// The T*(n+1) network calls of one supervision step become one loop around
// one copy of the network region: call c of each cycle of n+1 refines the
// latent (c < n) or the answer (c == n).
//
//===----------------------------------------------------------------------===//
#include "LinalgBuilders.h"
#include "Patterns.h"

using namespace mlir;
using namespace mlir::trm;
using namespace mlir::trm::lowering;

namespace {
struct DeepRecursionLowering : OpConversionPattern<DeepRecursionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DeepRecursionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    const int64_t n = op.getLCycles(), perCycle = n + 1;
    const int64_t calls = op.getHCycles() * perCycle;
    Value x = adaptor.getInput();
    // Call c of each cycle of n+1: c < n updates the latent from
    // (latent, answer + x), c == n updates the answer from (answer, latent).
    auto loop = scf::ForOp::create(
        b, indexConst(b, b.getLoc(), 0), indexConst(b, b.getLoc(), calls),
        indexConst(b, b.getLoc(), 1),
        ValueRange{adaptor.getAnswer(), adaptor.getLatent()},
        [&](OpBuilder &nb, Location loc, Value iv, ValueRange carried) {
          ImplicitLocOpBuilder lb(loc, nb);
          Value y = carried[0], z = carried[1];
          Value c =
              arith::RemUIOp::create(lb, iv, indexConst(lb, loc, perCycle));
          Value latentCall = arith::CmpIOp::create(
              lb, arith::CmpIPredicate::ult, c, indexConst(lb, loc, n));
          // answer + input is computed on every call (not only in the
          // latent branch), so that its buffer is an intermediate of the
          // loop body, which bufferization hoists out of the loop.
          Value injected = addTensors(lb, y, x);
          auto inputs = scf::IfOp::create(
              lb, latentCall,
              [&](OpBuilder &tb, Location tl) {
                scf::YieldOp::create(tb, tl, ValueRange{z, injected});
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(eb, el, ValueRange{y, z});
              });
          Value out = inlineBody(lb, op.getNetwork(), inputs.getResults())[0];
          // The new state is copied into the buffer of the state it replaces
          // (dead by now: the network read it first), so the loop carries
          // the same two buffers throughout instead of allocating a state
          // per call.
          auto overwrite = [&](OpBuilder &ob, Location ol, Value into) {
            return linalg::CopyOp::create(ob, ol, out, into).getResult(0);
          };
          auto next = scf::IfOp::create(
              lb, latentCall,
              [&](OpBuilder &tb, Location tl) {
                scf::YieldOp::create(tb, tl,
                                     ValueRange{y, overwrite(tb, tl, z)});
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(eb, el,
                                     ValueRange{overwrite(eb, el, y), z});
              });
          scf::YieldOp::create(lb, next.getResults());
        });
    rewriter.replaceOp(op, loop.getResults());
    return success();
  }
};

} // namespace

void mlir::trm::lowering::populateRecursionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<DeepRecursionLowering>(patterns.getContext());
}
