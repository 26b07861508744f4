//===- WeightImportTest.cpp - keys, config inference and validation -------===//
#include "TestUtil.h"
#include "trm/Import/Safetensors.h"
#include "trm/Import/WeightImport.h"

using namespace mlir::trm;
using trm_test::errorOf;
using trm_test::inputPath;

namespace {

/// A small attention model: D 8, 2 heads, 1 layer, rope, 1-position puzzle
/// prefix, with vocab/seq/ids given.
TRMConfig smallConfig() {
  TRMConfig c;
  c.hiddenSize = 8;
  c.numHeads = 2;
  c.expansion = 2;
  c.numLayers = 1;
  c.hCycles = 1;
  c.lCycles = 1;
  c.haltMaxSteps = 2;
  c.posEncoding = PosEncoding::Rope;
  c.puzzleEmbNdim = 8;
  c.puzzleEmbLen = 1;
  c.vocabSize = 5;
  c.seqLen = 4;
  c.numPuzzleIdentifiers = 3;
  return c;
}

/// Tensors for every parameter `c` needs, stored under `prefix`; H_init and
/// L_init in bf16 like the reference.
std::vector<Tensor> checkpointFor(const TRMConfig &c,
                                  llvm::StringRef prefix = "_orig_mod.model.inner.") {
  std::vector<Tensor> ts;
  for (const WeightSpec &spec : expectedWeights(c)) {
    int64_t n = *checkedNumElements(spec.shape);
    if (spec.key == "H_init" || spec.key == "L_init") {
      std::vector<uint8_t> bytes;
      for (int64_t i = 0; i < n; ++i) { // bf16 1.0
        bytes.push_back(0x80);
        bytes.push_back(0x3f);
      }
      ts.push_back(makeTensor((prefix + spec.key).str(), DType::BF16, spec.shape, bytes));
      continue;
    }
    std::vector<float> values(n);
    for (int64_t i = 0; i < n; ++i)
      values[i] = float(i % 7) * 0.5f;
    ts.push_back(makeF32Tensor((prefix + spec.key).str(), spec.shape, values));
  }
  return ts;
}

Tensor *find(std::vector<Tensor> &ts, llvm::StringRef name) {
  for (Tensor &t : ts)
    if (t.name == name)
      return &t;
  return nullptr;
}

TEST(WeightImportTest, CanonicalKeys) {
  EXPECT_EQ(canonicalKey("_orig_mod.model.inner.lm_head.weight"), "lm_head.weight");
  EXPECT_EQ(canonicalKey("model.inner.H_init"), "H_init");
  EXPECT_EQ(canonicalKey("inner.q_head.bias"), "q_head.bias");
  EXPECT_EQ(canonicalKey("lm_head.weight"), "lm_head.weight");
  EXPECT_EQ(canonicalKey("model.model.x"), "x");
  EXPECT_EQ(canonicalKey("L_level.layers.0.mlp.down_proj.weight"),
            "L_level.layers.0.mlp.down_proj.weight");
  EXPECT_EQ(canonicalKey("modelx.y"), "modelx.y");
  EXPECT_TRUE(isIgnoredBuffer("rotary_emb.cos_cached"));
  EXPECT_TRUE(isIgnoredBuffer("rotary_emb.sin_cached"));
  EXPECT_FALSE(isIgnoredBuffer("lm_head.weight"));
}

TEST(WeightImportTest, CanonicalizeDropsBuffersAndRejectsCollisions) {
  std::vector<Tensor> ts;
  ts.push_back(makeF32Tensor("_orig_mod.model.inner.lm_head.weight", {1}, {1}));
  ts.push_back(makeF32Tensor("model.inner.rotary_emb.cos_cached", {1}, {1}));
  auto w = canonicalizeWeights(ts, "ck");
  ASSERT_TRUE(bool(w)) << llvm::toString(w.takeError());
  ASSERT_EQ(w->tensors.size(), 1u);
  EXPECT_EQ(w->tensors[0].name, "lm_head.weight");
  EXPECT_EQ(w->storedKeys[0], "_orig_mod.model.inner.lm_head.weight");
  EXPECT_EQ(w->ignored, (std::vector<std::string>{"model.inner.rotary_emb.cos_cached"}));

  ts.push_back(makeF32Tensor("lm_head.weight", {1}, {1}));
  EXPECT_EQ(errorOf(canonicalizeWeights(ts, "ck")),
            "ck: keys '_orig_mod.model.inner.lm_head.weight' and "
            "'lm_head.weight' both name the parameter 'lm_head.weight'");
}

TEST(WeightImportTest, MatchConvertsToF32InCanonicalOrder) {
  TRMConfig c = smallConfig();
  std::vector<Tensor> ts = checkpointFor(c);
  std::reverse(ts.begin(), ts.end()); // file order does not matter
  auto w = canonicalizeWeights(ts, "step_1");
  ASSERT_TRUE(bool(w));
  auto out = matchWeights(c, std::move(*w));
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  std::vector<WeightSpec> specs = expectedWeights(c);
  ASSERT_EQ(out->size(), specs.size());
  for (size_t k = 0; k < specs.size(); ++k) {
    EXPECT_EQ((*out)[k].name, specs[k].key);
    EXPECT_EQ((*out)[k].shape, specs[k].shape);
    EXPECT_EQ((*out)[k].dtype, DType::F32);
    EXPECT_TRUE((*out)[k].isConsistent());
  }
  Tensor &h = out->at(out->size() - 2);
  EXPECT_EQ(h.name, "H_init");
  EXPECT_EQ(h.toF32(), std::vector<float>(8, 1.0f));
}

TEST(WeightImportTest, MatchErrorsNameFileAndKey) {
  TRMConfig c = smallConfig();
  auto match = [&](std::vector<Tensor> ts) {
    auto w = canonicalizeWeights(std::move(ts), "step_9");
    EXPECT_TRUE(bool(w));
    return errorOf(matchWeights(c, std::move(*w)));
  };
  {
    std::vector<Tensor> ts = checkpointFor(c, "");
    *find(ts, "lm_head.weight") = makeF32Tensor("lm_head.weight", {4, 8},
                                                std::vector<float>(32));
    EXPECT_EQ(match(ts), "step_9: tensor 'lm_head.weight': shape [4,8] does not "
                         "match [5,8] expected by the configuration");
  }
  {
    std::vector<Tensor> ts = checkpointFor(c);
    ts.erase(ts.begin());
    EXPECT_EQ(match(ts), "step_9: missing tensor 'embed_tokens.embedding_weight' "
                         "required by the configuration");
  }
  {
    std::vector<Tensor> ts = checkpointFor(c);
    ts.push_back(makeF32Tensor("_orig_mod.model.inner.extra.weight", {1}, {1}));
    EXPECT_EQ(match(ts), "step_9: unexpected tensor "
                         "'_orig_mod.model.inner.extra.weight': not a parameter "
                         "of the model the configuration describes");
  }
  {
    std::vector<Tensor> ts = checkpointFor(c);
    *find(ts, "_orig_mod.model.inner.q_head.bias") =
        makeTensor("_orig_mod.model.inner.q_head.bias", DType::I64, {2},
                   std::vector<uint8_t>(16));
    EXPECT_EQ(match(ts), "step_9: tensor '_orig_mod.model.inner.q_head.bias': "
                         "dtype I64 is not a floating-point type");
  }
  {
    // A config with two layers against a one-layer checkpoint.
    TRMConfig two = c;
    two.numLayers = 2;
    auto w = canonicalizeWeights(checkpointFor(c), "step_9");
    ASSERT_TRUE(bool(w));
    std::string msg = errorOf(matchWeights(two, std::move(*w)));
    EXPECT_EQ(msg, "step_9: missing tensors "
                   "'L_level.layers.1.self_attn.qkv_proj.weight', "
                   "'L_level.layers.1.self_attn.o_proj.weight', "
                   "'L_level.layers.1.mlp.gate_up_proj.weight', "
                   "'L_level.layers.1.mlp.down_proj.weight' required by the "
                   "configuration");
  }
}

TEST(WeightImportTest, InferDataSetSizesFromShapes) {
  TRMConfig full = smallConfig();
  full.posEncoding = PosEncoding::Learned;
  auto w = canonicalizeWeights(checkpointFor(full), "ck");
  ASSERT_TRUE(bool(w));
  TRMConfig c = full;
  c.vocabSize = 0;
  c.seqLen = 0;
  c.numPuzzleIdentifiers = 0;
  inferConfigFromWeights(c, *w);
  EXPECT_EQ(c.vocabSize, 5);
  EXPECT_EQ(c.seqLen, 4); // embed_pos has L = 5 rows, P = 1
  EXPECT_EQ(c.numPuzzleIdentifiers, 3);

  // mlp_t: L from the token-mixing weights.
  TRMConfig mlpt = smallConfig();
  mlpt.mlpT = true;
  mlpt.posEncoding = PosEncoding::None;
  auto wt = canonicalizeWeights(checkpointFor(mlpt), "ck");
  ASSERT_TRUE(bool(wt));
  TRMConfig d = mlpt;
  d.seqLen = 0;
  inferConfigFromWeights(d, *wt);
  EXPECT_EQ(d.seqLen, 4);

  // Rope without mlp_t: the shapes do not tell seq_len.
  auto wr = canonicalizeWeights(checkpointFor(smallConfig()), "ck");
  ASSERT_TRUE(bool(wr));
  TRMConfig e = smallConfig();
  e.seqLen = 0;
  inferConfigFromWeights(e, *wr);
  EXPECT_EQ(e.seqLen, 0);
  EXPECT_EQ(errorOf(checkDatasetSizesKnown(e, "all_config.yaml")),
            "all_config.yaml: field 'seq_len': must be positive, got 0 "
            "(unknown: neither the configuration nor the checkpoint tells it; "
            "pass --seq-len or --dataset-json)");
  // Known values are never overwritten.
  TRMConfig f = smallConfig();
  f.vocabSize = 9;
  inferConfigFromWeights(f, *wr);
  EXPECT_EQ(f.vocabSize, 9);
  EXPECT_FALSE(bool(checkDatasetSizesKnown(f, "x")));
}

TEST(WeightImportTest, DatasetJson) {
  trm_test::TempDir dir;
  dir.write("dataset.json", R"({"pad_id": 0, "vocab_size": 11, "seq_len": 81,
    "num_puzzle_identifiers": 1, "total_groups": 3, "sets": ["all"]})");
  TRMConfig c = smallConfig();
  c.vocabSize = 0;
  c.seqLen = 0;
  c.numPuzzleIdentifiers = 0;
  ASSERT_FALSE(bool(applyDatasetJson(c, dir.file("dataset.json"), "cfg.yaml")));
  EXPECT_EQ(c.vocabSize, 11);
  EXPECT_EQ(c.seqLen, 81);
  EXPECT_EQ(c.numPuzzleIdentifiers, 1);

