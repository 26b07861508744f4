//===- ModelBuilder.cpp - TRM configuration to trm module -----------------===//
#include "trm/Builder/ModelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include <cmath>

using namespace mlir;
using namespace mlir::trm;

namespace {
class ModelBuilder {
public:
  ModelBuilder(MLIRContext &ctx, const TRMConfig &config,
               const ModelBuildOptions &options)
      : b(&ctx), c(config), opts(options), f32(b.getF32Type()),
        i32(b.getI32Type()) {}

  OwningOpRef<ModuleOp> build();

private:
  RankedTensorType tensor(ArrayRef<int64_t> shape, Type elt) {
    return RankedTensorType::get(shape, elt);
  }
  Value weight(Location loc, const std::string &key) {
    const WeightSpec *spec = nullptr;
    for (const WeightSpec &s : weights)
      if (s.key == key)
        spec = &s;
    assert(spec && "weight not in the configuration's parameter list");
    return WeightOp::create(b, loc, tensor(spec->shape, f32), key);
  }
  Location named(StringRef name) {
    return NameLoc::get(b.getStringAttr(name), b.getUnknownLoc());
  }
  DictionaryAttr configAttr();
  Value buildNetwork(Value h, Value inj);

  OpBuilder b;
  const TRMConfig &c;
  const ModelBuildOptions &opts;
  Type f32, i32;
  std::vector<WeightSpec> weights = expectedWeights(c);
};

DictionaryAttr ModelBuilder::configAttr() {
  const char *pos = c.posEncoding == PosEncoding::Rope      ? "rope"
                    : c.posEncoding == PosEncoding::Learned ? "learned"
                                                            : "none";
  SmallVector<NamedAttribute> fields = {
      b.getNamedAttr("hidden_size", b.getI64IntegerAttr(c.hiddenSize)),
      b.getNamedAttr("num_heads", b.getI64IntegerAttr(c.numHeads)),
      b.getNamedAttr("expansion", b.getF64FloatAttr(c.expansion)),
      b.getNamedAttr("L_layers", b.getI64IntegerAttr(c.numLayers)),
      b.getNamedAttr("H_cycles", b.getI64IntegerAttr(c.hCycles)),
      b.getNamedAttr("L_cycles", b.getI64IntegerAttr(c.lCycles)),
      b.getNamedAttr("halt_max_steps", b.getI64IntegerAttr(c.haltMaxSteps)),
      b.getNamedAttr("pos_encodings", b.getStringAttr(pos)),
      b.getNamedAttr("mlp_t", b.getBoolAttr(c.mlpT)),
      b.getNamedAttr("puzzle_emb_ndim", b.getI64IntegerAttr(c.puzzleEmbNdim)),
      b.getNamedAttr("puzzle_emb_len", b.getI64IntegerAttr(c.puzzleEmbLen)),
      b.getNamedAttr("vocab_size", b.getI64IntegerAttr(c.vocabSize)),
      b.getNamedAttr("seq_len", b.getI64IntegerAttr(c.seqLen)),
      b.getNamedAttr("num_puzzle_identifiers",
                     b.getI64IntegerAttr(c.numPuzzleIdentifiers)),
      b.getNamedAttr("rms_norm_eps", b.getF64FloatAttr(c.rmsNormEps)),
      b.getNamedAttr("rope_theta", b.getF64FloatAttr(c.ropeTheta)),
  };
  return b.getDictionaryAttr(fields);
}

/// net(h, inj): h = h + inj, then L_layers post-norm blocks.
Value ModelBuilder::buildNetwork(Value h, Value inj) {
  Location loc = named("L_level");
  h = arith::AddFOp::create(b, loc, h, inj);
  FloatAttr eps = b.getF64FloatAttr(c.rmsNormEps);
  FloatAttr expansion = b.getF64FloatAttr(c.expansion);
  for (int64_t i = 0; i < c.numLayers; ++i) {
    std::string layer = "L_level.layers." + std::to_string(i) + ".";
    Location layerLoc = named(layer + "block");
    if (c.mlpT) {
      Value mix = SwiGLUOp::create(
          b, layerLoc, h.getType(), h,
          weight(layerLoc, layer + "mlp_t.gate_up_proj.weight"),
          weight(layerLoc, layer + "mlp_t.down_proj.weight"),
          MixAxisAttr::get(b.getContext(), MixAxis::Tokens), expansion);
      h = ResidualNormOp::create(b, layerLoc, h.getType(), h, mix, b.getI64IntegerAttr(1), eps);
    } else {
      FloatAttr theta = c.posEncoding == PosEncoding::Rope
                            ? b.getF64FloatAttr(c.ropeTheta)
                            : FloatAttr();
      Value attn = AttentionOp::create(
          b, layerLoc, h.getType(), h,
          weight(layerLoc, layer + "self_attn.qkv_proj.weight"),
          weight(layerLoc, layer + "self_attn.o_proj.weight"), c.numHeads,
          theta);
      h = ResidualNormOp::create(b, layerLoc, h.getType(), h, attn, b.getI64IntegerAttr(2), eps);
    }
    Value mlp = SwiGLUOp::create(
        b, layerLoc, h.getType(), h,
        weight(layerLoc, layer + "mlp.gate_up_proj.weight"),
        weight(layerLoc, layer + "mlp.down_proj.weight"),
        MixAxisAttr::get(b.getContext(), MixAxis::Features), expansion);
    h = ResidualNormOp::create(b, layerLoc, h.getType(), h, mlp, b.getI64IntegerAttr(2), eps);
  }
  return h;
}

OwningOpRef<ModuleOp> ModelBuilder::build() {
  const int64_t batch = opts.batch, seq = c.seqLen, len = c.totalLen(),
                d = c.hiddenSize, vocab = c.vocabSize, steps = c.haltMaxSteps;
  OwningOpRef<ModuleOp> module = ModuleOp::create(b.getUnknownLoc());
  (*module)->setAttr(kConfigAttrName, configAttr());
  b.setInsertionPointToEnd(module->getBody());

  auto tokensType = tensor({batch, seq}, i32);
  auto idsType = tensor({batch}, i32);
  auto stateType = tensor({batch, len, d}, f32);
  auto logitsType = tensor({batch, seq, vocab}, f32);
  auto predType = tensor({batch, seq}, i32);
  auto stepQType = tensor({batch, steps, 2}, f32);
  auto stepPredType = tensor({batch, steps, seq}, i32);
  auto stepsType = tensor({batch}, i32);
  auto countType = tensor({1}, i32);
  auto funcType =
      b.getFunctionType({tokensType, idsType, countType},
                        {predType, logitsType, stepQType, stepsType,
                         stepPredType, countType});
  auto func = func::FuncOp::create(b, named("trm"), opts.entryName, funcType);
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value tokens = entry->getArgument(0), ids = entry->getArgument(1),
        samples = entry->getArgument(2);

  Location embedLoc = named("embed");
  Value puzzleIds, puzzleEmb, embedPos;
  if (c.puzzleEmbNdim > 0) {
    puzzleIds = ids;
    puzzleEmb = weight(embedLoc, "puzzle_emb.weights");
  }
  if (c.posEncoding == PosEncoding::Learned)
    embedPos = weight(embedLoc, "embed_pos.embedding_weight");
  Value x = EmbedOp::create(b, embedLoc, stateType, tokens,
                            weight(embedLoc, "embed_tokens.embedding_weight"),
                            puzzleIds, puzzleEmb, embedPos, c.puzzleEmbLen);

  Location initLoc = named("init");
  Value y0 = InitStateOp::create(b, initLoc, stateType,
                                 weight(initLoc, "H_init"));
  Value z0 = InitStateOp::create(b, initLoc, stateType,
                                 weight(initLoc, "L_init"));

  Location actLoc = named("act");
  auto act = ActOp::create(
      b, actLoc,
      TypeRange{logitsType, stepQType, stepPredType, stepsType, countType}, y0,
      z0, samples, steps, opts.policy);
  Block *stepBlock = b.createBlock(&act.getStep(), {}, {stateType, stateType},
                                   {actLoc, actLoc});
  {
    Location recLoc = named("deep_recursion");
    auto rec = DeepRecursionOp::create(
        b, recLoc, TypeRange{stateType, stateType}, stepBlock->getArgument(0),
        stepBlock->getArgument(1), x, c.hCycles, c.lCycles);
    Block *net = b.createBlock(&rec.getNetwork(), {}, {stateType, stateType},
                               {recLoc, recLoc});
    Value out = buildNetwork(net->getArgument(0), net->getArgument(1));
    YieldOp::create(b, recLoc, out);

    b.setInsertionPointAfter(rec);
    Location headLoc = named("heads");
    Value answer = rec.getNewAnswer();
    Value logits = LMHeadOp::create(b, headLoc, logitsType, answer,
                                    weight(headLoc, "lm_head.weight"),
                                    c.puzzleEmbLen);
    Value q = QHeadOp::create(b, headLoc, tensor({batch, 2}, f32), answer,
                              weight(headLoc, "q_head.weight"),
                              weight(headLoc, "q_head.bias"));
    YieldOp::create(b, actLoc,
                    ValueRange{answer, rec.getNewLatent(), logits, q});
  }
  b.setInsertionPointAfter(act);
  Value predictions =
      ArgmaxOp::create(b, named("predict"), predType, act.getLogits());
  func::ReturnOp::create(b, named("trm"),
                         ValueRange{predictions, act.getLogits(),
                                    act.getStepQLogits(), act.getSteps(),
                                    act.getStepPredictions(),
                                    act.getNetworkCalls()});
  return module;
}
} // namespace

OwningOpRef<ModuleOp> mlir::trm::buildModel(MLIRContext &context,
                                            const TRMConfig &config,
                                            const ModelBuildOptions &options) {
  context.loadDialect<TRMDialect, func::FuncDialect, arith::ArithDialect>();
  return ModelBuilder(context, config, options).build();
}
