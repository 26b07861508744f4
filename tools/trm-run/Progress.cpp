//===- Progress.cpp - samples done, rate and time left --------------------===//
#include "Progress.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

using namespace trmrun;

Progress::Progress(int64_t total, double interval, bool enabled,
                   std::function<std::string()> detail)
    : total(total), interval(enabled ? interval : 0),
      terminal(enabled && llvm::sys::Process::StandardErrIsDisplayed()),
      detail(std::move(detail)), start(Clock::now()), lastShown(start) {}

/// "42 s", "17 min 5 s", "3 h 12 min".
static std::string duration(double seconds) {
  int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s < 60)
    return llvm::formatv("{0} s", s);
  if (s < 3600)
    return llvm::formatv("{0} min {1} s", s / 60, s % 60);
  return llvm::formatv("{0} h {1} min", s / 3600, s % 3600 / 60);
}

void Progress::update(int64_t done) {
  Clock::time_point now = Clock::now();
  std::chrono::duration<double> every =
      terminal ? std::chrono::seconds(1) : interval;
  if (every.count() <= 0 || now - lastShown < every || done >= total)
    return;
  lastShown = now;
  shown = true;
  double seconds = std::chrono::duration<double>(now - start).count();
  double rate = done / seconds;
  std::string line = llvm::formatv(
      "trm-run: {0}{1} of {2} samples, {3:f2} samples/s, about {4} left",
      detail ? detail() + ", " : "", done, total, rate,
      duration((total - done) / rate));
  if (terminal)
    llvm::errs() << "\r" << line << "\x1b[K";
  else
    llvm::errs() << line << "\n";
  llvm::errs().flush();
}

void Progress::finish() {
  if (terminal && shown)
    llvm::errs() << "\r\x1b[K";
}
