//===- TRMConfig.cpp - read all_config.yaml / JSON configurations ---------===//
#include "trm/Config/TRMConfig.h"
#include "trm/Dialect/TRM/IR/TRMWidths.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <tuple>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

using namespace mlir::trm;

namespace {
/// A number as the configuration would spell it (0.001, not 0.00).
std::string shortest(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", v);
  return text;
}

llvm::Error fieldError(llvm::StringRef path, llvm::StringRef field,
                       const llvm::Twine &msg) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::formatv("{0}: field '{1}': {2}", path, field, msg.str()).str());
}

/// Reads `field` of `node` as T; a missing field is an error only when
/// `required`.
template <typename T>
llvm::Error readField(const YAML::Node &node, llvm::StringRef path,
                      const char *field, T &out, bool required) {
  YAML::Node value = node[field];
  if (!value || value.IsNull()) {
    if (required)
      return fieldError(path, field, "missing");
    return llvm::Error::success();
  }
  try {
    out = value.as<T>();
  } catch (const YAML::Exception &) {
    std::string got = value.IsScalar()     ? "'" + value.Scalar() + "'"
                      : value.IsSequence() ? std::string("a sequence")
                                           : std::string("a mapping");
    return fieldError(path, field, "has the wrong type (" + got + ")");
  }
  return llvm::Error::success();
}

/// Thrown by StructureCheck to stop the parse at the first problem.
struct BadStructure {
  YAML::Mark mark;
  std::string message;
};

/// Walks the parser's events before any node is built: mappings and
/// sequences may nest kMaxConfigDepth levels, and aliases are refused (the
/// reference's files have none, and a few nested ones expand to more nodes
/// than memory holds).
class StructureCheck : public YAML::EventHandler {
public:
  void OnDocumentStart(const YAML::Mark &) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark &, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark &mark, YAML::anchor_t) override {
    throw BadStructure{mark, "aliases (*name) are not allowed in a "
                             "configuration"};
  }
  void OnScalar(const YAML::Mark &, const std::string &, YAML::anchor_t,
                const std::string &) override {}
  void OnSequenceStart(const YAML::Mark &mark, const std::string &,
                       YAML::anchor_t, YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnSequenceEnd() override { --depth; }
  void OnMapStart(const YAML::Mark &mark, const std::string &, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnMapEnd() override { --depth; }

private:
  void enter(const YAML::Mark &mark) {
    if (++depth > kMaxConfigDepth)
      throw BadStructure{
          mark, llvm::formatv("mappings and sequences nest deeper than the "
                              "{0} levels a configuration may have",
                              kMaxConfigDepth)
                    .str()};
  }
  unsigned depth = 0;
};

llvm::Error yamlError(llvm::StringRef path, const YAML::Mark &mark,
                      const std::string &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "%s:%d:%d: %s", path.str().c_str(),
                                 mark.line + 1, mark.column + 1, msg.c_str());
}
} // namespace

