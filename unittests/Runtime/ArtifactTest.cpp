//===- ArtifactTest.cpp - artifact files and their fields -----------------===//
#include "trm/Runtime/ArtifactFile.h"
#include "trm/Runtime/ModelSignature.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FormatVariadic.h"
#include "gtest/gtest.h"

#include <string>

using namespace mlir;
using namespace mlir::trm;

namespace {

/// An artifact's attributes around an empty entry; `fields` and `table`
/// are spliced into the text (as a tampered file would have them).
std::string artifactText(const std::string &fields, const std::string &table) {
  return llvm::formatv(
      "module attributes {{trm.artifact = {{{0}}} {{\n"
      "  func.func @trm_main() attributes {{trm.weight_table = [{1}]} {{\n"
      "    return\n  }\n}\n",
      fields, table);
}

std::string goodFields(const std::string &batch = "4") {
  return "H_cycles = 2 : i64, L_cycles = 2 : i64, batch = " + batch +
         " : i64, device = \"cpu\", entry = \"trm_main\", f16 = false, "
         "key = \"" + ModelSignature::artifactKey("cpu") +
         "\", max_steps = 10 : i64, num_puzzle_identifiers = 0 : i64, "
         "policy = \"fixed\", seq_len = 25 : i64, vocab_size = 6 : i64";
}

const std::string kGoodTable =
    "{key = \"embed_tokens.embedding_weight\", offset = 0 : i64, shape = "
    "array<i64: 6, 64>}, {key = \"puzzle_emb.weights\", offset = 384 : i64, "
    "shape = array<i64: 3, 8>}";

class ArtifactTest : public ::testing::Test {
protected:
  ArtifactTest() { context.loadDialect<func::FuncDialect>(); }

  OwningOpRef<ModuleOp> parse(const std::string &text) {
    return parseSourceString<ModuleOp>(text, &context);
  }

  /// The error fromArtifact gives, or "" when it accepts the module.
  std::string loadError(const std::string &fields, const std::string &table) {
    OwningOpRef<ModuleOp> module = parse(artifactText(fields, table));
    EXPECT_TRUE(module);
    if (!module)
      return "unparsed";
    std::string policy, device;
    VulkanCodegenOptions vulkan;
    auto sig =
        ModelSignature::fromArtifact(*module, "a.trmc", policy, device, vulkan);
    return sig ? "" : llvm::toString(sig.takeError());
  }

  std::string bytes(ModuleOp module) {
    std::string out;
    llvm::raw_string_ostream os(out);
    EXPECT_FALSE(bool(writeArtifactFile(module, os)));
    return out;
  }

