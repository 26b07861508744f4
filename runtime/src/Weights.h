//===- Weights.h - weights files and their conversion to f32 ------*- C++ -*-===//
//
// The runtime's own safetensors reader (the file is mapped, never copied),
// the key canonicalisation the importer applies, and element conversion to
// the f32 the compiled code takes.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_RUNTIME_SRC_WEIGHTS_H
#define TRM_RUNTIME_SRC_WEIGHTS_H

#include "trm/runtime.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace trm::rt {

/// A read-only mapping of a whole file.
class MappedFile {
public:
  /// Throws Error naming `path` when it cannot be opened or mapped.
  explicit MappedFile(const std::string &path);
  ~MappedFile();
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  const uint8_t *data() const { return bytes; }
  size_t size() const { return length; }

private:
  const uint8_t *bytes = nullptr;
  size_t length = 0;
};

/// One tensor of a file or of a caller: where its elements are.
struct TensorView {
  std::string name; // as stored
  trm_dtype dtype = TRM_DTYPE_F32;
  std::vector<int64_t> shape;
  const uint8_t *data = nullptr;
};

/// Bytes of one element.
size_t dtypeBytes(trm_dtype dtype);

/// The tensors of a safetensors file in `bytes` (the file `path`, which
/// errors name), minus the buffers the compiler recomputes. Throws Error.
std::vector<TensorView> parseSafetensors(const uint8_t *bytes, size_t size,
                                         const std::string &path);

/// The key without `_orig_mod.`, `model.` and `inner.` prefixes.
std::string canonicalKey(std::string key);
/// Buffers some trainers store that the model does not take.
bool isIgnoredBuffer(const std::string &canonical);

/// Converts elements [first, first + count) of `t` to f32 at `out`.
void convertToF32(const TensorView &t, int64_t first, int64_t count,
                  float *out);

/// "[a,b,c]", as the compiler's tools print shapes.
std::string formatShape(const std::vector<int64_t> &shape);

} // namespace trm::rt

#endif
