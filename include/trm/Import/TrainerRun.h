//===- TrainerRun.h - a reference trainer's run as one import ----*- C++ -*-===//
//
// The reference trainer leaves a checkpoint directory with all_config.yaml
// and one step_N file per save, and no dataset.json: the data-set sizes
// come from the checkpoint's shapes or from the folders in the
// configuration's data_paths. importTrainerModel is the whole import that
// trm-import and `trm-run DIR` share: configuration, data-set sizes,
// checkpoint, validation.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_IMPORT_TRAINERRUN_H
#define TRM_IMPORT_TRAINERRUN_H

#include "trm/Config/TRMConfig.h"
#include "trm/Import/Tensor.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::trm {

/// The files of a trainer's checkpoint directory.
struct TrainerRunFiles {
  std::string config;     ///< DIR/all_config.yaml
  std::string checkpoint; ///< DIR/step_N with the largest N
};

/// Finds all_config.yaml and the latest step_N in `dir`. The error names
/// the directory and what it lacks.
llvm::Expected<TrainerRunFiles> findTrainerRun(llvm::StringRef dir);

/// The dataset.json of the data a configuration describes: beside the
/// configuration, then for each of its data_paths DATA/train/dataset.json,
/// DATA/test/dataset.json and DATA/dataset.json (a relative DATA from the
/// working directory, as the trainer ran, then from the configuration's
/// folder). Every candidate looked at is appended to `tried`.
std::optional<std::string>
locateDatasetJson(const TRMConfig &config, llvm::StringRef configPath,
                  std::vector<std::string> &tried);

/// What one import reads.
struct ImportRequest {
  std::string configPath;
  /// Empty: the one beside the configuration, else the data_paths' one when
  /// the checkpoint leaves a size unknown (locateDatasetJson).
  std::string datasetJsonPath;
  /// Empty: no checkpoint (a module without weights).
  std::string checkpointPath;
  /// Command-line overrides of the data-set sizes; 0 keeps the file's.
  int64_t seqLen = 0, vocabSize = 0, numPuzzleIdentifiers = 0;
};

/// A validated configuration and the checkpoint's weights in
/// expectedWeights order (empty without a checkpoint).
struct ImportedModel {
  TRMConfig config;
  std::vector<Tensor> weights;
  /// The dataset.json the sizes came from, empty if none was read.
  std::string datasetJsonUsed;
  /// Candidates locateDatasetJson looked at (for an error's hint).
  std::vector<std::string> datasetJsonTried;
};

/// The configuration file, then dataset.json, then the overrides, then the
/// checkpoint (which fills sizes still unknown). Errors name the file and
/// the field or tensor.
llvm::Expected<ImportedModel> importTrainerModel(const ImportRequest &request);

} // namespace mlir::trm

#endif
