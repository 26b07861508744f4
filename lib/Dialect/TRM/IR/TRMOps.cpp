//===- TRMOps.cpp - trm dialect operations and their verifiers ------------===//
//
// Every verifier names the inconsistent dimension and the rule it breaks, so
// a hand-edited or badly imported model fails with a located diagnostic
// instead of a wrong answer at run time.
//
//===----------------------------------------------------------------------===//
#include "trm/Dialect/TRM/IR/TRMOps.h"
#include "trm/Dialect/TRM/IR/TRMWidths.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include <cmath>

using namespace mlir;
using namespace mlir::trm;

#include "trm/Dialect/TRM/IR/TRMEnums.cpp.inc"


namespace {
/// Shape of a ranked tensor value, after checking its rank.
LogicalResult expectRank(Operation *op, Value v, int64_t rank, StringRef what) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() != rank)
    return op->emitOpError() << what << " must have rank " << rank << ", got "
                             << type;
  if (!type.hasStaticShape())
    return op->emitOpError() << what << " must have a static shape, got "
                             << type;
  return success();
}

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

LogicalResult expectShape(Operation *op, Value v, ArrayRef<int64_t> expected,
                          StringRef what) {
  if (failed(expectRank(op, v, expected.size(), what)))
    return failure();
  if (shapeOf(v) != expected) {
    InFlightDiagnostic diag = op->emitOpError()
                              << what << " must have shape [";
    llvm::interleave(expected, diag, ",");
    return diag << "], got " << v.getType();
  }
  return success();
}

/// False for NaN and infinities too, which `v <= 0` lets through.
bool isFinitePositive(double v) { return std::isfinite(v) && v > 0; }

/// Checks a region's entry block takes (h, inj) of `stateType`.
LogicalResult verifyStateBlockArgs(Operation *op, Region &region,
                                   Type stateType, StringRef what) {
  Block &block = region.front();
  if (block.getNumArguments() != 2 ||
      block.getArgument(0).getType() != stateType ||
      block.getArgument(1).getType() != stateType)
    return op->emitOpError()
           << what << " region must take two arguments of type " << stateType;
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

LogicalResult WeightOp::verify() {
  if (getKey().empty())
    return emitOpError("parameter key must not be empty");
  if (!getResult().getType().hasStaticShape())
    return emitOpError("parameter must have a static shape, got ")
           << getResult().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// EmbedOp
//===----------------------------------------------------------------------===//

LogicalResult EmbedOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getTokens(), 2, "tokens")) ||
      failed(expectRank(op, getEmbedTokens(), 2, "token table")) ||
      failed(expectRank(op, getResult(), 3, "result")))
    return failure();
  int64_t batch = shapeOf(getTokens())[0], seq = shapeOf(getTokens())[1];
  int64_t hidden = shapeOf(getEmbedTokens())[1];
  int64_t prefix = getPrefixLen();
  if (prefix < 0)
    return emitOpError("prefix length must be non-negative, got ") << prefix;
  if (!getPuzzleEmb() && prefix != 0)
    return emitOpError("prefix length ")
           << prefix << " needs a puzzle embedding table";
  if (getPuzzleEmb()) {
    if (failed(expectShape(op, getPuzzleIds(), {batch}, "puzzle ids")) ||
        failed(expectRank(op, getPuzzleEmb(), 2, "puzzle table")))
      return failure();
    int64_t ndim = shapeOf(getPuzzleEmb())[1];
    if (prefix < 1 || ndim > prefix * hidden)
      return emitOpError("prefix length ")
             << prefix << " cannot hold a puzzle embedding of width " << ndim
             << " at hidden size " << hidden << " (needs at least "
             << (ndim + hidden - 1) / hidden << " positions)";
  }
  int64_t total = seq + prefix;
  if (getEmbedPos() &&
      failed(expectShape(op, getEmbedPos(), {total, hidden}, "position table")))
    return failure();
  if (failed(expectShape(op, getResult(), {batch, total, hidden}, "result")))
    return failure();
  for (Value table : {getEmbedTokens(), getPuzzleEmb(), getEmbedPos()})
    if (table && getElementTypeOrSelf(table.getType()) !=
                     getElementTypeOrSelf(getResult().getType()))
      return emitOpError("tables and result must share one element type");
  return success();
}

//===----------------------------------------------------------------------===//
// InitStateOp
//===----------------------------------------------------------------------===//

