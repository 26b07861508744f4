//===- WeightImport.cpp - checkpoints to canonical f32 weights ------------===//
#include "trm/Import/WeightImport.h"
#include "trm/Import/JsonStructure.h"
#include "trm/Import/Safetensors.h"
#include "trm/Import/TorchCheckpoint.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir::trm;
using llvm::StringRef;

std::string mlir::trm::canonicalKey(StringRef key) {
  for (;;) {
    if (key.consume_front("_orig_mod.") || key.consume_front("model.") ||
        key.consume_front("inner."))
      continue;
    return key.str();
  }
}

bool mlir::trm::isIgnoredBuffer(StringRef key) {
  // RotaryEmbedding's caches (persistent in some versions), the sparse
  // puzzle embedding's training scratch buffers.
  static const char *const ignored[] = {
      "rotary_emb.cos_cached",       "rotary_emb.sin_cached",
      "rotary_emb.inv_freq",         "puzzle_emb.local_weights",
      "puzzle_emb.local_ids",
  };
  for (const char *name : ignored)
    if (key == name)
      return true;
  return false;
}

llvm::Expected<std::vector<Tensor>>
mlir::trm::readCheckpointFile(StringRef path, CheckpointFormat *format) {
  auto buffer = readBinaryFile(path);
  if (!buffer)
    return buffer.takeError();
  std::shared_ptr<const llvm::MemoryBuffer> mapping = std::move(*buffer);
  llvm::ArrayRef<uint8_t> bytes = bufferBytes(*mapping);
  if (looksLikeZip(bytes)) {
    if (format)
      *format = CheckpointFormat::TorchZip;
    TorchReadOptions options;
    options.mapping = mapping;
    return readTorchCheckpointBuffer(bytes, path, options);
  }
  if (path.ends_with(".safetensors") || (bytes.size() > 8 && bytes[8] == '{')) {
    if (format)
      *format = CheckpointFormat::Safetensors;
    return parseSafetensors(bytes, path, nullptr, mapping);
  }
  return fileError(path, "unrecognised checkpoint format: neither a torch.save "
                         "zip archive (starts with 'PK') nor safetensors (an "
                         "8-byte header size, then '{')");
}

llvm::Expected<CheckpointWeights>
mlir::trm::canonicalizeWeights(std::vector<Tensor> tensors, StringRef file) {
  CheckpointWeights out;
  out.file = file.str();
  llvm::StringMap<std::string> byCanonical;
  for (Tensor &t : tensors) {
    std::string canonical = canonicalKey(t.name);
    if (isIgnoredBuffer(canonical)) {
      out.ignored.push_back(t.name);
      continue;
    }
    auto [it, inserted] = byCanonical.try_emplace(canonical, t.name);
    if (!inserted)
      return fileError(file, "keys '" + it->second + "' and '" + t.name +
                                 "' both name the parameter '" + canonical +
                                 "'");
    out.storedKeys.push_back(std::move(t.name));
    t.name = std::move(canonical);
    out.tensors.push_back(std::move(t));
  }
  return out;
}

void mlir::trm::inferConfigFromWeights(TRMConfig &config,
                                       const CheckpointWeights &weights) {
  auto shapeOf = [&](StringRef key) -> const std::vector<int64_t> * {
    for (const Tensor &t : weights.tensors)
      if (t.name == key)
        return &t.shape;
    return nullptr;
  };
  auto dim = [&](StringRef key, size_t rank, size_t index) -> int64_t {
    const std::vector<int64_t> *shape = shapeOf(key);
    if (!shape || shape->size() != rank)
      return 0;
    return (*shape)[index];
  };
  if (config.vocabSize == 0) {
    config.vocabSize = dim("embed_tokens.embedding_weight", 2, 0);
    if (config.vocabSize == 0)
      config.vocabSize = dim("lm_head.weight", 2, 0);
  }
  if (config.numPuzzleIdentifiers == 0 && config.puzzleEmbNdim > 0)
    config.numPuzzleIdentifiers = dim("puzzle_emb.weights", 2, 0);
  if (config.seqLen == 0) {
    int64_t totalLen = 0;
    if (config.posEncoding == PosEncoding::Learned)
      totalLen = dim("embed_pos.embedding_weight", 2, 0);
    if (totalLen == 0 && config.mlpT) {
      totalLen = dim("L_level.layers.0.mlp_t.gate_up_proj.weight", 2, 1);
      if (totalLen == 0)
        totalLen = dim("L_level.layers.0.mlp_t.down_proj.weight", 2, 0);
    }
    if (totalLen > config.puzzleEmbLen)
      config.seqLen = totalLen - config.puzzleEmbLen;
  }
}

