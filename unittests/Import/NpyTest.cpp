//===- NpyTest.cpp - .npy read/write --------------------------------------===//
#include "TestUtil.h"
#include "trm/Import/Npy.h"

#include "llvm/Support/Endian.h"

using namespace mlir::trm;
using trm_test::asBytes;
using trm_test::errorOf;
using trm_test::inputPath;

namespace {

/// A .npy file with header `dict` (version `major`).
std::string npyWith(llvm::StringRef dict, llvm::StringRef data = "",
                    int major = 1) {
  std::string out = "\x93NUMPY";
  out.push_back(char(major));
  out.push_back(0);
  char len[4];
  if (major == 1) {
    llvm::support::endian::write16le(len, dict.size());
    out.append(len, 2);
  } else {
    llvm::support::endian::write32le(len, dict.size());
    out.append(len, 4);
  }
  return out + dict.str() + data.str();
}

TEST(NpyTest, ReadsNumpyFiles) {
  auto f32 = readNpyFile(inputPath("f32.npy"));
  ASSERT_TRUE(bool(f32)) << llvm::toString(f32.takeError());
  EXPECT_EQ(f32->name, "f32");
  EXPECT_EQ(f32->dtype, DType::F32);
  EXPECT_EQ(f32->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(f32->toF32(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  auto i64 = readNpyFile(inputPath("i64.npy"));
  ASSERT_TRUE(bool(i64)) << llvm::toString(i64.takeError());
  EXPECT_EQ(i64->dtype, DType::I64);
  EXPECT_EQ(i64->shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(i64->at<int64_t>(1), -2);

  std::string fortran = errorOf(readNpyFile(inputPath("i32_fortran.npy")));
  EXPECT_NE(fortran.find("i32_fortran.npy: .npy header: 'fortran_order': True "
                         "is not supported"),
            std::string::npos)
      << fortran;
  std::string big = errorOf(readNpyFile(inputPath("f4_bigendian.npy")));
  EXPECT_NE(big.find("'descr': big-endian dtype '>f4' is not supported"),
            std::string::npos)
      << big;
}

TEST(NpyTest, RoundTrip) {
  std::vector<Tensor> tensors = {
      makeF32Tensor("a", {2, 3}, {1, 2, 3, 4, 5, 6}),
      makeF32Tensor("s", {}, {7}),
      makeTensor("i", DType::I32, {1}, {1, 2, 3, 4}),
      makeTensor("l", DType::I64, {1, 1}, {1, 2, 3, 4, 5, 6, 7, 8}),
      makeTensor("d", DType::F64, {1}, {0, 0, 0, 0, 0, 0, 0xf0, 0x3f}),
      makeTensor("h", DType::F16, {1}, {0, 0x3c}),
      makeTensor("b", DType::U8, {3}, {1, 2, 3}),
      makeTensor("z", DType::F32, {0, 2}, {}),
  };
  for (const Tensor &t : tensors) {
    SCOPED_TRACE(t.name);
    auto bytes = serializeNpy(t);
    ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
    uint16_t headerLen = llvm::support::endian::read16le(bytes->data() + 8);
    EXPECT_EQ((10 + headerLen) % 64, 0u);
    EXPECT_EQ((*bytes)[10 + headerLen - 1], '\n');
    auto back = parseNpy(asBytes(*bytes), "rt.npy", t.name);
    ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
    EXPECT_EQ(back->dtype, t.dtype);
    EXPECT_EQ(back->shape, t.shape);
    EXPECT_EQ(back->data, t.data);
  }
  auto one = serializeNpy(makeF32Tensor("v", {5}, {1, 2, 3, 4, 5}));
  ASSERT_TRUE(bool(one));
  EXPECT_NE(one->find("'shape': (5,), }"), std::string::npos);
  EXPECT_FALSE(bool(serializeNpy(makeTensor("x", DType::BF16, {1}, {0, 0}))));
}

TEST(NpyTest, LargeHeadersUseVersion2) {
  // 30000 dimensions of size 1 need a header longer than 65535 bytes.
  std::vector<int64_t> shape(30000, 1);
  Tensor t = makeF32Tensor("wide", shape, {2.5f});
  auto bytes = serializeNpy(t);
  ASSERT_TRUE(bool(bytes));
  EXPECT_EQ((*bytes)[6], 2);
  uint32_t headerLen = llvm::support::endian::read32le(bytes->data() + 8);
  EXPECT_EQ((12 + headerLen) % 64, 0u);
  auto back = parseNpy(asBytes(*bytes), "v2.npy");
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->shape.size(), 30000u);
  EXPECT_EQ(back->toF32(), (std::vector<float>{2.5f}));
}

TEST(NpyTest, Version3AndPython2Headers) {
  std::string data(8, '\0');
  auto v3 = parseNpy(asBytes(npyWith("{\"descr\": \"<i4\", \"fortran_order\": "
                                     "False, \"shape\": (2,)}\n",
                                     data, 3)),
                     "v3.npy");
  ASSERT_TRUE(bool(v3)) << llvm::toString(v3.takeError());
  EXPECT_EQ(v3->shape, (std::vector<int64_t>{2}));
  auto py2 = parseNpy(asBytes(npyWith("{'descr': '<f8', 'fortran_order': False, "
                                      "'shape': (1L,), }",
                                      data)),
                      "py2.npy");
  ASSERT_TRUE(bool(py2)) << llvm::toString(py2.takeError());
  EXPECT_EQ(py2->dtype, DType::F64);
}

TEST(NpyTest, MalformedFiles) {
  auto expectError = [](const std::string &file, llvm::StringRef needle) {
    std::string msg = errorOf(parseNpy(asBytes(file), "bad.npy"));
    EXPECT_NE(msg.find(needle.str()), std::string::npos) << msg;
    EXPECT_EQ(msg.rfind("bad.npy: ", 0), 0u) << msg;
  };
  const char *good = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }";
  expectError("", "not a .npy file");
  expectError("\x93NUMPZ\x01\x00", "not a .npy file");
  expectError(std::string("\x93NUMPY\x01\x00", 8), "truncated .npy header length");
  expectError(npyWith(good, "abcd", 4), "unsupported .npy format version 4.0");
  {
    std::string f = npyWith(good, "abcd");
    f[7] = 1;
    expectError(f, "unsupported .npy format version 1.1");
  }
  {
    std::string f = npyWith(good, "");
    f.resize(20);
    expectError(f, "header length 57 runs past the end of the file (20 bytes)");
  }
  expectError(npyWith(good, "abc"), ".npy data has 3 bytes, shape [1] of '<f4' needs 4");
  expectError(npyWith(good, "abcde"), ".npy data has 5 bytes");
  expectError(npyWith("['descr']"), "header is not a dict");
  expectError(npyWith("{'descr': '<f4', 'shape': (1,)}"), "missing key 'fortran_order'");
  expectError(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': True}"),
              "unexpected key 'x'");
  expectError(npyWith("{'descr': '<c8', 'fortran_order': False, 'shape': (1,)}", "12345678"),
              "'descr': unsupported dtype '<c8'");
  expectError(npyWith("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}"),
              "structured dtypes are not supported");
  expectError(npyWith("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}"),
              "'fortran_order' is not True/False");
  expectError(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"),
              "expected a non-negative integer");
  expectError(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999)}"),
              "overflows");
  expectError(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)"),
              "expected ',' or '}'");
  expectError(npyWith("{'descr: '<f4'}"), "expected ':'");
  expectError(npyWith("{'descr': '<f4', 'descr': '<f4'}"), "key 'descr' appears twice");
  expectError(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x"),
              "unexpected text after the header dict");
  expectError(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (1 2)}"),
              "expected ',' or ')'");
  expectError(npyWith("{'descr': '\\x', 'fortran_order': False, 'shape': (1,)}"),
              "escapes in header strings are not supported");
  expectError(npyWith("{'descr': '\xc3\xa9', 'fortran_order': False, 'shape': (1,)}"),
              "not ASCII");
  expectError(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", "", 2),
              "expected ',' or '}'");
}

TEST(NpyTest, AtomicWrite) {
  trm_test::TempDir dir;
  ASSERT_FALSE(bool(writeNpyFile(dir.file("a.npy"), makeF32Tensor("a", {2}, {1, 2}))));
  auto back = readNpyFile(dir.file("a.npy"));
  ASSERT_TRUE(bool(back));
  EXPECT_EQ(back->toF32(), (std::vector<float>{1, 2}));
  std::string msg = errorOf(
      writeNpyFile(dir.file("b.npy"), makeTensor("b", DType::BF16, {1}, {0, 0})));
  EXPECT_NE(msg.find("b.npy: tensor 'b': bf16 has no .npy dtype"),
            std::string::npos)
      << msg;
  EXPECT_EQ(dir.list(), (std::vector<std::string>{"a.npy"}));
}

} // namespace
