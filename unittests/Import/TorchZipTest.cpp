//===- TorchZipTest.cpp - torch.save archives written by torch 1.13 -------===//
#include "TestUtil.h"
#include "trm/Import/TorchCheckpoint.h"

#include <algorithm>

using namespace mlir::trm;
using trm_test::errorOf;
using trm_test::inputPath;

namespace {

const Tensor *find(const std::vector<Tensor> &tensors, llvm::StringRef name) {
  for (const Tensor &t : tensors)
    if (t.name == name)
      return &t;
  ADD_FAILURE() << "no tensor " << name.str();
  return nullptr;
}

TEST(TorchZipTest, MixedStateDict) {
  auto tensors = readTorchCheckpointFile(inputPath("mixed.pt"));
  ASSERT_TRUE(bool(tensors)) << llvm::toString(tensors.takeError());
  std::vector<std::string> names;
  for (const Tensor &t : *tensors)
    names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "_orig_mod.model.inner.offset_view", "transposed",
                       "tail", "bf16", "f16", "i64", "i32", "f64", "scalar",
                       "empty", "permuted"}));
  for (const Tensor &t : *tensors)
    EXPECT_TRUE(t.isConsistent()) << t.name;

  const Tensor *t = find(*tensors, "_orig_mod.model.inner.offset_view");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->dtype, DType::F32);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t->toF32(), (std::vector<float>{2, 3, 4, 5, 6, 7}));

  t = find(*tensors, "transposed"); // non-contiguous: gathered in C order
  ASSERT_TRUE(t);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(t->toF32(),
            (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));

  t = find(*tensors, "tail"); // same storage, offset 8
  ASSERT_TRUE(t);
  EXPECT_EQ(t->toF32(), (std::vector<float>{8, 9, 10, 11}));

  t = find(*tensors, "bf16");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->dtype, DType::BF16);
  EXPECT_EQ(t->toF32(), (std::vector<float>{-1, -0.5, 0, 0.5}));

  t = find(*tensors, "f16");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->dtype, DType::F16);
  EXPECT_EQ(t->toF32(), (std::vector<float>{1, 1.25, 1.5}));

  t = find(*tensors, "i64");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->dtype, DType::I64);
  EXPECT_EQ(t->at<int64_t>(0), -3);
  EXPECT_EQ(t->at<int64_t>(2), int64_t(1) << 40);

  t = find(*tensors, "i32");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->dtype, DType::I32);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(t->at<int32_t>(1), -8);

  t = find(*tensors, "f64");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->dtype, DType::F64);
  EXPECT_EQ(t->at<double>(1), -2.25);

  t = find(*tensors, "scalar");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->shape.empty());
  EXPECT_EQ(t->toF32(), (std::vector<float>{42}));

  t = find(*tensors, "empty");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{0, 5}));
  EXPECT_TRUE(t->data.empty());

  t = find(*tensors, "permuted");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 2, 3}));
  std::vector<float> expected;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b)
      for (int c = 0; c < 3; ++c)
        expected.push_back(float(a * 12 + c * 4 + b + 1));
  EXPECT_EQ(t->toF32(), expected);
}

TEST(TorchZipTest, Protocol4MatchesProtocol2) {
  auto p2 = readTorchCheckpointFile(inputPath("mixed.pt"));
  auto p4 = readTorchCheckpointFile(inputPath("protocol4.pt"));
  ASSERT_TRUE(bool(p2)) << llvm::toString(p2.takeError());
  ASSERT_TRUE(bool(p4)) << llvm::toString(p4.takeError());
  ASSERT_EQ(p2->size(), p4->size());
  for (size_t k = 0; k < p2->size(); ++k) {
    EXPECT_EQ((*p2)[k].name, (*p4)[k].name);
    EXPECT_EQ((*p2)[k].dtype, (*p4)[k].dtype);
    EXPECT_EQ((*p2)[k].shape, (*p4)[k].shape);
    EXPECT_EQ((*p2)[k].bytes(), (*p4)[k].bytes());
  }
}

TEST(TorchZipTest, FileReadsViewStoredRecordsInPlace) {
  auto mapped = readTorchCheckpointFile(inputPath("mixed.pt"));
  std::vector<uint8_t> bytes = trm_test::readBytes(inputPath("mixed.pt"));
  auto copied = readTorchCheckpointBuffer(bytes, "mixed.pt");
  ASSERT_TRUE(bool(mapped)) << llvm::toString(mapped.takeError());
  ASSERT_TRUE(bool(copied)) << llvm::toString(copied.takeError());
  ASSERT_EQ(mapped->size(), copied->size());
  for (size_t k = 0; k < mapped->size(); ++k) {
    const Tensor &m = (*mapped)[k], &c = (*copied)[k];
    EXPECT_EQ(m.name, c.name);
    EXPECT_EQ(m.dtype, c.dtype);
    EXPECT_EQ(m.shape, c.shape);
    EXPECT_EQ(m.bytes(), c.bytes()) << m.name;
    EXPECT_FALSE(c.mapping) << "a buffer without a mapping is copied";
    // Contiguous views of a stored record (at any offset) are views of
    // the file; strided ones are gathered copies.
    bool strided = m.name == "transposed" || m.name == "permuted";
    bool empty = m.name == "empty";
    EXPECT_EQ(bool(m.mapping), !strided && !empty) << m.name;
    if (m.mapping) {
      EXPECT_TRUE(m.data.empty());
      EXPECT_GE(m.mapped.data(), bufferBytes(*m.mapping).data());
      EXPECT_LE(m.mapped.end(), bufferBytes(*m.mapping).end());
    }
  }
  // Compressed and big-endian records cannot be viewed: they are copies.
  for (const char *name : {"deflated.pt", "bigendian.pt"}) {
    auto tensors = readTorchCheckpointFile(inputPath(name));
    ASSERT_TRUE(bool(tensors)) << llvm::toString(tensors.takeError());
    for (const Tensor &t : *tensors)
      EXPECT_FALSE(t.mapping) << name << ": " << t.name;
  }
}