LogicalResult InitStateOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getInit(), 1, "initial vector")) ||
      failed(expectRank(op, getResult(), 3, "result")))
    return failure();
  if (shapeOf(getResult())[2] != shapeOf(getInit())[0])
    return emitOpError("initial vector of size ")
           << shapeOf(getInit())[0] << " does not match hidden size "
           << shapeOf(getResult())[2];
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getHidden(), 3, "hidden state")))
    return failure();
  int64_t hidden = shapeOf(getHidden())[2];
  int64_t heads = getNumHeads();
  if (heads < 1)
    return emitOpError("number of heads must be positive, got ") << heads;
  if (hidden % heads != 0)
    return emitOpError("hidden size ")
           << hidden << " is not divisible by the number of heads " << heads;
  if (failed(expectShape(op, getQkvWeight(), {3 * hidden, hidden},
                         "qkv projection")) ||
      failed(expectShape(op, getOWeight(), {hidden, hidden}, "o projection")))
    return failure();
  if (getResult().getType() != getHidden().getType())
    return emitOpError("result type must equal the hidden state type");
  if (std::optional<llvm::APFloat> theta = getRopeTheta();
      theta && !isFinitePositive(theta->convertToDouble()))
    return emitOpError("rope theta must be positive and finite, got ")
           << theta->convertToDouble();
  return success();
}

//===----------------------------------------------------------------------===//
// SwiGLUOp
//===----------------------------------------------------------------------===//

LogicalResult SwiGLUOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getHidden(), 3, "hidden state")))
    return failure();
  if (!isFinitePositive(getExpansion().convertToDouble()))
    return emitOpError("expansion must be positive and finite");
  bool overTokens = getMix() == MixAxis::Tokens;
  int64_t width = shapeOf(getHidden())[overTokens ? 1 : 2];
  int64_t expected = swigluIntermediate(getExpansion().convertToDouble(), width);
  if (expected < 1)
    return emitOpError("expansion ")
           << getExpansion().convertToDouble()
           << " gives an intermediate width of 0 over width " << width
           << " (round(expansion * width * 2/3) must be at least 1)";
  if (failed(expectRank(op, getGateUpWeight(), 2, "gate_up projection")) ||
      failed(expectRank(op, getDownWeight(), 2, "down projection")))
    return failure();
  int64_t inter = shapeOf(getGateUpWeight())[0] / 2;
  if (shapeOf(getGateUpWeight())[0] % 2 != 0 || inter != expected)
    return emitOpError("SwiGLU intermediate size ")
           << shapeOf(getGateUpWeight())[0] << "/2 does not follow "
           << "round_up(round(expansion * " << width << " * 2/3), 256) = "
           << expected;
  if (failed(expectShape(op, getGateUpWeight(), {2 * expected, width},
                         "gate_up projection")) ||
      failed(expectShape(op, getDownWeight(), {width, expected},
                         "down projection")))
    return failure();
  if (getResult().getType() != getHidden().getType())
    return emitOpError("result type must equal the hidden state type");
  return success();
}

//===----------------------------------------------------------------------===//
// ResidualNormOp
//===----------------------------------------------------------------------===//

LogicalResult ResidualNormOp::verify() {
  int64_t rank = getResult().getType().getRank();
  int64_t axis = static_cast<int64_t>(getAxis());
  if (axis < 0 || axis >= rank)
    return emitOpError("normalisation axis ")
           << axis << " is out of range for rank " << rank;
  if (!isFinitePositive(getEpsilon().convertToDouble()))
    return emitOpError("epsilon must be positive and finite, got ")
           << getEpsilon().convertToDouble();
  return success();
}

//===----------------------------------------------------------------------===//
// DeepRecursionOp
//===----------------------------------------------------------------------===//

LogicalResult DeepRecursionOp::verify() {
  if (getHCycles() < 1)
    return emitOpError("h_cycles must be at least 1, got ") << getHCycles();
  if (getLCycles() < 1)
    return emitOpError("l_cycles must be at least 1, got ") << getLCycles();
  return expectRank(getOperation(), getAnswer(), 3, "state");
}

LogicalResult DeepRecursionOp::verifyRegions() {
  Type stateType = getAnswer().getType();
  if (failed(verifyStateBlockArgs(getOperation(), getNetwork(), stateType,
                                  "network")))
    return failure();
  auto yield = dyn_cast<YieldOp>(getNetwork().front().getTerminator());
  if (!yield || yield.getValues().size() != 1 ||
      yield.getValues()[0].getType() != stateType)
    return emitOpError("network region must yield one value of type ")
           << stateType;
  return success();
}

//===----------------------------------------------------------------------===//
// Heads
//===----------------------------------------------------------------------===//