  TRMConfig d = smallConfig(); // seq_len 4 disagrees
  d.vocabSize = 11;
  d.numPuzzleIdentifiers = 1;
  EXPECT_EQ(errorOf(applyDatasetJson(d, dir.file("dataset.json"), "cfg.yaml")),
            dir.file("dataset.json") +
                ": field 'seq_len': 81 disagrees with 4 in cfg.yaml");

  dir.write("bad.json", R"({"seq_len": "long"})");
  EXPECT_EQ(errorOf(applyDatasetJson(c, dir.file("bad.json"), "cfg.yaml")),
            dir.file("bad.json") + ": field 'seq_len': expected a positive integer");
  dir.write("notjson.json", "{seq_len: 3");
  EXPECT_NE(errorOf(applyDatasetJson(c, dir.file("notjson.json"), "cfg.yaml"))
                .find("notjson.json: not valid JSON"),
            std::string::npos);
  EXPECT_NE(errorOf(applyDatasetJson(c, dir.file("none.json"), "cfg.yaml"))
                .find("none.json: cannot open file"),
            std::string::npos);
}

TEST(WeightImportTest, ReadCheckpointFileSniffsFormat) {
  trm_test::TempDir dir;
  ASSERT_FALSE(bool(writeSafetensorsFile(
      dir.file("w.bin"), {makeF32Tensor("model.lm_head.weight", {1}, {1})})));
  CheckpointFormat format;
  auto st = readCheckpointFile(dir.file("w.bin"), &format);
  ASSERT_TRUE(bool(st)) << llvm::toString(st.takeError());
  EXPECT_EQ(format, CheckpointFormat::Safetensors);
  auto pt = readCheckpointFile(inputPath("small.pt"), &format);
  ASSERT_TRUE(bool(pt)) << llvm::toString(pt.takeError());
  EXPECT_EQ(format, CheckpointFormat::TorchZip);
  dir.write("junk", "this is not a checkpoint at all");
  EXPECT_EQ(errorOf(readCheckpointFile(dir.file("junk"))),
            dir.file("junk") +
                ": unrecognised checkpoint format: neither a torch.save zip "
                "archive (starts with 'PK') nor safetensors (an 8-byte header "
                "size, then '{')");
  // A .safetensors name is parsed as safetensors even when the header lies.
  dir.write("lie.safetensors", std::string("\xe8\x03\x00\x00\x00\x00\x00\x00{}", 10));
  EXPECT_NE(errorOf(readCheckpointFile(dir.file("lie.safetensors")))
                .find("runs past the end of the file"),
            std::string::npos);
}

