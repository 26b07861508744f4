//===- JsonStructureTest.cpp - nesting and duplicate-key limits -----------===//
#include "TestUtil.h"
#include "trm/Import/JsonStructure.h"

#include <string>

using namespace mlir::trm;
using trm_test::errorOf;

namespace {

std::string nested(unsigned depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(JsonStructureTest, AcceptsOrdinaryFiles) {
  EXPECT_FALSE(bool(checkJsonStructure(
      R"({"a": {"dtype": "F32", "shape": [1, 2], "data_offsets": [0, 8]},
          "__metadata__": {"format": "pt"}})",
      "ok.json")));
  EXPECT_FALSE(bool(checkJsonStructure("", "empty.json")));
  EXPECT_FALSE(bool(checkJsonStructure("[1, 2]", "array.json")));
}

TEST(JsonStructureTest, NestingLimit) {
  EXPECT_FALSE(bool(checkJsonStructure(nested(kMaxJsonDepth), "deep.json")));
  EXPECT_EQ(errorOf(checkJsonStructure(nested(kMaxJsonDepth + 1), "deep.json")),
            "deep.json: JSON nested deeper than 64 levels");
  // Far past any stack: the check is a loop, not a recursion.
  EXPECT_EQ(errorOf(checkJsonStructure(nested(35000), "deep.json")),
            "deep.json: JSON nested deeper than 64 levels");
  // Brackets inside strings do not count.
  EXPECT_FALSE(bool(checkJsonStructure(
      "{\"k\": \"" + std::string(100, '[') + "\"}", "str.json")));
}

TEST(JsonStructureTest, DuplicateTopLevelKeys) {
  EXPECT_EQ(errorOf(checkJsonStructure(R"({"w": {"x": 1}, "w": {"x": 2}})",
                                       "dup.safetensors")),
            "dup.safetensors: JSON key 'w' appears twice");
  // Equal keys in different inner objects, and values equal to keys, are
  // fine.
  EXPECT_FALSE(bool(checkJsonStructure(
      R"({"a": {"dtype": "F32"}, "b": {"dtype": "F32"}, "c": "a"})",
      "ok.json")));
  // An escaped quote does not end a key.
  EXPECT_EQ(errorOf(checkJsonStructure(R"({"a\"b": 1, "a\"b": 2})", "esc.json")),
            "esc.json: JSON key 'a\\\"b' appears twice");
}

} // namespace