llvm::Expected<TRMConfig> mlir::trm::parseConfigFile(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "%s: cannot open file",
                                   path.str().c_str());
  std::string text = (*buffer)->getBuffer().str();
  YAML::Node root;
  try {
    std::istringstream events(text);
    YAML::Parser parser(events);
    StructureCheck check;
    parser.HandleNextDocument(check);
    root = YAML::Load(text);
  } catch (const BadStructure &bad) {
    return yamlError(path, bad.mark, bad.message);
  } catch (const YAML::Exception &e) {
    return yamlError(path, e.mark, "not valid YAML/JSON: " + e.msg);
  }
  if (!root.IsMap())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "%s: expected a mapping at the top level",
                                   path.str().c_str());
  YAML::Node arch = root["arch"] ? root["arch"] : root;
  if (!arch.IsMap())
    return fieldError(path, "arch", "expected a mapping");

  TRMConfig c;
  std::string pos = "none";
  bool mlpT = false;
  if (auto err = readField(arch, path, "hidden_size", c.hiddenSize, true))
    return std::move(err);
  if (auto err = readField(arch, path, "num_heads", c.numHeads, true))
    return std::move(err);
  if (auto err = readField(arch, path, "expansion", c.expansion, true))
    return std::move(err);
  if (auto err = readField(arch, path, "L_layers", c.numLayers, true))
    return std::move(err);
  if (auto err = readField(arch, path, "H_cycles", c.hCycles, true))
    return std::move(err);
  if (auto err = readField(arch, path, "L_cycles", c.lCycles, true))
    return std::move(err);
  if (auto err = readField(arch, path, "halt_max_steps", c.haltMaxSteps, true))
    return std::move(err);
  if (auto err = readField(arch, path, "pos_encodings", pos, true))
    return std::move(err);
  if (auto err = readField(arch, path, "mlp_t", mlpT, false))
    return std::move(err);
  if (auto err = readField(arch, path, "puzzle_emb_ndim", c.puzzleEmbNdim, true))
    return std::move(err);
  // The reference's default is 16 positions; an explicit 0 means "as many as
  // the puzzle embedding needs".
  c.puzzleEmbLen = 16;
  if (auto err = readField(arch, path, "puzzle_emb_len", c.puzzleEmbLen, false))
    return std::move(err);
  if (auto err = readField(arch, path, "rms_norm_eps", c.rmsNormEps, false))
    return std::move(err);
  if (auto err = readField(arch, path, "rope_theta", c.ropeTheta, false))
    return std::move(err);
  // Data-set sizes: the reference takes them from dataset.json, so they may be
  // absent here and come later from the checkpoint shapes or the command line.
  for (const YAML::Node &node : {arch, root}) {
    if (auto err = readField(node, path, "vocab_size", c.vocabSize, false))
      return std::move(err);
    if (auto err = readField(node, path, "seq_len", c.seqLen, false))
      return std::move(err);
    if (auto err = readField(node, path, "num_puzzle_identifiers",
                             c.numPuzzleIdentifiers, false))
      return std::move(err);
  }
  // One folder or a list of them, as the trainer's config accepts.
  if (YAML::Node paths = root["data_paths"]; paths && !paths.IsNull()) {
    std::vector<std::string> list;
    if (paths.IsScalar())
      list.push_back(paths.Scalar());
    else if (auto err = readField(root, path, "data_paths", list, false))
      return std::move(err);
    c.dataPaths = std::move(list);
  }
  c.mlpT = mlpT;
  // The reference treats every value other than rope/learned as "none".
  c.posEncoding = pos == "rope"      ? PosEncoding::Rope
                  : pos == "learned" ? PosEncoding::Learned
                                     : PosEncoding::None;
  if (pos != "rope" && pos != "learned" && pos != "none")
    c.warnings.push_back(
        llvm::formatv("{0}: field 'pos_encodings': '{1}' is not rope, learned "
                      "or none; treated as none, as the reference does",
                      path, pos)
            .str());
  if (c.puzzleEmbNdim > 0 && c.puzzleEmbLen == 0)
    c.puzzleEmbLen = (c.puzzleEmbNdim + c.hiddenSize - 1) /
                     std::max<int64_t>(c.hiddenSize, 1);
  // Without a puzzle embedding the reference cannot run with a prefix (its
  // state would be S + P long with nothing in the prefix); use none.
  if (c.puzzleEmbNdim == 0)
    c.puzzleEmbLen = 0;
  return c;
}

