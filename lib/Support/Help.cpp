//===- Help.cpp - --help that lists a tool's own options ------------------===//
#include "trm/Support/Help.h"

namespace cl = llvm::cl;

void mlir::trm::showOnlyInHelp(
    llvm::ArrayRef<const cl::OptionCategory *> categories) {
  // The generic category (--help, --version) is internal to LLVM: by name.
  for (auto &[name, option] : cl::getRegisteredOptions()) {
    bool shown = llvm::any_of(option->Categories, [&](const auto *category) {
      return llvm::is_contained(categories, category) ||
             category->getName() == "Generic Options";
    });
    if (!shown && option->getOptionHiddenFlag() == cl::NotHidden)
      option->setHiddenFlag(cl::Hidden);
  }
}

void mlir::trm::claimThreadsOption(llvm::cl::opt<int64_t> &threads) {
  auto &options = llvm::cl::getRegisteredOptions();
  auto it = options.find("threads");
  if (it != options.end() && it->second != &threads) {
    llvm::cl::Option *llvmThreads = it->second;
    llvmThreads->setArgStr("llvm-threads");
    llvmThreads->setHiddenFlag(llvm::cl::ReallyHidden);
  }
  threads.setArgStr("threads");
}
