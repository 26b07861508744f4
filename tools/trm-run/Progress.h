//===- Progress.h - samples done, rate and time left --------------*- C++ -*-===//
//
// On a terminal, one line on stderr rewritten in place every second;
// otherwise (a log, a pipe) a plain line every `interval` seconds. Nothing
// for a run shorter than that, so short runs print only their results.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_TOOLS_TRMRUN_PROGRESS_H
#define TRM_TOOLS_TRMRUN_PROGRESS_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace trmrun {

class Progress {
public:
  /// `interval`: seconds between lines when stderr is no terminal; 0 for
  /// none. Nothing at all unless `enabled` (--quiet). `detail`, when given,
  /// leads the line (an ARC run's tasks done).
  Progress(int64_t total, double interval, bool enabled = true,
           std::function<std::string()> detail = nullptr);
  /// `done` samples are finished.
  void update(int64_t done);
  /// Clears the terminal line.
  void finish();

private:
  using Clock = std::chrono::steady_clock;
  int64_t total;
  std::chrono::duration<double> interval;
  bool terminal;
  bool shown = false;
  std::function<std::string()> detail;
  Clock::time_point start, lastShown;
};

} // namespace trmrun

#endif
