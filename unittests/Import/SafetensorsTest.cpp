//===- SafetensorsTest.cpp - safetensors read/write -----------------------===//
#include "TestUtil.h"
#include "trm/Import/Safetensors.h"

#include "llvm/Support/Endian.h"

using namespace mlir::trm;
using trm_test::asBytes;
using trm_test::errorOf;

namespace {

std::vector<Tensor> sampleTensors() {
  std::vector<Tensor> ts;
  ts.push_back(makeF32Tensor("embed_tokens.embedding_weight", {2, 3},
                             {1, 2, 3, 4, 5, 6}));
  ts.push_back(makeTensor("H_init", DType::BF16, {2}, {0x80, 0x3f, 0x00, 0xc0}));
  ts.push_back(makeTensor("half", DType::F16, {1}, {0x00, 0x3c}));
  ts.push_back(makeTensor("ids", DType::I64, {1}, {9, 0, 0, 0, 0, 0, 0, 0}));
  ts.push_back(makeTensor("i32", DType::I32, {1, 1}, {1, 0, 0, 0}));
  ts.push_back(makeTensor("empty", DType::F32, {0, 4}, {}));
  ts.push_back(makeF32Tensor("scalar", {}, {3.5f}));
  return ts;
}

/// A safetensors file with a hand-written header and `data`.
std::string fileWith(llvm::StringRef header, llvm::StringRef data = "") {
  std::string out(8, '\0');
  llvm::support::endian::write64le(out.data(), header.size());
  return out + header.str() + data.str();
}

TEST(SafetensorsTest, RoundTrip) {
  std::vector<Tensor> in = sampleTensors();
  auto bytes = serializeSafetensors(in, {{"format", "pt"}});
  ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  uint64_t headerLen = llvm::support::endian::read64le(bytes->data());
  EXPECT_EQ((8 + headerLen) % 8, 0u) << "data starts 8-byte aligned";
  std::map<std::string, std::string> meta;
  auto out = parseSafetensors(asBytes(*bytes), "rt.safetensors", &meta);
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  EXPECT_EQ(meta["format"], "pt");
  ASSERT_EQ(out->size(), in.size());
  // Data order is write order; the empty tensor sits at the offset where the
  // scalar starts, and sorts before it.
  for (size_t k = 0; k < in.size(); ++k) {
    EXPECT_EQ((*out)[k].name, in[k].name);
    EXPECT_EQ((*out)[k].dtype, in[k].dtype);
    EXPECT_EQ((*out)[k].shape, in[k].shape);
    EXPECT_EQ((*out)[k].bytes(), in[k].bytes());
  }
  // Deterministic bytes.
  auto again = serializeSafetensors(in, {{"format", "pt"}});
  ASSERT_TRUE(bool(again));
  EXPECT_EQ(*bytes, *again);
}

TEST(SafetensorsTest, FileTensorsAreViewsOfTheMappedFile) {
  std::vector<Tensor> in = sampleTensors();
  trm_test::TempDir dir;
  ASSERT_FALSE(bool(writeSafetensorsFile(dir.file("w.safetensors"), in)));
  auto out = readSafetensorsFile(dir.file("w.safetensors"));
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  ASSERT_EQ(out->size(), in.size());
  for (size_t k = 0; k < in.size(); ++k) {
    const Tensor &t = (*out)[k];
    EXPECT_EQ(t.bytes(), in[k].bytes()) << t.name;
    ASSERT_TRUE(t.mapping) << t.name;
    EXPECT_TRUE(t.data.empty()) << t.name;
    EXPECT_GE(t.mapped.data(), bufferBytes(*t.mapping).data()) << t.name;
    EXPECT_LE(t.mapped.end(), bufferBytes(*t.mapping).end()) << t.name;
  }
  // A mapped tensor converts like an owned one.
  EXPECT_EQ((*out)[1].toF32(), in[1].toF32());
}

TEST(SafetensorsTest, ReadsAHandWrittenFile) {
  std::string data(8, '\0');
  float a = 1.5f;
  std::memcpy(&data[4], &a, 4);
  std::string f = fileWith(
      R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},)"
      R"("a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},)"
      R"("__metadata__":{"x":"y"}}   )",
      data);
  auto out = parseSafetensors(asBytes(f), "h.safetensors");
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].name, "a");
  EXPECT_EQ((*out)[1].toF32(), (std::vector<float>{1.5f}));
}