TEST(TorchZipTest, ParametersAndModuleStateDict) {
  auto params = readTorchCheckpointFile(inputPath("parameters.pt"));
  ASSERT_TRUE(bool(params)) << llvm::toString(params.takeError());
  ASSERT_EQ(params->size(), 1u);
  EXPECT_EQ((*params)[0].toF32(), (std::vector<float>{0, 1, 2, 3, 4, 5}));

  auto linear = readTorchCheckpointFile(inputPath("linear.pt"));
  ASSERT_TRUE(bool(linear)) << llvm::toString(linear.takeError());
  ASSERT_EQ(linear->size(), 2u);
  EXPECT_EQ((*linear)[0].name, "weight");
  EXPECT_EQ((*linear)[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ((*linear)[1].name, "bias");
  EXPECT_EQ((*linear)[1].shape, (std::vector<int64_t>{2}));
}

TEST(TorchZipTest, ArchiveVariants) {
  // Stored, deflated and big-endian (with a byteorder record) archives of the
  // same state_dict read the same.
  for (const char *name : {"small.pt", "deflated.pt", "bigendian.pt"}) {
    SCOPED_TRACE(name);
    auto tensors = readTorchCheckpointFile(inputPath(name));
    ASSERT_TRUE(bool(tensors)) << llvm::toString(tensors.takeError());
    ASSERT_EQ(tensors->size(), 2u);
    EXPECT_EQ((*tensors)[0].toF32(), (std::vector<float>{0, 1, 2, 3}));
    EXPECT_EQ((*tensors)[1].dtype, DType::I64);
    EXPECT_EQ((*tensors)[1].at<int64_t>(2), 2);
  }
}

TEST(TorchZipTest, BrokenArchives) {
  std::string missing = errorOf(readTorchCheckpointFile(inputPath("missing_storage.pt")));
  EXPECT_NE(missing.find("missing_storage.pt: record 'archive/data/1' is missing"),
            std::string::npos)
      << missing;
  std::string shortStorage =
      errorOf(readTorchCheckpointFile(inputPath("short_storage.pt")));
  EXPECT_NE(shortStorage.find("tensor 'x': storage '0' has 12 bytes, but the "
                              "pickle declares 4 F32 elements (16 bytes)"),
            std::string::npos)
      << shortStorage;
  std::string noFile = errorOf(readTorchCheckpointFile(inputPath("nope.pt")));
  EXPECT_NE(noFile.find("nope.pt: cannot open file"), std::string::npos);

  std::vector<uint8_t> bytes = trm_test::readBytes(inputPath("mixed.pt"));
  // Truncated archives: no central directory.
  for (size_t keep : {size_t(4), size_t(100), bytes.size() / 2, bytes.size() - 1}) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + keep);
    std::string msg = errorOf(readTorchCheckpointBuffer(cut, "cut.pt"));
    EXPECT_NE(msg.find("cut.pt: not a valid zip archive"), std::string::npos)
        << keep << ": " << msg;
  }
  // Wrong magic.
  std::vector<uint8_t> wrong = bytes;
  wrong[0] = 'X';
  EXPECT_NE(errorOf(readTorchCheckpointBuffer(wrong, "w.pt")).find("no zip signature"),
            std::string::npos);
  // A flipped byte inside a stored record: libzip's CRC check catches it.
  std::vector<uint8_t> flipped = bytes;
  const std::string pkl = "mixed/data.pkl";
  auto at = std::search(flipped.begin(), flipped.end(), pkl.begin(), pkl.end());
  ASSERT_NE(at, flipped.end());
  // The pickle data follows its local header (name + extra field); flip a
  // byte well inside it.
  size_t pos = (at - flipped.begin()) + pkl.size() + 200;
  flipped[pos] ^= 0x40;
  std::string crc = errorOf(readTorchCheckpointBuffer(flipped, "f.pt"));
  EXPECT_NE(crc.find("f.pt"), std::string::npos) << crc;
}

TEST(TorchZipTest, SniffZip) {
  EXPECT_TRUE(looksLikeZip(trm_test::asBytes("PK\x03\x04rest")));
  EXPECT_FALSE(looksLikeZip(trm_test::asBytes("PK")));
  EXPECT_FALSE(looksLikeZip(trm_test::asBytes("\x93NUMPY")));
}

} // namespace
