//===- PackedWeights.cpp - a weights file packed by a model's table -------===//
#include "trm/Runtime/PackedWeights.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir::trm;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

llvm::Expected<PackedWeights> PackedWeights::pack(WeightFile file,
                                                  const ModelSignature &sig,
                                                  llvm::StringRef path) {
  PackedWeights out;
  out.path = path.str();
  out.packed.assign((sig.packedSize + 15) / 16 * 16, 0.0f);
  llvm::StringSet<> used;
  for (const PackedWeight &w : sig.weightTable) {
    auto it = file.tensors.find(w.key);
    if (it == file.tensors.end())
      return error(path + ": missing tensor '" + w.key +
                   "' that the model needs");
    Tensor &t = it->second;
    std::vector<int64_t> expected = w.shape;
    if (w.streamedRows)
      expected[0] = w.streamedRows;
    if (t.shape != expected)
      return error(path + ": tensor '" + w.key + "' has shape " +
                   formatShape(t.shape) + ", the model needs " +
                   formatShape(expected));
    used.insert(w.key);
    if (w.streamedRows) {
      StreamedTable table;
      table.table = std::move(t);
      table.offset = w.offset;
      table.width = w.shape[1];
      table.slotRows.assign(w.shape[0], -1);
      out.streamed.push_back(std::move(table));
      continue;
    }
    t.toF32(0, w.numElements(), out.packed.data() + w.offset);
  }
  for (const auto &entry : file.tensors)
    if (!used.contains(entry.getKey()))
      return error(path + ": unexpected tensor '" + entry.getKey() +
                   "' that the model does not use");
  return out;
}

llvm::Error PackedWeights::bindRows(llvm::ArrayRef<int32_t> ids,
                                    std::vector<Range> &written) {
  for (StreamedTable &s : streamed) {
    const int64_t rows = s.table.shape[0];
    if (ids.size() > s.slotRows.size())
      return error(llvm::formatv("{0} puzzle ids for the {1} slots of '{2}'",
                                 ids.size(), s.slotRows.size(), s.table.name)
                       .str());
    for (auto [slot, id] : llvm::enumerate(ids)) {
      if (id < 0 || id >= rows)
        return error(llvm::formatv("{0}: puzzle id {1} is outside the {2} "
                                   "rows of '{3}'",
                                   path, id, rows, s.table.name)
                         .str());
      if (s.slotRows[slot] == id)
        continue;
      const int64_t at = s.offset + static_cast<int64_t>(slot) * s.width;
      s.table.toF32(id * s.width, s.width, packed.data() + at);
      s.slotRows[slot] = id;
      written.push_back({at, s.width});
    }
  }
  return llvm::Error::success();
}