  MLIRContext context;
};

TEST_F(ArtifactTest, GoodFieldsLoad) {
  OwningOpRef<ModuleOp> module = parse(artifactText(goodFields(), kGoodTable));
  ASSERT_TRUE(module);
  std::string policy, device;
  VulkanCodegenOptions vulkan;
  auto sig =
      ModelSignature::fromArtifact(*module, "a.trmc", policy, device, vulkan);
  ASSERT_TRUE(bool(sig)) << llvm::toString(sig.takeError());
  EXPECT_EQ(sig->batch, 4);
  EXPECT_EQ(sig->seqLen, 25);
  EXPECT_EQ(sig->packedSize, 384 + 24);
  // The table's rows bound the puzzle ids, not the recorded field.
  EXPECT_EQ(sig->numPuzzleIds, 3);
  EXPECT_EQ(policy, "fixed");
  EXPECT_EQ(device, "cpu");
}

TEST_F(ArtifactTest, TamperedFieldsAreNamed) {
  EXPECT_EQ(loadError(goodFields("0"), kGoodTable),
            "a.trmc: artifact field 'batch' must be in [1, 2^24], got 0");
  EXPECT_EQ(loadError(goodFields("-3"), kGoodTable),
            "a.trmc: artifact field 'batch' must be in [1, 2^24], got -3");
  EXPECT_EQ(loadError(goodFields("33554432"), kGoodTable),
            "a.trmc: artifact field 'batch' must be in [1, 2^24], got "
            "33554432");
  std::string noEntry = goodFields();
  noEntry.replace(noEntry.find("entry = \"trm_main\""), 18, "entry = \"\"");
  EXPECT_EQ(loadError(noEntry, kGoodTable),
            "a.trmc: artifact field 'entry' is missing");
  std::string otherDevice = goodFields();
  otherDevice.replace(otherDevice.find("\"cpu\""), 5, "\"tpu\"");
  EXPECT_EQ(loadError(otherDevice, kGoodTable),
            "a.trmc: artifact names no device (cpu or vulkan)");
  std::string badKind = goodFields();
  badKind.replace(badKind.find("device = \"cpu\""), 14,
                  "device = \"vulkan\", device_kind = \"npu\"");
  EXPECT_EQ(loadError(badKind, kGoodTable),
            "a.trmc: artifact field 'device_kind' must be gpu or cpu, not "
            "'npu'");
  std::string staleKey = goodFields();
  size_t key = staleKey.find("trm-cpu-");
  staleKey.replace(key, staleKey.find('"', key) - key, "trm-cpu-0");
  EXPECT_EQ(loadError(staleKey, kGoodTable).substr(0, 45),
            "a.trmc: stale artifact (key trm-cpu-0, this t");
}

TEST_F(ArtifactTest, TamperedWeightTableIsNamed) {
  EXPECT_EQ(loadError(goodFields(), "{offset = 0 : i64, shape = array<i64: 2>}"),
            "a.trmc: trm.weight_table entry 0: needs a key, an offset and a "
            "shape");
  EXPECT_EQ(loadError(goodFields(), "{key = \"w\", shape = array<i64: 2>}"),
            "a.trmc: trm.weight_table entry 0: needs a key, an offset and a "
            "shape");
  EXPECT_EQ(loadError(goodFields(), "7"),
            "a.trmc: trm.weight_table entry 0: needs a key, an offset and a "
            "shape");
  EXPECT_EQ(loadError(goodFields(),
                      "{key = \"w\", offset = -16 : i64, shape = array<i64: 2>}"),
            "a.trmc: trm.weight_table entry 0: 'w' has a bad offset -16");
  EXPECT_EQ(loadError(goodFields(), "{key = \"w\", offset = "
                                    "9223372036854775000 : i64, shape = "
                                    "array<i64: 2>}"),
            "a.trmc: trm.weight_table entry 0: 'w' has a bad offset "
            "9223372036854775000");
  EXPECT_EQ(loadError(goodFields(), "{key = \"w\", offset = 0 : i64, shape = "
                                    "array<i64: 4294967296, 4294967296>}"),
            "a.trmc: trm.weight_table entry 0: 'w' has a bad shape");
  EXPECT_EQ(loadError(goodFields(), "{key = \"w\", offset = 0 : i64, shape = "
                                    "array<i64: -2>}"),
            "a.trmc: trm.weight_table entry 0: 'w' has a bad shape");
}

TEST_F(ArtifactTest, WrittenFilesVerifyAndReadBack) {
  OwningOpRef<ModuleOp> module = parse(artifactText(goodFields(), kGoodTable));
  ASSERT_TRUE(module);
  std::string file = bytes(*module);
  auto kind = checkModelFile(file, "a.trmc");
  ASSERT_TRUE(bool(kind)) << llvm::toString(kind.takeError());
  EXPECT_EQ(*kind, ModelFileKind::VerifiedArtifact);
  OwningOpRef<ModuleOp> back = parseSourceString<ModuleOp>(file, &context);
  ASSERT_TRUE(back);
  EXPECT_TRUE((*back)->hasAttr(ModelSignature::kArtifactAttrName));
}

TEST_F(ArtifactTest, TextAndOtherBytecodeAreNotArtifacts) {
  std::string text = artifactText(goodFields(), kGoodTable);
  auto kind = checkModelFile(text, "a.mlir");
  ASSERT_TRUE(bool(kind));
  EXPECT_EQ(*kind, ModelFileKind::Text);
  for (const char *junk : {"", "ML"}) {
    auto k = checkModelFile(junk, "junk");
    ASSERT_TRUE(bool(k));
    EXPECT_EQ(*k, ModelFileKind::Text);
  }
  for (const char *junk : {"ML\xefR", "ML\xefR\x0d", "ML\xefR\x0dtrm"}) {
    auto k = checkModelFile(junk, "junk");
    ASSERT_TRUE(bool(k));
    EXPECT_EQ(*k, ModelFileKind::Bytecode);
  }
}

// Property: no single flipped bit and no truncation of an artifact file
// verifies. (The loader refuses an artifact that does not verify.)
TEST_F(ArtifactTest, EveryFlippedBitAndTruncationIsCaught) {
  OwningOpRef<ModuleOp> module = parse(artifactText(goodFields(), kGoodTable));
  ASSERT_TRUE(module);
  const std::string file = bytes(*module);
  auto verifies = [](const std::string &bytes) {
    auto kind = checkModelFile(bytes, "a.trmc");
    if (!kind) {
      EXPECT_NE(llvm::toString(kind.takeError()).find("checksum"),
                std::string::npos);
      return false;
    }
    return *kind == ModelFileKind::VerifiedArtifact;
  };
  for (size_t i = 0; i < file.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = file;
      flipped[i] ^= char(1 << bit);
      EXPECT_FALSE(verifies(flipped)) << "byte " << i << " bit " << bit;
    }
    EXPECT_FALSE(verifies(file.substr(0, i))) << "truncated to " << i;
  }
}

TEST(TextNestingTest, CountsBracketsNotStringsCommentsOrArrows) {
  auto ok = [](const std::string &text) {
    llvm::Error err = checkTextNesting(text, "m.mlir");
    bool passed = !err;
    llvm::consumeError(std::move(err));
    return passed;
  };
  const unsigned limit = kMaxTextNesting;
  EXPECT_TRUE(ok(std::string(limit, '[') + std::string(limit, ']')));
  EXPECT_FALSE(ok(std::string(limit + 1, '[')));
  EXPECT_FALSE(ok(std::string(limit + 1, '(')));
  EXPECT_FALSE(ok(std::string(limit + 1, '{')));
  EXPECT_FALSE(ok(std::string(limit + 1, '<')));
  // Mixed kinds count together.
  std::string mixed;
  for (unsigned i = 0; i <= limit; ++i)
    mixed += "([{<"[i % 4];
  EXPECT_FALSE(ok(mixed));
  // Brackets in strings and comments, arrows and comparisons do not count;
  // a closing bracket ends a level whatever its kind.
  std::string quiet = "\"" + std::string(1000, '[') + "\\\"[\"\n// " +
                      std::string(1000, '(') + "\n";
  for (unsigned i = 0; i < 1000; ++i)
    quiet += "affine_map<(d0) -> (d0)> (d0 >= 0) (d0 <= 1) ";
  EXPECT_TRUE(ok(quiet));
  std::string error = llvm::toString(
      checkTextNesting("x\ny\n" + std::string(limit + 1, '['), "m.mlir"));
  EXPECT_EQ(error, "m.mlir:3: brackets nest deeper than the 256 levels a "
                   "module may have");
}

} // namespace
