//===- WeightImport.h - checkpoints to canonical f32 weights -----*- C++ -*-===//
//
// Turns a checkpoint (torch.save `step_N` archive or safetensors) into the
// weights a configuration needs: keys canonicalised (`_orig_mod.`, `model.`,
// `inner.` prefixes stripped), harmless buffers dropped, unknown data-set
// sizes filled from tensor shapes, every key and shape checked against
// expectedWeights(config), and every tensor converted to f32 in
// expectedWeights order.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_IMPORT_WEIGHTIMPORT_H
#define TRM_IMPORT_WEIGHTIMPORT_H

#include "trm/Config/TRMConfig.h"
#include "trm/Import/Tensor.h"

#include <optional>

namespace mlir::trm {

/// Strips any sequence of the `_orig_mod.`, `model.` and `inner.` prefixes.
std::string canonicalKey(llvm::StringRef key);

/// Non-parameter buffers some versions of the reference store and that the
/// compiler recomputes (rotary cos/sin caches, the sparse puzzle embedding's
/// per-batch scratch). `key` is canonical.
bool isIgnoredBuffer(llvm::StringRef key);

enum class CheckpointFormat { TorchZip, Safetensors };

/// Reads a checkpoint file, telling the format from its first bytes (a zip
/// signature: torch.save archive; otherwise safetensors when the 9th byte is
/// '{' or the name ends in .safetensors).
llvm::Expected<std::vector<Tensor>>
readCheckpointFile(llvm::StringRef path, CheckpointFormat *format = nullptr);

/// A checkpoint's tensors under canonical names.
struct CheckpointWeights {
  std::string file;
  std::vector<Tensor> tensors;         ///< canonical names
  std::vector<std::string> storedKeys; ///< the key of tensors[i] in the file
  std::vector<std::string> ignored;    ///< stored keys dropped as buffers
};

/// Canonicalises keys, drops ignored buffers, and rejects two keys that
/// canonicalise to the same name.
llvm::Expected<CheckpointWeights>
canonicalizeWeights(std::vector<Tensor> tensors, llvm::StringRef file);

/// Fills the data-set sizes the configuration leaves at 0 from tensor shapes:
/// vocab_size from embed_tokens (or lm_head), num_puzzle_identifiers from
/// puzzle_emb.weights, seq_len from embed_pos or mlp_t weights (L - P).
void inferConfigFromWeights(TRMConfig &config, const CheckpointWeights &weights);

/// What trm reads of the reference's dataset.json; 0 and nullopt: absent
/// (or null).
struct DatasetJson {
  int64_t vocabSize = 0, seqLen = 0, numPuzzleIdentifiers = 0;
  /// Label tokens the metrics skip (the reference maps them to -100).
  std::optional<int64_t> ignoreLabelId;
};

/// Reads a dataset.json. Errors name the file and the field.
llvm::Expected<DatasetJson> readDatasetJson(llvm::StringRef datasetPath);

/// Reads vocab_size, seq_len and num_puzzle_identifiers from the reference's
/// dataset.json into the fields `config` leaves at 0; a value that disagrees
/// with a non-zero field is an error naming both files.
llvm::Error applyDatasetJson(TRMConfig &config, llvm::StringRef datasetPath,
                             llvm::StringRef configPath);

/// Errors for data-set sizes still unknown (0), naming the configuration
/// file and the options that would supply them.
llvm::Error checkDatasetSizesKnown(const TRMConfig &config,
                                   llvm::StringRef configPath);

/// Checks the checkpoint against `config` (missing keys, unexpected keys,
/// shapes, floating-point dtypes) and returns its tensors as f32 under
/// canonical names in expectedWeights(config) order. `config` must be valid.
llvm::Expected<std::vector<Tensor>> matchWeights(const TRMConfig &config,
                                                 CheckpointWeights weights);

} // namespace mlir::trm

#endif // TRM_IMPORT_WEIGHTIMPORT_H
