//===- ArcEvaluation.h - ARC-AGI scored as the reference scores it -*- C++ -*-===//
//
// trm-run --arc-challenges: every test input of every task runs under each
// of the task's augmentations that identifiers.json names (with that
// variant's puzzle identifier); each prediction is cropped, inverted and
// cast as a vote with confidence sigmoid(q_halt); the ranked candidates give
// submission.json and, with the solutions, pass@K (lib/ARC has the rules).
//
//===----------------------------------------------------------------------===//
#ifndef TRM_TOOLS_TRMRUN_ARCEVALUATION_H
#define TRM_TOOLS_TRMRUN_ARCEVALUATION_H

#include "ArcJournal.h"
#include "Inputs.h"

#include "trm/ARC/Voting.h"
#include "trm/Import/AtomicFile.h"
#include "trm/Runtime/CpuExecutable.h"

#include "llvm/Support/JSON.h"

#include <map>
#include <memory>
#include <optional>

namespace trmrun {

struct ArcRequest {
  std::string challengesPath, solutionsPath, identifiersPath;
  /// all | original | N (each task's first N variants by puzzle id).
  std::string augmentations = "all";
  /// Where submission.json and arc_candidates.json go; empty: nowhere.
  std::string outputDir;
};

class ArcEvaluation {
public:
  /// Reads the tasks and identifiers and lays out the samples: per task
  /// (by id), test input and variant (by puzzle id). Creates the output
  /// files' temporaries. Errors name the file and the task or index.
  static llvm::Expected<std::unique_ptr<ArcEvaluation>>
  create(const ArcRequest &request, const mlir::trm::ModelSignature &sig);

  /// The reference's prebuilt test split (DATA/test/all__*.npy, with
  /// DATA/identifiers.json and DATA/test_puzzles.json, which holds the
  /// outputs): its rows as they are, each matched to its task's test input
  /// by the inverted grid, as the evaluator does.
  static llvm::Expected<std::unique_ptr<ArcEvaluation>>
  createFromSplit(llvm::StringRef split, const mlir::trm::ModelSignature &sig,
                  llvm::StringRef outputDir);
  /// Whether `split` has identifiers.json and test_puzzles.json beside it
  /// (or in its parent): an ARC split.
  static bool isArcSplit(llvm::StringRef split);

  /// With an output directory: keeps the results of the tasks an earlier
  /// run of the same model (`model`: its fingerprint) on the same samples
  /// finished (OUT/arc_results.jsonl, see ArcJournal.h), drops their
  /// samples, and records every task finished from now on.
  llvm::Error resume(llvm::StringRef model);

  /// The samples to run.
  const RunInputs &inputs() const { return samples; }
  std::string describePlan() const;
  /// Tasks finished (restored ones included), of tasks().
  int64_t tasksDone() const { return finished; }
  int64_t taskCount() const { return tasks.size(); }

  /// Casts the votes of samples [start, start + n), the rows of `buf`;
  /// a task whose last sample this was is ranked and recorded.
  llvm::Error addBatch(int64_t start, int64_t n,
                       const mlir::trm::BatchBuffers &buf, int64_t maxSteps);

  /// pass@K and the counts, to stdout; the JSON summary's "arc" object.
  void printScores(llvm::raw_ostream &os) const;
  void writeJsonScores(llvm::json::OStream &j) const;
  /// submission.json and arc_candidates.json, renamed into place together.
  llvm::Error writeFiles();
  llvm::ArrayRef<std::string> paths() const { return finalPaths; }

private:
  struct Task {
    std::string id;
    std::vector<mlir::trm::arc::Grid> inputs;
    std::vector<mlir::trm::arc::Grid> solutions; ///< empty without them
    std::vector<std::vector<mlir::trm::arc::Vote>> votes; ///< per test input
    /// Samples not yet voted; once none: the ranked candidates.
    int64_t pending = 0;
    ArcTaskResult result;
  };
  struct Origin {
    size_t task, test;
    mlir::trm::arc::Augmentation augmentation;
  };
  ArcEvaluation() = default;
  /// One Task per test-input list, by id (the maps' order).
  void addTasks(const std::map<std::string, std::vector<mlir::trm::arc::Grid>> &inputs,
                std::map<std::string, std::vector<mlir::trm::arc::Grid>> &outputs);
  /// The samples' shapes from `origins`, then the output files.
  llvm::Error finishSamples(llvm::StringRef outputDir);
  llvm::Error openOutputs(llvm::StringRef dir);
  /// Ranks a task whose samples are all in.
  void finishTask(Task &t);
  /// pass@K for each of kPassKs: the mean over tasks of the share of its
  /// test inputs whose label is among the first K candidates.
  std::vector<double> passAtK() const;

  std::vector<Task> tasks;
  std::vector<Origin> origins;
  RunInputs samples;
  bool haveSolutions = false;
  int64_t variantsUsed = 0;
  int64_t finished = 0, restoredTasks = 0, restoredSamples = 0;
  std::string outputDir;
  std::unique_ptr<ArcJournal> journal;
  mlir::trm::OutputSet files;
  llvm::raw_ostream *submission = nullptr, *candidates = nullptr;
  std::vector<std::string> finalPaths;
};

} // namespace trmrun

#endif
