//===- ArtifactContainer.h - the file format of AOT artifacts -----*- C++ -*-===//
//
// An ahead-of-time artifact is the model's machine code, a shared library
// the dynamic loader opens in place, followed by its metadata (JSON: the
// signature, the weight table, the target, the compiler) and a trailer:
//
//   [code][metadata][magic "TRMART01"][code bytes][metadata bytes][checksum]
//
// with the three numbers little-endian u64 and the checksum (FNV-1a, 64
// bits) over every byte before it. The loader ignores what follows the
// library's segments, so the file needs no unpacking: the runtime checks the
// trailer and the checksum, then hands the path to dlopen.
//
// The checksum guards against damage, not against a forger: an artifact is
// code, and running one is trusting whoever wrote it.
//
// Plain C++ (no LLVM): the runtime reads it, trm-compile writes it.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_RUNTIME_ARTIFACTCONTAINER_H
#define TRM_RUNTIME_ARTIFACTCONTAINER_H

#include <cstdint>
#include <string>
#include <string_view>

namespace trm::rt {

inline constexpr std::string_view kContainerMagic = "TRMART01";
inline constexpr size_t kContainerTrailerBytes = 32;

/// FNV-1a over `bytes`, continuing from `hash`.
uint64_t fnv1a64(std::string_view bytes,
                 uint64_t hash = 0xcbf29ce484222325ull);

/// The artifact file of `code` and `metadata`.
std::string makeContainer(std::string_view code, std::string_view metadata);

/// True when `bytes` end with an artifact trailer (whatever its checksum).
bool hasContainerTrailer(std::string_view bytes);

/// The parts of an artifact file.
struct ContainerParts {
  std::string_view code, metadata;
};

/// Splits an artifact file; an empty string on success, else what is wrong
/// (without the path).
std::string parseContainer(std::string_view bytes, ContainerParts &parts);

} // namespace trm::rt

#endif // TRM_RUNTIME_ARTIFACTCONTAINER_H
