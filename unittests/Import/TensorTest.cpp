//===- TensorTest.cpp - dtypes and f32 conversion -------------------------===//
#include "TestUtil.h"
#include "trm/Import/Tensor.h"

#include <cmath>

using namespace mlir::trm;

namespace {

TEST(TensorTest, DTypeNames) {
  for (DType d : {DType::Bool, DType::U8, DType::I8, DType::I16, DType::I32,
                  DType::I64, DType::F16, DType::BF16, DType::F32, DType::F64})
    EXPECT_EQ(parseDTypeName(dtypeName(d)), d);
  EXPECT_FALSE(parseDTypeName("F8_E4M3"));
  EXPECT_FALSE(parseDTypeName("f32"));
  EXPECT_EQ(dtypeSize(DType::BF16), 2u);
  EXPECT_EQ(dtypeSize(DType::I64), 8u);
  EXPECT_TRUE(isFloatingPoint(DType::BF16));
  EXPECT_FALSE(isFloatingPoint(DType::I32));
}

TEST(TensorTest, CheckedSizes) {
  EXPECT_EQ(checkedNumElements({}), 1);
  EXPECT_EQ(checkedNumElements({3, 0, 5}), 0);
  EXPECT_EQ(checkedNumElements({11, 64}), 704);
  EXPECT_FALSE(checkedNumElements({-1, 2}));
  EXPECT_FALSE(checkedNumElements({int64_t(1) << 32, int64_t(1) << 32}));
  EXPECT_FALSE(checkedByteSize({int64_t(1) << 62}, DType::F32));
  EXPECT_EQ(checkedByteSize({3, 2}, DType::F64), 48u);
  EXPECT_EQ(formatShape({11, 64}), "[11,64]");
  EXPECT_EQ(formatShape({}), "[]");
}

TEST(TensorTest, HalfConversions) {
  EXPECT_EQ(bf16ToF32(0x3f80), 1.0f);
  EXPECT_EQ(bf16ToF32(0xc000), -2.0f);
  EXPECT_EQ(f16ToF32(0x3c00), 1.0f);
  EXPECT_EQ(f16ToF32(0xc000), -2.0f);
  EXPECT_EQ(f16ToF32(0x3555), 0.333251953125f);
  EXPECT_EQ(f16ToF32(0x0001), std::ldexp(1.0f, -24)); // smallest subnormal
  EXPECT_EQ(f16ToF32(0x7bff), 65504.0f);
  EXPECT_TRUE(std::isinf(f16ToF32(0x7c00)));
  EXPECT_TRUE(std::isnan(f16ToF32(0x7e00)));
  EXPECT_TRUE(std::signbit(f16ToF32(0x8000)));
}

TEST(TensorTest, ToF32) {
  Tensor bf = makeTensor("b", DType::BF16, {2}, {0x80, 0x3f, 0x00, 0xc0});
  EXPECT_EQ(bf.toF32(), (std::vector<float>{1.0f, -2.0f}));
  Tensor i64 = makeTensor("i", DType::I64, {1},
                          {0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  EXPECT_EQ(i64.toF32(), (std::vector<float>{-3.0f}));
  Tensor i32 = makeTensor("i", DType::I32, {1}, {7, 0, 0, 0});
  EXPECT_EQ(i32.toF32(), (std::vector<float>{7.0f}));
  double d = -0.1;
  std::vector<uint8_t> bytes(8);
  std::memcpy(bytes.data(), &d, 8);
  Tensor f64 = makeTensor("d", DType::F64, {}, bytes);
  EXPECT_EQ(f64.toF32(), (std::vector<float>{-0.1f}));
  Tensor converted = std::move(bf).convertToF32();
  EXPECT_EQ(converted.dtype, DType::F32);
  EXPECT_EQ(converted.name, "b");
  EXPECT_TRUE(converted.isConsistent());
  EXPECT_EQ(converted.at<float>(1), -2.0f);
  Tensor f32 = makeF32Tensor("f", {2, 2}, {1, 2, 3, 4});
  EXPECT_TRUE(f32.isConsistent());
  EXPECT_EQ(std::move(f32).convertToF32().toF32(),
            (std::vector<float>{1, 2, 3, 4}));
  Tensor bad = makeTensor("x", DType::F32, {3}, {1, 2, 3});
  EXPECT_FALSE(bad.isConsistent());
}

} // namespace
