//===- FuzzChecks.h - what every importer harness checks ---------*- C++ -*-===//
#ifndef TRM_FUZZ_FUZZCHECKS_H
#define TRM_FUZZ_FUZZCHECKS_H

#include "trm/Import/Tensor.h"

#include <cstdlib>

/// A tensor an importer accepted must match its shape and convert to f32;
/// anything else is a finding.
inline void requireUsable(const mlir::trm::Tensor &tensor) {
  if (!tensor.isConsistent())
    abort();
  (void)tensor.toF32();
}

#endif
