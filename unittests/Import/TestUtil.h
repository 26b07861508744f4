//===- TestUtil.h - helpers for the Import unit tests -----------*- C++ -*-===//
#ifndef TRM_UNITTESTS_IMPORT_TESTUTIL_H
#define TRM_UNITTESTS_IMPORT_TESTUTIL_H

#include "trm/Import/Tensor.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "gtest/gtest.h"

#include <string>
#include <vector>

namespace trm_test {

inline std::string inputPath(llvm::StringRef name) {
  return (llvm::Twine(TRM_IMPORT_INPUTS) + "/" + name).str();
}

inline std::vector<uint8_t> readBytes(llvm::StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, false, false);
  EXPECT_TRUE(bool(buf)) << path.str();
  if (!buf)
    return {};
  return std::vector<uint8_t>((*buf)->getBufferStart(),
                              (*buf)->getBufferEnd());
}

inline llvm::ArrayRef<uint8_t> asBytes(llvm::StringRef s) {
  return llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(s.data()),
                                 s.size());
}

/// The message of an Expected that must have failed ("" and a test failure
/// when it succeeded).
template <typename T> std::string errorOf(llvm::Expected<T> value) {
  if (value) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  return llvm::toString(value.takeError());
}
inline std::string errorOf(llvm::Error err) {
  if (!err) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  return llvm::toString(std::move(err));
}

/// A fresh temporary directory, removed with its contents at destruction.
class TempDir {
public:
  TempDir() {
    llvm::SmallString<128> p;
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("trm-import-test", p));
    path = std::string(p);
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
  std::string file(llvm::StringRef name) const {
    return (llvm::Twine(path) + "/" + name).str();
  }
  /// Names of the files in the directory.
  std::vector<std::string> list() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(path, ec), end; it != end && !ec;
         it.increment(ec))
      names.push_back(llvm::sys::path::filename(it->path()).str());
    return names;
  }
  void write(llvm::StringRef name, llvm::StringRef contents) const {
    std::error_code ec;
    llvm::raw_fd_ostream os(file(name), ec);
    ASSERT_FALSE(ec);
    os << contents;
  }
  std::string path;
};

inline std::vector<float> floats(const mlir::trm::Tensor &t) {
  return t.toF32();
}

} // namespace trm_test

#endif
