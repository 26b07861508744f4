//===- PassCounter.cpp - pass statistics that always count ----------------===//
#include "trm/Support/PassCounter.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <map>
#include <mutex>
#include <string>

using namespace mlir::trm;

static llvm::cl::opt<bool> printCounters(
    "trm-pass-counters",
    llvm::cl::desc("after compiling, print what each trm pass counted (MLIR's "
                   "--mlir-pass-statistics is compiled out of this LLVM)"));

namespace {
struct Total {
  std::atomic<uint64_t> value{0};
  std::string description;
};
/// Totals by "pass.counter"; std::map keeps their addresses stable.
struct Registry {
  std::mutex mutex;
  std::map<std::string, Total> totals;
};
Registry &registry() {
  static Registry r;
  return r;
}
} // namespace

PassCounter::PassCounter(Pass *owner, const char *name,
                         const char *description) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  Total &t = r.totals[(owner->getArgument() + "." + name).str()];
  t.description = description;
  total = &t.value;
}

bool mlir::trm::passCountersRequested() { return printCounters; }

void mlir::trm::printPassCounters(llvm::raw_ostream &os) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  // Registering a pass makes an instance of it too: a pass is shown when
  // one of its counters counted something.
  llvm::StringSet<> counted;
  size_t width = 0;
  for (const auto &[key, total] : r.totals)
    if (total.value.load()) {
      counted.insert(llvm::StringRef(key).rsplit('.').first);
      width = std::max(width, key.size());
    }
  os << "trm pass counters (of the passes that counted something):\n";
  for (const auto &[key, total] : r.totals)
    if (counted.contains(llvm::StringRef(key).rsplit('.').first))
      os << llvm::formatv("  {0} {1,8}  {2}\n", llvm::left_justify(key, width),
                          total.value.load(), total.description);
}