TEST(SafetensorsTest, MalformedHeaders) {
  auto expectError = [](const std::string &file, llvm::StringRef needle) {
    std::string msg = errorOf(parseSafetensors(asBytes(file), "bad.safetensors"));
    EXPECT_NE(msg.find(needle.str()), std::string::npos) << msg;
    EXPECT_EQ(msg.rfind("bad.safetensors: ", 0), 0u) << msg;
  };
  expectError("", "0 bytes is too short");
  expectError("abc", "too short");
  {
    std::string f(8, '\0');
    llvm::support::endian::write64le(f.data(), 1000);
    expectError(f + "{}", "header size 1000 runs past the end of the file (10 bytes)");
  }
  {
    std::string f(8, '\0');
    llvm::support::endian::write64le(f.data(), uint64_t(1) << 62);
    expectError(f + "{}", "exceeds the limit");
  }
  expectError(fileWith("[1,2]"), "not a JSON object (does not start with '{')");
  expectError(fileWith("{\"a\": "), "not valid JSON");
  expectError(fileWith(R"({"a": 3})"), "tensor 'a': header entry is not an object");
  expectError(fileWith(R"({"a": {"shape":[1],"data_offsets":[0,4]}})", "xxxx"),
              "tensor 'a': field 'dtype' is missing");
  expectError(fileWith(R"({"a": {"dtype":"F8_E5M2","shape":[1],"data_offsets":[0,1]}})", "x"),
              "tensor 'a': unknown dtype 'F8_E5M2'");
  expectError(fileWith(R"({"a": {"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "xxxx"),
              "field 'shape' must hold non-negative integers");
  expectError(fileWith(R"({"a": {"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", "xxxx"),
              "field 'shape' must hold non-negative integers");
  expectError(fileWith(R"({"a": {"dtype":"F32","shape":[1],"data_offsets":[0]}})", "xxxx"),
              "field 'data_offsets' must be [begin, end]");
  expectError(fileWith(R"({"a": {"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", "xxxx"),
              "0 <= begin <= end");
  expectError(fileWith(R"({"a": {"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "xxxx"),
              "tensor 'a': data_offsets [0, 8] run past the end of the data (4 bytes after the header)");
  expectError(fileWith(R"({"a": {"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", "xxxx"),
              "tensor 'a': data_offsets [0, 4] hold 4 bytes, but shape [2] of F32 needs 8");
  expectError(fileWith(R"({"a": {"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}})", "xxxx"),
              "overflows");
  expectError(fileWith(R"({"a": {"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                       R"("b": {"dtype":"F32","shape":[1],"data_offsets":[2,6]}})",
                       "xxxxxxxx"),
              "tensors 'a' [0, 4] and 'b' [2, 6] overlap");
  expectError(fileWith(R"({"a": {"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("e": {"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
                       R"("b": {"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                       "xxxxxxxx"),
              "tensors 'a' [0, 8] and 'b' [4, 8] overlap");
  expectError(fileWith(R"({"a": {"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})", "xxxx"),
              "tensor 'a': unknown field 'x'");
  expectError(fileWith(R"({"__metadata__": {"k": 1}})"),
              "'__metadata__' value 'k' is not a string");
  expectError(fileWith("{\"\xff\": 1}"), "not valid JSON");
}

TEST(SafetensorsTest, AtomicWrite) {
  trm_test::TempDir dir;
  std::string path = dir.file("w.safetensors");
  ASSERT_FALSE(bool(writeSafetensorsFile(path, sampleTensors())));
  auto back = readSafetensorsFile(path);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->size(), sampleTensors().size());
  EXPECT_EQ(dir.list(), (std::vector<std::string>{"w.safetensors"}));

  // An invalid tensor (bytes do not match the shape): error, no file, no
  // temporary left behind.
  std::vector<Tensor> bad = sampleTensors();
  bad.push_back(makeTensor("bad", DType::F32, {3}, {1, 2}));
  std::string other = dir.file("bad.safetensors");
  std::string msg = errorOf(writeSafetensorsFile(other, bad));
  EXPECT_NE(msg.find("tensor 'bad': 2 bytes do not match shape [3] of F32"),
            std::string::npos)
      << msg;
  EXPECT_EQ(dir.list(), (std::vector<std::string>{"w.safetensors"}));

  // Duplicate names.
  std::vector<Tensor> dup = sampleTensors();
  dup.push_back(makeF32Tensor("H_init", {1}, {1}));
  EXPECT_NE(errorOf(writeSafetensorsFile(other, dup)).find("not unique"),
            std::string::npos);
  EXPECT_EQ(dir.list(), (std::vector<std::string>{"w.safetensors"}));

  // A directory that does not exist.
  std::string nodir = dir.file("missing/dir/w.safetensors");
  EXPECT_NE(errorOf(writeSafetensorsFile(nodir, sampleTensors()))
                .find("cannot create a temporary file"),
            std::string::npos);
  // Reading what is not there.
  EXPECT_NE(errorOf(readSafetensorsFile(nodir)).find("cannot open file"),
            std::string::npos);
}

} // namespace