LogicalResult LMHeadOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getAnswer(), 3, "answer state")) ||
      failed(expectRank(op, getWeight(), 2, "lm_head weight")))
    return failure();
  ArrayRef<int64_t> state = shapeOf(getAnswer());
  int64_t vocab = shapeOf(getWeight())[0];
  if (shapeOf(getWeight())[1] != state[2])
    return emitOpError("lm_head weight width ")
           << shapeOf(getWeight())[1] << " does not match hidden size "
           << state[2];
  int64_t prefix = getPrefixLen();
  if (prefix < 0 || prefix >= state[1])
    return emitOpError("prefix length ")
           << prefix << " must be in [0, " << state[1] << ")";
  return expectShape(op, getLogits(), {state[0], state[1] - prefix, vocab},
                     "logits");
}

LogicalResult QHeadOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getAnswer(), 3, "answer state")))
    return failure();
  ArrayRef<int64_t> state = shapeOf(getAnswer());
  if (failed(expectShape(op, getWeight(), {2, state[2]}, "q_head weight")) ||
      failed(expectShape(op, getBias(), {2}, "q_head bias")))
    return failure();
  return expectShape(op, getQLogits(), {state[0], 2}, "q logits");
}

LogicalResult ArgmaxOp::verify() {
  auto logits = getLogits().getType();
  auto result = getResult().getType();
  if (logits.getRank() < 1 ||
      result.getShape() != logits.getShape().drop_back())
    return emitOpError("result shape must be the logits shape without its "
                       "last axis, got ")
           << result << " for " << logits;
  return success();
}

//===----------------------------------------------------------------------===//
// ActOp
//===----------------------------------------------------------------------===//

LogicalResult ActOp::verify() {
  Operation *op = getOperation();
  if (getMaxSteps() < 1)
    return emitOpError("max_steps must be at least 1, got ") << getMaxSteps();
  if (getAnswer().getType() != getLatent().getType())
    return emitOpError("answer and latent states must have the same type");
  if (failed(expectRank(op, getAnswer(), 3, "state")) ||
      failed(expectRank(op, getLogits(), 3, "logits")))
    return failure();
  int64_t batch = shapeOf(getAnswer())[0];
  int64_t steps = getMaxSteps();
  ArrayRef<int64_t> logits = shapeOf(getLogits());
  if (logits[0] != batch)
    return emitOpError("logits batch ")
           << logits[0] << " does not match state batch " << batch;
  if (failed(expectShape(op, getStepQLogits(), {batch, steps, 2},
                         "per-step q logits")) ||
      failed(expectShape(op, getStepPredictions(), {batch, steps, logits[1]},
                         "per-step predictions")) ||
      failed(expectShape(op, getSteps(), {batch}, "steps taken")) ||
      failed(expectShape(op, getNetworkCalls(), {1}, "network call count")))
    return failure();
  if (getSamples() && failed(expectShape(op, getSamples(), {1},
                                         "sample count")))
    return failure();
  for (Value v : {getSteps(), getNetworkCalls(), getStepPredictions()})
    if (!getElementTypeOrSelf(v.getType()).isInteger(32))
      return emitOpError("steps, predictions and the network call count must "
                         "be i32, got ")
             << v.getType();
  if (getSamples() && !getElementTypeOrSelf(getSamples().getType()).isInteger(32))
    return emitOpError("sample count must be i32, got ")
           << getSamples().getType();
  return success();
}

LogicalResult ActOp::verifyRegions() {
  Type stateType = getAnswer().getType();
  if (failed(verifyStateBlockArgs(getOperation(), getStep(), stateType,
                                  "supervision step")))
    return failure();
  auto yield = dyn_cast<YieldOp>(getStep().front().getTerminator());
  int64_t batch = shapeOf(getAnswer())[0];
  Type qType = RankedTensorType::get(
      {batch, 2}, getElementTypeOrSelf(getStepQLogits().getType()));
  if (!yield || yield.getValues().size() != 4 ||
      yield.getValues()[0].getType() != stateType ||
      yield.getValues()[1].getType() != stateType ||
      yield.getValues()[2].getType() != getLogits().getType() ||
      yield.getValues()[3].getType() != qType)
    return emitOpError("supervision step must yield (answer, latent, logits, "
                       "q logits) of types ")
           << stateType << ", " << stateType << ", " << getLogits().getType()
           << ", " << qType;
  auto recursions = getStep().front().getOps<DeepRecursionOp>();
  if (std::distance(recursions.begin(), recursions.end()) != 1)
    return emitOpError("supervision step must run exactly one "
                       "trm.deep_recursion directly in its block");
  return success();
}

std::optional<HaltingPolicy>
mlir::trm::parseHaltingPolicyName(llvm::StringRef name) {
  if (name == "q")
    return HaltingPolicy::QHalt;
  return symbolizeHaltingPolicy(name);
}

#define GET_OP_CLASSES
#include "trm/Dialect/TRM/IR/TRMOps.cpp.inc"
