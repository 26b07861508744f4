//===- ArtifactContainer.cpp - the file format of AOT artifacts -----------===//
#include "trm/Runtime/ArtifactContainer.h"

using namespace trm::rt;

uint64_t trm::rt::fnv1a64(std::string_view bytes, uint64_t hash) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

static void appendU64(std::string &out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

static uint64_t readU64(std::string_view bytes) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

std::string trm::rt::makeContainer(std::string_view code,
                                   std::string_view metadata) {
  std::string out;
  out.reserve(code.size() + metadata.size() + kContainerTrailerBytes);
  out.append(code);
  out.append(metadata);
  out.append(kContainerMagic);
  appendU64(out, code.size());
  appendU64(out, metadata.size());
  appendU64(out, fnv1a64(out));
  return out;
}

/// Whether `bytes` ends with a container trailer (checksum not checked).
bool trm::rt::hasContainerTrailer(std::string_view bytes) {
  return bytes.size() >= kContainerTrailerBytes &&
         bytes.substr(bytes.size() - kContainerTrailerBytes,
                      kContainerMagic.size()) == kContainerMagic;
}

std::string trm::rt::parseContainer(std::string_view bytes,
                                    ContainerParts &parts) {
  if (!hasContainerTrailer(bytes))
    return "not a trm artifact (no TRMART01 trailer at its end)";
  const size_t trailer = bytes.size() - kContainerTrailerBytes;
  const uint64_t codeBytes = readU64(bytes.substr(trailer + 8));
  const uint64_t metadataBytes = readU64(bytes.substr(trailer + 16));
  const uint64_t checksum = readU64(bytes.substr(trailer + 24));
  if (codeBytes > trailer || metadataBytes != trailer - codeBytes)
    return "artifact is corrupt: its trailer's sizes do not match the file";
  if (fnv1a64(bytes.substr(0, trailer + 24)) != checksum)
    return "artifact is corrupt: its checksum does not match its contents";
  parts.code = bytes.substr(0, codeBytes);
  parts.metadata = bytes.substr(codeBytes, metadataBytes);
  return "";
}
