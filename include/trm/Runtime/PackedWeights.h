//===- PackedWeights.h - a weights file packed by a model's table -*- C++ -*-===//
//
// The packed weights argument of a compiled entry: every parameter of a
// weights file converted to f32 at its weight-table offset, checked by key
// and shape in both directions. A streamed table
// (trm-stream-puzzle-embedding) stays in the file, mapped: before each batch
// bindRows copies the rows of the batch's puzzle ids into the table's slots,
// so of a table of a million rows only the rows in use are read from disk,
// converted, held in memory or sent to a device.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_RUNTIME_PACKEDWEIGHTS_H
#define TRM_RUNTIME_PACKEDWEIGHTS_H

#include "trm/Runtime/ArrayIO.h"
#include "trm/Runtime/ModelSignature.h"

#include <utility>

namespace mlir::trm {

class PackedWeights {
public:
  /// Packs `file` (read from `path`, which errors name) by `sig`'s table.
  static llvm::Expected<PackedWeights> pack(WeightFile file,
                                            const ModelSignature &sig,
                                            llvm::StringRef path);

  /// The packed argument (padded to a multiple of 16 elements).
  const std::vector<float> &values() const { return packed; }

  /// An element range of values(): offset and count.
  using Range = std::pair<int64_t, int64_t>;
  /// Fills slot i of every streamed table with row ids[i] of the file's
  /// table (slots past ids.size() keep what they hold) and appends the
  /// ranges it rewrote to `written` (a slot already holding its row is not
  /// rewritten). An id outside the table is an error naming the file.
  llvm::Error bindRows(llvm::ArrayRef<int32_t> ids,
                       std::vector<Range> &written);

private:
  struct StreamedTable {
    Tensor table; // the file's [rows, width] tensor, usually a mapped view
    int64_t offset = 0, width = 0;
    std::vector<int64_t> slotRows; // the row each slot holds, -1: none
  };
  std::vector<float> packed;
  std::vector<StreamedTable> streamed;
  std::string path;
};

} // namespace mlir::trm

#endif // TRM_RUNTIME_PACKEDWEIGHTS_H
