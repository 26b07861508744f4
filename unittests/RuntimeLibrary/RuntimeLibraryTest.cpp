//===- RuntimeLibraryTest.cpp - libtrmrt's readers and C API --------------===//
#include "Error.h"
#include "Weights.h"
#include "trm/Runtime/ArtifactContainer.h"
#include "trm/runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <thread>

using namespace trm::rt;

namespace {

/// A safetensors file: `header` (JSON) and `data`.
std::string safetensors(const std::string &header, const std::string &data) {
  std::string bytes(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return bytes + header + data;
}

std::vector<TensorView> parse(const std::string &bytes) {
  return parseSafetensors(reinterpret_cast<const uint8_t *>(bytes.data()),
                          bytes.size(), "w.safetensors");
}

/// The message `body` throws as Error; empty when it does not throw.
template <typename Body> std::string errorOf(Body &&body) {
  try {
    body();
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

std::string floats(std::initializer_list<float> values) {
  std::string s;
  for (float v : values)
    s.append(reinterpret_cast<const char *>(&v), 4);
  return s;
}

TEST(RuntimeSafetensors, ReadsTensorsAndDropsRecomputedBuffers) {
  std::string bf16("\x80\x3f\x00\xc0", 4); // 1.0, -2.0
  // The views point into the file's bytes, which must outlive them.
  const std::string file = safetensors(
      R"({"__metadata__":{"format":"pt"},)"
      R"("_orig_mod.model.inner.w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"BF16","shape":[1,2],"data_offsets":[8,12]},)"
      R"("inner.rotary_emb.cos_cached":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}})",
      floats({0.5f, -1.5f}) + bf16 + floats({9.0f}));
  auto tensors = parse(file);
  ASSERT_EQ(tensors.size(), 2u);
  const TensorView *w = nullptr, *b = nullptr;
  for (const TensorView &t : tensors)
    (t.name == "b" ? b : w) = &t;
  ASSERT_TRUE(w && b);
  EXPECT_EQ(canonicalKey(w->name), "w");
  EXPECT_EQ(b->shape, (std::vector<int64_t>{1, 2}));
  float out[2];
  convertToF32(*w, 0, 2, out);
  EXPECT_EQ(out[0], 0.5f);
  EXPECT_EQ(out[1], -1.5f);
  convertToF32(*b, 0, 2, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
}

TEST(RuntimeSafetensors, MalformedFilesNameFileTensorAndField) {
  EXPECT_EQ(errorOf([] { parse("abc"); }),
            "w.safetensors: not a safetensors file: 3 bytes is too short for "
            "the 8-byte header size");
  std::string huge(8, '\xff');
  EXPECT_NE(errorOf([&] { parse(huge); }).find("exceeds the limit"),
            std::string::npos);
  std::string past = safetensors("{}", "");
  past[0] = 50;
  EXPECT_NE(errorOf([&] { parse(past); }).find("runs past the end of the file"),
            std::string::npos);
  EXPECT_EQ(errorOf([] { parse(safetensors("[1]", "")); }),
            "w.safetensors: safetensors header is not a JSON object");
  EXPECT_EQ(errorOf([] { parse(safetensors("{\"a\":", "")); }),
            "w.safetensors: safetensors header is not a JSON object");
  std::string deep;
  for (int i = 0; i < 64; ++i)
    deep += "{\"a\":";
  deep += "1" + std::string(64, '}');
  EXPECT_NE(errorOf([&] { parse(safetensors(deep, "")); }).find("nests deeper"),
            std::string::npos);
  EXPECT_EQ(errorOf([] {
              parse(safetensors(R"({"x":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})",
                                std::string(8, '\0')));
            }),
            "w.safetensors: tensor 'x': dtype 'I64' is not a parameter's "
            "(F32, F16, BF16 or F64)");
  EXPECT_EQ(errorOf([] {
              parse(safetensors(R"({"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})",
                                floats({1})));
            }),
            "w.safetensors: tensor 'x': field 'shape' must hold non-negative "
            "integers");
  EXPECT_EQ(errorOf([] {
              parse(safetensors(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                                floats({1})));
            }),
            "w.safetensors: tensor 'x': data_offsets [0, 8] are not within "
            "the 4 data bytes");
  EXPECT_EQ(errorOf([] {
              parse(safetensors(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})",
                                floats({1})));
            }),
            "w.safetensors: tensor 'x': data_offsets [0, 4] hold 4 bytes, but "
            "shape [2] of F32 needs 8");
  EXPECT_NE(errorOf([] {
              parse(safetensors(
                  R"({"x":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}})",
                  floats({1})));
            }).find("shape overflows"),
            std::string::npos);
  EXPECT_EQ(errorOf([] {
              parse(safetensors(R"({"x":{"dtype":"F32","shape":[1]}})", floats({1})));
            }),
            "w.safetensors: tensor 'x': field 'data_offsets' must be [begin, "
            "end], non-negative");
}

