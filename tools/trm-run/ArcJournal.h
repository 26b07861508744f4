//===- ArcJournal.h - an ARC evaluation's finished tasks on disk --*- C++ -*-===//
//
// OUT/arc_results.jsonl: a header line naming the run (a fingerprint of the
// model, the weights, the tasks, the identifiers and the options that decide
// the results), then one line per finished task: its ranked candidates for
// each test input. Each line is written whole and synced before the run
// goes on, so a killed run loses at most the task it was writing. Started
// again with the same inputs and output directory, a run keeps the tasks
// the file holds and computes only the others; a line cut short is dropped
// (the file is rewritten without it before anything is appended).
//
//===----------------------------------------------------------------------===//
#ifndef TRM_TOOLS_TRMRUN_ARCJOURNAL_H
#define TRM_TOOLS_TRMRUN_ARCJOURNAL_H

#include "trm/ARC/Voting.h"

#include "llvm/Support/Error.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace trmrun {

/// One task's result: per test input, its candidates, best first.
using ArcTaskResult = std::vector<std::vector<mlir::trm::arc::Candidate>>;

class ArcJournal {
public:
  /// Opens `path` (creating it) for the run named `run`. `testsOf(id)` is
  /// the number of test inputs of this run's task `id`, or -1 for a task the
  /// run does not have; a line that disagrees is dropped with the rest of
  /// the file after it. An error names the file when it belongs to another
  /// run or cannot be read or written.
  static llvm::Expected<std::unique_ptr<ArcJournal>>
  open(llvm::StringRef path, llvm::StringRef run,
       const std::function<int64_t(llvm::StringRef)> &testsOf);
  ~ArcJournal();

  /// The tasks an earlier run finished.
  const std::map<std::string, ArcTaskResult> &restored() const {
    return done;
  }
  /// Lines an earlier run left unfinished (dropped).
  int64_t droppedLines() const { return dropped; }
  /// Appends a finished task and syncs the file.
  llvm::Error append(llvm::StringRef id, const ArcTaskResult &result);
  const std::string &path() const { return filePath; }

private:
  ArcJournal() = default;
  std::string filePath;
  int fd = -1;
  int64_t dropped = 0;
  std::map<std::string, ArcTaskResult> done;
};

} // namespace trmrun

#endif
