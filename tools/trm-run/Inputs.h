//===- Inputs.h - the samples one trm-run computes ---------------*- C++ -*-===//
//
// Tokens from a .npy or --sudoku strings, puzzle identifiers and labels,
// each checked against the model's signature (shape, token and identifier
// ranges) before anything is compiled.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_TOOLS_TRMRUN_INPUTS_H
#define TRM_TOOLS_TRMRUN_INPUTS_H

#include "trm/Runtime/ArrayIO.h"
#include "trm/Runtime/ModelSignature.h"

#include <optional>
#include <string>
#include <vector>

namespace trmrun {

/// Where the samples come from (the command line's input flags).
struct InputRequest {
  std::string inputPath;            ///< tokens .npy, or empty with sudokus
  std::vector<std::string> sudokus; ///< --sudoku strings
  bool digits = false;              ///< --input-format digits
  std::string puzzleIdsPath, labelsPath;
  int64_t first = 0; ///< --first N (0: every sample)
  /// --dataset: a split folder of the reference's builders (all__inputs.npy,
  /// all__labels.npy, all__puzzle_identifiers.npy, dataset.json), instead of
  /// the three paths above.
  std::string datasetDir;
};

/// The samples, cut to --first, in the model's token encoding.
struct RunInputs {
  mlir::trm::IntArray tokens; ///< [N, S]
  mlir::trm::IntArray ids;    ///< [N]
  std::optional<mlir::trm::IntArray> labels;
  /// Label tokens no metric counts (dataset.json's ignore_label_id).
  std::optional<int64_t> ignoreLabelId;
  /// How messages name the tokens' source: the path or "--sudoku".
  std::string tokensName;
  /// Caveats to print (pad tokens in the input).
  std::vector<std::string> warnings;
  int64_t count() const { return ids.shape[0]; }
};

/// --dataset DIR as the paths it stands for, and its ignore_label_id; an
/// error when --input, --labels or --puzzle-ids are given too.
llvm::Error resolveDataset(InputRequest &request,
                           std::optional<int64_t> &ignoreLabelId);

/// Reads and checks every input. Errors name the file (or flag), the index
/// and the allowed range.
llvm::Expected<RunInputs> readRunInputs(const InputRequest &request,
                                        const mlir::trm::ModelSignature &sig);

/// The reference's Sudoku encoding of `texts` (0 pad, 1 blank, 2..10 the
/// digits 1..9), one row per grid.
llvm::Expected<mlir::trm::IntArray>
parseSudokus(llvm::ArrayRef<std::string> texts);

} // namespace trmrun

#endif