llvm::Error mlir::trm::validateConfig(const TRMConfig &c, llvm::StringRef what) {
  // Upper bounds far above any published TRM that keep every size product
  // below 2^63 and the module's size linear in the config: beyond them a
  // value is a typo or an attack, not a model.
  auto inRange = [&](const char *field, int64_t v, int64_t lo,
                     int64_t hi) -> llvm::Error {
    if (v < lo || v > hi)
      return fieldError(what, field,
                        llvm::formatv("must be in [{0}, {1}], got {2}", lo, hi,
                                      v));
    return llvm::Error::success();
  };
  for (auto [field, value, hi] :
       {std::tuple<const char *, int64_t, int64_t>{"hidden_size", c.hiddenSize,
                                                   kMaxHiddenSize},
        {"L_layers", c.numLayers, kMaxLayers},
        {"H_cycles", c.hCycles, kMaxCycles},
        {"L_cycles", c.lCycles, kMaxCycles},
        {"halt_max_steps", c.haltMaxSteps, kMaxCycles},
        {"vocab_size", c.vocabSize, kMaxVocab},
        {"seq_len", c.seqLen, kMaxSeqLen}})
    if (auto err = inRange(field, value, 1, hi))
      return err;
  auto finitePositive = [&](const char *field, double v,
                            double hi) -> llvm::Error {
    if (!std::isfinite(v) || !(v > 0) || v > hi)
      return fieldError(what, field,
                        llvm::formatv("must be a finite number in (0, {0}], "
                                      "got {1}",
                                      shortest(hi), shortest(v)));
    return llvm::Error::success();
  };
  if (auto err = finitePositive("expansion", c.expansion, kMaxExpansion))
    return err;
  if (auto err = finitePositive("rms_norm_eps", c.rmsNormEps, 1.0))
    return err;
  if (c.posEncoding == PosEncoding::Rope)
    if (auto err = finitePositive("rope_theta", c.ropeTheta, 1e30))
      return err;
  // round() can take a tiny expansion to an intermediate width of 0, which
  // leaves the SwiGLU with empty weights.
  for (auto [axis, width] :
       {std::pair<const char *, int64_t>{"hidden_size", c.hiddenSize},
        {"the sequence (mlp_t)", c.mlpT ? c.totalLen() : 0}})
    if (width > 0 && swigluIntermediate(c.expansion, width) < 1)
      return fieldError(
          what, "expansion",
          llvm::formatv("{0} gives a SwiGLU intermediate width of 0 over {1} "
                        "= {2} (round(expansion * {2} * 2/3) must be at "
                        "least 1)",
                        shortest(c.expansion), axis, width));
  if (!c.mlpT) {
    if (auto err = inRange("num_heads", c.numHeads, 1, c.hiddenSize))
      return err;
    if (c.hiddenSize % c.numHeads != 0)
      return fieldError(what, "num_heads",
                        llvm::formatv("hidden_size {0} is not divisible by "
                                      "num_heads {1}",
                                      c.hiddenSize, c.numHeads));
    if (c.posEncoding == PosEncoding::Rope && c.headDim() % 2 != 0)
      return fieldError(what, "num_heads", "rope needs an even head size");
  }
  if (auto err = inRange("puzzle_emb_ndim", c.puzzleEmbNdim, 0,
                         kMaxPuzzleEmbNdim))
    return err;
  if (c.puzzleEmbNdim > 0) {
    if (auto err =
            inRange("puzzle_emb_len", c.puzzleEmbLen, 1, kMaxPuzzleEmbLen))
      return err;
    if (c.puzzleEmbLen * c.hiddenSize < c.puzzleEmbNdim)
      return fieldError(what, "puzzle_emb_len",
                        llvm::formatv("{0} positions cannot hold a puzzle "
                                      "embedding of width {1}",
                                      c.puzzleEmbLen, c.puzzleEmbNdim));
    if (auto err = inRange("num_puzzle_identifiers", c.numPuzzleIdentifiers,
                           1, kMaxPuzzleIdentifiers))
      return err;
  }
  return llvm::Error::success();
}

std::vector<WeightSpec> mlir::trm::expectedWeights(const TRMConfig &c) {
  const int64_t d = c.hiddenSize, l = c.totalLen();
  const int64_t inter = swigluIntermediate(c.expansion, d);
  std::vector<WeightSpec> specs;
  specs.push_back({"embed_tokens.embedding_weight", {c.vocabSize, d}});
  if (c.puzzleEmbNdim > 0)
    specs.push_back(
        {"puzzle_emb.weights", {c.numPuzzleIdentifiers, c.puzzleEmbNdim}});
  if (c.posEncoding == PosEncoding::Learned)
    specs.push_back({"embed_pos.embedding_weight", {l, d}});
  for (int64_t i = 0; i < c.numLayers; ++i) {
    std::string layer = "L_level.layers." + std::to_string(i) + ".";
    if (c.mlpT) {
      const int64_t interT = swigluIntermediate(c.expansion, l);
      specs.push_back({layer + "mlp_t.gate_up_proj.weight", {2 * interT, l}});
      specs.push_back({layer + "mlp_t.down_proj.weight", {l, interT}});
    } else {
      specs.push_back({layer + "self_attn.qkv_proj.weight", {3 * d, d}});
      specs.push_back({layer + "self_attn.o_proj.weight", {d, d}});
    }
    specs.push_back({layer + "mlp.gate_up_proj.weight", {2 * inter, d}});
    specs.push_back({layer + "mlp.down_proj.weight", {d, inter}});
  }
  specs.push_back({"lm_head.weight", {c.vocabSize, d}});
  specs.push_back({"q_head.weight", {2, d}});
  specs.push_back({"q_head.bias", {2}});
  specs.push_back({"H_init", {d}});
  specs.push_back({"L_init", {d}});
  return specs;
}
