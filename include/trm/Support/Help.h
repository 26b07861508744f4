//===- Help.h - --help that lists a tool's own options ------------*- C++ -*-===//
#ifndef TRM_SUPPORT_HELP_H
#define TRM_SUPPORT_HELP_H

#include "llvm/Support/CommandLine.h"

namespace mlir::trm {
/// Like cl::HideUnrelatedOptions, but the others stay reachable: --help
/// lists the options in `categories` (and the generic ones), --help-hidden
/// every option LLVM and MLIR register, which all work all the same.
void showOnlyInHelp(llvm::ArrayRef<const llvm::cl::OptionCategory *> categories);

/// LLVM's libraries register a --threads of their own (with no
/// description): it moves out of the way to --llvm-threads, hidden, and
/// `threads` (registered under another name) takes --threads.
void claimThreadsOption(llvm::cl::opt<int64_t> &threads);
} // namespace mlir::trm

#endif