TEST(WeightImportTest, ConfigValidation) {
  trm_test::TempDir dir;
  dir.write("cfg.yaml", "arch:\n  hidden_size: 8\n  num_heads: 2\n"
                        "  expansion: 2\n  L_layers: 1\n  H_cycles: 1\n"
                        "  L_cycles: 1\n  halt_max_steps: 2\n"
                        "  pos_encodings: rope\n  puzzle_emb_ndim: 8\n"
                        "  puzzle_emb_len: 0\n");
  auto c = parseConfigFile(dir.file("cfg.yaml"));
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
  EXPECT_EQ(c->puzzleEmbLen, 1);
  EXPECT_EQ(c->seqLen, 0);
  EXPECT_NE(errorOf(checkDatasetSizesKnown(*c, "cfg.yaml")).find("'seq_len'"),
            std::string::npos);
  c->seqLen = 4;
  EXPECT_NE(errorOf(checkDatasetSizesKnown(*c, "cfg.yaml")).find("'vocab_size'"),
            std::string::npos);
  c->vocabSize = 5;
  EXPECT_NE(errorOf(checkDatasetSizesKnown(*c, "cfg.yaml"))
                .find("'num_puzzle_identifiers'"),
            std::string::npos);
  c->numPuzzleIdentifiers = 3;
  EXPECT_FALSE(bool(checkDatasetSizesKnown(*c, "cfg.yaml")));
  EXPECT_FALSE(bool(validateConfig(*c, "cfg.yaml")));
  c->numHeads = 3;
  EXPECT_EQ(errorOf(validateConfig(*c, "cfg.yaml")),
            "cfg.yaml: field 'num_heads': hidden_size 8 is not divisible by "
            "num_heads 3");

  dir.write("missing.yaml", "arch:\n  hidden_size: 8\n");
  EXPECT_EQ(errorOf(parseConfigFile(dir.file("missing.yaml"))),
            dir.file("missing.yaml") + ": field 'num_heads': missing");
}

} // namespace
