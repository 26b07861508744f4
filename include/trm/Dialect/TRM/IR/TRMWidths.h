//===- TRMWidths.h - widths the trm ops derive from attributes ---*- C++ -*-===//
//
// Shape rules of the trm ops that code outside the dialect applies too: the
// op verifiers check IR against them, and the configuration checks
// (lib/Config) and expected weight shapes use them before any IR exists.
// Plain C++ with no MLIR, so the MLIR-free configuration library and the
// fuzz harnesses can include it without linking the dialect, and the
// dialect needs no configuration parser.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_DIALECT_TRM_IR_TRMWIDTHS_H
#define TRM_DIALECT_TRM_IR_TRMWIDTHS_H

#include <cmath>
#include <cstdint>

namespace mlir::trm {

/// SwiGLU intermediate width for a SwiGLU over `width` features:
/// round_up(round(expansion * width * 2 / 3), 256), as the reference
/// computes it (swiglu_inter in tools/reference/trm_reference.py).
inline int64_t swigluIntermediate(double expansion, int64_t width) {
  // Python's round() rounds half to even; std::nearbyint does the same in
  // the default rounding mode.
  int64_t inter =
      static_cast<int64_t>(std::nearbyint(expansion * width * 2.0 / 3.0));
  return (inter + 255) / 256 * 256;
}

} // namespace mlir::trm

#endif // TRM_DIALECT_TRM_IR_TRMWIDTHS_H
