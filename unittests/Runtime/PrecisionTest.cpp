//===- PrecisionTest.cpp - the tools' --precision -------------------------===//
#include "trm/Pipelines/Pipelines.h"

#include <gtest/gtest.h>

using namespace mlir::trm;

namespace {
std::string parseError(llvm::StringRef precision, bool vulkanF16) {
  auto parsed = parsePrecision(precision, vulkanF16);
  return parsed ? std::string() : llvm::toString(parsed.takeError());
}

std::string deviceError(Precision precision, bool onVulkan) {
  llvm::Error err = checkPrecisionDevice(precision, onVulkan);
  return err ? llvm::toString(std::move(err)) : std::string();
}
} // namespace

TEST(Precision, EveryNameParsesAndPrintsBack) {
  for (Precision p : {Precision::F32, Precision::BF16, Precision::F16}) {
    auto parsed = parsePrecision(stringifyPrecision(p), false);
    ASSERT_TRUE(bool(parsed));
    EXPECT_EQ(**parsed, p);
  }
  auto none = parsePrecision("", false);
  ASSERT_TRUE(bool(none));
  EXPECT_FALSE(none->has_value());
  auto alias = parsePrecision("", true);
  ASSERT_TRUE(bool(alias));
  EXPECT_EQ(**alias, Precision::F16);
}

TEST(Precision, UnknownAndContradictoryFlagsAreNamed) {
  EXPECT_EQ(parseError("fp32", false),
            "--precision: unknown precision 'fp32' (f32, bf16 or f16)");
  EXPECT_EQ(parseError("BF16", false),
            "--precision: unknown precision 'BF16' (f32, bf16 or f16)");
  EXPECT_EQ(parseError("bf16", true),
            "--precision bf16 and --vulkan-f16 contradict each other");
  EXPECT_EQ(parseError("f16", true), "");
}

TEST(Precision, EachDeviceTakesItsOwn) {
  EXPECT_EQ(deviceError(Precision::F32, false), "");
  EXPECT_EQ(deviceError(Precision::F32, true), "");
  EXPECT_EQ(deviceError(Precision::BF16, false), "");
  EXPECT_EQ(deviceError(Precision::F16, true), "");
  EXPECT_NE(deviceError(Precision::BF16, true).find("needs --device cpu"),
            std::string::npos);
  EXPECT_NE(deviceError(Precision::F16, false).find("needs --device vulkan"),
            std::string::npos);
}
