//===- TRMConfig.h - A TRM architecture configuration ------------*- C++ -*-===//
//
// The `arch` fields of the reference trainer's all_config.yaml that affect
// inference, plus the data-set sizes (vocab, sequence length, puzzle ids).
// Field names follow the reference trainer's; tools/reference/trm_reference.py
// (class TRMConfig) reads the same fields for the PyTorch reference model.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_CONFIG_TRMCONFIG_H
#define TRM_CONFIG_TRMCONFIG_H

#include "llvm/Support/Error.h"
#include <cstdint>
#include <string>
#include <vector>

namespace mlir::trm {

enum class PosEncoding { None, Rope, Learned };

struct TRMConfig {
  int64_t hiddenSize = 0;          // hidden_size
  int64_t numHeads = 0;            // num_heads
  double expansion = 0;            // expansion
  int64_t numLayers = 0;           // L_layers
  int64_t hCycles = 0;             // H_cycles (T)
  int64_t lCycles = 0;             // L_cycles (n)
  int64_t haltMaxSteps = 0;        // halt_max_steps
  PosEncoding posEncoding = PosEncoding::None; // pos_encodings
  bool mlpT = false;               // mlp_t
  int64_t puzzleEmbNdim = 0;       // puzzle_emb_ndim
  int64_t puzzleEmbLen = 0;        // puzzle_emb_len, resolved (never 0 when puzzleEmbNdim > 0)
  int64_t vocabSize = 0;           // vocab_size (0 = unknown until a checkpoint tells)
  int64_t seqLen = 0;              // seq_len (0 = unknown until a checkpoint tells)
  int64_t numPuzzleIdentifiers = 0; // num_puzzle_identifiers (0 = unknown)
  double rmsNormEps = 1e-5;        // rms_norm_eps
  double ropeTheta = 10000.0;      // rope_theta
  /// data_paths (top level): the data set folders the trainer read, whose
  /// train/ and test/ folders hold the dataset.json the sizes come from.
  std::vector<std::string> dataPaths;
  /// What the parser accepted with a caveat (e.g. an unknown pos_encodings,
  /// which the reference treats as none), for the tool to print.
  std::vector<std::string> warnings;

  /// L = S + P: the positions the network sees.
  int64_t totalLen() const { return seqLen + puzzleEmbLen; }
  int64_t headDim() const { return hiddenSize / numHeads; }
};

/// Parses the reference's all_config.yaml (fields under `arch:`) or a JSON
/// file with the same field names (either top-level or under "arch").
/// Errors name the file and the field.
llvm::Expected<TRMConfig> parseConfigFile(llvm::StringRef path);

/// Largest values validateConfig accepts (see there).
inline constexpr int64_t kMaxHiddenSize = 1 << 16, kMaxLayers = 1024,
                         kMaxCycles = 1024, kMaxVocab = 1 << 20,
                         kMaxSeqLen = 1 << 16, kMaxPuzzleEmbNdim = 1 << 16,
                         kMaxPuzzleEmbLen = 1024,
                         kMaxPuzzleIdentifiers = (int64_t(1) << 31) - 1;
inline constexpr double kMaxExpansion = 64;
/// How deep a configuration file may nest mappings and sequences (the
/// reference's files nest 3 levels).
inline constexpr unsigned kMaxConfigDepth = 64;

/// Checks that every field needed to build a module is known, in range
/// (finite, positive where it must be, below the bounds above) and
/// consistent (hidden size divisible by heads, ...). `what` names the source
/// (file) in messages, which name the field and the allowed range.
llvm::Error validateConfig(const TRMConfig &config, llvm::StringRef what);

/// One parameter a configuration needs: its canonical checkpoint key (without
/// the `_orig_mod.`, `model.`, `inner.` prefixes) and its shape.
struct WeightSpec {
  std::string key;
  std::vector<int64_t> shape;
};

/// Every parameter of the model `config` describes, in a fixed order (the
/// order the module declares them and the runtime packs them).
std::vector<WeightSpec> expectedWeights(const TRMConfig &config);

} // namespace mlir::trm

#endif // TRM_CONFIG_TRMCONFIG_H
