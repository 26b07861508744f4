//===- PassCounter.h - pass statistics that always count ---------*- C++ -*-===//
//
// MLIR's Pass::Statistic builds on llvm::Statistic, which a release LLVM
// (Debian's, without LLVM_FORCE_ENABLE_STATS) compiles to no-ops:
// --mlir-pass-statistics prints nothing. trm's passes count with
// PassCounter instead, and every tool prints the totals with
// --trm-pass-counters.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_SUPPORT_PASSCOUNTER_H
#define TRM_SUPPORT_PASSCOUNTER_H

#include "mlir/Pass/Pass.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <cstdint>

namespace mlir::trm {

/// One count of a pass, summed over every instance of the pass (the pass
/// manager clones a pass per function and thread).
class PassCounter {
public:
  PassCounter(Pass *owner, const char *name, const char *description);
  PassCounter &operator++() {
    total->fetch_add(1, std::memory_order_relaxed);
    return *this;
  }
  PassCounter &operator+=(uint64_t n) {
    total->fetch_add(n, std::memory_order_relaxed);
    return *this;
  }

private:
  std::atomic<uint64_t> *total;
};

/// Whether --trm-pass-counters was given.
bool passCountersRequested();

/// Every counter of the passes that ran, as `pass.counter value
/// description` lines.
void printPassCounters(llvm::raw_ostream &os);

} // namespace mlir::trm

#endif
