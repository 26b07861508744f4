//===- Progress.cpp - samples done, rate and time left --------------------===//
#include "Progress.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

using namespace trmrun;

Progress::Progress(int64_t total, double interval, bool enabled)
    : total(total), interval(enabled ? interval : 0),
      terminal(enabled && llvm::sys::Process::StandardErrIsDisplayed()),
      start(Clock::now()), lastShown(start) {}

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
      "trm-run: {0} of {1} samples, {2:f1} samples/s, about {3:f0} s left",
      done, total, rate, (total - done) / rate);
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