llvm::Expected<DatasetJson> mlir::trm::readDatasetJson(StringRef datasetPath) {
  auto buffer = llvm::MemoryBuffer::getFile(datasetPath, /*IsText=*/true);
  if (!buffer)
    return fileError(datasetPath,
                     "cannot open file: " + buffer.getError().message());
  if (llvm::Error err = checkJsonStructure((*buffer)->getBuffer(), datasetPath))
    return std::move(err);
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return fileError(datasetPath,
                     "not valid JSON: " + llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return fileError(datasetPath, "expected a JSON object");
  DatasetJson dataset;
  struct Field {
    const char *name;
    int64_t *value;
  } fields[] = {{"vocab_size", &dataset.vocabSize},
                {"seq_len", &dataset.seqLen},
                {"num_puzzle_identifiers", &dataset.numPuzzleIdentifiers}};
  for (Field &f : fields) {
    const llvm::json::Value *v = root->get(f.name);
    if (!v || v->kind() == llvm::json::Value::Null)
      continue;
    std::optional<int64_t> n = v->getAsInteger();
    if (!n || *n < 1)
      return fileError(datasetPath, llvm::formatv("field '{0}': expected a "
                                                  "positive integer",
                                                  f.name)
                                        .str());
    *f.value = *n;
  }
  if (const llvm::json::Value *v = root->get("ignore_label_id");
      v && v->kind() != llvm::json::Value::Null) {
    dataset.ignoreLabelId = v->getAsInteger();
    if (!dataset.ignoreLabelId)
      return fileError(datasetPath,
                       "field 'ignore_label_id': expected an integer or null");
  }
  return dataset;
}

llvm::Error mlir::trm::applyDatasetJson(TRMConfig &config,
                                        StringRef datasetPath,
                                        StringRef configPath) {
  llvm::Expected<DatasetJson> dataset = readDatasetJson(datasetPath);
  if (!dataset)
    return dataset.takeError();
  struct Field {
    const char *name;
    int64_t value;
    int64_t *config;
  } fields[] = {
      {"vocab_size", dataset->vocabSize, &config.vocabSize},
      {"seq_len", dataset->seqLen, &config.seqLen},
      {"num_puzzle_identifiers", dataset->numPuzzleIdentifiers,
       &config.numPuzzleIdentifiers}};
  for (Field &f : fields) {
    if (f.value == 0)
      continue;
    if (*f.config == 0)
      *f.config = f.value;
    else if (*f.config != f.value)
      return fileError(datasetPath,
                       llvm::formatv("field '{0}': {1} disagrees with {2} in "
                                     "{3}",
                                     f.name, f.value, *f.config, configPath)
                           .str());
  }
  return llvm::Error::success();
}

llvm::Error mlir::trm::checkDatasetSizesKnown(const TRMConfig &config,
                                              StringRef configPath) {
  auto unknown = [&](const char *field, const char *option) {
    return fileError(
        configPath,
        llvm::formatv("field '{0}': must be positive, got 0 (unknown: neither "
                      "the configuration nor the checkpoint tells it; pass "
                      "--{1} or --dataset-json)",
                      field, option)
            .str());
  };
  if (config.seqLen == 0)
    return unknown("seq_len", "seq-len");
  if (config.vocabSize == 0)
    return unknown("vocab_size", "vocab-size");
  if (config.puzzleEmbNdim > 0 && config.numPuzzleIdentifiers == 0)
    return unknown("num_puzzle_identifiers", "num-puzzle-identifiers");
  return llvm::Error::success();
}

namespace {
std::string listNames(llvm::ArrayRef<std::string> names) {
  std::string s;
  const size_t shown = std::min<size_t>(names.size(), 6);
  for (size_t k = 0; k < shown; ++k)
    s += (k ? ", '" : "'") + names[k] + "'";
  if (names.size() > shown)
    s += llvm::formatv(" and {0} more", names.size() - shown).str();
  return s;
}
} // namespace

llvm::Expected<std::vector<Tensor>>
mlir::trm::matchWeights(const TRMConfig &config, CheckpointWeights weights) {
  const std::vector<WeightSpec> specs = expectedWeights(config);
  llvm::StringMap<size_t> index;
  for (size_t k = 0; k < weights.tensors.size(); ++k)
    index[weights.tensors[k].name] = k;

  std::vector<std::string> missing, unexpected;
  llvm::StringMap<bool> wanted;
  for (const WeightSpec &spec : specs) {
    wanted[spec.key] = true;
    if (!index.count(spec.key))
      missing.push_back(spec.key);
  }
  for (size_t k = 0; k < weights.tensors.size(); ++k)
    if (!wanted.count(weights.tensors[k].name))
      unexpected.push_back(weights.storedKeys[k]);
  const StringRef file = weights.file;
  if (!missing.empty())
    return fileError(file, llvm::formatv("missing tensor{0} {1} required by "
                                         "the configuration",
                                         missing.size() > 1 ? "s" : "",
                                         listNames(missing))
                               .str());
  if (!unexpected.empty())
    return fileError(file, llvm::formatv("unexpected tensor{0} {1}: not a "
                                         "parameter of the model the "
                                         "configuration describes",
                                         unexpected.size() > 1 ? "s" : "",
                                         listNames(unexpected))
                               .str());

  std::vector<Tensor> out;
  out.reserve(specs.size());
  for (const WeightSpec &spec : specs) {
    size_t k = index[spec.key];
    Tensor &t = weights.tensors[k];
    const std::string &stored = weights.storedKeys[k];
    if (t.shape != spec.shape)
      return fileError(file, "tensor '" + stored + "': shape " +
                                 formatShape(t.shape) + " does not match " +
                                 formatShape(spec.shape) +
                                 " expected by the configuration");
    if (!isFloatingPoint(t.dtype))
      return fileError(file, "tensor '" + stored + "': dtype " +
                                 dtypeName(t.dtype) +
                                 " is not a floating-point type");
    if (!t.isConsistent())
      return fileError(file, "tensor '" + stored + "': data size does not "
                                                   "match its shape");
    out.push_back(std::move(t).convertToF32());
  }
  return out;
}
