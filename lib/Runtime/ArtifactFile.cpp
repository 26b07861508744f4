//===- ArtifactFile.cpp - compiled artifacts on disk ----------------------===//
#include "trm/Runtime/ArtifactFile.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/xxhash.h"

#include <optional>

using namespace mlir;
using namespace mlir::trm;

static constexpr llvm::StringLiteral kMagic = "ML\xefR";
static constexpr llvm::StringLiteral kProducerPrefix = "trm-artifact xxh3:";
static constexpr size_t kHashDigits = 16;

/// Where the producer string of a bytecode file lies: after the magic
/// number and the version (a prefix varint: the first byte's trailing zero
/// bits count the bytes that follow), up to its terminating NUL.
struct ProducerSpan {
  size_t begin, end; // end: the NUL
};

static std::optional<ProducerSpan> findProducer(llvm::StringRef bytes) {
  if (!bytes.starts_with(kMagic) || bytes.size() <= kMagic.size())
    return std::nullopt;
  uint8_t first = bytes[kMagic.size()];
  size_t versionBytes = first == 0 ? 9 : llvm::countr_zero(first) + 1;
  size_t begin = kMagic.size() + versionBytes;
  if (begin >= bytes.size())
    return std::nullopt;
  size_t end = bytes.find('\0', begin);
  if (end == llvm::StringRef::npos)
    return std::nullopt;
  return ProducerSpan{begin, end};
}

/// The hash of every byte but the producer string's: the magic number and
/// version before it, and all that follows its NUL.
static std::string hashHex(llvm::StringRef bytes,
                           const ProducerSpan &producer) {
  std::string covered = bytes.take_front(producer.begin).str();
  covered += bytes.drop_front(producer.end + 1);
  return llvm::utohexstr(llvm::xxh3_64bits(covered), /*LowerCase=*/false,
                         /*Width=*/kHashDigits);
}

llvm::Error mlir::trm::writeArtifactFile(ModuleOp module,
                                         llvm::raw_ostream &os) {
  // The producer is written with a placeholder hash of the right length
  // and patched once the bytes after it are known.
  std::string bytes;
  llvm::raw_string_ostream bytecode(bytes);
  const std::string placeholder =
      kProducerPrefix.str() + std::string(kHashDigits, '0');
  BytecodeWriterConfig config(placeholder); // keeps a reference
  if (failed(writeBytecodeToFile(module, bytecode, config)))
    return llvm::createStringError("cannot write the module as bytecode");
  std::optional<ProducerSpan> producer = findProducer(bytes);
  if (!producer ||
      producer->end - producer->begin != kProducerPrefix.size() + kHashDigits)
    return llvm::createStringError("unexpected bytecode header");
  std::string hash = hashHex(bytes, *producer);
  bytes.replace(producer->begin + kProducerPrefix.size(), kHashDigits, hash);
  os << bytes;
  return llvm::Error::success();
}

llvm::Expected<ModelFileKind> mlir::trm::checkModelFile(llvm::StringRef bytes,
                                                        llvm::StringRef path) {
  if (!bytes.starts_with(kMagic)) {
    if (llvm::Error err = checkTextNesting(bytes, path))
      return err;
    return ModelFileKind::Text;
  }
  std::optional<ProducerSpan> producer = findProducer(bytes);
  if (!producer)
    return ModelFileKind::Bytecode;
  llvm::StringRef name = bytes.slice(producer->begin, producer->end);
  if (!name.consume_front(kProducerPrefix))
    return ModelFileKind::Bytecode;
  if (name != hashHex(bytes, *producer))
    return llvm::createStringError(
        (path + ": artifact is corrupt: its checksum does not match its "
                "contents")
            .str());
  return ModelFileKind::VerifiedArtifact;
}

llvm::Error mlir::trm::checkTextNesting(llvm::StringRef text,
                                        llvm::StringRef path) {
  unsigned depth = 0, line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '\n') {
      ++line;
    } else if (c == '"') {
      // A string literal, with backslash escapes.
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\')
          ++i;
        else if (text[i] == '\n')
          ++line;
      }
    } else if (c == '/' && next == '/') {
      while (i < text.size() && text[i] != '\n')
        ++i;
      --i;
    } else if (c == '(' || c == '[' || c == '{' || (c == '<' && next != '=')) {
      if (++depth > kMaxTextNesting)
        return llvm::createStringError(llvm::formatv(
            "{0}:{1}: brackets nest deeper than the {2} levels a module may "
            "have",
            path, line, kMaxTextNesting));
    } else if (c == ')' || c == ']' || c == '}' ||
               (c == '>' && next != '=' && (i == 0 || text[i - 1] != '-'))) {
      if (depth > 0)
        --depth;
    }
  }
  return llvm::Error::success();
}