TEST(RuntimeConversion, HalfPrecisionSpecialValues) {
  // f16: 1, -2, the smallest subnormal, infinity, a NaN; bf16: 1, -inf.
  const uint16_t half[] = {0x3c00, 0xc000, 0x0001, 0x7c00, 0x7e00};
  TensorView h{"h", TRM_DTYPE_F16, {5}, reinterpret_cast<const uint8_t *>(half)};
  float out[5];
  convertToF32(h, 0, 5, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
  EXPECT_EQ(out[2], std::ldexp(1.0f, -24));
  EXPECT_EQ(out[3], std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(out[4]));
  const uint16_t bf16[] = {0x3f80, 0xff80};
  TensorView b{"b", TRM_DTYPE_BF16, {2}, reinterpret_cast<const uint8_t *>(bf16)};
  convertToF32(b, 1, 1, out);
  EXPECT_EQ(out[0], -std::numeric_limits<float>::infinity());
  const double f64[] = {0.1, -3.0};
  TensorView d{"d", TRM_DTYPE_F64, {2}, reinterpret_cast<const uint8_t *>(f64)};
  convertToF32(d, 0, 2, out);
  EXPECT_EQ(out[0], 0.1f);
  EXPECT_EQ(out[1], -3.0f);
}

TEST(RuntimeKeys, CanonicalKeysStripWrapperPrefixesInAnyOrder) {
  EXPECT_EQ(canonicalKey("_orig_mod.model.inner.L_level.layers.0.w"),
            "L_level.layers.0.w");
  EXPECT_EQ(canonicalKey("inner.model.q_head.weight"), "q_head.weight");
  EXPECT_EQ(canonicalKey("models.x"), "models.x");
  EXPECT_TRUE(isIgnoredBuffer("puzzle_emb.local_ids"));
  EXPECT_FALSE(isIgnoredBuffer("puzzle_emb.weights"));
}

TEST(RuntimeContainer, RoundTripAndDamage) {
  const std::string code = "\x7f" "ELF code", metadata = R"({"batch":1})";
  std::string file = makeContainer(code, metadata);
  ContainerParts parts;
  ASSERT_EQ(parseContainer(file, parts), "");
  EXPECT_EQ(parts.code, code);
  EXPECT_EQ(parts.metadata, metadata);

  for (size_t i = 0; i < file.size(); ++i) {
    std::string flipped = file;
    flipped[i] ^= 0x20;
    EXPECT_NE(parseContainer(flipped, parts), "") << "byte " << i;
  }
  for (size_t n = 0; n < file.size(); ++n)
    EXPECT_NE(parseContainer(file.substr(0, n), parts), "") << n << " bytes";
  EXPECT_NE(parseContainer(file + "x", parts), "");
}

TEST(RuntimeCApi, ArgumentsAndFilesAreCheckedWithMessages) {
  EXPECT_EQ(trm_model_open(nullptr, 0), nullptr);
  EXPECT_STREQ(trm_last_error(), "trm_model_open: no artifact path");
  EXPECT_EQ(trm_model_open("/nonexistent/m.trmc", 0), nullptr);
  EXPECT_NE(std::string(trm_last_error()).find("/nonexistent/m.trmc"),
            std::string::npos);
  EXPECT_EQ(trm_model_open("/nonexistent/m.trmc", -1), nullptr);
  EXPECT_STREQ(trm_last_error(), "trm_model_open: threads must be 0 or more");

  char path[] = "/tmp/trm-rt-test-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string bytes = "not an artifact at all, just text that is long";
  ASSERT_EQ(write(fd, bytes.data(), bytes.size()), ssize_t(bytes.size()));
  close(fd);
  EXPECT_EQ(trm_model_open(path, 0), nullptr);
  EXPECT_EQ(std::string(trm_last_error()),
            std::string(path) + ": not a trm artifact (no TRMART01 trailer at "
                                "its end)");
  std::remove(path);

  const int64_t shape[] = {1};
  const float value = 1;
  trm_tensor t{"w", TRM_DTYPE_F32, shape, 1, &value};
  EXPECT_EQ(trm_model_bind_tensors(nullptr, "src", &t, 1), TRM_ERROR);
  EXPECT_STREQ(trm_last_error(),
               "trm_model_bind_tensors: no model, source or tensors");
  EXPECT_EQ(trm_model_bind_tensor(nullptr, "w", TRM_DTYPE_F32, shape, 1, &value),
            TRM_ERROR);
  trm_outputs out{};
  EXPECT_EQ(trm_model_run(nullptr, 1, nullptr, nullptr, &out), TRM_ERROR);
  EXPECT_STREQ(trm_last_error(), "trm_model_run: no model or no outputs");
}

/// Writes an artifact with `metadata` and code that is not a library to a
/// temporary file; returns its path.
static std::string writeArtifact(const std::string &metadata) {
  char path[] = "/tmp/trm-rt-meta-XXXXXX";
  int fd = mkstemp(path);
  const std::string file = makeContainer("\x7f" "ELF not code", metadata);
  EXPECT_EQ(write(fd, file.data(), file.size()), ssize_t(file.size()));
  close(fd);
  return path;
}

TEST(RuntimeCApi, PrecisionIsCheckedAndDefaultsToF32) {
  auto metadata = [](const std::string &precision) {
    return std::string(R"({"format":1,"compiler":"test","device":"cpu",)") +
           R"("entry":"trm_main","policy":"fixed",)" + precision +
           R"("batch":1,"seq_len":4,"vocab_size":3,"max_steps":1,)"
           R"("num_puzzle_identifiers":1,"H_cycles":1,"L_cycles":1,)"
           R"("target_triple":"x86_64-pc-linux-gnu","target_cpu":"generic",)"
           R"("target_features":"","required_features":[],"openmp":false,)"
           R"("packed_size":0,"weights":[]})";
  };
  std::string bad = writeArtifact(metadata(R"("precision":"f8",)"));
  EXPECT_EQ(trm_model_open(bad.c_str(), 0), nullptr);
  EXPECT_EQ(std::string(trm_last_error()),
            bad + ": artifact metadata: 'precision' must be f32 or bf16, not "
                  "'f8'");
  std::remove(bad.c_str());
  // Without the field (an artifact from before bf16) the metadata is good:
  // loading fails later, at the code.
  for (const char *field : {"", R"("precision":"bf16",)"}) {
    std::string good = writeArtifact(metadata(field));
    EXPECT_EQ(trm_model_open(good.c_str(), 0), nullptr);
    EXPECT_EQ(std::string(trm_last_error()).find("metadata"), std::string::npos)
        << trm_last_error();
    std::remove(good.c_str());
  }
}

TEST(RuntimeCApi, LastErrorIsPerThread) {
  EXPECT_EQ(trm_model_open(nullptr, 0), nullptr);
  std::string other = "unset";
  std::thread([&] { other = trm_last_error(); }).join();
  EXPECT_EQ(other, "");
  EXPECT_STREQ(trm_last_error(), "trm_model_open: no artifact path");
}

} // namespace
